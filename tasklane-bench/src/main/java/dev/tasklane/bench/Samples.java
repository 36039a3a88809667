package dev.tasklane.bench;

import java.util.Arrays;

/**
 * Durations in nanoseconds, appended by one thread (not thread-safe: give each thread its own and
 * {@link #addAll merge} them afterwards). Raw values, so percentiles are exact.
 */
public final class Samples {
  private long[] values;
  private int size;

  public Samples() {
    this(1024);
  }

  public Samples(int expected) {
    values = new long[Math.max(16, expected)];
  }

  /** Appends one duration in nanoseconds. */
  public void add(long nanos) {
    if (size == values.length) {
      values = Arrays.copyOf(values, values.length * 2);
    }
    values[size++] = nanos;
  }

  /** Appends every value of {@code other}. */
  public void addAll(Samples other) {
    if (size + other.size > values.length) {
      values = Arrays.copyOf(values, Math.max(values.length * 2, size + other.size));
    }
    System.arraycopy(other.values, 0, values, size, other.size);
    size += other.size;
  }

  public int size() {
    return size;
  }

  /** The p50, p95 and p99 of what was added, or {@code null} if nothing was. */
  public Percentiles percentiles() {
    return size == 0 ? null : Percentiles.ofNanos(Arrays.copyOf(values, size));
  }
}
