package dev.tasklane.postgres;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Keys of Tasklane's advisory locks: the first 8 bytes of SHA-256 over a name such as {@code
 * "tasklane.leader:" + schema}. 64 bits make a clash with another application's advisory locks,
 * or another schema's, practically impossible.
 */
final class AdvisoryLockKey {
  private AdvisoryLockKey() {}

  static long of(String name) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
      return ByteBuffer.wrap(digest).getLong();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
