package dev.tasklane;

import java.time.Instant;
import java.util.Objects;

/**
 * One failed run, as recorded on the task.
 *
 * @param attempt the run's attempt number (1-based)
 * @param at when the failure was recorded
 * @param node the node that ran it, or {@code null} when recorded by recovery
 * @param message a one-line description
 * @param trace the stack trace, or {@code null}
 */
public record TaskError(int attempt, Instant at, String node, String message, String trace) {
  public TaskError {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(message, "message");
  }
}
