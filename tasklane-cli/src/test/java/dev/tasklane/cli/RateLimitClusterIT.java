package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real server processes on one PostgreSQL schema run a queue limited to 5 starts per second
 * (burst 1), and one of them is killed with SIGKILL while they do. The handlers' execution logs,
 * merged, must show the limit held across the cluster: in any stretch {@code t}, at most {@code 2 +
 * t / 200 ms} starts (one interval allowed between a start's decision and its handler's first
 * line, which on a loaded machine with three JVMs and the database reaches 100 ms), every task
 * ran, and the killed node had run some of them.
 */
class RateLimitClusterIT {
  private static final int NODES = 3;
  private static final int TASKS = 40;
  private static final long INTERVAL_MS = 200;

  @TempDir(cleanup = org.junit.jupiter.api.io.CleanupMode.ON_SUCCESS) Path dir;

  @Test
  void aQueuesRateLimitHoldsAcrossTheClusterThroughANodeKill() throws Exception {
    try (PostgresSchema schema = PostgresSchema.create()) {
      ServerProcess[] nodes = new ServerProcess[NODES];
      try {
        for (int i = 0; i < NODES; i++) {
          nodes[i] = start(schema, i, ServerProcess.freePort());
        }
        // Warm every node up first (each runs a task), so that no start below waits for classes to load.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
          for (ServerProcess n : nodes) {
            n.submit("{\"type\": \"sleep\", \"queue\": \"warm\", \"payload\": {\"seconds\": 0.05}}");
          }
          return ranOn("node-0") > 0 && ranOn("node-1") > 0 && ranOn("node-2") > 0;
        });
        HttpResponse<String> set =
            HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes[1].port() + "/api/v1/rate-limits/queue/partner"))
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"limit\": 5, \"per\": 1, \"burst\": 1}"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
        Thread.sleep(1_500); // every node's maintenance tick (a second) has read the limit
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < TASKS; i++) {
          ids.add(nodes[i % NODES].submit("{\"type\": \"sleep\", \"queue\": \"partner\", \"payload\": {\"seconds\": 0.01}}"));
        }
        long warmRuns = ranOn("node-0");
        await().atMost(Duration.ofSeconds(60)).until(() -> ranOn("node-0") >= warmRuns + 3);
        nodes[0].kill();
        Instant killedAt = Instant.now();
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
            .until(() -> succeeded(schema) == TASKS);
        nodes[1].terminate(Duration.ofSeconds(30));
        nodes[2].terminate(Duration.ofSeconds(30));

        ExecutionHistory history = ExecutionHistory.read(executionLogs());
        java.util.Set<String> limited = java.util.Set.copyOf(ids);
        List<Instant> starts =
            history.runs().stream().filter(r -> limited.contains(r.task())).map(ExecutionHistory.Run::start).sorted().toList();
        for (int i = 0; i < starts.size(); i++) {
          for (int j = i; j < starts.size(); j++) {
            long stretch = Duration.between(starts.get(i), starts.get(j)).toMillis();
            assertThat(j - i + 1L).as("starts within %d ms", stretch).isLessThanOrEqualTo(2 + stretch / INTERVAL_MS);
          }
        }
        for (String id : ids) {
          assertThat(history.byTask().get(id)).as("task %s ran", id).isNotEmpty();
        }
        assertThat(history.runs().stream().filter(r -> limited.contains(r.task()) && r.node().equals("node-0") && r.start().isBefore(killedAt)))
            .as("the killed node ran tasks under the limit").isNotEmpty();
        assertThat(history.runs().stream().filter(r -> r.start().isAfter(killedAt))).as("the others went on").isNotEmpty();
        assertThat(history.overlaps(killedAt)).isEmpty();
      } finally {
        for (ServerProcess n : nodes) {
          if (n != null) {
            n.close();
          }
        }
      }
    }
  }

  private ServerProcess start(PostgresSchema schema, int i, int port) throws Exception {
    List<String> args = new ArrayList<>(schema.serveFlags());
    args.addAll(List.of(
        "--node-id", "node-" + i, "--concurrency", "8", "--lease", "3s", "--leader-timeout", "3s",
        "--shutdown-timeout", "5s",
        "--execution-log", dir.resolve("node-" + i + ".executions.jsonl").toString()));
    return ServerProcess.start(port, dir.resolve("node-" + i + ".log"), args);
  }

  private Path[] executionLogs() {
    Path[] out = new Path[NODES];
    for (int i = 0; i < NODES; i++) {
      out[i] = dir.resolve("node-" + i + ".executions.jsonl");
    }
    return out;
  }

  private long ranOn(String node) throws Exception {
    return ExecutionHistory.read(executionLogs()).runs().stream().filter(r -> r.node().equals(node)).count();
  }

  private static long succeeded(PostgresSchema schema) throws Exception {
    try (Connection c = PostgresSchema.connectOrThrow();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM " + schema.name + ".task WHERE state = 'succeeded' AND queue = 'partner'")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
