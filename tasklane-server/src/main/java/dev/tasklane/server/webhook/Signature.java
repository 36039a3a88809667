package dev.tasklane.server.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature a webhook call carries: {@code Tasklane-Signature: v1=<hex>}, the HMAC-SHA256 of
 * {@code <timestamp>.<body>} under the server's secret, with {@code Tasklane-Timestamp} (Unix
 * seconds) beside it. A receiver recomputes it over the bytes it received and refuses a call whose
 * signature differs (forged or altered) or whose timestamp is older than it tolerates (replayed),
 * the scheme Stripe and GitHub use.
 */
public final class Signature {
  public static final String HEADER = "Tasklane-Signature";
  public static final String TIMESTAMP_HEADER = "Tasklane-Timestamp";

  private Signature() {}

  /** {@code v1=<hex HMAC-SHA256 of timestamp + "." + body>}. */
  public static String sign(String secret, long timestamp, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((timestamp + ".").getBytes(StandardCharsets.US_ASCII));
      return "v1=" + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }
}
