package dev.tasklane.server.access;

/** The rule for token and user names: 1 to 100 printable characters, no spaces at either end. */
final class Names {
  static final int MAX_LENGTH = 100;

  private Names() {}

  /**
   * @throws IllegalArgumentException naming {@code what} if {@code name} breaks the rule
   */
  static void check(String what, String name) {
    if (name == null || name.isEmpty() || name.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(what + " must be 1 to " + MAX_LENGTH + " characters");
    }
    if (!name.strip().equals(name)) {
      throw new IllegalArgumentException(what + " must not start or end with a space");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (Character.isISOControl(c) || Character.isSurrogate(c) && !validSurrogate(name, i)) {
        throw new IllegalArgumentException(what + " must not contain control characters");
      }
    }
  }

  private static boolean validSurrogate(String s, int i) {
    char c = s.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }
}
