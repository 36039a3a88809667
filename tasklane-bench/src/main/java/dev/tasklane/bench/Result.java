package dev.tasklane.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * One row of the report: a scenario run, or the median of several.
 *
 * @param scenario what ran
 * @param contender whose figures these are
 * @param store on which store
 * @param run 1-based number of the run, or {@code null} for the median row
 * @param runs how many runs the scenario had
 * @param tasks tasks that counted (succeeded, accepted, measured)
 * @param seconds the timed span
 * @param tasksPerSec {@code tasks / seconds}
 * @param p50Ms latency percentiles in milliseconds, {@code null} where none applies
 * @param p95Ms see {@code p50Ms}
 * @param p99Ms see {@code p50Ms}
 * @param peakHeapMb the most heap in use (MiB) sampled during the run
 * @param errors failures during the run; 0 when all went well
 */
public record Result(
    Scenario scenario,
    Contender contender,
    StoreKind store,
    Integer run,
    int runs,
    long tasks,
    double seconds,
    double tasksPerSec,
    Double p50Ms,
    Double p95Ms,
    Double p99Ms,
    Double peakHeapMb,
    long errors) {

  public Result {
    Objects.requireNonNull(scenario, "scenario");
    Objects.requireNonNull(contender, "contender");
    Objects.requireNonNull(store, "store");
  }

  /** A run's row from its measurement and peak heap. */
  static Result of(
      Scenario scenario, Contender contender, StoreKind store, int run, int runs, Measurement m, Double peakHeapMb) {
    Percentiles p = m.latency();
    return new Result(
        scenario,
        contender,
        store,
        run,
        runs,
        m.tasks(),
        m.seconds(),
        m.seconds() > 0 ? m.tasks() / m.seconds() : 0,
        p == null ? null : p.p50Ms(),
        p == null ? null : p.p95Ms(),
        p == null ? null : p.p99Ms(),
        peakHeapMb,
        m.errors());
  }

  /** True for the row that summarizes several runs. */
  public boolean isMedian() {
    return run == null;
  }

  /**
   * The median row of several runs of one scenario: each figure is the median of that figure over
   * the runs (so the row need not be any single run); errors are summed.
   *
   * @throws IllegalArgumentException if {@code runs} is empty or mixes scenarios, contenders or stores
   */
  public static Result median(List<Result> runs) {
    if (runs.isEmpty()) {
      throw new IllegalArgumentException("no runs");
    }
    Result first = runs.get(0);
    for (Result r : runs) {
      if (r.scenario != first.scenario || r.contender != first.contender || r.store != first.store) {
        throw new IllegalArgumentException("runs of different scenarios, contenders or stores");
      }
    }
    return new Result(
        first.scenario,
        first.contender,
        first.store,
        null,
        runs.size(),
        Math.round(median(runs, Result::tasks)),
        median(runs, Result::seconds),
        median(runs, Result::tasksPerSec),
        medianOrNull(runs, Result::p50Ms),
        medianOrNull(runs, Result::p95Ms),
        medianOrNull(runs, Result::p99Ms),
        medianOrNull(runs, Result::peakHeapMb),
        runs.stream().mapToLong(Result::errors).sum());
  }

  private static double median(List<Result> runs, ToDoubleFunction<Result> figure) {
    return median(runs.stream().mapToDouble(figure).toArray());
  }

  private static Double medianOrNull(List<Result> runs, java.util.function.Function<Result, Double> figure) {
    double[] values = runs.stream().map(figure).filter(Objects::nonNull).mapToDouble(Double::doubleValue).toArray();
    return values.length == 0 ? null : median(values);
  }

  /** The middle value; with an even count, the mean of the two middle ones. */
  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
