package dev.tasklane.bench;

import java.util.Arrays;

/**
 * The 50th, 95th and 99th percentiles of a set of durations, in milliseconds.
 *
 * <p>Nearest-rank definition: the p-th percentile of n sorted values is the value at rank
 * {@code ceil(p / 100 * n)} (1-based), so it is always one of the measured values, never an
 * interpolation; the 100th is the maximum.
 */
public record Percentiles(double p50Ms, double p95Ms, double p99Ms) {

  private static final double NANOS_PER_MILLI = 1_000_000.0;

  /**
   * The percentiles of {@code nanos} (sorted here, in place).
   *
   * @throws IllegalArgumentException if {@code nanos} is empty
   */
  public static Percentiles ofNanos(long[] nanos) {
    if (nanos.length == 0) {
      throw new IllegalArgumentException("no values");
    }
    Arrays.sort(nanos);
    return new Percentiles(
        nearestRank(nanos, 50) / NANOS_PER_MILLI,
        nearestRank(nanos, 95) / NANOS_PER_MILLI,
        nearestRank(nanos, 99) / NANOS_PER_MILLI);
  }

  /**
   * The nearest-rank {@code percent}-th percentile of {@code sorted} (ascending, not empty).
   *
   * @throws IllegalArgumentException if {@code percent} is outside (0, 100] or nothing is given
   */
  public static long nearestRank(long[] sorted, double percent) {
    if (sorted.length == 0) {
      throw new IllegalArgumentException("no values");
    }
    if (!(percent > 0 && percent <= 100)) {
      throw new IllegalArgumentException("percent must be in (0, 100]: " + percent);
    }
    // percent * n first: exact for whole percents, so ranks like 95 of 100 do not round up to 96.
    int rank = (int) Math.ceil(percent * sorted.length / 100.0);
    return sorted[Math.max(1, rank) - 1];
  }
}
