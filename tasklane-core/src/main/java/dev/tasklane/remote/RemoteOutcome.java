package dev.tasklane.remote;

import java.time.Duration;
import java.util.Objects;

/** How a remote worker says a run ended. */
public sealed interface RemoteOutcome {

  /** It succeeded; {@code result} is JSON text, or {@code null} for none. */
  record Succeeded(String result) implements RemoteOutcome {}

  /**
   * It failed. Retried after the type's backoff while attempts are left, unless {@code permanent}
   * (a failure no retry can mend, such as invalid input), which fails the task at once.
   */
  record Failed(String message, String stackTrace, boolean permanent) implements RemoteOutcome {
    public Failed {
      Objects.requireNonNull(message, "message");
    }
  }

  /** Run it again after {@code delay}; the attempt counts. */
  record RetryLater(Duration delay, String reason) implements RemoteOutcome {
    public RetryLater {
      Objects.requireNonNull(delay, "delay");
    }
  }

  /** Not now: run it again after {@code delay}; the attempt does not count. */
  record Snoozed(Duration delay) implements RemoteOutcome {
    public Snoozed {
      Objects.requireNonNull(delay, "delay");
    }
  }

  /**
   * The system it calls asked to slow down: run it again after {@code delay} (the attempt does not
   * count), and hold every start under its rate limits until then (see {@link
   * dev.tasklane.TaskResult.Throttle}).
   */
  record Throttled(Duration delay, String reason) implements RemoteOutcome {
    public Throttled {
      Objects.requireNonNull(delay, "delay");
    }
  }

  /** It stopped because its cancel was requested. */
  record Cancelled() implements RemoteOutcome {}
}
