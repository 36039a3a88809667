package dev.tasklane.jdbc;

import static dev.tasklane.jdbc.QueryName.APPEND_AUDIT;
import static dev.tasklane.jdbc.QueryName.DELETE_SESSION;
import static dev.tasklane.jdbc.QueryName.DELETE_SESSIONS_OF_TOKEN;
import static dev.tasklane.jdbc.QueryName.DELETE_SESSIONS_OF_USER;
import static dev.tasklane.jdbc.QueryName.DELETE_STALE_SESSIONS;
import static dev.tasklane.jdbc.QueryName.DELETE_USER;
import static dev.tasklane.jdbc.QueryName.FIND_SESSION;
import static dev.tasklane.jdbc.QueryName.FIND_TOKEN_BY_HASH;
import static dev.tasklane.jdbc.QueryName.FIND_USER;
import static dev.tasklane.jdbc.QueryName.HAS_CREDENTIALS;
import static dev.tasklane.jdbc.QueryName.INSERT_SESSION;
import static dev.tasklane.jdbc.QueryName.INSERT_TOKEN;
import static dev.tasklane.jdbc.QueryName.INSERT_USER;
import static dev.tasklane.jdbc.QueryName.LIST_AUDIT;
import static dev.tasklane.jdbc.QueryName.LIST_TOKENS;
import static dev.tasklane.jdbc.QueryName.LIST_USERS;
import static dev.tasklane.jdbc.QueryName.PRUNE_AUDIT;
import static dev.tasklane.jdbc.QueryName.REVOKE_TOKEN_BY_ID;
import static dev.tasklane.jdbc.QueryName.REVOKE_TOKEN_BY_NAME;
import static dev.tasklane.jdbc.QueryName.TOUCH_SESSION;
import static dev.tasklane.jdbc.QueryName.TOUCH_TOKEN;

