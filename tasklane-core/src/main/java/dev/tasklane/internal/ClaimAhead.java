package dev.tasklane.internal;

import java.time.Duration;
import java.util.ArrayDeque;

/**
 * How many tasks the dispatcher may claim beyond its free handler slots: as many as the handlers
 * finished in the last {@link #HORIZON}, capped at the configured maximum.
 *
 * <p>Why: with short handlers a slot frees every few microseconds, and claiming only for free slots
 * costs a store transaction for every handful of tasks. Tasks claimed ahead start the moment a slot
 * frees, and one claim serves hundreds of them. With long handlers the same would hold tasks back
 * from other nodes that have idle slots (the old "prefetch" problem of message brokers), so the
 * allowance follows the measured completion rate: handlers that finish nothing get no tasks claimed
 * ahead, and a task claimed ahead waits about one horizon for its slot.
 *
 * <p>Used by the dispatcher thread only; times are {@link System#nanoTime()} values, independent of
 * the engine's (possibly simulated) clock.
 */
final class ClaimAhead {
  /** The window the completion rate is measured over, and about how long a claimed task waits. */
  static final Duration HORIZON = Duration.ofMillis(100);

  private static final long HORIZON_NANOS = HORIZON.toNanos();
  /** Samples closer together than this are not kept: they would only grow the window's history. */
  private static final long SAMPLE_SPACING_NANOS = Duration.ofMillis(1).toNanos();

  /**
   * Below this many completions per horizon (160 a second) claiming once per free slot costs the
   * store little, and a task's {@code started_at} (the time of its claim) stays the time its
   * handler started.
   */
  static final int MIN_ALLOWANCE = 16;

  private final int max;
  /** (time, finished so far) pairs, oldest first, spanning a little more than the horizon. */
  private final ArrayDeque<long[]> samples = new ArrayDeque<>();

  ClaimAhead(int max) {
    if (max < 0) {
      throw new IllegalArgumentException("max must not be negative: " + max);
    }
    this.max = max;
  }

  /**
   * The allowance now.
   *
   * @param now {@code System.nanoTime()}
   * @param finished handler runs finished since the engine started
   */
  int allowance(long now, long finished) {
    if (max == 0) {
      return 0;
    }
    long[] last = samples.peekLast();
    if (last == null || now - last[0] >= SAMPLE_SPACING_NANOS) {
      samples.addLast(new long[] {now, finished});
    }
    // Keep one sample at or before the window's start, so the rate covers the whole window.
    while (samples.size() > 1 && secondOldest()[0] <= now - HORIZON_NANOS) {
      samples.removeFirst();
    }
    long[] base = samples.peekFirst();
    long elapsed = now - base[0];
    if (elapsed <= 0) {
      return 0;
    }
    double perWindow = (double) (finished - base[1]) * HORIZON_NANOS / Math.max(elapsed, HORIZON_NANOS / 10);
    return perWindow < MIN_ALLOWANCE ? 0 : (int) Math.min(max, perWindow);
  }

  private long[] secondOldest() {
    var it = samples.iterator();
    it.next();
    return it.next();
  }
}
