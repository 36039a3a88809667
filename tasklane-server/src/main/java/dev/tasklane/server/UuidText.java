package dev.tasklane.server;

import java.util.UUID;

/**
 * Parses a UUID as pydantic does (hyphenated, simple 32-digit, braced or {@code urn:uuid:} form)
 * and, for a malformed one, says what is wrong in the words of pydantic's {@code uuid_parsing}
 * errors, so a client can tell a typo from a truncated id.
 */
final class UuidText {
  private static final int[] GROUP_LENGTHS = {8, 4, 4, 4, 12};

  /** Either a UUID or why there is none. */
  record Parsed(UUID uuid, String error) {}

  private UuidText() {}

  static Parsed parse(String input) {
    String s = input;
    int offset = 0;
    if (s.regionMatches(true, 0, "urn:uuid:", 0, 9)) {
      s = s.substring(9);
      offset = 9;
    } else if (s.length() >= 2 && s.startsWith("{") && s.endsWith("}")) {
      s = s.substring(1, s.length() - 1);
      offset = 1;
    }
    int hyphens = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '-') {
        hyphens++;
      } else if (Character.digit(c, 16) < 0) {
        return new Parsed(
            null,
            "invalid character: expected an optional prefix of `urn:uuid:` followed by"
                + " [0-9a-fA-F-], found `"
                + new String(Character.toChars(s.codePointAt(i)))
                + "` at "
                + (offset + i + 1));
      }
    }
    if (hyphens == 0) {
      if (s.length() != 32) {
        return new Parsed(
            null, "invalid length: expected length 32 for simple format, found " + s.length());
      }
      return new Parsed(fromHex(s), null);
    }
    String[] groups = s.split("-", -1);
    if (groups.length != GROUP_LENGTHS.length) {
      return new Parsed(null, "invalid group count: expected 5, found " + groups.length);
    }
    for (int g = 0; g < groups.length; g++) {
      if (groups[g].length() != GROUP_LENGTHS[g]) {
        return new Parsed(
            null,
            "invalid group length in group "
                + g
                + ": expected "
                + GROUP_LENGTHS[g]
                + ", found "
                + groups[g].length());
      }
    }
    return new Parsed(fromHex(String.join("", groups)), null);
  }

  private static UUID fromHex(String hex32) {
    long msb = Long.parseUnsignedLong(hex32.substring(0, 16), 16);
    long lsb = Long.parseUnsignedLong(hex32.substring(16), 16);
    return new UUID(msb, lsb);
  }
}
