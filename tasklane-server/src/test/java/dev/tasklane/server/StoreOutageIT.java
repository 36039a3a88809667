package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store that stops answering makes the API answer 503 with Retry-After, and recovers by itself.
 * Slow (it waits out SQLite's busy timeout), hence an IT.
 */
class StoreOutageIT {
  @TempDir Path dir;
  private ServerFixture node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void storeFailureIs503WithRetryAfterAndNoInternalsThenRecovers() throws SQLException {
    node = ServerFixture.start(dir);
    // Another process holding SQLite's write lock past the store's busy timeout: a real outage.
    try (Connection intruder =
            DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("tasklane.db"));
        Statement sql = intruder.createStatement()) {
      sql.execute("PRAGMA busy_timeout = 10000");
      sql.execute("BEGIN EXCLUSIVE");
      try {
        ServerFixture.Response r = node.post("/api/v1/tasks", "{\"type\": \"noop\"}");

        assertThat(r.status()).as(r.body()).isEqualTo(503);
        assertThat(r.header("Retry-After")).isEqualTo("5");
        assertThat(r.json())
            .isEqualTo(
                ServerFixture.JSON
                    .createObjectNode()
                    .put("detail", "The task store is unavailable; try again later"));
      } finally {
        sql.execute("ROLLBACK");
      }
    }
    assertThat(node.post("/api/v1/tasks", "{\"type\": \"noop\"}").status()).isEqualTo(202);
  }
}
