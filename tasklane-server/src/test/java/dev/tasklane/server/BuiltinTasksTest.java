package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in task types, submitted over HTTP and run by a real worker. */
class BuiltinTasksTest {
  @TempDir static Path dir;
  private static ServerFixture node;

  @BeforeAll
  static void start() {
    node = ServerFixture.start(dir, b -> b, Duration.ofMinutes(5));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void sleepWaitsReportsProgressAndReturnsTheSecondsSlept() {
    String id = node.submit("{\"type\": \"sleep\", \"payload\": {\"seconds\": 0.6}}").get("id").asText();

    List<Integer> progress = new ArrayList<>();
    JsonNode done =
        await()
            .pollInterval(Duration.ofMillis(10))
            .until(
                () -> {
                  JsonNode t = node.task(id);
                  progress.add(t.get("progress").asInt());
                  return t;
                },
                t -> t.get("state").asText().equals("succeeded"));

    assertThat(done.get("result"))
        .isEqualTo(
            json("{\"slept_seconds\": 0.6, \"node\": \"test-node\", \"attempt\": 1, \"fencing_token\": 1}"));
    assertThat(done.get("progress").asInt()).isEqualTo(100);
    assertThat(progress).as("progress seen while running").anyMatch(p -> p > 0 && p < 100);
  }

  @Test
  void sleepWithoutSecondsFailsAtOnceWithoutRetrying() {
    String id = node.submit("{\"type\": \"sleep\", \"payload\": {}}").get("id").asText();

    JsonNode failed = node.awaitState(id, "failed");

    assertThat(failed.get("attempt").asInt()).isEqualTo(1);
    assertThat(failed.get("last_error").asText()).contains("seconds");
  }

  @Test
  void echoReturnsItsPayloadAsTheResult() {
    String id =
        node.submit("{\"type\": \"echo\", \"payload\": {\"a\": [1, \"two\", null]}}").get("id").asText();

    assertThat(node.awaitState(id, "succeeded").get("result"))
        .isEqualTo(json("{\"a\": [1, \"two\", null]}"));
  }

  @Test
  void noopSucceedsWithoutAResult() {
    String id = node.submit("{\"type\": \"noop\"}").get("id").asText();

    assertThat(node.awaitState(id, "succeeded").get("result").isNull()).isTrue();
  }

  @Test
  void failIsRetriedUntilItsAttemptsRunOutRecordingEachError() {
    String id =
        node.submit("{\"type\": \"fail\", \"payload\": {\"message\": \"boom\"}, \"max_attempts\": 2}")
            .get("id")
            .asText();

    JsonNode failed = node.awaitState(id, "failed");

    assertThat(failed.get("attempt").asInt()).isEqualTo(2);
    assertThat(failed.get("last_error").asText()).contains("boom");
    assertThat(failed.get("errors")).hasSize(2);
    JsonNode first = failed.get("errors").get(0);
    assertThat(first.get("attempt").asInt()).isEqualTo(1);
    assertThat(first.get("message").asText()).contains("boom");
    assertThat(first.get("node").asText()).isEqualTo("test-node");
    assertThat(first.get("at").asText()).endsWith("Z");
  }

  @Test
  void failedTaskRetriedByHandRunsOnceMore() {
    String id = node.submit("{\"type\": \"fail\", \"max_attempts\": 1}").get("id").asText();
    node.awaitState(id, "failed");

    assertThat(node.post("/api/v1/tasks/" + id + "/retry", "").status()).isEqualTo(200);

    JsonNode again = await().until(() -> node.task(id), t -> t.get("errors").size() == 2);
    assertThat(again.get("state").asText()).isEqualTo("failed");
    assertThat(again.get("last_error").asText()).contains("failed on purpose");
  }

  @Test
  void processTaskStopsWaitingWhenCancelled() {
    String id =
        node.post("/submit-task", "{\"data\": \"never\"}").json().get("task_id").asText();
    node.awaitState(id, "running");

    node.post("/api/v1/tasks/" + id + "/cancel", "");

    // The seed task waits five minutes here; ending well before shows the wait was interrupted.
    JsonNode cancelled = node.awaitState(id, "cancelled");
    assertThat(cancelled.get("result").isNull()).isTrue();
  }

  @Test
  void processTaskWithoutDataIsRefusedAtSubmission() {
    ServerFixture.Response r = node.post("/api/v1/tasks", "{\"type\": \"process_task\", \"payload\": {}}");

    assertThat(r.status()).isEqualTo(422);
    assertThat(r.detail().get(0).get("loc")).isEqualTo(json("[\"body\", \"payload\", \"data\"]"));
  }

  private static JsonNode json(String text) {
    try {
      return ServerFixture.JSON.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(text, e);
    }
  }
}
