package dev.tasklane.spi;

import dev.tasklane.TaskError;
import dev.tasklane.TaskState;
import java.time.Instant;
import java.util.Objects;

/**
 * How a run ended, as {@link TaskStore#finishRun(RunRef, RunOutcome)} writes it. Each kind names
 * the state it moves the task to, so stores need no policy of their own.
 *
 * <p>Stability: SPI.
 */
public sealed interface RunOutcome {

  /** The state the task moves to from {@code running}. */
  TaskState target();

  /** → {@code succeeded}; {@code result} is JSON text or {@code null}. */
  record Succeeded(Instant finishedAt, String result) implements RunOutcome {
    public Succeeded {
      Objects.requireNonNull(finishedAt, "finishedAt");
    }

    @Override
    public TaskState target() {
      return TaskState.SUCCEEDED;
    }
  }

  /**
   * → {@code scheduled} at {@code runAt}: a retry after a failed attempt ({@code error} set), or a
   * snooze ({@code error} null, {@code refundAttempt} true so it does not use up an attempt).
   */
  record Rescheduled(Instant runAt, TaskError error, boolean refundAttempt) implements RunOutcome {
    public Rescheduled {
      Objects.requireNonNull(runAt, "runAt");
    }

    @Override
    public TaskState target() {
      return TaskState.SCHEDULED;
    }
  }

  /** → {@code failed}: attempts exhausted or a permanent failure. */
  record Failed(Instant finishedAt, TaskError error) implements RunOutcome {
    public Failed {
      Objects.requireNonNull(finishedAt, "finishedAt");
      Objects.requireNonNull(error, "error");
    }

    @Override
    public TaskState target() {
      return TaskState.FAILED;
    }
  }

  /** → {@code cancelled} while running. */
  record Cancelled(Instant finishedAt, TaskError error) implements RunOutcome {
    public Cancelled {
      Objects.requireNonNull(finishedAt, "finishedAt");
    }

    @Override
    public TaskState target() {
      return TaskState.CANCELLED;
    }
  }

  /**
   * → {@code queued}, ready again at {@code runAt}: the node gave the task back unfinished, or its
   * lease was recovered.
   *
   * @param runAt when it is ready again
   * @param error recorded in the task's errors (a lost lease), or {@code null} for none (a graceful
   *     give-back)
   * @param refundAttempt whether the run's attempt is given back, if it spent one: true when the
   *     node itself gives the run back (shutdown, a paused queue); false for a started run whose
   *     node died (it counts). A run that never started spent no attempt, and the store refunds
   *     none whatever this says: it alone knows for sure whether the start was written
   */
  record Released(Instant runAt, TaskError error, boolean refundAttempt) implements RunOutcome {
    public Released {
      Objects.requireNonNull(runAt, "runAt");
    }

    @Override
    public TaskState target() {
      return TaskState.QUEUED;
    }
  }
}
