package dev.tasklane.server.access;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.security.RouteRole;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The checks every request passes before its route runs, in this order:
 *
 * <ol>
 *   <li>security headers on every answer (a strict Content-Security-Policy, no framing, no MIME
 *       sniffing, no referrer);
 *   <li>the {@code Host} header must name this server ({@link AccessConfig#allowedHosts()}): 400
 *       otherwise, which defeats DNS rebinding;
 *   <li>a request from a web page of another origin is refused (403) unless that origin is
 *       allowed, in which case it gets CORS headers (and its preflight is answered here);
 *   <li>credentials: a bearer token, or the dashboard's session cookie (whose changes must carry
 *       its CSRF token), or nothing on an open server; a client with too many failures is refused
 *       first (429);
 *   <li>the route's {@link Permission} against the principal's role: 401 without a credential, 403
 *       with the wrong role. A route with no permission is refused to everybody;
 *   <li>a request body must be JSON (415 otherwise), so that no HTML form can send one.
 * </ol>
 */
final class AccessGuard {
  static final String SESSION_COOKIE = "tasklane_session";
  static final String CSRF_HEADER = "X-CSRF-Token";
  static final String PRINCIPAL = "tasklane.principal";

  private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "::1");
  private static final Set<HandlerType> SAFE_METHODS =
      Set.of(HandlerType.GET, HandlerType.HEAD, HandlerType.OPTIONS);

  /** No inline script anywhere; styles may be set from scripts (the dashboard's bars do). */
  static final String CSP =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
          + " frame-ancestors 'none'";

  /** Swagger UI sets inline styles on its elements; it runs no inline script either. */
  static final String DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");

  private final AccessControl access;
  private final AccessConfig config;
  private final Set<String> allowedHosts;

  AccessGuard(AccessControl access, AccessConfig config, boolean loopbackBind, String bindAddress) {
    this.access = access;
    this.config = config;
    if (!config.allowedHosts().isEmpty()) {
      this.allowedHosts = Set.copyOf(config.allowedHosts());
    } else if (loopbackBind) {
      this.allowedHosts = LOOPBACK_NAMES;
    } else if (config.openOnNetwork()) {
      // Open on the network, no credential stands behind the Host check: keep rebinding out.
      java.util.Set<String> names = new java.util.HashSet<>(LOOPBACK_NAMES);
      names.add(hostName(bindAddress.contains(":") && !bindAddress.startsWith("[") ? "[" + bindAddress + "]" : bindAddress));
      this.allowedHosts = Set.copyOf(names);
    } else {
      this.allowedHosts = Set.of(); // any: every request needs a credential
    }
  }

  /**
   * The Host the request names: its {@code Host} header, or for HTTP/2 (which carries the
   * authority as {@code :authority}, not as a header) the server name and port the request
   * resolved to.
   */
  static String hostOf(Context ctx) {
    String host = ctx.header("Host");
    if (host != null) {
      return host;
    }
    String name = ctx.req().getServerName();
    if (name == null || name.isEmpty()) {
      return null;
    }
    if (name.contains(":") && !name.startsWith("[")) {
      name = "[" + name + "]";
    }
    return name + ":" + ctx.req().getServerPort();
  }

  void install(RoutesConfig routes) {
    routes.before(this::beforeAny);
    routes.beforeMatched(this::beforeRoute);
  }

  // ---------------------------------------------------------------- every request

  private void beforeAny(Context ctx) {
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("X-Frame-Options", "DENY");
    ctx.header("Referrer-Policy", "no-referrer");
    ctx.header("Content-Security-Policy", ctx.path().equals("/docs") ? DOCS_CSP : CSP);
    checkHost(ctx);
    checkOrigin(ctx);
  }

  private void checkHost(Context ctx) {
    if (allowedHosts.isEmpty()) {
      return;
    }
    String host = hostOf(ctx);
    if (host == null) {
      return; // HTTP/1.0 without Host: no browser sends that, so no rebinding either
    }
    String name = hostName(host);
    if (name == null || !allowedHosts.contains(name)) {
      throw new AccessDeniedException(
          400,
          "Host '"
              + (host.length() > 100 ? host.substring(0, 100) + "..." : host)
              + "' is not served here: this server answers to "
              + String.join(", ", allowedHosts.stream().sorted().toList())
              + " (allow more with --allowed-host)");
    }
  }

  /** The name part of a Host header, lower case, without port or IPv6 brackets; null if bad. */
  static String hostName(String host) {
    String h = host.strip().toLowerCase(Locale.ROOT);
    if (h.startsWith("[")) {
      int close = h.indexOf(']');
      return close < 0 ? null : h.substring(1, close);
    }
    int colon = h.indexOf(':');
    String name = colon < 0 ? h : h.substring(0, colon);
    return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
  }

  private void checkOrigin(Context ctx) {
    String origin = ctx.header("Origin");
    if (origin == null || sameOrigin(ctx, origin)) {
      return;
    }
    String normalized = origin.toLowerCase(Locale.ROOT);
    if (!config.allowedOrigins().contains(normalized)) {
      throw new AccessDeniedException(
          403,
          "Cross-origin request from "
              + (origin.length() > 100 ? origin.substring(0, 100) + "..." : origin)
              + " refused (allow the origin with --allowed-origin)");
    }
    ctx.header("Access-Control-Allow-Origin", origin);
    ctx.header("Vary", "Origin");
    ctx.header("Access-Control-Expose-Headers", "Location, Retry-After, Idempotent-Replayed");
    if (ctx.method() == HandlerType.OPTIONS && ctx.header("Access-Control-Request-Method") != null) {
      ctx.header("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE");
      ctx.header("Access-Control-Allow-Headers", "Authorization, Content-Type");
      ctx.header("Access-Control-Max-Age", "600");
      ctx.status(204);
      ctx.skipRemainingHandlers();
    }
  }

  /** Whether {@code origin} is this very server as the request reached it (scheme, host, port). */
  private static boolean sameOrigin(Context ctx, String origin) {
    String host = hostOf(ctx);
    if (host == null) {
      return false;
    }
    try {
      URI o = URI.create(origin);
      return o.getScheme() != null
          && o.getScheme().equalsIgnoreCase(ctx.scheme())
          && o.getRawAuthority() != null
          && o.getRawAuthority().equalsIgnoreCase(withDefaultPortStripped(host, ctx.scheme()));
    } catch (IllegalArgumentException e) {
      return false; // "null" (a sandboxed frame, a file) and anything malformed
    }
  }

  private static String withDefaultPortStripped(String host, String scheme) {
    String suffix = "https".equalsIgnoreCase(scheme) ? ":443" : ":80";
    return host.endsWith(suffix) ? host.substring(0, host.length() - suffix.length()) : host;
  }

  // ---------------------------------------------------------------- matched routes

  private void beforeRoute(Context ctx) {
    Permission needed = permission(ctx.routeRoles());
    if (needed == null) {
      if (ctx.routeRoles().isEmpty() && isStaticAsset(ctx)) {
        return; // the page's scripts and styles: no data in them
      }
      throw new AccessDeniedException(403, "This route has no access rule; nobody may use it");
    }
    if (needed == Permission.METRICS && config.metricsOpen()) {
      needed = Permission.PUBLIC;
    }
    boolean quiet = needed == Permission.PUBLIC;
    Optional<Principal> who = access.authenticate(ctx, quiet);
    if (who.isPresent()
        && who.get().via() == Principal.Via.SESSION
        && !SAFE_METHODS.contains(ctx.method())
        && !Secrets.same(who.get().csrfToken(), ctx.header(CSRF_HEADER))) {
      if (!quiet) {
        throw new AccessDeniedException(
            403, "CSRF token missing or wrong: send the session's token in " + CSRF_HEADER);
      }
      who = Optional.empty(); // a public route acts as if the cookie were not there
    }
    who.ifPresent(p -> ctx.attribute(PRINCIPAL, p));
    if (!quiet) {
      Principal p =
          who.orElseThrow(
              () ->
                  new AccessDeniedException(
                      401, "Not authenticated", Map.of("WWW-Authenticate", "Bearer")));
      if (!p.role().may(needed)) {
        throw new AccessDeniedException(
            403,
            "Role '"
                + p.role().apiName()
                + "' may not do this: it needs permission "
                + needed.name().toLowerCase(Locale.ROOT));
      }
    }
    checkBodyIsJson(ctx);
  }

  private static boolean isStaticAsset(Context ctx) {
    String path = ctx.path();
    return path.startsWith("/ui/") || path.startsWith("/webjars/");
  }

  private static Permission permission(Set<RouteRole> roles) {
    Permission found = null;
    for (RouteRole r : roles) {
      if (r instanceof Permission p) {
        if (found != null) {
          return null; // two rules for one route: a mistake, refused like none
        }
        found = p;
      }
    }
    return found;
  }

  private static void checkBodyIsJson(Context ctx) {
    if (SAFE_METHODS.contains(ctx.method())) {
      return;
    }
    boolean hasBody = ctx.contentLength() > 0 || ctx.header("Transfer-Encoding") != null;
    if (!hasBody) {
      return;
    }
    String type = ctx.header("Content-Type");
    String media =
        type == null ? "" : type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
    if (!media.equals("application/json") && !(media.startsWith("application/") && media.endsWith("+json"))) {
      throw new AccessDeniedException(
          415,
          "Unsupported Media Type: send the body as JSON, with 'Content-Type: application/json'");
    }
  }

  static List<String> loopbackNames() {
    return List.copyOf(LOOPBACK_NAMES);
  }
}