import dev.tasklane.jdbc.TransactionRunner.Durability;
import dev.tasklane.spi.AccessStore;
import dev.tasklane.spi.AuditRecord;
import dev.tasklane.spi.StoredSession;
import dev.tasklane.spi.StoredToken;
import dev.tasklane.spi.StoredUser;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import dev.tasklane.internal.Json;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link AccessStore} on the same database and transactions as a {@link JdbcTaskStore}: the
 * statements are the dialect's ({@link QueryName#INSERT_TOKEN} onwards), the tables those of the
 * {@code V010__access} migration.
 *
 * <p>Changes to who may act (tokens, users, revocations) commit {@link Durability#SYNCED}: a
 * revocation that a power cut could undo is no revocation. Bookkeeping (last use, session activity)
 * is {@link Durability#RELAXED}.
 *
 * <p>Thread-safe.
 */
public final class JdbcAccessStore implements AccessStore {

  private final SqlDialect dialect;
  private final TransactionRunner transactions;
  private final Queries queries;

  public JdbcAccessStore(SqlDialect dialect, TransactionRunner transactions) {
    this.dialect = Objects.requireNonNull(dialect, "dialect");
    this.transactions = Objects.requireNonNull(transactions, "transactions");
    this.queries = Queries.load(dialect);
  }

  // ---------------------------------------------------------------- tokens

  @Override
  public boolean insertToken(StoredToken token) {
    return transactions.write(
        "insert token",
        c ->
            update(
                    c,
                    INSERT_TOKEN,
                    p ->
                        p.text(token.id())
                            .text(token.name())
                            .text(token.role())
                            .text(token.secretHash())
                            .instant(token.createdAt())
                            .instant(token.expiresAt())
                            .text(scopeJson(token)))
                == 1);
  }

  @Override
  public Optional<StoredToken> findTokenByHash(String secretHash) {
    return transactions.read(
        "find token",
        c -> query(c, FIND_TOKEN_BY_HASH, p -> p.text(secretHash), this::token).stream().findFirst());
  }

  @Override
  public List<StoredToken> listTokens() {
    return transactions.read("list tokens", c -> query(c, LIST_TOKENS, p -> {}, this::token));
  }

  @Override
  public Optional<StoredToken> revokeToken(String idOrName, Instant at) {
    return transactions.write(
        "revoke token",
        c -> {
          List<StoredToken> revoked =
              query(c, REVOKE_TOKEN_BY_ID, p -> p.instant(at).text(idOrName), this::token);
          if (revoked.isEmpty()) {
            revoked = query(c, REVOKE_TOKEN_BY_NAME, p -> p.instant(at).text(idOrName), this::token);
          }
          for (StoredToken t : revoked) {
            // A session signed in with the token ends with it, on every node at once.
            update(c, DELETE_SESSIONS_OF_TOKEN, p -> p.text(t.id()));
          }
          return revoked.stream().findFirst();
        });
  }

  @Override
  public void touchToken(String id, Instant at) {
    transactions.write(
        "touch token", Durability.RELAXED, c -> update(c, TOUCH_TOKEN, p -> p.instant(at).text(id)));
  }

  @Override
  public boolean hasCredentials() {
    return transactions.read(
        "check credentials",
        c -> query(c, HAS_CREDENTIALS, p -> {}, rs -> rs.getBoolean(1)).get(0));
  }

  // ---------------------------------------------------------------- users

  @Override
  public boolean insertUser(StoredUser user) {
    return transactions.write(
        "insert user",
        c ->
            update(
                    c,
                    INSERT_USER,
                    p ->
                        p.text(user.name())
                            .text(user.role())
                            .text(user.passwordHash())
                            .instant(user.createdAt()))
                == 1);
  }

  @Override
  public Optional<StoredUser> findUser(String name) {
    return transactions.read(
        "find user", c -> query(c, FIND_USER, p -> p.text(name), this::user).stream().findFirst());
  }

  @Override
  public List<StoredUser> listUsers() {
    return transactions.read("list users", c -> query(c, LIST_USERS, p -> {}, this::user));
  }

  @Override
  public boolean deleteUser(String name) {
    return transactions.write(
        "delete user",
        c -> {
          update(c, DELETE_SESSIONS_OF_USER, p -> p.text(name));
          return update(c, DELETE_USER, p -> p.text(name)) == 1;
        });
  }

  // ---------------------------------------------------------------- sessions

  @Override
  public void insertSession(StoredSession s) {
    transactions.write(
        "insert session",
        c ->
            update(
                c,
                INSERT_SESSION,
                p ->
                    p.text(s.secretHash())
                        .text(s.principal())
                        .text(s.role())
                        .text(s.tokenId())
                        .text(s.csrfToken())
                        .instant(s.createdAt())
                        .instant(s.lastSeenAt())));
  }

  @Override
  public Optional<StoredSession> findSession(String secretHash) {
    return transactions.read(
        "find session",
        c -> query(c, FIND_SESSION, p -> p.text(secretHash), this::session).stream().findFirst());
  }

  @Override
  public void touchSession(String secretHash, Instant at) {
    transactions.write(
        "touch session",
        Durability.RELAXED,
        c -> update(c, TOUCH_SESSION, p -> p.instant(at).text(secretHash)));
  }

  @Override
  public void deleteSession(String secretHash) {
    transactions.write("delete session", c -> update(c, DELETE_SESSION, p -> p.text(secretHash)));
  }

  @Override
  public int deleteStaleSessions(Instant idleBefore, Instant createdBefore) {
    return transactions.write(
        "delete stale sessions",
        Durability.RELAXED,
        c -> update(c, DELETE_STALE_SESSIONS, p -> p.instant(idleBefore).instant(createdBefore)));
  }

  // ---------------------------------------------------------------- audit

  @Override
  public void appendAudit(AuditRecord e) {
    transactions.write(
        "append audit entry",
        c ->
            update(
                c,
                APPEND_AUDIT,
                p ->
                    p.instant(e.at())
                        .text(e.actor())
                        .text(e.action())
                        .text(e.target())
                        .text(e.client())
                        .text(e.detail())));
  }

  @Override
  public List<AuditRecord> listAudit(Long beforeId, int limit) {
    long below = beforeId == null ? Long.MAX_VALUE : beforeId;
    return transactions.read(
        "list audit entries",
        c -> query(c, LIST_AUDIT, p -> p.bigint(below).integer(limit), this::audit));
  }

  @Override
  public int pruneAudit(Instant cutoff) {
    return transactions.write(
        "prune audit entries", Durability.RELAXED, c -> update(c, PRUNE_AUDIT, p -> p.instant(cutoff)));
  }

  // ---------------------------------------------------------------- rows

  private StoredToken token(ResultSet rs) throws SQLException {
    return new StoredToken(
        rs.getString("id"),
        rs.getString("name"),
        rs.getString("role"),
        rs.getString("secret_hash"),
        dialect.getInstant(rs, "created_at"),
        dialect.getInstant(rs, "expires_at"),
        dialect.getInstant(rs, "last_used_at"),
        dialect.getInstant(rs, "revoked_at"),
        scopeNames(rs, "types"),
        scopeNames(rs, "queues"));
  }

  /** A token's scope as its column keeps it: {"types": [...], "queues": [...]}, or NULL. */
  private static String scopeJson(StoredToken token) {
    if (!token.scoped()) {
      return null;
    }
    Map<String, Object> scope = new java.util.LinkedHashMap<>();
    scope.put("types", token.types());
    scope.put("queues", token.queues());
    return Json.write(scope);
  }

  private static Set<String> scopeNames(ResultSet rs, String key) throws SQLException {
    String scope = rs.getString("scope");
    if (scope == null) {
      return Set.of();
    }
    try {
      Map<String, List<String>> parsed =
          Json.read(scope, new com.fasterxml.jackson.core.type.TypeReference<Map<String, List<String>>>() {});
      List<String> names = parsed.get(key);
      return names == null ? Set.of() : Set.copyOf(names);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new SQLException("token " + rs.getString("id") + " has a scope that is not valid JSON", e);
    }
  }

  private StoredUser user(ResultSet rs) throws SQLException {
    return new StoredUser(
        rs.getString("name"),
        rs.getString("role"),
        rs.getString("password_hash"),
        dialect.getInstant(rs, "created_at"));
  }

  private StoredSession session(ResultSet rs) throws SQLException {
    return new StoredSession(
        rs.getString("secret_hash"),
        rs.getString("principal"),
        rs.getString("role"),
        rs.getString("token_id"),
        rs.getString("csrf_token"),
        dialect.getInstant(rs, "created_at"),
        dialect.getInstant(rs, "last_seen_at"));
  }

  private AuditRecord audit(ResultSet rs) throws SQLException {
    return new AuditRecord(
        rs.getLong("id"),
        dialect.getInstant(rs, "at"),
        rs.getString("actor"),
        rs.getString("action"),
        rs.getString("target"),
        rs.getString("client"),
        rs.getString("detail"));
  }

  // ---------------------------------------------------------------- helpers

  @FunctionalInterface
  private interface Binder {
    void bind(Params params) throws SQLException;
  }

  @FunctionalInterface
  private interface RowMapper<T> {
    T map(ResultSet row) throws SQLException;
  }

  private int update(Connection c, QueryName query, Binder binder) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(queries.sql(query))) {
      binder.bind(new Params(st, dialect));
      return st.executeUpdate();
    }
  }

  /** Runs a statement returning rows (a SELECT, or a write with RETURNING), read to the end. */
  private <T> List<T> query(Connection c, QueryName query, Binder binder, RowMapper<T> mapper)
      throws SQLException {
    try (PreparedStatement st = c.prepareStatement(queries.sql(query))) {
      binder.bind(new Params(st, dialect));
      try (ResultSet rs = st.executeQuery()) {
        List<T> out = new ArrayList<>();
        while (rs.next()) {
          out.add(mapper.map(rs));
        }
        return out;
      }
    }
  }
}
