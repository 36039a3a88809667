package dev.tasklane.server.access;

import dev.tasklane.spi.AccessStore;
import dev.tasklane.spi.StoredSession;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The dashboard's signed-in sessions, kept in the store so that any node behind a load balancer
 * accepts them and a sign-out or revocation holds on all.
 *
 * <p>A session ends after {@link AccessConfig#sessionIdleTimeout()} without a request, or {@link
 * AccessConfig#sessionAbsoluteTimeout()} after it signed in, whichever comes first. Its cookie
 * holds a random secret; the store holds the secret's hash and the session's CSRF token, which
 * the page reads from {@code GET /api/v1/session} and sends back on every change.
 */
final class SessionRegistry {
  /** Activity is written at most this often per session. */
  static final Duration TOUCH_INTERVAL = Duration.ofMinutes(1);

  private static final int MAX_CACHED = 10_000;

  private final AccessStore store;
  private final InstantSource clock;
  private final AccessConfig config;
  private final Map<String, Cached> byHash = new ConcurrentHashMap<>();

  private record Cached(StoredSession session, Instant readAt) {}

  /** A session just signed in: its cookie secret, known only now. */
  record Created(String secret, Principal principal) {}

  SessionRegistry(AccessStore store, InstantSource clock, AccessConfig config) {
    this.store = store;
    this.clock = clock;
    this.config = config;
  }

  Created create(Principal who) {
    String secret = Secrets.newSecret("");
    String csrf = Secrets.newSecret("");
    Instant now = clock.instant();
    store.insertSession(
        new StoredSession(
            Secrets.hash(secret), who.name(), who.role().apiName(), who.tokenId(), csrf, now, now));
    return new Created(
        secret,
        new Principal(who.name(), who.role(), Principal.Via.SESSION, who.tokenId(), csrf, who.scope()));
  }

  /** Who a cookie's secret acts as; empty if it is unknown, signed out or timed out. */
  Optional<Principal> find(String secret) {
    if (secret == null || secret.isEmpty() || secret.length() > 100) {
      return Optional.empty();
    }
    String hash = Secrets.hash(secret);
    Instant now = clock.instant();
    Cached cached = byHash.get(hash);
    if (cached == null || cached.readAt().plus(config.credentialCacheTtl()).isBefore(now)) {
      Optional<StoredSession> read = store.findSession(hash);
      if (read.isEmpty()) {
        byHash.remove(hash);
        return Optional.empty();
      }
      if (byHash.size() >= MAX_CACHED) {
        byHash.clear();
      }
      cached = new Cached(read.get(), now);
      byHash.put(hash, cached);
    }
    StoredSession s = cached.session();
    if (!s.lastSeenAt().plus(config.sessionIdleTimeout()).isAfter(now)
        || !s.createdAt().plus(config.sessionAbsoluteTimeout()).isAfter(now)) {
      delete(secret);
      return Optional.empty();
    }
    if (!s.lastSeenAt().plus(TOUCH_INTERVAL).isAfter(now)) {
      StoredSession touched =
          new StoredSession(
              s.secretHash(), s.principal(), s.role(), s.tokenId(), s.csrfToken(), s.createdAt(), now);
      if (byHash.replace(hash, cached, new Cached(touched, cached.readAt()))) {
        store.touchSession(hash, now);
      }
    }
    return Optional.of(
        new Principal(
            s.principal(), Role.fromApiName(s.role()), Principal.Via.SESSION, s.tokenId(), s.csrfToken()));
  }

  void delete(String secret) {
    String hash = Secrets.hash(secret);
    byHash.remove(hash);
    store.deleteSession(hash);
  }

  /** Forgets what this node remembers of sessions (after a revocation or a user's deletion). */
  void forgetCached() {
    byHash.clear();
  }

  /** Deletes timed-out sessions from the store. */
  int prune() {
    Instant now = clock.instant();
    return store.deleteStaleSessions(
        now.minus(config.sessionIdleTimeout()), now.minus(config.sessionAbsoluteTimeout()));
  }
}
