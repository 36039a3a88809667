package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.tasklane.postgres.PostgresOptions;
import dev.tasklane.postgres.PostgresTaskStore;
import dev.tasklane.server.access.AccessConfig;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on one PostgreSQL schema: a token made through one works on the other, and once
 * revoked through one it stops working on the other within {@link
 * AccessConfig#CREDENTIAL_CACHE_TTL}, the bound the README states.
 */
class ClusterRevocationTest {
  private static final String PG_URL =
      System.getenv().getOrDefault(
          "TASKLANE_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/test?user=postgres");

  @TempDir Path dirA;
  @TempDir Path dirB;
  private final String schema =
      "tl_revoke_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  private ServerFixture a;
  private ServerFixture b;

  @AfterEach
  void stop() throws Exception {
    if (a != null) {
      a.close();
    }
    if (b != null) {
      b.close();
    }
    try (Connection c = DriverManager.getConnection(PG_URL);
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
  }

  private ServerFixture node(Path dir, String id) {
    return ServerFixture.start(
        dir,
        w -> w.nodeId(id),
        d -> PostgresTaskStore.open(PostgresOptions.of(PG_URL).withSchema(schema).withPoolSize(4)),
        "postgres");
  }

  @Test
  void aTokenRevokedOnOneNodeStopsWorkingOnTheOtherWithinTheStatedBound() {
    a = node(dirA, "node-a");
    b = node(dirB, "node-b");
    String admin = a.token("admin", dev.tasklane.server.access.Role.ADMIN);
    String reader =
        a.send("POST", "/api/v1/tokens", admin, "{\"name\": \"dash\", \"role\": \"reader\"}").json().get("token").asText();

    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> b.get("/api/v1/tasks").status() == 401); // b has seen that credentials exist
    assertThat(b.send("GET", "/api/v1/tasks", reader, null).status()).isEqualTo(200);

    assertThat(a.send("DELETE", "/api/v1/tokens/dash", admin, null).status()).isEqualTo(200);
    Instant revoked = Instant.now();
    assertThat(a.send("GET", "/api/v1/tasks", reader, null).status()).as("at once where revoked").isEqualTo(401);

    await()
        .atMost(AccessConfig.CREDENTIAL_CACHE_TTL.plusSeconds(2))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> b.send("GET", "/api/v1/tasks", reader, null).status() == 401);
    assertThat(Duration.between(revoked, Instant.now()))
        .isLessThanOrEqualTo(AccessConfig.CREDENTIAL_CACHE_TTL.plusSeconds(2));
  }
}
