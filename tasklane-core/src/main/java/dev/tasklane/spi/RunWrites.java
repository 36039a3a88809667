package dev.tasklane.spi;

import dev.tasklane.Task;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The writes of many runs for {@link TaskStore#writeRuns(RunWrites)}, made in one transaction:
 * runs claimed ahead that start now, and runs that ended. Each is compare-and-set on its run's
 * fencing token; a run that no longer holds its task is skipped without failing the others.
 *
 * <p>Stability: SPI.
 *
 * @param starts runs claimed ahead whose handlers start now: each spends an attempt and gets its
 *     {@code started_at}, if its task is still running under that run and not yet started
 * @param outcomes runs that ended, with how
 */
public record RunWrites(List<RunRef> starts, Map<RunRef, RunOutcome> outcomes) {
  public RunWrites {
    starts = List.copyOf(Objects.requireNonNull(starts, "starts"));
    outcomes = Map.copyOf(Objects.requireNonNull(outcomes, "outcomes"));
  }

  /** Only outcomes. */
  public static RunWrites finishing(Map<RunRef, RunOutcome> outcomes) {
    return new RunWrites(List.of(), outcomes);
  }

  /** Only starts. */
  public static RunWrites starting(List<RunRef> starts) {
    return new RunWrites(starts, Map.of());
  }

  public boolean isEmpty() {
    return starts.isEmpty() && outcomes.isEmpty();
  }

  /**
   * What was written.
   *
   * @param started the started tasks as written (attempt spent, {@code started_at} set), by run
   * @param finished the finished tasks as written, by run
   */
  public record Result(Map<RunRef, Task> started, Map<RunRef, Task> finished) {
    public static final Result NONE = new Result(Map.of(), Map.of());

    public Result {
      started = Map.copyOf(started);
      finished = Map.copyOf(finished);
    }
  }
}
