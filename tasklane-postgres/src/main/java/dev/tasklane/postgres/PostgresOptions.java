package dev.tasklane.postgres;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How to reach the PostgreSQL database of a {@link PostgresTaskStore}, and how to use it.
 *
 * <pre>{@code
 * PostgresOptions options =
 *     PostgresOptions.of("jdbc:postgresql://db:5432/app")
 *         .withUser("tasklane")
 *         .withPassword(secret)
 *         .withSchema("tasklane");
 * }</pre>
 *
 * @param jdbcUrl a {@code jdbc:postgresql:} URL; its parameters (user, password, ssl, ...) are
 *     passed to the driver
 * @param user the database user; {@code null} to take it from the URL
 * @param password the user's password; {@code null} to take it from the URL (or need none)
 * @param schema the schema holding Tasklane's tables, created by the store if missing; default
 *     {@value #DEFAULT_SCHEMA}. Letters, digits and underscores, not starting with a digit or
 *     {@code pg_}, at most 63 characters; used exactly as given (case-sensitive), never
 *     case-folded. Nodes of one cluster share a schema; clusters on separate schemas of one
 *     database are independent (own tables, own leader, own wake-ups).
 * @param poolSize connections in the store's pool, from 1 to {@value #MAX_POOL_SIZE}; default
 *     {@value #DEFAULT_POOL_SIZE}. Wake-ups and leader election each hold one more connection of
 *     their own.
 * @param listen whether idle nodes are woken by {@code LISTEN}/{@code NOTIFY} when work becomes
 *     ready (default {@value #DEFAULT_LISTEN}); {@code false} leaves them to their poll interval.
 *     Turn it off behind a connection pooler in transaction mode (PgBouncer), where a session's
 *     {@code LISTEN} does not survive its transaction. Leader election holds a session-level
 *     advisory lock, so its connection too should reach PostgreSQL directly or through session
 *     pooling.
 * @param leaderTimeout how long the leader's session may stay silent before PostgreSQL ends it
 *     ({@code idle_session_timeout}), handing the lead to another node; this is what makes a
 *     frozen leader (a stopped process, a long GC pause) give up the lead. Default {@link
 *     #DEFAULT_LEADER_TIMEOUT}; at least 1 s. The leader confirms its lead more often than this.
 * @param timeout the longest the store waits for the database: for a connection from the pool,
 *     to connect, and for any answer on a connection (pgjdbc's {@code socketTimeout}). A call that
 *     waits longer fails with a {@link dev.tasklane.StoreException} whose {@code unavailable()}
 *     is true, so that a node behind a silent network partition answers (503) instead of hanging.
 *     Default {@link #DEFAULT_TIMEOUT}; at least 1 s. Statements of the store are short; a
 *     migration runs without it
 * @param clock replaces the database's clock for leases and heartbeats, in tests only; {@code null}
 *     (the default) for the database's
 */
public record PostgresOptions(
    String jdbcUrl,
    String user,
    String password,
    String schema,
    int poolSize,
    boolean listen,
    Duration leaderTimeout,
    Duration timeout,
    InstantSource clock) {

  /** The schema used unless {@link #withSchema} says otherwise. */
  public static final String DEFAULT_SCHEMA = "public";

  /** The pool size used unless {@link #withPoolSize} says otherwise. */
  public static final int DEFAULT_POOL_SIZE = 10;

  /** The largest pool size accepted. */
  public static final int MAX_POOL_SIZE = 1000;

  /** Whether {@code LISTEN}/{@code NOTIFY} wake-ups are on unless {@link #withListen} says so. */
  public static final boolean DEFAULT_LISTEN = true;

  /** The timeout used unless {@link #withTimeout} says otherwise. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  /** How long a silent leader keeps the lead unless {@link #withLeaderTimeout} says otherwise. */
  public static final Duration DEFAULT_LEADER_TIMEOUT = Duration.ofSeconds(15);

  private static final String URL_PREFIX = "jdbc:postgresql:";

  /** PostgreSQL truncates longer identifiers (NAMEDATALEN - 1 bytes). */
  private static final int MAX_IDENTIFIER_BYTES = 63;

  private static final Pattern SCHEMA_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /**
   * Validates every field.
   *
   * @throws NullPointerException if {@code jdbcUrl} or {@code schema} is null
   * @throws IllegalArgumentException if the URL is not a PostgreSQL JDBC URL, the schema name is
   *     not acceptable, or the pool size is outside 1..{@value #MAX_POOL_SIZE}
   */
  public PostgresOptions {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    if (!jdbcUrl.startsWith(URL_PREFIX)) {
      throw new IllegalArgumentException(
          "not a PostgreSQL JDBC URL (expected "
              + URL_PREFIX
              + "//host:port/database): "
              + redact(jdbcUrl));
    }
    requireSchemaName(schema);
    Objects.requireNonNull(leaderTimeout, "leaderTimeout");
    if (leaderTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("leaderTimeout must be at least 1s: " + leaderTimeout);
    }
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("timeout must be at least 1s: " + timeout);
    }
    if (poolSize < 1 || poolSize > MAX_POOL_SIZE) {
      throw new IllegalArgumentException(
          "poolSize must be between 1 and " + MAX_POOL_SIZE + ": " + poolSize);
    }
  }

  /**
   * Options for {@code jdbcUrl} with every default: credentials from the URL, schema {@value
   * #DEFAULT_SCHEMA}, {@value #DEFAULT_POOL_SIZE} connections, wake-ups on.
   *
   * @throws IllegalArgumentException if {@code jdbcUrl} is not a PostgreSQL JDBC URL
   */
  public static PostgresOptions of(String jdbcUrl) {
    return new PostgresOptions(
        jdbcUrl,
        null,
        null,
        DEFAULT_SCHEMA,
        DEFAULT_POOL_SIZE,
        DEFAULT_LISTEN,
        DEFAULT_LEADER_TIMEOUT,
        DEFAULT_TIMEOUT,
        null);
  }

  /** These options with another URL. */
  public PostgresOptions withJdbcUrl(String value) {
    return new PostgresOptions(value, user, password, schema, poolSize, listen, leaderTimeout, timeout, clock);
  }

  /** These options with another user; {@code null} takes it from the URL. */
  public PostgresOptions withUser(String value) {
    return new PostgresOptions(jdbcUrl, value, password, schema, poolSize, listen, leaderTimeout, timeout, clock);
  }

  /** These options with another password; {@code null} takes it from the URL. */
  public PostgresOptions withPassword(String value) {
    return new PostgresOptions(jdbcUrl, user, value, schema, poolSize, listen, leaderTimeout, timeout, clock);
  }

  /**
   * These options with another schema.
   *
   * @throws IllegalArgumentException if the name is not acceptable (see the record's docs)
   */
  public PostgresOptions withSchema(String value) {
    return new PostgresOptions(jdbcUrl, user, password, value, poolSize, listen, leaderTimeout, timeout, clock);
  }

  /**
   * These options with another pool size.
   *
   * @throws IllegalArgumentException if {@code value} is outside 1..{@value #MAX_POOL_SIZE}
   */
  public PostgresOptions withPoolSize(int value) {
    return new PostgresOptions(jdbcUrl, user, password, schema, value, listen, leaderTimeout, timeout, clock);
  }

  /** These options with wake-ups by {@code LISTEN}/{@code NOTIFY} on or off. */
  public PostgresOptions withListen(boolean value) {
    return new PostgresOptions(jdbcUrl, user, password, schema, poolSize, value, leaderTimeout, timeout, clock);
  }

  /**
   * These options with another leader timeout.
   *
   * @throws IllegalArgumentException if {@code value} is under 1 s
   */
  public PostgresOptions withLeaderTimeout(Duration value) {
    return new PostgresOptions(jdbcUrl, user, password, schema, poolSize, listen, value, timeout, clock);
  }

  /**
   * These options with another timeout.
   *
   * @throws IllegalArgumentException if {@code value} is under 1 s
   */
  public PostgresOptions withTimeout(Duration value) {
    return new PostgresOptions(
        jdbcUrl, user, password, schema, poolSize, listen, leaderTimeout, value, clock);
  }

  /**
   * These options with the store's clock replaced, for tests that move time; {@code null} (the
   * default) uses the database's clock. Never set it in production: leases and heartbeats of
   * every node must be measured by the one clock of the database.
   */
  public PostgresOptions withClock(InstantSource value) {
    return new PostgresOptions(
        jdbcUrl, user, password, schema, poolSize, listen, leaderTimeout, timeout, value);
  }

  /** Never shows the password, nor the URL's query string (which may carry one). */
  @Override
  public String toString() {
    return "PostgresOptions[jdbcUrl="
        + redact(jdbcUrl)
        + ", user="
        + user
        + ", password="
        + (password == null ? null : "****")
        + ", schema="
        + schema
        + ", poolSize="
        + poolSize
        + ", listen="
        + listen
        + ", timeout="
        + timeout
        + (clock == null ? "" : ", clock=" + clock)
        + "]";
  }

  /**
   * Checks a schema name (see the record's docs).
   *
   * @throws NullPointerException if {@code schema} is null
   * @throws IllegalArgumentException if it is not acceptable
   */
  static String requireSchemaName(String schema) {
    Objects.requireNonNull(schema, "schema");
    if (!SCHEMA_NAME.matcher(schema).matches()) {
      throw new IllegalArgumentException(
          "schema must be letters, digits and underscores, not starting with a digit: '"
              + schema
              + "'");
    }
    if (schema.getBytes(StandardCharsets.UTF_8).length > MAX_IDENTIFIER_BYTES) {
      throw new IllegalArgumentException(
          "schema must be at most " + MAX_IDENTIFIER_BYTES + " characters: '" + schema + "'");
    }
    if (schema.toLowerCase(Locale.ROOT).startsWith("pg_")) {
      throw new IllegalArgumentException(
          "schema names starting with pg_ are reserved by PostgreSQL: '" + schema + "'");
    }
    return schema;
  }

  /** The URL without its query string, which may carry a password. */
  static String redact(String jdbcUrl) {
    int query = jdbcUrl.indexOf('?');
    return query < 0 ? jdbcUrl : jdbcUrl.substring(0, query) + "?...";
  }
}
