package dev.tasklane.server.access;

import dev.tasklane.spi.AccessStore;
import dev.tasklane.spi.StoredToken;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * API tokens: made (the secret shown once), listed, revoked, and checked on every request.
 *
 * <p>A checked token is remembered for {@link AccessConfig#credentialCacheTtl()} so that a busy
 * client costs no store read per request; that is also the bound on how long a revocation made on
 * another node takes to hold here. A revocation made through this node holds at once.
 */
public final class TokenRegistry {
  /** Every token's secret starts with this, so that secret scanners can find leaked ones. */
  public static final String SECRET_PREFIX = "tlk_";

  /** Last use is written at most this often per token: it is a hint, not a log. */
  static final Duration TOUCH_INTERVAL = Duration.ofMinutes(1);

  /** At most this many checked tokens are remembered; past it, the memory is cleared. */
  private static final int MAX_CACHED = 10_000;

  private final AccessStore store;
  private final InstantSource clock;
  private final Duration cacheTtl;
  private final Map<String, Cached> byHash = new ConcurrentHashMap<>();

  private record Cached(StoredToken token, Instant readAt) {}

  /** A token just made: the only time its secret is known. */
  public record Created(StoredToken token, String secret) {}

  TokenRegistry(AccessStore store, InstantSource clock, Duration cacheTtl) {
    this.store = Objects.requireNonNull(store, "store");
    this.clock = clock;
    this.cacheTtl = cacheTtl;
  }

  /** Opens the registry on a store, for the command line. */
  public static TokenRegistry on(AccessStore store) {
    return new TokenRegistry(store, InstantSource.system(), AccessConfig.CREDENTIAL_CACHE_TTL);
  }

  /**
   * Makes a token.
   *
   * @param expiresIn how long it works; {@code null} for no expiry
   * @throws IllegalArgumentException if the name is not valid, or an active token has it
   */
  public Created create(String name, Role role, Duration expiresIn) {
    return create(name, role, expiresIn, TokenScope.UNLIMITED);
  }

  /**
   * Makes a token limited to {@code scope}'s task types and queues (a worker's token).
   *
   * @throws IllegalArgumentException as {@link #create(String, Role, Duration)}, or if the scope
   *     names an invalid type or queue, or limits a role that serves no tasks
   */
  public Created create(String name, Role role, Duration expiresIn, TokenScope scope) {
    Names.check("token name", name);
    if (!scope.types().isEmpty() || !scope.queues().isEmpty()) {
      if (role != Role.WORKER) {
        throw new IllegalArgumentException(
            "only a worker token can be limited to task types or queues, not a " + role.apiName() + " token");
      }
      for (String n : scope.types()) {
        requireName("task type", n);
      }
      for (String n : scope.queues()) {
        requireName("queue", n);
      }
    }
    if (expiresIn != null && (expiresIn.isNegative() || expiresIn.isZero())) {
      throw new IllegalArgumentException("expiry must be in the future: " + expiresIn);
    }
    Instant now = clock.instant();
    String secret = Secrets.newSecret(SECRET_PREFIX);
    StoredToken token =
        new StoredToken(
            "tok_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16),
            name,
            role.apiName(),
            Secrets.hash(secret),
            now,
            expiresIn == null ? null : now.plus(expiresIn),
            null,
            null,
            scope.types(),
            scope.queues());
    if (!store.insertToken(token)) {
      throw new IllegalArgumentException(
          "a token named '" + name + "' exists already; revoke it or choose another name");
    }
    return new Created(token, secret);
  }

  /** Every token, revoked ones included, oldest first. */
  public List<StoredToken> list() {
    return store.listTokens();
  }

  /** Revokes the active token with this id or name; empty if there is none. */
  public Optional<StoredToken> revoke(String idOrName) {
    Optional<StoredToken> revoked = store.revokeToken(idOrName, clock.instant());
    revoked.ifPresent(t -> byHash.remove(t.secretHash()));
    return revoked;
  }

  /** Who a bearer secret acts as; empty if it is unknown, revoked or expired. */
  Optional<Principal> authenticate(String secret) {
    if (secret == null || !secret.startsWith(SECRET_PREFIX) || secret.length() > 100) {
      return Optional.empty(); // not one of ours: no store read for it
    }
    String hash = Secrets.hash(secret);
    Instant now = clock.instant();
    Cached cached = byHash.get(hash);
    if (cached == null || cached.readAt().plus(cacheTtl).isBefore(now)) {
      Optional<StoredToken> read = store.findTokenByHash(hash);
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
    StoredToken token = cached.token();
    if (!token.activeAt(now)) {
      return Optional.empty();
    }
    touch(hash, cached, now);
    return Optional.of(
        new Principal(
            token.name(),
            Role.fromApiName(token.role()),
            Principal.Via.TOKEN,
            token.id(),
            null,
            new TokenScope(token.types(), token.queues())));
  }

  private static void requireName(String what, String name) {
    if (!dev.tasklane.TaskRequest.NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          what + " must be 1 to 128 letters, digits or _.:- : '" + name + "'");
    }
  }

  private void touch(String hash, Cached cached, Instant now) {
    Instant last = cached.token().lastUsedAt();
    if (last != null && last.plus(TOUCH_INTERVAL).isAfter(now)) {
      return;
    }
    StoredToken t = cached.token();
    StoredToken touched =
        new StoredToken(
            t.id(), t.name(), t.role(), t.secretHash(), t.createdAt(), t.expiresAt(), now,
            t.revokedAt(), t.types(), t.queues());
    if (byHash.replace(hash, cached, new Cached(touched, cached.readAt()))) {
      store.touchToken(t.id(), now); // only the request that won the replace writes
    }
  }
}
