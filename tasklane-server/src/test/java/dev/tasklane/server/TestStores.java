package dev.tasklane.server;

import dev.tasklane.postgres.PostgresOptions;
import dev.tasklane.postgres.PostgresTaskStore;
import dev.tasklane.spi.TaskStore;
import dev.tasklane.sqlite.SqliteTaskStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The two real stores for tests that run on both: a SQLite file in the test's folder, or a
 * PostgreSQL schema of the test's own on the local server, dropped by {@link #close()}.
 */
final class TestStores implements AutoCloseable {
  static final String PG_URL =
      System.getenv().getOrDefault(
          "TASKLANE_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

  private String schema;

  /** The names {@link #opener} takes, for {@code @MethodSource}. */
  static Stream<String> names() {
    return Stream.of("sqlite", "postgres");
  }

  /** Opens the named store over the test's folder; a PostgreSQL one gets a fresh schema. */
  Function<Path, TaskStore> opener(String store, String schemaPrefix) {
    if (store.equals("sqlite")) {
      return d -> SqliteTaskStore.open(d.resolve("tasklane.db"));
    }
    schema = schemaPrefix + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    String s = schema;
    return d -> PostgresTaskStore.open(PostgresOptions.of(PG_URL).withSchema(s).withPoolSize(4));
  }

  @Override
  public void close() throws SQLException {
    if (schema != null) {
      try (Connection c = DriverManager.getConnection(PG_URL);
          Statement s = c.createStatement()) {
        s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
      }
    }
  }
}
