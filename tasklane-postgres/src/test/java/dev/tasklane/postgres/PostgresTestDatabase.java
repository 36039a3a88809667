package dev.tasklane.postgres;

import static org.assertj.core.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Schemas of their own on the PostgreSQL server every machine of this kind runs, for one test
 * class:
 *
 * <pre>{@code
 * @RegisterExtension static final PostgresTestDatabase DB = new PostgresTestDatabase();
 * ... PostgresTaskStore.open(DB.options()) ...
 * }</pre>
 *
 * <ul>
 *   <li>before the class: checks that the server answers, or fails the class with a message that
 *       says how to start it (never skips); picks a unique schema name, which the first store
 *       opened on it creates;
 *   <li>after each test (after the test's own {@code @AfterEach} methods, which close its stores):
 *       empties the tables of every schema the class used;
 *   <li>after the class: drops those schemas.
 * </ul>
 *
 * <p>Sessions must run in a time zone other than UTC, so that a time that takes a detour through
 * the session's zone on its way to or from the database shows up wrong. The driver sets every
 * session's {@code TimeZone} to the JVM's default zone (overriding any {@code options} of the
 * URL), and the build runs tests with {@code -Duser.timezone=Asia/Kolkata}; the class fails if
 * its sessions run at UTC all the same.
 *
 * <p>The server's URL comes from {@value #URL_VARIABLE}, by default {@value #DEFAULT_URL}.
 */
final class PostgresTestDatabase
    implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {

  static final String URL_VARIABLE = "TASKLANE_TEST_PG_URL";
  static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";

  private static final Pattern AUTHORITY =
      Pattern.compile("^jdbc:postgresql://([^/:?\\[]+)(?::(\\d+))?(?=/)");

  /** A small pool: many stores are open at once in the cluster tests. */
  static final int POOL_SIZE = 4;

  private final String url = System.getenv().getOrDefault(URL_VARIABLE, DEFAULT_URL);

  private final List<String> schemas = new CopyOnWriteArrayList<>();
  private String classSchema;

  // ---------------------------------------------------------------- JUnit

  @Override
  public void beforeAll(ExtensionContext context) throws SQLException {
    try (Connection c = connectOrFail();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT current_setting('TimeZone'),"
                    + " extract(timezone FROM timestamptz '2030-01-01 00:00:00Z')")) {
      rs.next();
      if (rs.getInt(2) == 0) {
        fail(
            "test sessions run in time zone "
                + rs.getString(1)
                + ", which is UTC in January; run the tests with -Duser.timezone=Asia/Kolkata"
                + " (the build's argLine does), so that time zone mistakes show");
      }
    }
    classSchema = newSchema(context.getRequiredTestClass().getSimpleName());
  }

  @Override
  public void afterEach(ExtensionContext context) throws SQLException {
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      List<String> untracked = new ArrayList<>();
      for (String schema : schemas) {
        untracked.addAll(tasksTrackedWrongly(c, schema));
      }
      for (String schema : schemas) {
        if (tablesExist(c, schema)) {
          st.execute(
              "TRUNCATE "
                  + String.join(
                      ", ",
                      java.util.stream.Stream.of(
                              "task", "queue", "node", "access_token", "dashboard_user",
                              "web_session", "audit_entry", "task_type", "schedule", "rate_limit", "rate_bucket", "rate_reservation")
                          .map(t -> q(schema) + "." + t)
                          .toList()));
        }
      }
      if (!untracked.isEmpty()) {
        throw new AssertionError(
            "tasks whose tracking rows (V014) disagree with their state after the test: " + untracked);
      }
    }
  }

  /**
   * Checks the invariant of V014's tracking tables, after every test of every class that uses a
   * PostgreSQL store: each task has exactly one tracking row, in the table of its state, with its
   * current queue, type and place (priority, run time, finish time), and no tracking row outlives
   * its task. Returns the offending tasks (at most 20), described.
   */
  private static List<String> tasksTrackedWrongly(Connection c, String schema) throws SQLException {
    String s = q(schema);
    try (Statement st = c.createStatement();
        ResultSet exists = st.executeQuery("SELECT to_regclass('" + s + ".task_ready') IS NOT NULL")) {
      if (!exists.next() || !exists.getBoolean(1)) {
        return List.of();
      }
    }
    String sql =
        """
        SELECT t.id || ' ' || t.state AS wrong
          FROM %1$s.task t
         WHERE (t.state = 'queued') <> EXISTS (
                   SELECT 1 FROM %1$s.task_ready r
                    WHERE r.id = t.id AND r.queue = t.queue AND r.type = t.type
                      AND r.priority = t.priority AND r.run_at = t.run_at)
            OR (t.state = 'scheduled') <> EXISTS (
                   SELECT 1 FROM %1$s.task_due d
                    WHERE d.id = t.id AND d.queue = t.queue AND d.type = t.type
                      AND d.run_at = t.run_at)
            OR (t.state = 'running') <> EXISTS (
                   SELECT 1 FROM %1$s.task_running r
                    WHERE r.id = t.id AND r.queue = t.queue AND r.type = t.type)
            OR (t.state IN ('succeeded', 'failed', 'cancelled')) <> EXISTS (
                   SELECT 1 FROM %1$s.task_done d
                    WHERE d.id = t.id AND d.queue = t.queue AND d.type = t.type
                      AND d.state = t.state AND d.finished_at = t.finished_at)
        UNION ALL
        SELECT id || ' in task_done twice' FROM %1$s.task_done GROUP BY id HAVING count(*) > 1
        UNION ALL
        SELECT x.id || ' tracked without a task'
          FROM (SELECT id FROM %1$s.task_ready UNION ALL SELECT id FROM %1$s.task_due
                UNION ALL SELECT id FROM %1$s.task_running UNION ALL SELECT id FROM %1$s.task_done) x
         WHERE NOT EXISTS (SELECT 1 FROM %1$s.task t WHERE t.id = x.id)
         LIMIT 20
        """
            .formatted(s);
    List<String> wrong = new ArrayList<>();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        wrong.add(schema + ": " + rs.getString(1));
      }
    }
    return wrong;
  }

  @Override
  public void afterAll(ExtensionContext context) throws SQLException {
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      for (String schema : schemas) {
        st.execute("DROP SCHEMA IF EXISTS " + q(schema) + " CASCADE");
      }
    }
  }

  // ---------------------------------------------------------------- for tests

  /** The class's schema (it exists once a store has been opened on it). */
  String schema() {
    return classSchema;
  }

  /** Options for the class's schema. */
  PostgresOptions options() {
    return options(classSchema);
  }

  /** Options for {@code schema} of the test database. */
  PostgresOptions options(String schema) {
    return PostgresOptions.of(url).withSchema(schema).withPoolSize(POOL_SIZE);
  }

  /**
   * A fresh schema name, emptied after each test and dropped after the class like the class's own.
   * Nothing is created: the first store opened on it creates it.
   */
  String newSchema(String hint) {
    String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    String base = "tl_" + hint.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    String name = base.substring(0, Math.min(base.length(), 50)) + "_" + suffix;
    schemas.add(name);
    return name;
  }

  /** Registers a schema a test created under a name of its own, to be dropped with the others. */
  void dropAfterwards(String schema) {
    schemas.add(schema);
  }

  /** The URL stores and connections of the tests use. */
  String url() {
    return url;
  }

  /** The server's host, from the URL. */
  String host() {
    return authority().group(1);
  }

  /** The server's port, from the URL (5432 if it names none). */
  int port() {
    String port = authority().group(2);
    return port == null ? 5432 : Integer.parseInt(port);
  }

  /** The test URL, with {@code port} on the loopback interface in place of the server. */
  String urlThroughPort(int port) {
    Matcher m = authority();
    return url.substring(0, m.start(1)) + "127.0.0.1:" + port + url.substring(m.end());
  }

  private Matcher authority() {
    Matcher m = AUTHORITY.matcher(url);
    if (!m.find()) {
      throw new IllegalStateException("cannot find host and port in " + url);
    }
    return m;
  }

  /** A plain connection in auto-commit mode (search path: the server's default). */
  Connection connect() throws SQLException {
    return DriverManager.getConnection(url);
  }

  /** The single number {@code sql} returns. */
  long queryLong(String sql) throws SQLException {
    try (Connection c = connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      if (!rs.next()) {
        throw new AssertionError("no row from " + sql);
      }
      return rs.getLong(1);
    }
  }

  /** The single text {@code sql} returns. */
  String queryString(String sql) throws SQLException {
    try (Connection c = connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      if (!rs.next()) {
        throw new AssertionError("no row from " + sql);
      }
      return rs.getString(1);
    }
  }

  /** Runs {@code sql} on a connection of its own. */
  void execute(String sql) throws SQLException {
    try (Connection c = connect();
        Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  /** {@code schema}, double-quoted. */
  static String q(String schema) {
    return '"' + schema + '"';
  }

  // ---------------------------------------------------------------- helpers

  private Connection connectOrFail() {
    try {
      return connect();
    } catch (SQLException e) {
      return fail(
          "PostgreSQL is not reachable at "
              + url
              + " ("
              + e.getMessage()
              + "). Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql)"
              + " main start (or point "
              + URL_VARIABLE
              + " at another server)");
    }
  }

  private static boolean tablesExist(Connection c, String schema) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT to_regclass('" + q(schema) + ".audit_entry') IS NOT NULL")) {
      return rs.next() && rs.getBoolean(1);
    }
  }
}
