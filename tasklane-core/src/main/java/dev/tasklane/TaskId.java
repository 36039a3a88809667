package dev.tasklane;

import java.security.SecureRandom;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A task's identity: a UUID version 7 (RFC 9562), so ids sort by creation time and a B-tree index
 * on them stays append-mostly.
 *
 * <p>Ids created in the same millisecond by one process stay strictly increasing: the 12-bit
 * {@code rand_a} field is used as a counter (RFC 9562, method 1), and the timestamp is borrowed
 * forward when the counter overflows or the clock steps back.
 */
public record TaskId(UUID value) implements Comparable<TaskId> {
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Last issued (millis << 12 | counter); only grows. */
  private static final AtomicLong LAST = new AtomicLong();

  public TaskId {
    Objects.requireNonNull(value, "value");
  }

  /** A new, time-ordered id. */
  public static TaskId next() {
    long now = System.currentTimeMillis() << 12;
    long stamp = LAST.updateAndGet(last -> Math.max(now, last + 1));
    long millis = stamp >>> 12;
    long counter = stamp & 0xFFF;
    long msb = (millis << 16) | (0x7L << 12) | counter;
    long lsb = (RANDOM.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new TaskId(new UUID(msb, lsb));
  }

  /**
   * Parses the canonical text form.
   *
   * @throws IllegalArgumentException if {@code text} is not a UUID
   */
  public static TaskId parse(String text) {
    Objects.requireNonNull(text, "text");
    if (text.length() != 36) {
      throw new IllegalArgumentException("not a task id: '" + text + "'");
    }
    try {
      return new TaskId(UUID.fromString(text));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("not a task id: '" + text + "'", e);
    }
  }

  @Override
  public int compareTo(TaskId other) {
    // UUID.compareTo compares signed longs; v7 ids must compare as unsigned to sort by time.
    int c = Long.compareUnsigned(value.getMostSignificantBits(), other.value.getMostSignificantBits());
    return c != 0
        ? c
        : Long.compareUnsigned(value.getLeastSignificantBits(), other.value.getLeastSignificantBits());
  }

  @Override
  public String toString() {
    return value.toString();
  }
}
