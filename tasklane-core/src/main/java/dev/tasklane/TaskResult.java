package dev.tasklane;

import java.time.Duration;
import java.util.Objects;

/**
 * A handler's verdict on its run. One exhaustive switch in the engine maps each kind to a state
 * transition.
 */
public sealed interface TaskResult {

  /** Done; {@code value} (may be {@code null}) is stored as the task's JSON result. */
  record Success(Object value) implements TaskResult {}

  /**
   * This attempt failed; run again after {@code delay} if attempts remain, else {@code failed}.
   */
  record Retry(Duration delay, String reason) implements TaskResult {
    public Retry {
      Objects.requireNonNull(delay, "delay");
      if (delay.isNegative()) {
        throw new IllegalArgumentException("delay must not be negative");
      }
    }
  }

  /** Failed for good, whatever attempts remain. */
  record Fail(String reason) implements TaskResult {
    public Fail {
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** Not ready yet: run again after {@code delay} without using up an attempt. */
  record Snooze(Duration delay) implements TaskResult {
    public Snooze {
      Objects.requireNonNull(delay, "delay");
      if (delay.isNegative()) {
        throw new IllegalArgumentException("delay must not be negative");
      }
    }
  }

  /**
   * The system this task calls asked to slow down (HTTP 429, a quota): run it again after {@code
   * delay} without using up an attempt, and hold every start under the task's rate limits (its
   * queue's and its type's, for its key) until then, on every node.
   */
  record Throttle(Duration delay, String reason) implements TaskResult {
    public Throttle {
      Objects.requireNonNull(delay, "delay");
      if (delay.isNegative()) {
        throw new IllegalArgumentException("delay must not be negative");
      }
    }
  }

  static TaskResult success() {
    return new Success(null);
  }

  static TaskResult success(Object value) {
    return new Success(value);
  }

  static TaskResult retry(Duration delay, String reason) {
    return new Retry(delay, reason);
  }

  static TaskResult fail(String reason) {
    return new Fail(reason);
  }

  static TaskResult snooze(Duration delay) {
    return new Snooze(delay);
  }

  /** See {@link Throttle}. */
  static TaskResult throttle(Duration delay, String reason) {
    return new Throttle(delay, reason);
  }
}
