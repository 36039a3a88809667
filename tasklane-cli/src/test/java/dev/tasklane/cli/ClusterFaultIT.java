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
 * killed with SIGKILL three times, another is frozen (SIGSTOP) past its leases until the fencing
 * path is taken, and PostgreSQL itself restarts once. Every acknowledged task must end {@code
 * succeeded}, exactly once in the table, recorded by the run that held its current fencing token;
 * the handlers' execution logs must show every task ran, and that stale runs existed whose writes
 * the database's compare-and-set refused.
 */
class ClusterFaultIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int TASKS = 5_000;
  private static final int NODES = 3;

  @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS) Path dir;

  @Test
  void everyAcceptedTaskSucceedsThroughNodeKillsAndADatabaseRestart() throws Exception {
    try (PostgresSchema schema = PostgresSchema.create()) {
      int[] ports = new int[NODES];
      AtomicReferenceArray<ServerProcess> nodes = new AtomicReferenceArray<>(NODES);
      for (int i = 0; i < NODES; i++) {
        ports[i] = ServerProcess.freePort();
        nodes.set(i, start(schema, i, ports[i]));
      }
      try {
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
        // Then a node freezes mid-run past its leases, and thaws once another node has taken over.
        freezeUntilAStaleWriteIsRefused(schema, nodes);
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
        ExecutionHistory history = ExecutionHistory.read(executionLogs());
        Map<String, List<ExecutionHistory.Run>> runs = history.byTask();
        for (String id : acknowledged) {
          assertThat(runs.get(id)).as("task %s ran", id).isNotEmpty();
        }
        // The fencing path was taken: runs that had lost their task to a newer run finished, and
        // the database refused what they wrote.
        Map<String, Long> finalTokens = fencingTokens(schema);
        long staleRunsThatFinished =
            history.runs().stream()
                .filter(r -> r.end() != null && r.fencingToken() < finalTokens.getOrDefault(r.task(), 0L))
                .count();
        assertThat(staleRunsThatFinished).as("stale runs that ran to their end").isPositive();
        assertThat(health(nodes.get(1)).path("stats").path("stale_refused_by_store").asLong())
            .as("stale writes the database refused")
            .isPositive();
        for (int i = 0; i < NODES; i++) {
          nodes.get(i).terminate(Duration.ofSeconds(30));
        }
      } finally {
        for (int i = 0; i < NODES; i++) {
          nodes.get(i).close(); // killed, should the test have failed before it stopped them
        }
      }
    }
  }

  /**
   * Has node 1 run tasks of two seconds, freezes it mid-run until another node has taken over one
   * of its runs, then thaws it: its runs end and try to write. Repeated until one such write
   * reached the database and was refused there (a run may instead learn of the loss first and
   * discard its outcome).
   */
  private void freezeUntilAStaleWriteIsRefused(
      PostgresSchema schema, AtomicReferenceArray<ServerProcess> nodes) throws Exception {
    ServerProcess node = nodes.get(1);
    for (int round = 0; round < 6; round++) {
      for (int i = 0; i < 8; i++) {
        HttpResponse<String> r =
            node.post("/api/v1/tasks", "{\"type\": \"sleep\", \"payload\": {\"seconds\": 2}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      }
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() ->
          ExecutionHistory.read(executionLogs()).runs().stream()
              .anyMatch(r -> r.end() == null && r.node().equals("node-1")));
      node.freeze();
      try {
        // Frozen until another node has taken over one of the runs it holds: that run is stale.
        List<ExecutionHistory.Run> held =
            ExecutionHistory.read(executionLogs()).runs().stream()
                .filter(r -> r.end() == null && r.node().equals("node-1"))
                .toList();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
            .until(() -> {
              Map<String, Long> tokens = fencingTokens(schema);
              return held.stream().anyMatch(r -> tokens.getOrDefault(r.task(), 0L) > r.fencingToken());
            });
      } finally {
        node.thaw();
      }
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
          .until(() -> health(node).path("stats").path("stale_rejected").asLong() >= 1);
      if (health(node).path("stats").path("stale_refused_by_store").asLong() >= 1) {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
            .until(() -> countByState(schema).getOrDefault("succeeded", 0L) == countByState(schema).values().stream().mapToLong(Long::longValue).sum());
        return;
      }
    }
    throw new AssertionError("no stale write reached the database in 6 freezes");
  }

  private java.nio.file.Path[] executionLogs() {
    java.nio.file.Path[] out = new java.nio.file.Path[NODES];
    for (int i = 0; i < NODES; i++) {
      out[i] = dir.resolve("node-" + i + ".executions.jsonl");
    }
    return out;
  }

  private static com.fasterxml.jackson.databind.JsonNode health(ServerProcess node) throws Exception {
    return JSON.readTree(node.get("/health").body());
  }

  private static Map<String, Long> fencingTokens(PostgresSchema schema) throws Exception {
    return longsByKey("SELECT id, fencing_token FROM " + schema.name + ".task");
  }

  private ServerProcess start(PostgresSchema schema, int i, int port) throws Exception {
    List<String> args = new ArrayList<>(schema.serveFlags());
    args.addAll(List.of(
        "--node-id", "node-" + i, "--concurrency", "8", "--lease", "3s", "--leader-timeout", "3s",
        "--shutdown-timeout", "5s",
        "--execution-log", dir.resolve("node-" + i + ".executions.jsonl").toString()));
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
    return longsByKey("SELECT state, count(*) FROM " + schema.name + ".task GROUP BY state");
  }

  /** The rows of a two-column query, a text key and a number, as a map. */
  private static Map<String, Long> longsByKey(String sql) throws Exception {
    Map<String, Long> out = new HashMap<>();
    try (Connection c = PostgresSchema.connectOrThrow(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.put(rs.getString(1), rs.getLong(2));
      }
    }
    return out;
  }
}
