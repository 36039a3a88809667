package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.server.builtin.BuiltinTasks;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The seed article's endpoints, answered as FastAPI would and run for real. */
class SeedApiTest {
  @TempDir Path dir;
  private ServerFixture node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void submittedSeedTaskSucceedsWithItsResultAndLogsProcessed() {
    node = ServerFixture.start(dir, b -> b, Duration.ofMillis(50));
    try (LogCapture log = LogCapture.of(BuiltinTasks.class)) {
      ServerFixture.Response r = node.post("/submit-task", "{\"data\": \"hello\"}");

      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().get("status").asText()).isEqualTo("Task queued");
      String id = r.json().get("task_id").asText();
      assertThat(UUID.fromString(id)).isNotNull();

      JsonNode task = node.awaitState(id, "succeeded");
      assertThat(task.get("type").asText()).isEqualTo("process_task");
      assertThat(task.get("queue").asText()).isEqualTo("default");
      assertThat(task.get("priority").asInt()).isEqualTo(1);
      assertThat(task.get("payload")).isEqualTo(json("{\"data\":\"hello\",\"priority\":1}"));
      assertThat(task.get("result")).isEqualTo(json("{\"processed\":\"hello\"}"));
      assertThat(task.get("progress").asInt()).isEqualTo(100);
      await().until(() -> log.messages().contains("Processed: hello"));
    }
  }

  @Test
  void seedTaskDoesNotFinishBeforeItsDurationHasPassed() {
    Duration duration = Duration.ofMillis(400);
    node = ServerFixture.start(dir, b -> b, duration);

    String id = node.post("/submit-task", "{\"data\": \"slow\"}").json().get("task_id").asText();

    JsonNode task = node.awaitState(id, "succeeded");
    Instant started = Instant.parse(task.get("started_at").asText());
    Instant finished = Instant.parse(task.get("finished_at").asText());
    assertThat(Duration.between(started, finished)).isGreaterThanOrEqualTo(duration);
  }

  @Test
  void debugTaskIgnoresItsBodyAndLogsThatItRan() {
    node = ServerFixture.start(dir);
    try (LogCapture log = LogCapture.of(BuiltinTasks.class)) {
      // A body that is not JSON is refused before the route (no HTML form can post one); a JSON
      // body the route has no use for is ignored.
      assertThat(node.post("/debug-task", "this is not JSON", "text/plain").status()).isEqualTo(415);
      ServerFixture.Response r = node.post("/debug-task", "{\"anything\": [1, 2]}");

      assertThat(r.status()).isEqualTo(200);
      assertThat(r.json().get("status").asText()).isEqualTo("Debug task queued");
      node.awaitState(r.json().get("task_id").asText(), "succeeded");
      await().until(() -> log.messages().contains("Debug task executed"));
    }
  }

  @Test
  void higherPriorityWaitingTaskStartsFirstWhenTheSlotFrees() {
    node = ServerFixture.start(dir, b -> b.concurrency(1), Duration.ofMillis(20));
    try (LogCapture log = LogCapture.of(BuiltinTasks.class)) {
      node.submit("{\"type\": \"block\"}");
      node.awaitBlockStarted();

      String low = seedTask("{\"data\": \"low\", \"priority\": 1}");
      String high = seedTask("{\"data\": \"high\", \"priority\": 2}");
      assertThat(node.task(low).get("state").asText()).isEqualTo("queued");
      assertThat(node.task(high).get("state").asText()).isEqualTo("queued");
      node.release();

      Instant lowStarted = Instant.parse(node.awaitState(low, "succeeded").get("started_at").asText());
      Instant highStarted =
          Instant.parse(node.awaitState(high, "succeeded").get("started_at").asText());
      assertThat(highStarted).isBefore(lowStarted);
      // With one slot the runs are sequential, so the log shows the order they ran in.
      assertThat(log.messages()).containsSubsequence("Processed: high", "Processed: low");
    }
  }

  private String seedTask(String body) {
    ServerFixture.Response r = node.post("/submit-task", body);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json().get("task_id").asText();
  }

  @Test
  void seedEndpointsAnswerOtherMethodsWith405() {
    node = ServerFixture.start(dir);

    ServerFixture.Response r = node.get("/submit-task");

    assertThat(r.status()).isEqualTo(405);
    assertThat(r.json()).isEqualTo(json("{\"detail\":\"Method Not Allowed\"}"));
  }

  private static JsonNode json(String text) {
    try {
      return ServerFixture.JSON.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
