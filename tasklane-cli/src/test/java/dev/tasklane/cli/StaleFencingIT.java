package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failure that time-based rescue gets wrong in many job systems: a node freezes (SIGSTOP) past
 * its lease while running a task, the task is re-claimed and finished elsewhere, then the frozen
 * node resumes and tries to finish it too. Its late outcome must be rejected and counted, and the
 * task's record must stay exactly as the live node wrote it.
 */
class StaleFencingIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void aFrozenNodesLateCompletionIsRejectedAndTheRecordIsUntouched() throws Exception {
    try (PostgresSchema schema = PostgresSchema.create()) {
      ServerProcess a = node(schema, "node-a", "a.log");
      try (a) {
        String id = submit(a, "{\"type\": \"sleep\", \"payload\": {\"seconds\": 4}}");
        await().atMost(Duration.ofSeconds(30))
            .until(() -> task(a, id).path("lease_owner").asText().equals("node-a"));

        try (ServerProcess b = node(schema, "node-b", "b.log")) {
          a.freeze();
          // node-a's lease expires, node-b takes over leadership and the task, and finishes it.
          JsonNode done = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
              .until(() -> task(b, id), t -> t.path("state").asText().equals("succeeded"));
          assertThat(done.path("result").path("node").asText()).isEqualTo("node-b");
          assertThat(done.path("fencing_token").asLong()).isEqualTo(2);
          assertThat(done.path("result").path("fencing_token").asLong()).isEqualTo(2);
          assertThat(done.path("errors").toString()).contains("node-a");

          a.thaw();
          // node-a wakes, finds its run superseded, and discards the outcome.
          await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
              .ignoreExceptions()
              .until(() -> health(a).path("stats").path("stale_rejected").asLong() >= 1);
          assertThat(task(b, id)).isEqualTo(done);
          assertThat(health(b).path("stats").path("stale_rejected").asLong()).isZero();
        }
      }
    }
  }

  private ServerProcess node(PostgresSchema schema, String nodeId, String log) throws Exception {
    List<String> args = new ArrayList<>(schema.serveFlags());
    args.addAll(List.of(
        "--node-id", nodeId, "--lease", "2s", "--leader-timeout", "3s", "--poll-interval", "200ms"));
    return ServerProcess.start(ServerProcess.freePort(), dir.resolve(log), args);
  }

  private static String submit(ServerProcess node, String body) throws Exception {
    var r = node.post("/api/v1/tasks", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    return JSON.readTree(r.body()).get("id").asText();
  }

  private static JsonNode task(ServerProcess node, String id) throws Exception {
    return JSON.readTree(node.get("/api/v1/tasks/" + id).body());
  }

  private static JsonNode health(ServerProcess node) throws Exception {
    return JSON.readTree(node.get("/health").body());
  }
}
