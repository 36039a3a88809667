package dev.tasklane.server.webhook;

import dev.tasklane.TaskRequest;
import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * A task type whose run is an HTTP call: {@code POST url} with the task's payload as the body.
 * The URL is the server's configuration, never the payload's: a submitter chooses what is sent,
 * not where.
 *
 * @param type the task type
 * @param url where its tasks are delivered (http or https)
 * @param timeout how long one call may take before it counts as a failed attempt
 */
public record Webhook(String type, URI url, Duration timeout) {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  public Webhook {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(timeout, "timeout");
    if (!TaskRequest.NAME.matcher(type).matches()) {
      throw new IllegalArgumentException("webhook type must be 1 to 128 letters, digits or _.:- : '" + type + "'");
    }
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("webhook " + type + ": only http and https URLs, not " + url);
    }
    if (url.getHost() == null || url.getUserInfo() != null) {
      throw new IllegalArgumentException("webhook " + type + ": a URL with a host and no user info, not " + url);
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("webhook " + type + ": the timeout must be positive");
    }
  }

  /**
   * Reads {@code type=url}, as {@code --webhook} takes it.
   *
   * @throws IllegalArgumentException if it is not of that form
   */
  public static Webhook parse(String spec) {
    int eq = spec.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("a webhook is <type>=<url>, not '" + spec + "'");
    }
    URI url;
    try {
      url = new URI(spec.substring(eq + 1).trim());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalArgumentException("webhook " + spec.substring(0, eq) + ": not a URL: " + e.getMessage(), e);
    }
    return new Webhook(spec.substring(0, eq).trim(), url, DEFAULT_TIMEOUT);
  }

  /** The destination as the allow-list names it: {@code host:port}. */
  String destination() {
    int port = url.getPort() != -1 ? url.getPort() : url.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    return url.getHost().toLowerCase(Locale.ROOT) + ":" + port;
  }
}
