package dev.tasklane.server.access;

import dev.tasklane.spi.AccessStore;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may act on a server: checks every request ({@link AccessGuard}), serves sign-in, tokens,
 * users and the audit log (for {@code AccessRoutes}), and decides whether the server runs open.
 *
 * <p>A server runs <em>open</em> (every request acts as {@link Principal#LOCAL}) only while no
 * credential exists and either it listens on loopback or {@link AccessConfig#openOnNetwork()} says
 * so. Creating the first token or user closes it, on every node, within {@link
 * AccessConfig#credentialCacheTtl()}. Without a store the server has no credentials at all and is
 * always open.
 */
public final class AccessControl implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AccessControl.class);

  private final AccessStore store;
  private final AccessConfig config;
  private final boolean loopbackBind;
  private final String bindAddress;
  private final InstantSource clock;
  private final TokenRegistry tokens;
  private final UserRegistry users;
  private final SessionRegistry sessions;
  private final SignInThrottle throttle;
  private final AuditLog audit;
  private final ScheduledExecutorService housekeeping;

  private volatile Instant credentialsCheckedAt = Instant.MIN;
  private volatile boolean hasCredentials;

  /**
   * @param store where credentials live; {@code null} for a server without any (always open, so
   *     only on loopback unless {@code openOnNetwork})
   * @param loopbackBind whether the server listens on a loopback address only
   */
  public AccessControl(
      AccessStore store, AccessConfig config, boolean loopbackBind, String bindAddress) {
    this(store, config, loopbackBind, bindAddress, InstantSource.system());
  }

  AccessControl(
      AccessStore store,
      AccessConfig config,
      boolean loopbackBind,
      String bindAddress,
      InstantSource clock) {
    this.bindAddress = bindAddress;
    this.store = store;
    this.config = config;
    this.loopbackBind = loopbackBind;
    this.clock = clock;
    this.tokens = store == null ? null : new TokenRegistry(store, clock, config.credentialCacheTtl());
    this.users = store == null ? null : new UserRegistry(store, clock, new PasswordHasher());
    this.sessions = store == null ? null : new SessionRegistry(store, clock, config);
    this.throttle = new SignInThrottle(config.signInFailures(), clock);
    this.audit = new AuditLog(store, clock);
    this.housekeeping =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("tasklane-access").daemon(true).unstarted(r));
    if (store != null) {
      housekeeping.scheduleWithFixedDelay(this::prune, 1, 60, TimeUnit.MINUTES);
    }
  }

  /** Registers the checks every request passes (see {@link AccessGuard}). */
  public void install(RoutesConfig routes) {
    new AccessGuard(this, config, loopbackBind, bindAddress).install(routes);
  }

  /**
   * Checks that the server may start as configured.
   *
   * @throws InsecureStartException on a non-loopback bind with no credential and no explicit
   *     {@link AccessConfig#openOnNetwork()}: it would answer anybody who can reach it
   */
  public void checkCanStart(String bindAddress) {
    if (loopbackBind || config.openOnNetwork() || credentialsExist()) {
      return;
    }
    throw new InsecureStartException(
        "refusing to listen on "
            + bindAddress
            + " without authentication: create an admin token first"
            + " ('tasklane token create --name admin --role admin'), or start with"
            + " --insecure-open-on-network to let anybody who can reach the port act on the"
            + " server");
  }

  /**
   * Whether requests without a credential act as {@link Principal#LOCAL} right now: never once a
   * token or user has been made (revoked and expired ones count: revoking the last token must not
   * open the server), and never on loopback behind a proxy that serves other host names.
   */
  public boolean open() {
    if (!loopbackBind && !config.openOnNetwork()) {
      return false;
    }
    if (!config.openOnNetwork() && servesForeignHosts()) {
      return false;
    }
    return !credentialsExist();
  }

  private boolean servesForeignHosts() {
    return config.allowedHosts().stream()
        .anyMatch(h -> !AccessGuard.loopbackNames().contains(h));
  }

  private boolean credentialsExist() {
    if (store == null) {
      return false;
    }
    Instant now = clock.instant();
    if (credentialsCheckedAt.plus(config.credentialCacheTtl()).isBefore(now)) {
      hasCredentials = store.hasCredentials();
      credentialsCheckedAt = now;
    }
    return hasCredentials;
  }

  /** Forgets cached answers about credentials, after a change made through this node. */
  public void credentialsChanged() {
    credentialsCheckedAt = Instant.MIN;
    if (sessions != null) {
      sessions.forgetCached();
    }
  }

  /**
   * Who the request acts as, from its bearer token or session cookie, or {@link Principal#LOCAL}
   * on an open server. A wrong bearer token is refused (401) unless {@code quiet}; either way it
   * counts against the client's address.
   */
  Optional<Principal> authenticate(Context ctx, boolean quiet) {
    String authorization = ctx.header("Authorization");
    if (authorization != null) {
      refuseIfThrottled(ctx);
      String secret = bearer(authorization);
      Optional<Principal> p = tokens == null || secret == null ? Optional.empty() : tokens.authenticate(secret);
      if (p.isEmpty()) {
        signInFailed(ctx, "token.rejected", null, "unknown, revoked or expired token");
        if (!quiet) {
          throw new AccessDeniedException(
              401,
              "Invalid, revoked or expired token",
              Map.of("WWW-Authenticate", "Bearer error=\"invalid_token\""));
        }
      }
      return p;
    }
    String cookie = ctx.cookie(AccessGuard.SESSION_COOKIE);
    if (cookie != null && sessions != null) {
      Optional<Principal> p = sessions.find(cookie);
      if (p.isPresent()) {
        return p;
      }
    }
    return open() ? Optional.of(Principal.LOCAL) : Optional.empty();
  }

  private static String bearer(String authorization) {
    String[] parts = authorization.strip().split("\\s+", 2);
    return parts.length == 2 && parts[0].equalsIgnoreCase("Bearer") ? parts[1] : null;
  }

  void refuseIfThrottled(Context ctx) {
    Duration wait = throttle.waitFor(ctx.ip());
    if (!wait.isZero()) {
      long seconds = Math.max(1, wait.toSeconds() + (wait.toNanosPart() > 0 ? 1 : 0));
      throw new AccessDeniedException(
          429,
          "Too many failed sign-ins from this address; try again in " + seconds + " s",
          Map.of("Retry-After", Long.toString(seconds)));
    }
  }

  void signInFailed(Context ctx, String action, String target, String detail) {
    throttle.failed(ctx.ip());
    audit.record("anonymous", action, target, ctx.ip(), detail);
  }

  /**
   * A check that the request's credential still holds (not revoked, signed out or timed out; the
   * server still open, for an open one), for a response that outlives the request: an event
   * stream asks it at each push. Answers from the same 5 s caches as requests do.
   */
  public java.util.function.BooleanSupplier stillValid(Context ctx) {
    String authorization = ctx.header("Authorization");
    if (authorization != null) {
      String secret = bearer(authorization);
      return () -> tokens != null && secret != null && tokens.authenticate(secret).isPresent();
    }
    Optional<Principal> who = principal(ctx);
    String cookie = ctx.cookie(AccessGuard.SESSION_COOKIE);
    if (who.isPresent() && who.get().via() == Principal.Via.SESSION && cookie != null) {
      return () -> sessions.find(cookie).isPresent();
    }
    return this::open;
  }

  /** The principal the guard attached to the request; {@link Principal#LOCAL} never needs one. */
  public static Optional<Principal> principal(Context ctx) {
    return Optional.ofNullable(ctx.attribute(AccessGuard.PRINCIPAL));
  }

  /**
   * The submitter whose tasks alone the request may read, when its role reads only its own
   * ({@link Permission#READ_OWN} without {@link Permission#READ}); empty when it reads all.
   */
  public static Optional<String> readsOnlyTasksOf(Context ctx) {
    return principal(ctx)
        .filter(p -> !p.role().may(Permission.READ))
        .map(p -> p.submitterKey() == null ? "nobody" : p.submitterKey());
  }

  /** Who the request submits as (see {@link Principal#submitterKey()}); null if nobody. */
  public static String submitter(Context ctx) {
    return principal(ctx).map(Principal::submitterKey).orElse(null);
  }

  /** Whether the request may see stack traces and host names. */
  public static boolean seesInternals(Context ctx) {
    return principal(ctx).map(p -> p.role().seesInternals()).orElse(false);
  }

  /** Records an action of the request's principal in the audit log. */
  public void audit(Context ctx, String action, String target, String detail) {
    String actor = principal(ctx).map(Principal::name).orElse("anonymous");
    audit.record(actor, action, target, ctx.ip(), detail);
  }

  /** A session just signed in: the cookie to set, and who it acts as. */
  public record SignedIn(String cookieSecret, Principal principal) {}

  /**
   * Signs in with a token (of any role but {@code worker}: a worker has no page to see). Counts a
   * failure against the client's address and in the audit log.
   */
  public Optional<SignedIn> signInWithToken(Context ctx, String secret) {
    refuseIfThrottled(ctx);
    Optional<Principal> p = tokens == null ? Optional.empty() : tokens.authenticate(secret);
    if (p.isEmpty() || p.get().role() == Role.WORKER) {
      signInFailed(ctx, "sign-in.failed", null, "token not accepted");
      return Optional.empty();
    }
    return Optional.of(startSession(ctx, p.get()));
  }

  /** Signs in with a user's name and password; as {@link #signInWithToken}. */
  public Optional<SignedIn> signInWithPassword(Context ctx, String name, String password) {
    refuseIfThrottled(ctx);
    // Counted before the (slow) check, so that guesses sent in parallel cannot all pass the
    // throttle before any has failed; a success gives its count back.
    throttle.failed(ctx.ip());
    Optional<Principal> p = users == null ? Optional.empty() : users.verify(name, password);
    if (p.isEmpty()) {
      audit.record("anonymous", "sign-in.failed", name, ctx.ip(), "wrong user name or password");
      return Optional.empty();
    }
    throttle.forgive(ctx.ip());
    return Optional.of(startSession(ctx, p.get()));
  }

  private SignedIn startSession(Context ctx, Principal who) {
    SessionRegistry.Created created = sessions.create(who);
    audit.record(who.name(), "sign-in", null, ctx.ip(), "role " + who.role().apiName());
    ctx.header(
        "Set-Cookie",
        AccessGuard.SESSION_COOKIE
            + "="
            + created.secret()
            + "; Path=/; HttpOnly; SameSite=Strict; Max-Age="
            + config.sessionAbsoluteTimeout().toSeconds()
            + (isHttps(ctx) ? "; Secure" : ""));
    return new SignedIn(created.secret(), created.principal());
  }

  /** Ends the request's session, if it has one, and clears its cookie. */
  public void signOut(Context ctx) {
    String cookie = ctx.cookie(AccessGuard.SESSION_COOKIE);
    Optional<Principal> who = principal(ctx);
    // Only a session that proved itself (its CSRF token) signs out: no page can sign a user out.
    if (cookie != null && sessions != null && who.filter(p -> p.via() == Principal.Via.SESSION).isPresent()) {
      audit.record(who.get().name(), "sign-out", null, ctx.ip(), null);
      sessions.delete(cookie);
    }
    ctx.header(
        "Set-Cookie",
        AccessGuard.SESSION_COOKIE
            + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
            + (isHttps(ctx) ? "; Secure" : ""));
  }

  private static boolean isHttps(Context ctx) {
    return "https".equalsIgnoreCase(ctx.scheme());
  }

  /** The name of the header that carries a session's CSRF token. */
  public static String csrfHeader() {
    return AccessGuard.CSRF_HEADER;
  }

  /** A page of the audit log, newest first. */
  public java.util.List<dev.tasklane.spi.AuditRecord> auditPage(Long beforeId, int limit) {
    return audit.list(beforeId, limit);
  }

  /** Whether tokens and users can be kept (the server has a store for them). */
  public boolean hasStore() {
    return store != null;
  }

  /**
   * The server's tokens.
   *
   * @throws IllegalStateException without a store
   */
  public TokenRegistry tokens() {
    if (tokens == null) {
      throw new IllegalStateException("this server keeps no credentials: it has no access store");
    }
    return tokens;
  }

  /**
   * The server's dashboard users.
   *
   * @throws IllegalStateException without a store
   */
  public UserRegistry users() {
    if (users == null) {
      throw new IllegalStateException("this server keeps no credentials: it has no access store");
    }
    return users;
  }

  private void prune() {
    try {
      int sessionsGone = sessions.prune();
      int entriesGone = audit.prune(config.auditRetention());
      if (sessionsGone + entriesGone > 0) {
        log.debug("pruned {} stale sessions and {} old audit entries", sessionsGone, entriesGone);
      }
    } catch (RuntimeException e) {
      log.warn("pruning sessions and audit entries failed; next try in an hour: {}", e.toString());
    }
  }

  @Override
  public void close() {
    housekeeping.shutdownNow();
  }
}
