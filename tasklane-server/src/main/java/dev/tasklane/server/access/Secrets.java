package dev.tasklane.server.access;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Random secrets and their hashes. A token or session secret carries 256 random bits, so a single
 * SHA-256 is enough to keep it safe at rest: no dictionary or brute force reaches such a space, and
 * the lookup by hash stays one index probe. (Passwords, which people choose, get Argon2id instead:
 * {@link PasswordHasher}.)
 */
final class Secrets {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();

  private Secrets() {}

  /** {@code prefix} followed by 32 random bytes in URL-safe Base64 (43 characters). */
  static String newSecret(String prefix) {
    return prefix + URL.encodeToString(randomBytes(32));
  }

  static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** SHA-256 of the text's UTF-8 bytes, in lower-case hex. */
  static String hash(String secret) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(secret.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** Compares two secrets in time independent of where they differ. */
  static boolean same(String a, String b) {
    if (a == null || b == null) {
      return false;
    }
    return MessageDigest.isEqual(
        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
