package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One live process per node id, with real server processes on one PostgreSQL schema: a second
 * process asking for a held id fails to start and names the holder; a restart after SIGKILL
 * under the same id takes the id back once the dead process's registration has expired, and its
 * tasks with it; servers started without an id never share one, so neither takes the other's
 * tasks (the fault this replaced: two services on one host, each with the host name as its id,
 * re-queued each other's running tasks).
 */
class NodeIdIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private ServerProcess serve(PostgresSchema schema, String log, String... extra) throws Exception {
    List<String> args = new ArrayList<>(schema.serveFlags());
    args.addAll(List.of("--lease", "3s", "--leader-timeout", "3s", "--poll-interval", "200ms"));
    args.addAll(List.of(extra));
    return ServerProcess.start(ServerProcess.freePort(), dir.resolve(log), args);
  }

  @Test
  void aSecondLiveProcessAskingForAHeldIdFailsToStartNamingTheHolder() throws Exception {
    try (PostgresSchema schema = PostgresSchema.create();
        ServerProcess first = serve(schema, "first.log", "--node-id", "shared")) {
      assertThatThrownBy(() -> serve(schema, "second.log", "--node-id", "shared"))
          .hasStackTraceContaining("server exited with 1");
      String log = Files.readString(dir.resolve("second.log"));
      assertThat(log)
          .contains("cannot start: node id 'shared' is held by a live process: process " + first.pid());
      assertThat(log).doesNotContain("\tat ");
      assertThat(first.get("/health").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aRestartAfterSigkillUnderTheSameIdTakesItBackWithItsTasks() throws Exception {
    try (PostgresSchema schema = PostgresSchema.create()) {
      String id;
      try (ServerProcess first = serve(schema, "first.log", "--node-id", "stable")) {
        id = first.submit("{\"type\": \"sleep\", \"payload\": {\"seconds\": 60}}");
        await().atMost(Duration.ofSeconds(30)).until(() -> first.task(id).path("lease_owner").asText().equals("stable"));
        first.kill();
      }
      try (ServerProcess again = serve(schema, "again.log", "--node-id", "stable")) {
        // It took the id back (at once, or once the dead process's registration expired, had the
        // restart been quicker than a lease), then took back its task.
        await().atMost(Duration.ofSeconds(30)).until(() -> again.task(id).path("fencing_token").asLong() == 2);
        JsonNode t = again.task(id);
        assertThat(t.path("state").asText()).isEqualTo("running");
        assertThat(t.path("errors").toString()).contains("node stable restarted while running it");
        assertThat(Files.readString(dir.resolve("again.log")))
            .contains("took back 1 task(s) left running under this node's id (stable) by its previous process");
      }
    }
  }

  @Test
  void serversStartedWithoutAnIdNeverShareOneNorTakeEachOthersTasks() throws Exception {
    try (PostgresSchema schema = PostgresSchema.create();
        ServerProcess a = serve(schema, "a.log");
        ServerProcess b = serve(schema, "b.log")) {
      JsonNode nodes = JSON.readTree(a.get("/api/v1/nodes").body()).get("nodes");
      assertThat(nodes).hasSize(2);
      assertThat(nodes.get(0).get("id").asText()).isNotEqualTo(nodes.get(1).get("id").asText());
      String id = a.submit("{\"type\": \"sleep\", \"payload\": {\"seconds\": 2}}");
      await().atMost(Duration.ofSeconds(30)).until(() -> a.task(id).path("state").asText().equals("succeeded"));
      JsonNode done = b.task(id);
      assertThat(done.path("attempt").asInt()).isEqualTo(1);
      assertThat(done.path("fencing_token").asLong()).isEqualTo(1);
      assertThat(done.path("errors")).isEmpty();
    }
  }
}
