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
 *     <p>A NUL or an unpaired surrogate in {@code message} or {@code trace} (an exception's message
 *     may quote anything a payload held) becomes U+FFFD: no store keeps them in text, and a failure
 *     must be recordable whatever its message says.
 */
public record TaskError(int attempt, Instant at, String node, String message, String trace) {
  public TaskError {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(message, "message");
    message = storable(message);
    trace = trace == null ? null : storable(trace);
  }

  private static String storable(String s) {
    StringBuilder out = null;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean pair =
          Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
      boolean bad = c == '\0' || (Character.isSurrogate(c) && !pair);
      if (bad && out == null) {
        out = new StringBuilder(s.length()).append(s, 0, i);
      }
      if (out != null) {
        out.append(bad ? '\uFFFD' : c);
        if (pair) {
          out.append(s.charAt(i + 1));
        }
      }
      if (pair) {
        i++;
      }
    }
    return out == null ? s : out.toString();
  }
}
