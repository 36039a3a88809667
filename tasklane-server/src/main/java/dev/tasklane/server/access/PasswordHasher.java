package dev.tasklane.server.access;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.concurrent.Semaphore;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Passwords hashed with Argon2id (Bouncy Castle's implementation), written as PHC strings ({@code
 * $argon2id$v=19$m=19456,t=2,p=1$salt$hash}) so that each hash carries its own parameters and a
 * later change of parameters still verifies old hashes.
 *
 * <p>The parameters are OWASP's first recommendation for Argon2id: 19 MiB of memory, 2 passes, 1
 * lane. Each hash takes that memory for its duration, so at most {@value #CONCURRENT_HASHES} run
 * at once: a flood of sign-ins queues here instead of exhausting the heap.
 */
final class PasswordHasher {
  static final int MEMORY_KIB = 19 * 1024;
  static final int ITERATIONS = 2;
  static final int PARALLELISM = 1;
  static final int CONCURRENT_HASHES = 2;
  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;

  private static final Pattern PHC =
      Pattern.compile(
          "\\$argon2id\\$v=19\\$m=(\\d{1,7}),t=(\\d{1,2}),p=(\\d{1,2})\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)");
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
  private static final Base64.Decoder B64_IN = Base64.getDecoder();

  private final Semaphore slots = new Semaphore(CONCURRENT_HASHES, true);

  /** A new PHC string for {@code password}, with a fresh random salt. */
  String hash(String password) {
    byte[] salt = Secrets.randomBytes(SALT_BYTES);
    byte[] out = argon2(password, salt, MEMORY_KIB, ITERATIONS, PARALLELISM, HASH_BYTES);
    return "$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s"
        .formatted(
            MEMORY_KIB, ITERATIONS, PARALLELISM, B64.encodeToString(salt), B64.encodeToString(out));
  }

  /** Whether {@code password} matches {@code phc}; false for a string that is not one of ours. */
  boolean verify(String password, String phc) {
    Matcher m = PHC.matcher(phc);
    if (!m.matches()) {
      return false;
    }
    int memory = Integer.parseInt(m.group(1));
    int iterations = Integer.parseInt(m.group(2));
    int parallelism = Integer.parseInt(m.group(3));
    if (memory > 1024 * 1024 || iterations < 1 || parallelism < 1) {
      return false; // not a hash this server wrote: refuse rather than spend a GiB on it
    }
    byte[] salt = B64_IN.decode(m.group(4));
    byte[] expected = B64_IN.decode(m.group(5));
    byte[] actual = argon2(password, salt, memory, iterations, parallelism, expected.length);
    return MessageDigest.isEqual(expected, actual);
  }

  private byte[] argon2(
      String password, byte[] salt, int memoryKib, int iterations, int parallelism, int length) {
    Argon2Parameters params =
        new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
            .withVersion(Argon2Parameters.ARGON2_VERSION_13)
            .withMemoryAsKB(memoryKib)
            .withIterations(iterations)
            .withParallelism(parallelism)
            .withSalt(salt)
            .build();
    Argon2BytesGenerator generator = new Argon2BytesGenerator();
    generator.init(params);
    byte[] out = new byte[length];
    slots.acquireUninterruptibly();
    try {
      generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
    } finally {
      slots.release();
    }
    return out;
  }
}
