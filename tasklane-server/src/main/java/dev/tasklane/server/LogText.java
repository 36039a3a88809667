package dev.tasklane.server;

/**
 * Text from a request as a log line may quote it: control characters escaped ({@code \n}, {@code
 * \u0000}), so a client cannot forge or split log lines, and cut to a length, so a megabyte of
 * data does not become a megabyte-long line.
 */
public final class LogText {
  /** How much of a client's text a log line quotes by default. */
  public static final int DEFAULT_LIMIT = 200;

  private LogText() {}

  /** {@link #quote(String, int)} at {@value #DEFAULT_LIMIT} characters. */
  public static String quote(String text) {
    return quote(text, DEFAULT_LIMIT);
  }

  /**
   * {@code text} with every control character escaped, cut after {@code limit} characters of the
   * original with a note of how many were left out; {@code "null"} for {@code null}.
   */
  public static String quote(String text, int limit) {
    if (text == null) {
      return "null";
    }
    int shown = Math.min(text.length(), limit);
    if (shown < text.length() && Character.isHighSurrogate(text.charAt(shown - 1))) {
      shown--; // never cut a pair in two
    }
    StringBuilder out = new StringBuilder(shown + 16);
    for (int i = 0; i < shown; i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\\' -> out.append("\\\\");
        default -> {
          if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029') {
            out.append(String.format("\\u%04x", (int) c));
          } else if (Character.isSurrogate(c)
              && !(Character.isHighSurrogate(c)
                  && i + 1 < text.length()
                  && Character.isLowSurrogate(text.charAt(i + 1)))
              && !(Character.isLowSurrogate(c) && i > 0 && Character.isHighSurrogate(text.charAt(i - 1)))) {
            out.append(String.format("\\u%04x", (int) c)); // unpaired: no encoding can print it
          } else {
            out.append(c);
          }
        }
      }
    }
    if (shown < text.length()) {
      out.append("... (").append(text.length() - shown).append(" more characters)");
    }
    return out.toString();
  }
}
