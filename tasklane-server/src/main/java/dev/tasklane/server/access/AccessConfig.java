package dev.tasklane.server.access;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Who may reach the server, and how: the rules {@link AccessGuard} applies to every request.
 *
 * @param allowedHosts the names the {@code Host} header may carry (without port); empty for the
 *     default: loopback names on a loopback bind, any name elsewhere (where every request needs a
 *     credential anyway). A {@code Host} naming anything else is refused, which stops DNS
 *     rebinding: a page on another domain cannot reach a loopback server through its victim's
 *     browser
 * @param allowedOrigins web origins ({@code https://app.example.com}) whose pages may call the API
 *     with a bearer token (CORS); a cross-origin request from any other origin is refused
 * @param metricsOpen serve {@code /metrics} without a credential (for a Prometheus that cannot
 *     send one); off by default
 * @param openOnNetwork start without any credential on a non-loopback bind, answering everybody who
 *     can reach the port; off by default, and named loudly on the command line
 * @param sessionIdleTimeout a dashboard session ends after this long without a request
 * @param sessionAbsoluteTimeout and this long after it signed in, whatever its activity
 * @param credentialCacheTtl how long a node trusts what it read about a token or session; also
 *     how long a revocation made on another node may take to hold here
 * @param auditRetention how long audit entries are kept
 * @param signInFailures failed sign-ins and bad tokens allowed per client address and minute,
 *     after which it gets 429 until the minute is over
 */
public record AccessConfig(
    List<String> allowedHosts,
    List<String> allowedOrigins,
    boolean metricsOpen,
    boolean openOnNetwork,
    Duration sessionIdleTimeout,
    Duration sessionAbsoluteTimeout,
    Duration credentialCacheTtl,
    Duration auditRetention,
    int signInFailures) {

  public static final Duration CREDENTIAL_CACHE_TTL = Duration.ofSeconds(5);

  public AccessConfig {
    allowedHosts = allowedHosts.stream().map(h -> h.toLowerCase(Locale.ROOT)).toList();
    allowedOrigins = allowedOrigins.stream().map(AccessConfig::origin).toList();
    Objects.requireNonNull(sessionIdleTimeout, "sessionIdleTimeout");
    Objects.requireNonNull(sessionAbsoluteTimeout, "sessionAbsoluteTimeout");
    Objects.requireNonNull(credentialCacheTtl, "credentialCacheTtl");
    Objects.requireNonNull(auditRetention, "auditRetention");
    if (signInFailures < 1) {
      throw new IllegalArgumentException("signInFailures must be positive: " + signInFailures);
    }
  }

  /**
   * Loopback names only, no cross-origin callers, metrics behind a token, sessions idle for 30
   * minutes or 12 hours old end, revocations hold within 5 s everywhere, audit kept 90 days, 10
   * failed sign-ins a minute per address.
   */
  public static AccessConfig defaults() {
    return new AccessConfig(
        List.of(),
        List.of(),
        false,
        false,
        Duration.ofMinutes(30),
        Duration.ofHours(12),
        CREDENTIAL_CACHE_TTL,
        Duration.ofDays(90),
        10);
  }

  public AccessConfig withAllowedHosts(List<String> hosts) {
    return new AccessConfig(
        hosts, allowedOrigins, metricsOpen, openOnNetwork, sessionIdleTimeout,
        sessionAbsoluteTimeout, credentialCacheTtl, auditRetention, signInFailures);
  }

  public AccessConfig withAllowedOrigins(List<String> origins) {
    return new AccessConfig(
        allowedHosts, origins, metricsOpen, openOnNetwork, sessionIdleTimeout,
        sessionAbsoluteTimeout, credentialCacheTtl, auditRetention, signInFailures);
  }

  public AccessConfig withMetricsOpen(boolean open) {
    return new AccessConfig(
        allowedHosts, allowedOrigins, open, openOnNetwork, sessionIdleTimeout,
        sessionAbsoluteTimeout, credentialCacheTtl, auditRetention, signInFailures);
  }

  public AccessConfig withOpenOnNetwork(boolean open) {
    return new AccessConfig(
        allowedHosts, allowedOrigins, metricsOpen, open, sessionIdleTimeout,
        sessionAbsoluteTimeout, credentialCacheTtl, auditRetention, signInFailures);
  }

  public AccessConfig withSessionTimeouts(Duration idle, Duration absolute) {
    return new AccessConfig(
        allowedHosts, allowedOrigins, metricsOpen, openOnNetwork, idle, absolute,
        credentialCacheTtl, auditRetention, signInFailures);
  }

  public AccessConfig withCredentialCacheTtl(Duration ttl) {
    return new AccessConfig(
        allowedHosts, allowedOrigins, metricsOpen, openOnNetwork, sessionIdleTimeout,
        sessionAbsoluteTimeout, ttl, auditRetention, signInFailures);
  }

  public AccessConfig withSignInFailures(int perMinute) {
    return new AccessConfig(
        allowedHosts, allowedOrigins, metricsOpen, openOnNetwork, sessionIdleTimeout,
        sessionAbsoluteTimeout, credentialCacheTtl, auditRetention, perMinute);
  }

  /**
   * An origin as browsers send it: {@code scheme://host[:port]}, lower case, no path.
   *
   * @throws IllegalArgumentException if {@code text} is not one
   */
  static String origin(String text) {
    String o = text.strip().toLowerCase(Locale.ROOT);
    if (!o.matches("https?://[a-z0-9.\\-\\[\\]:]+")) {
      throw new IllegalArgumentException(
          "an allowed origin is scheme://host[:port], e.g. https://app.example.com: " + text);
    }
    return o;
  }
}
