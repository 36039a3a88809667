package dev.tasklane.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tasklane.server.access.AccessControl;
import dev.tasklane.server.access.Permission;
import dev.tasklane.server.access.Principal;
import dev.tasklane.server.access.Role;
import dev.tasklane.server.access.TokenRegistry;
import dev.tasklane.server.access.TokenScope;
import dev.tasklane.server.access.UserRegistry;
import dev.tasklane.spi.AuditRecord;
import dev.tasklane.spi.StoredToken;
import dev.tasklane.spi.StoredUser;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Sign-in and who may act: the dashboard's sign-in page and session ({@code /login}, {@code
 * /api/v1/session}), tokens ({@code /api/v1/tokens}), users ({@code /api/v1/users}) and the audit
 * log ({@code /api/v1/audit}). Every change to tokens and users is audited.
 */
final class AccessRoutes {
  static final String SESSION = TaskRoutes.API + "/session";
  static final String TOKENS = TaskRoutes.API + "/tokens";
  static final String USERS = TaskRoutes.API + "/users";
  static final String AUDIT = TaskRoutes.API + "/audit";

  /** Names: 1 to 100 characters, no control characters, no space at either end. */
  private static final Pattern NAME = Pattern.compile("[^\\p{Cntrl}\\s](?:[^\\p{Cntrl}]{0,98}[^\\p{Cntrl}\\s])?");

  /** The longest expiry a token may be given: ten years. */
  private static final long MAX_EXPIRY_SECONDS = Duration.ofDays(3650).toSeconds();

  static final int AUDIT_PAGE_DEFAULT = 100;
  static final int AUDIT_PAGE_MAX = 1000;

  private final AccessControl access;
  private final byte[] loginPage;

  AccessRoutes(AccessControl access) {
    this.access = access;
    this.loginPage = DashboardRoutes.resource(DashboardRoutes.ASSETS + "/login.html");
  }

  void register(RoutesConfig routes) {
    routes.get("/login", ctx -> ctx.contentType("text/html; charset=utf-8").result(loginPage), Permission.PUBLIC);
    routes.get(SESSION, this::whoAmI, Permission.PUBLIC);
    routes.post(SESSION, this::signIn, Permission.PUBLIC);
    routes.delete(SESSION, this::signOut, Permission.PUBLIC);
    routes.get(TOKENS, this::listTokens, Permission.MANAGE_ACCESS);
    routes.post(TOKENS, this::createToken, Permission.MANAGE_ACCESS);
    routes.delete(TOKENS + "/{token}", this::revokeToken, Permission.MANAGE_ACCESS);
    routes.get(USERS, this::listUsers, Permission.MANAGE_ACCESS);
    routes.post(USERS, this::createUser, Permission.MANAGE_ACCESS);
    routes.delete(USERS + "/{user}", this::deleteUser, Permission.MANAGE_ACCESS);
    routes.get(AUDIT, this::audit, Permission.MANAGE_ACCESS);
  }

  // ---------------------------------------------------------------- session

  /** Who the caller is, what it may do, and (for a session) the CSRF token its changes carry. */
  record SessionView(
      String name,
      String role,
      String via,
      List<String> permissions,
      boolean seesInternals,
      String csrfToken) {
    static SessionView of(Principal p) {
      return new SessionView(
          p.name(),
          p.role().apiName(),
          p.via().name().toLowerCase(Locale.ROOT),
          p.role().permissions().stream().map(x -> x.name().toLowerCase(Locale.ROOT)).toList(),
          p.role().seesInternals(),
          p.csrfToken());
    }
  }

  private void whoAmI(Context ctx) {
    Principal p =
        AccessControl.principal(ctx)
            .orElseThrow(() -> new ClientErrorException(401, "Not signed in"));
    ctx.json(SessionView.of(p));
  }

  /** {@code {"token": "..."}} or {@code {"username": "...", "password": "..."}}. */
  private void signIn(Context ctx) {
    ObjectNode body = JsonBody.readObject(ctx);
    FieldReader form = FieldReader.body(body);
    String token = form.optionalString("token", 1, 200, null);
    String username = form.optionalString("username", 1, 100, null);
    String password = form.optionalString("password", 1, UserRegistry.MAX_PASSWORD_LENGTH, null);
    if (token == null && (username == null || password == null)) {
      form.modelError("give either 'token', or 'username' and 'password'");
    }
    form.throwIfInvalid();
    requireStore();
    Optional<AccessControl.SignedIn> signedIn =
        token != null
            ? access.signInWithToken(ctx, token)
            : access.signInWithPassword(ctx, username, password);
    AccessControl.SignedIn s =
        signedIn.orElseThrow(() -> new ClientErrorException(401, "Sign-in failed: the token or the user name and password were not accepted"));
    ctx.json(SessionView.of(s.principal()));
  }

  private void signOut(Context ctx) {
    access.signOut(ctx);
    ctx.status(HttpStatus.NO_CONTENT);
  }

  // ---------------------------------------------------------------- tokens

  /** A token as the API lists it; the secret appears once, in the answer that made it. */
  record TokenView(
      String id,
      String name,
      String role,
      Instant createdAt,
      Instant expiresAt,
      Instant lastUsedAt,
      Instant revokedAt,
      boolean active,
      java.util.Set<String> types,
      java.util.Set<String> queues,
      String token) {
    static TokenView of(StoredToken t, String secret) {
      return new TokenView(
          t.id(), t.name(), t.role(), t.createdAt(), t.expiresAt(), t.lastUsedAt(), t.revokedAt(),
          t.activeAt(Instant.now()), t.types(), t.queues(), secret);
    }
  }

