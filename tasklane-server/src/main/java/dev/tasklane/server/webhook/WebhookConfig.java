package dev.tasklane.server.webhook;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The server's webhook task types, the destinations they may reach, and the key that signs every
 * call.
 *
 * <p>The allow-list is the guard against server-side request forgery: a webhook may only point at
 * a host (and port) it names, so that a mistaken or malicious configuration cannot make the
 * server call its own admin port, a cloud metadata address or a database. Entries are {@code host}
 * (ports 80 and 443) or {@code host:port}; redirects are never followed, so an allowed host cannot
 * bounce a call elsewhere.
 *
 * @param webhooks the webhook task types
 * @param allowed destinations, {@code host} or {@code host:port}
 * @param secret the HMAC-SHA256 key receivers verify signatures with; at least 16 characters
 */
public record WebhookConfig(List<Webhook> webhooks, Set<String> allowed, String secret) {
  public static final WebhookConfig NONE = new WebhookConfig(List.of(), Set.of(), null);
  static final int MIN_SECRET_LENGTH = 16;

  /**
   * @throws IllegalArgumentException if a webhook points outside the allow-list, two share a type,
   *     or webhooks are configured without a long enough secret
   */
  public WebhookConfig {
    webhooks = List.copyOf(webhooks);
    allowed = allowed.stream().map(a -> a.trim().toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    Set<String> types = new TreeSet<>();
    for (Webhook w : webhooks) {
      if (!types.add(w.type())) {
        throw new IllegalArgumentException("two webhooks for type " + w.type());
      }
      if (!allows(allowed, w)) {
        throw new IllegalArgumentException(
            "webhook " + w.type() + " points at " + w.destination()
                + ", which --webhook-allow does not list (allowed: " + new TreeSet<>(allowed) + ")");
      }
    }
    if (!webhooks.isEmpty() && (secret == null || secret.length() < MIN_SECRET_LENGTH)) {
      throw new IllegalArgumentException(
          "webhooks need a signing secret of at least " + MIN_SECRET_LENGTH
              + " characters (--webhook-secret or TASKLANE_WEBHOOK_SECRET): receivers must be able to tell"
              + " a call from this server from a forged one");
    }
  }

  /** Whether {@code w}'s destination is on the list: its host with its port, or its host alone for 80/443. */
  static boolean allows(Set<String> allowed, Webhook w) {
    String destination = w.destination();
    String host = destination.substring(0, destination.lastIndexOf(':'));
    boolean defaultPort = destination.endsWith(":80") || destination.endsWith(":443");
    return allowed.contains(destination) || (defaultPort && allowed.contains(host));
  }

  boolean allows(Webhook w) {
    return allows(allowed, w);
  }

  public boolean isEmpty() {
    return webhooks.isEmpty();
  }

  @Override
  public String toString() {
    return "WebhookConfig" + webhooks.stream().map(Webhook::type).toList() + Objects.toString(allowed);
  }
}
