package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tasklane.testkit.TcpProxy;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node cut off from PostgreSQL by a silent network (packets dropped, not refused): a real server
 * process reaches the database through an in-test proxy that black-holes its traffic. Submissions
 * must answer 503 with Retry-After within the documented bound (about twice {@code --db-timeout})
 * instead of hanging; handlers already running keep running; when the network heals, their
 * outcomes are written and new work is accepted, with nothing lost and nothing run twice, as the
 * execution log the handlers wrote shows.
 */
class NetworkPartitionIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration DB_TIMEOUT = Duration.ofSeconds(2);

  @TempDir Path dir;

  @Test
  void aSilentPartitionIsAnsweredWith503InBoundedTimeAndEverythingResumesWhenItHeals() throws Exception {
    Path executions = dir.resolve("executions.jsonl");
    try (PostgresSchema schema = PostgresSchema.create();
        TcpProxy network = TcpProxy.to("127.0.0.1", 5432).start()) {
      List<String> args = new ArrayList<>(schema.serveFlagsThrough(network));
      args.addAll(List.of(
          "--db-timeout", DB_TIMEOUT.toSeconds() + "s",
          "--lease", "30s",
          "--concurrency", "4",
          "--node-id", "cut-off",
          "--execution-log", executions.toString()));
      try (ServerProcess node = ServerProcess.start(ServerProcess.freePort(), dir.resolve("node.log"), args)) {
        List<String> running = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          running.add(accept(node, "{\"type\": \"sleep\", \"payload\": {\"seconds\": 4}}"));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> ExecutionHistory.read(executions).runs().size() == 4);

        network.blackHole();
        Instant cut = Instant.now();

        long before = System.nanoTime();
        HttpResponse<String> refused =
            node.post("/api/v1/tasks", "{\"type\": \"sleep\", \"payload\": {\"seconds\": 0}}");
        Duration answeredIn = Duration.ofNanos(System.nanoTime() - before);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        assertThat(answeredIn).as("answered within about twice --db-timeout").isLessThan(DB_TIMEOUT.multipliedBy(2).plusSeconds(2));
        HttpResponse<String> health = node.get("/health");
        assertThat(health.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(health.body()).path("database").asText()).isEqualTo("down");

        // The handlers run on: all four end while the network is still silent.
        await().atMost(Duration.ofSeconds(30)).until(() ->
            ExecutionHistory.read(executions).runs().stream().filter(r -> r.end() != null).count() == 4);
        assertThat(Duration.between(cut, Instant.now())).as("still within the lease").isLessThan(Duration.ofSeconds(20));

        network.heal();

        // Their outcomes, held back meanwhile, are written; new work is accepted again.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
            .until(() -> {
              for (String id : running) {
                if (!state(node, id).equals("succeeded")) {
                  return false;
                }
              }
              return true;
            });
        String after = await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
            .until(() -> accept(node, "{\"type\": \"sleep\", \"payload\": {\"seconds\": 0}}"), id -> id != null);
        await().atMost(Duration.ofSeconds(30)).until(() -> state(node, after).equals("succeeded"));
        ExecutionHistory history = ExecutionHistory.read(executions);
        for (String id : running) {
          assertThat(history.byTask().get(id)).as("task %s ran once", id).hasSize(1);
          JsonNode task = JSON.readTree(node.get("/api/v1/tasks/" + id).body());
          assertThat(task.get("attempt").asInt()).isEqualTo(1);
          assertThat(task.get("errors")).isEmpty();
        }
        assertThat(history.overlaps(Instant.now())).isEmpty();
        assertThat(node.terminate(Duration.ofSeconds(30))).isIn(0, 143);
      }
    }
  }

  private static String accept(ServerProcess node, String body) throws Exception {
    HttpResponse<String> r = node.post("/api/v1/tasks", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return JSON.readTree(r.body()).get("id").asText();
  }

  private static String state(ServerProcess node, String id) throws Exception {
    return JSON.readTree(node.get("/api/v1/tasks/" + id).body()).get("state").asText();
  }
}