  record TokenListView(List<TokenView> tokens) {}

  private void listTokens(Context ctx) {
    requireStore();
    ctx.json(new TokenListView(access.tokens().list().stream().map(t -> TokenView.of(t, null)).toList()));
  }

  /**
   * {@code {"name": str, "role": str, "expires_in": seconds | null, "types": [str], "queues":
   * [str]}}: 201 with the secret. Types and queues limit a worker's token.
   */
  private void createToken(Context ctx) {
    FieldReader form = FieldReader.body(JsonBody.readObject(ctx));
    String name = name(form);
    String role = form.literal("role", true, Role.apiNames());
    Integer expiresIn = form.integer("expires_in", null, true, 1, (int) Math.min(Integer.MAX_VALUE, MAX_EXPIRY_SECONDS));
    List<String> types = form.names("types", false, 100, dev.tasklane.TaskRequest.NAME);
    List<String> queues = form.names("queues", false, 100, dev.tasklane.TaskRequest.NAME);
    if (!form.hasErrors() && (!types.isEmpty() || !queues.isEmpty()) && !Role.WORKER.apiName().equals(role)) {
      form.modelError("only a worker token can be limited to task types or queues");
    }
    form.throwIfInvalid();
    requireStore();
    TokenRegistry.Created created;
    try {
      created =
          access.tokens()
              .create(
                  name,
                  Role.fromApiName(role),
                  expiresIn == null ? null : Duration.ofSeconds(expiresIn),
                  new TokenScope(java.util.Set.copyOf(types), java.util.Set.copyOf(queues)));
    } catch (IllegalArgumentException e) {
      throw new ClientErrorException(409, e.getMessage());
    }
    access.credentialsChanged();
    access.audit(ctx, "token.create", name, "role " + role);
    ctx.status(HttpStatus.CREATED).json(TokenView.of(created.token(), created.secret()));
  }

  private void revokeToken(Context ctx) {
    requireStore();
    String which = ctx.pathParam("token");
    StoredToken revoked =
        access.tokens()
            .revoke(which)
            .orElseThrow(() -> new ClientErrorException(404, "No active token with id or name '" + LogText.quote(which, 100) + "'"));
    access.credentialsChanged();
    access.audit(ctx, "token.revoke", revoked.name(), revoked.id());
    ctx.json(TokenView.of(revoked, null));
  }

  // ---------------------------------------------------------------- users

  record UserView(String name, String role, Instant createdAt) {
    static UserView of(StoredUser u) {
      return new UserView(u.name(), u.role(), u.createdAt());
    }
  }

  record UserListView(List<UserView> users) {}

  private void listUsers(Context ctx) {
    requireStore();
    ctx.json(new UserListView(access.users().list().stream().map(UserView::of).toList()));
  }

  /** {@code {"name": str, "role": str, "password": str}}: 201. */
  private void createUser(Context ctx) {
    FieldReader form = FieldReader.body(JsonBody.readObject(ctx));
    String name = name(form);
    String role = form.literal("role", true, Role.apiNames());
    String password =
        form.optionalString(
            "password", UserRegistry.MIN_PASSWORD_LENGTH, UserRegistry.MAX_PASSWORD_LENGTH, null);
    if (password == null && !form.hasErrors()) {
      form.requiredString("password");
    }
    form.throwIfInvalid();
    requireStore();
    StoredUser user;
    try {
      user = access.users().create(name, Role.fromApiName(role), password);
    } catch (IllegalArgumentException e) {
      throw new ClientErrorException(409, e.getMessage());
    }
    access.credentialsChanged();
    access.audit(ctx, "user.create", name, "role " + role);
    ctx.status(HttpStatus.CREATED).json(UserView.of(user));
  }

  private void deleteUser(Context ctx) {
    requireStore();
    String name = ctx.pathParam("user");
    if (!access.users().delete(name)) {
      throw new ClientErrorException(404, "No user named '" + LogText.quote(name, 100) + "'");
    }
    access.credentialsChanged();
    access.audit(ctx, "user.delete", name, null);
    ctx.status(HttpStatus.NO_CONTENT);
  }

  // ---------------------------------------------------------------- audit

  record AuditView(long id, Instant at, String actor, String action, String target, String client, String detail) {
    static AuditView of(AuditRecord r) {
      return new AuditView(r.id(), r.at(), r.actor(), r.action(), r.target(), r.client(), r.detail());
    }
  }

  /** {@code next_before}: the {@code before} of the next (older) page, or null on the last. */
  record AuditListView(List<AuditView> entries, Long nextBefore) {}

  private void audit(Context ctx) {
    FieldReader q = FieldReader.query(ctx.queryParamMap());
    Integer limit = q.integer("limit", AUDIT_PAGE_DEFAULT, false, 1, AUDIT_PAGE_MAX);
    Integer before = q.integer("before", null, false, 1, Integer.MAX_VALUE);
    q.throwIfInvalid();
    List<AuditRecord> page = access.auditPage(before == null ? null : before.longValue(), limit);
    Long next = page.size() == limit ? page.get(page.size() - 1).id() : null;
    ctx.json(new AuditListView(page.stream().map(AuditView::of).toList(), next));
  }

  // ---------------------------------------------------------------- helpers

  private static String name(FieldReader form) {
    String name = form.optionalString("name", 1, 100, NAME);
    if (name == null && !form.hasErrors()) {
      form.requiredString("name");
    }
    return name;
  }

  private void requireStore() {
    if (!access.hasStore()) {
      throw new ClientErrorException(
          409, "This server keeps no credentials: it was started without an access store");
    }
  }

}
