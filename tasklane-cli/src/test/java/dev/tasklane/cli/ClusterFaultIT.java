package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real server processes on one PostgreSQL schema take 5,000 tasks while one of them is
 * killed with SIGKILL three times and PostgreSQL itself restarts once. Every acknowledged task
 * must end {@code succeeded}, exactly once in the table, recorded by the run that held its current
 * fencing token.
 */
class ClusterFaultIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int TASKS = 5_000;
  private static final int NODES = 3;

  @TempDir Path dir;

  @Test
  void everyAcceptedTaskSucceedsThroughNodeKillsAndADatabaseRestart() throws Exception {
    try (PostgresSchema schema = PostgresSchema.create()) {
      int[] ports = new int[NODES];
      AtomicReferenceArray<ServerProcess> nodes = new AtomicReferenceArray<>(NODES);
      for (int i = 0; i < NODES; i++) {
        ports[i] = ServerProcess.freePort();
        nodes.set(i, start(schema, i, ports[i]));
      }
      Set<String> acknowledged = ConcurrentHashMap.newKeySet();
      AtomicInteger next = new AtomicInteger();
      try (ExecutorService clients = Executors.newFixedThreadPool(8)) {
        List<Future<?>> submitters = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
          submitters.add(clients.submit(() -> {
            for (int i = next.getAndIncrement(); i < TASKS; i = next.getAndIncrement()) {
              acknowledged.add(submitUntilAccepted(nodes, i));
            }
            return null;
          }));
        }

        // Chaos while the cluster works: node 0 dies three times, PostgreSQL restarts once.
        awaitSucceeded(schema, 500);
        restart(schema, nodes, ports, 0);
        awaitSucceeded(schema, 1_500);
        PostgresSchema.restartServer();
        awaitSucceeded(schema, 2_500);
        restart(schema, nodes, ports, 0);
        awaitSucceeded(schema, 3_500);
        restart(schema, nodes, ports, 0);

        for (Future<?> f : submitters) {
          f.get();
        }
      }
      assertThat(acknowledged).hasSize(TASKS);
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
          .until(() -> countByState(schema).getOrDefault("succeeded", 0L) == TASKS);

      Map<String, Long> states = countByState(schema);
      assertThat(states).as("every task succeeded, none lost or duplicated").isEqualTo(Map.of("succeeded", (long) TASKS));
      try (Connection c = PostgresSchema.connect(); Statement s = c.createStatement();
          ResultSet rs = s.executeQuery(
              "SELECT count(*) FROM " + schema.name + ".task"
                  + " WHERE (result->>'fencing_token')::bigint <> fencing_token")) {
        rs.next();
        assertThat(rs.getLong(1)).as("tasks whose success was written by a stale run").isZero();
      }
      try (Connection c = PostgresSchema.connect(); Statement s = c.createStatement();
          ResultSet rs = s.executeQuery(
              "SELECT count(DISTINCT result->>'node') FROM " + schema.name + ".task")) {
        rs.next();
        assertThat(rs.getLong(1)).as("nodes that ran tasks").isEqualTo(NODES);
      }
      for (int i = 0; i < NODES; i++) {
        nodes.get(i).terminate(Duration.ofSeconds(30));
      }
    }
  }

  private ServerProcess start(PostgresSchema schema, int i, int port) throws Exception {
    List<String> args = new ArrayList<>(schema.serveFlags());
    args.addAll(List.of(
        "--node-id", "node-" + i, "--concurrency", "8", "--lease", "3s", "--leader-timeout", "3s",
        "--shutdown-timeout", "5s"));
    return ServerProcess.start(port, dir.resolve("node-" + i + ".log"), args);
  }

  private void restart(PostgresSchema schema, AtomicReferenceArray<ServerProcess> nodes, int[] ports, int i)
      throws Exception {
    nodes.get(i).kill();
    nodes.set(i, start(schema, i, ports[i]));
  }

  /**
   * Submits task {@code i} until a node acknowledges it, moving to the next node on a refusal or a
   * dead connection. The idempotency key makes a retry of an acknowledged-but-unanswered request
   * return the original task instead of a duplicate.
   */
  private static String submitUntilAccepted(AtomicReferenceArray<ServerProcess> nodes, int i) {
    String body = "{\"type\": \"sleep\", \"payload\": {\"seconds\": 0.05}, \"idempotency_key\": \"fault-" + i + "\"}";
    for (int attempt = 0; attempt < 2_000; attempt++) {
      ServerProcess node = nodes.get((i + attempt) % NODES);
      try {
        HttpResponse<String> r = node.post("/api/v1/tasks", body);
        if (r.statusCode() == 202 || r.statusCode() == 200) {
          return JSON.readTree(r.body()).get("id").asText();
        }
        assertThat(r.statusCode()).as(r.body()).isIn(429, 503);
      } catch (java.io.IOException e) {
        // The node is dead or restarting: try the next one.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // back off a little before the retry
    }
    throw new AssertionError("task " + i + " was never accepted");
  }

  private static void awaitSucceeded(PostgresSchema schema, long n) {
    await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
        .until(() -> countByState(schema).getOrDefault("succeeded", 0L) >= n);
  }

  private static Map<String, Long> countByState(PostgresSchema schema) throws Exception {
    Map<String, Long> out = new HashMap<>();
    try (Connection c = PostgresSchema.connectOrThrow(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT state, count(*) FROM " + schema.name + ".task GROUP BY state")) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getLong(2));
      }
    }
    return out;
  }
}
