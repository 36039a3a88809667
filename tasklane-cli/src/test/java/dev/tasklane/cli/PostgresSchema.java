package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.fail;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;

/**
 * A throw-away schema on the PostgreSQL server every machine of this kind runs, for tests that
 * start real server processes on it. Dropped on close.
 */
final class PostgresSchema implements AutoCloseable {
  static final String URL =
      System.getenv().getOrDefault(
          "TASKLANE_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

  final String name;

  private PostgresSchema(String name) {
    this.name = name;
  }

  static PostgresSchema create() {
    String name = "tl_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + name);
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    return new PostgresSchema(name);
  }

  /** A connection, or a failed test that says how to start PostgreSQL. */
  static Connection connect() {
    try {
      return connectOrThrow();
    } catch (SQLException e) {
      fail(
          "PostgreSQL is not reachable at "
              + URL
              + " ("
              + e.getMessage()
              + "). Start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
              + " (or point TASKLANE_TEST_PG_URL at another server)");
      throw new AssertionError("unreachable");
    }
  }

  /** A connection, or the driver's exception (for polls that expect outages). */
  static Connection connectOrThrow() throws SQLException {
    return DriverManager.getConnection(URL);
  }

  /** The {@code serve} flags that put a node on this schema. */
  List<String> serveFlags() {
    return List.of("--store", "postgres", "--db-url", URL, "--db-schema", name);
  }

  /** The {@code serve} flags that put a node on this schema, reaching the database through {@code proxy}. */
  List<String> serveFlagsThrough(dev.tasklane.testkit.TcpProxy proxy) {
    return List.of(
        "--store", "postgres",
        "--db-url", URL.replace("127.0.0.1:5432", "127.0.0.1:" + proxy.port()),
        "--db-schema", name);
  }

  /** Restarts the PostgreSQL server itself (the cluster every machine of this kind runs). */
  static void restartServer() throws Exception {
    String version;
    try (var versions = java.nio.file.Files.list(java.nio.file.Path.of("/etc/postgresql"))) {
      version = versions.map(p -> p.getFileName().toString()).sorted().reduce((a, b) -> b).orElseThrow();
    }
    Process p = new ProcessBuilder("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart")
        .redirectErrorStream(true)
        .start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IllegalStateException("restarting PostgreSQL failed: " + out);
    }
  }

  @Override
  public void close() {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
  }
}
