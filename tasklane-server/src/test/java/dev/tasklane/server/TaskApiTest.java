package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /api/v1/tasks} and friends over real HTTP against a real SQLite store. */
class TaskApiTest {
  @TempDir Path dir;
  private ServerFixture node;

  @BeforeEach
  void start() {
    node = ServerFixture.start(dir);
  }

  @AfterEach
  void stop() {
    node.close();
  }

  @Test
  void submissionAnswers202WithTheTaskAndWhereToFindIt() {
    ServerFixture.Response r =
        node.post(
            "/api/v1/tasks",
            "{\"type\": \"echo\", \"payload\": {\"n\": 0.1, \"tags\": [\"a\"]}, \"priority\": 7,"
                + " \"queue\": \"reports\", \"max_attempts\": 5, \"timeout\": 1.5, \"delay\": 3600}");

    assertThat(r.status()).isEqualTo(202);
    JsonNode task = r.json();
    String id = task.get("id").asText();
    assertThat(r.header("Location")).isEqualTo("/api/v1/tasks/" + id);
    assertThat(r.header("Content-Type")).startsWith("application/json");
    assertThat(UUID.fromString(id).version()).isEqualTo(7);
    assertThat(task.get("type").asText()).isEqualTo("echo");
    assertThat(task.get("queue").asText()).isEqualTo("reports");
    assertThat(task.get("state").asText()).isEqualTo("scheduled");
    assertThat(task.get("priority").asInt()).isEqualTo(7);
    assertThat(task.get("payload")).isEqualTo(json("{\"n\": 0.1, \"tags\": [\"a\"]}"));
    assertThat(task.get("attempt").asInt()).isZero();
    assertThat(task.get("max_attempts").asInt()).isEqualTo(5);
    assertThat(task.get("timeout").decimalValue()).isEqualByComparingTo("1.5");
    Instant created = Instant.parse(task.get("created_at").asText());
    Instant runAt = Instant.parse(task.get("run_at").asText());
    assertThat(Duration.between(created, runAt)).isEqualTo(Duration.ofHours(1));
    assertThat(task.get("created_at").asText()).endsWith("Z");
    for (String absent :
        List.of("started_at", "finished_at", "last_error", "result", "idempotency_key", "lease_owner", "last_node")) {
      assertThat(task.get(absent).isNull()).as(absent).isTrue();
    }
    assertThat(task.get("errors")).isEmpty();
    assertThat(task.get("cancel_requested").asBoolean()).isFalse();
  }

  @Test
  void taskWithoutOptionsTakesTheDefaultsAndRunsToSucceeded() {
    JsonNode task = node.submit("{\"type\": \"echo\", \"payload\": [1, 2]}");

    assertThat(task.get("queue").asText()).isEqualTo("default");
    assertThat(task.get("priority").asInt()).as("the seed's default, everywhere").isEqualTo(1);
    assertThat(task.get("max_attempts").asInt()).isEqualTo(3);
    assertThat(task.get("timeout").isNull()).isTrue();
    JsonNode done = node.awaitState(task.get("id").asText(), "succeeded");
    assertThat(done.get("result")).isEqualTo(json("[1, 2]"));
    assertThat(done.get("attempt").asInt()).isEqualTo(1);
    assertThat(done.get("lease_owner").isNull()).isTrue();
    assertThat(done.get("last_node").asText()).as("the node that ran it, kept").isEqualTo("test-node");
  }

  @Test
  void taskGivenARunAtWaitsScheduledUntilThen() {
    JsonNode task =
        node.submit("{\"type\": \"noop\", \"run_at\": \"2099-06-01T12:00:00+02:00\"}");

    assertThat(task.get("state").asText()).isEqualTo("scheduled");
    assertThat(task.get("run_at").asText()).isEqualTo("2099-06-01T10:00:00Z");
  }

  @Test
  void repeatedIdempotencyKeyAnswers200WithTheOriginalTaskAndCreatesNoOther() {
    String body = "{\"type\": \"noop\", \"idempotency_key\": \"order-42\", \"delay\": 3600}";
    ServerFixture.Response first = node.post("/api/v1/tasks", body);
    ServerFixture.Response second =
        node.post("/api/v1/tasks", body.replace("noop", "echo").replace("3600", "60"));

    assertThat(first.status()).isEqualTo(202);
    assertThat(first.header("Idempotent-Replayed")).isNull();
    assertThat(second.status()).isEqualTo(200);
    assertThat(second.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(second.header("Location")).isEqualTo(first.header("Location"));
    assertThat(second.json().get("id")).isEqualTo(first.json().get("id"));
    assertThat(second.json().get("type").asText()).isEqualTo("noop");
    assertThat(node.get("/api/v1/tasks").json().get("tasks")).hasSize(1);
  }

  @Test
  void getOfAnUnknownTaskIs404WithTheId() {
    String id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

    ServerFixture.Response r = node.get("/api/v1/tasks/" + id);

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.json()).isEqualTo(json("{\"detail\": \"Task " + id + " not found\"}"));
  }

  @Test
  void cancelAndRetryOfAnUnknownTaskAre404() {
    String id = UUID.randomUUID().toString();

    assertThat(node.post("/api/v1/tasks/" + id + "/cancel", "").status()).isEqualTo(404);
    assertThat(node.post("/api/v1/tasks/" + id + "/retry", "").status()).isEqualTo(404);
  }

  @Test
  void cancelledTaskCanBeRetriedAndThenRuns() {
    String id = node.submit("{\"type\": \"echo\", \"delay\": 3600}").get("id").asText();

    ServerFixture.Response cancelled = node.post("/api/v1/tasks/" + id + "/cancel", "");
    assertThat(cancelled.status()).isEqualTo(200);
    assertThat(cancelled.json().get("state").asText()).isEqualTo("cancelled");
    assertThat(cancelled.json().get("finished_at").isNull()).isFalse();

    ServerFixture.Response retried = node.post("/api/v1/tasks/" + id + "/retry", "");
    assertThat(retried.status()).isEqualTo(200);
    assertThat(retried.json().get("state").asText()).isEqualTo("queued");
    node.awaitState(id, "succeeded");
  }

  @Test
  void cancellingAFinishedTaskIs409WithTheReason() {
    String id = node.submit("{\"type\": \"noop\"}").get("id").asText();
    node.awaitState(id, "succeeded");

    ServerFixture.Response r = node.post("/api/v1/tasks/" + id + "/cancel", "");

    assertThat(r.status()).isEqualTo(409);
    assertThat(r.json().get("detail").asText()).isEqualTo("a task cannot move from succeeded to cancelled");
  }

  @Test
  void retryingATaskThatHasNotFailedIs409() {
    String id = node.submit("{\"type\": \"noop\", \"delay\": 3600}").get("id").asText();

    ServerFixture.Response r = node.post("/api/v1/tasks/" + id + "/retry", "");

    assertThat(r.status()).isEqualTo(409);
    assertThat(r.json().get("detail").isTextual()).isTrue();
  }

  @Test
  void cancellingARunningTaskInterruptsItAndEndsCancelled() {
    String id = node.submit("{\"type\": \"sleep\", \"payload\": {\"seconds\": 60}}").get("id").asText();
    node.awaitState(id, "running");

    ServerFixture.Response r = node.post("/api/v1/tasks/" + id + "/cancel", "");

    assertThat(r.status()).isEqualTo(200);
    assertThat(node.awaitState(id, "cancelled").get("result").isNull()).isTrue();
  }

  @Test
  void listFiltersByStateQueueAndType() {
    String a = node.submit("{\"type\": \"noop\", \"queue\": \"a\", \"delay\": 3600}").get("id").asText();
    String b = node.submit("{\"type\": \"echo\", \"queue\": \"a\", \"delay\": 3600}").get("id").asText();
    String c = node.submit("{\"type\": \"noop\", \"queue\": \"b\", \"delay\": 3600}").get("id").asText();
    node.post("/api/v1/tasks/" + c + "/cancel", "");

    assertThat(ids("/api/v1/tasks?queue=a")).containsExactly(b, a);
    assertThat(ids("/api/v1/tasks?type=noop")).containsExactly(c, a);
    assertThat(ids("/api/v1/tasks?state=cancelled")).containsExactly(c);
    assertThat(ids("/api/v1/tasks?state=scheduled&queue=a&type=noop")).containsExactly(a);
    assertThat(ids("/api/v1/tasks?queue=nowhere")).isEmpty();
  }

  @Test
  void listPagesNewestFirstWithAKeysetCursorUntilItIsNull() {
    List<String> submitted = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      submitted.add(node.submit("{\"type\": \"noop\", \"delay\": 3600}").get("id").asText());
    }

    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonNode page =
          node.get("/api/v1/tasks?limit=2" + (cursor == null ? "" : "&cursor=" + cursor)).json();
      page.get("tasks").forEach(t -> seen.add(t.get("id").asText()));
      cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
      pages++;
    } while (cursor != null && pages < 10);

    assertThat(seen).containsExactlyElementsOf(submitted.reversed());
    assertThat(pages).isBetween(3, 4);
  }

  @Test
  void queuesCountTasksByStateWithTheNodesLimit() {
    node.submit("{\"type\": \"noop\", \"queue\": \"mail\", \"delay\": 3600}");
    String done = node.submit("{\"type\": \"noop\", \"queue\": \"mail\"}").get("id").asText();
    node.awaitState(done, "succeeded");

    JsonNode queues = node.get("/api/v1/queues").json().get("queues");

    JsonNode mail = null;
    for (JsonNode q : queues) {
      if (q.get("name").asText().equals("mail")) {
        mail = q;
      }
    }
    assertThat(mail).isNotNull();
    assertThat(mail.get("scheduled").asLong()).isEqualTo(1);
    assertThat(mail.get("queued").asLong()).isZero();
    assertThat(mail.get("running").asLong()).isZero();
    assertThat(mail.get("succeeded").asLong()).isEqualTo(1);
    assertThat(mail.get("failed").asLong()).isZero();
    assertThat(mail.get("cancelled").asLong()).isZero();
    assertThat(mail.get("claimed").asLong()).isZero();
    assertThat(mail.get("limit").isNull()).as("no cluster-wide limit: null, not the node's").isTrue();
    assertThat(mail.get("node_limit").asInt()).isEqualTo(node.worker.config().limitOf("mail"));
  }

  @Test
  void aProcessTaskTakesThePriorityOfItsSeedPayloadUnlessTheRequestSetsOne() {
    JsonNode fromPayload =
        node.submit("{\"type\": \"process_task\", \"payload\": {\"data\": \"hello\", \"priority\": 3}}");
    JsonNode fromRequest =
        node.submit(
            "{\"type\": \"process_task\", \"priority\": 5,"
                + " \"payload\": {\"data\": \"hello\", \"priority\": 3}}");
    JsonNode neither = node.submit("{\"type\": \"process_task\", \"payload\": {\"data\": \"hello\"}}");

    assertThat(fromPayload.get("priority").asInt()).isEqualTo(3);
    assertThat(fromRequest.get("priority").asInt()).isEqualTo(5);
    assertThat(neither.get("priority").asInt()).isEqualTo(1);
  }

  @Test
  void aProcessTaskWhosePayloadIsNotTheSeedsModelIsA422() {
    ServerFixture.Response r =
        node.post("/api/v1/tasks", "{\"type\": \"process_task\", \"payload\": {\"priority\": \"high\"}}");

    assertThat(r.status()).isEqualTo(422);
    assertThat(r.detail().findValuesAsText("type")).containsExactly("missing", "int_parsing");
    assertThat(r.detail().get(0).get("loc")).isEqualTo(json("[\"body\", \"payload\", \"data\"]"));
    assertThat(r.detail().get(1).get("loc")).isEqualTo(json("[\"body\", \"payload\", \"priority\"]"));
  }

  @Test
  void pausingAQueueOverHttpHoldsItsTasksUntilItIsResumed() {
    ServerFixture.Response paused = node.post("/api/v1/queues/mail/pause", "");
    assertThat(paused.status()).as(paused.body()).isEqualTo(200);
    assertThat(paused.json().get("paused").asBoolean()).isTrue();
    String held = node.submit("{\"type\": \"noop\", \"queue\": \"mail\"}").get("id").asText();
    String free = node.submit("{\"type\": \"noop\"}").get("id").asText();

    node.awaitState(free, "succeeded");
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(10))
        .until(() -> node.task(held).get("state").asText().equals("queued"));
    assertThat(queue("mail").get("paused").asBoolean()).isTrue();

    ServerFixture.Response resumed = node.post("/api/v1/queues/mail/resume", "");
    assertThat(resumed.status()).as(resumed.body()).isEqualTo(200);
    assertThat(resumed.json().get("paused").asBoolean()).isFalse();
    node.awaitState(held, "succeeded");
  }

  @Test
  void patchingAQueueSetsItsClusterLimitAndPauseAndRemovesTheLimitWithNull() {
    ServerFixture.Response r = node.patch("/api/v1/queues/reports", "{\"limit\": 3, \"paused\": true}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("limit").asInt()).isEqualTo(3);
    assertThat(r.json().get("paused").asBoolean()).isTrue();
    assertThat(node.worker.queues()).filteredOn(q -> q.name().equals("reports"))
        .singleElement().satisfies(q -> assertThat(q.paused()).isTrue());

    r = node.patch("/api/v1/queues/reports", "{\"limit\": null, \"paused\": false}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("limit").isNull()).isTrue();
    assertThat(r.json().get("node_limit").asInt()).isEqualTo(node.worker.config().limitOf("reports"));
    assertThat(r.json().get("paused").asBoolean()).isFalse();
  }

  @Test
  void aBadQueueUpdateIs422AndChangesNothing() {
    ServerFixture.Response r = node.patch("/api/v1/queues/reports", "{\"limit\": 0, \"paused\": true}");
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().get("detail").get(0).get("loc").toString()).isEqualTo("[\"body\",\"limit\"]");
    assertThat(r.json().get("detail").get(0).get("type").asText()).isEqualTo("greater_than_equal");
    assertThat(node.worker.queues()).noneMatch(q -> q.name().equals("reports"));

    r = node.patch("/api/v1/queues/reports", "{\"paused\": \"maybe\"}");
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().get("detail").get(0).get("type").asText()).isEqualTo("bool_parsing");

    r = node.patch("/api/v1/queues/reports", "{}");
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().get("detail").get(0).get("type").asText()).isEqualTo("value_error");

    r = node.post("/api/v1/queues/not%20a%20name/pause", "");
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().get("detail").get(0).get("loc").toString()).isEqualTo("[\"path\",\"queue\"]");

    r = node.patch("/api/v1/queues/never-seen", "{\"limit\": null}");
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.json().get("detail").asText()).isEqualTo("Queue never-seen not found");
  }

  @Test
  void explainSaysWhyATaskWaitsAndIs404ForAnUnknownOne() {
    node.post("/api/v1/queues/mail/pause", "");
    String held = node.submit("{\"type\": \"noop\", \"queue\": \"mail\"}").get("id").asText();

    ServerFixture.Response r = node.get("/api/v1/tasks/" + held + "/explain");

    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("task_id").asText()).isEqualTo(held);
    assertThat(r.json().get("state").asText()).isEqualTo("queued");
    assertThat(r.json().get("code").asText()).isEqualTo("queue_paused");
    assertThat(r.json().get("message").asText()).isEqualTo("Queue mail is paused: none of its tasks starts until it is resumed.");
    assertThat(r.json().get("details").get("queue").asText()).isEqualTo("mail");

    String delayed = node.submit("{\"type\": \"noop\", \"delay\": 3600}").get("id").asText();
    JsonNode later = node.get("/api/v1/tasks/" + delayed + "/explain").json();
    assertThat(later.get("code").asText()).isEqualTo("scheduled");
    assertThat(later.get("details").get("seconds_until").asDouble()).isBetween(3500.0, 3600.0);

    ServerFixture.Response unknown = node.get("/api/v1/tasks/" + UUID.randomUUID() + "/explain");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(node.get("/api/v1/tasks/not-a-uuid/explain").status()).isEqualTo(422);
  }

  @Test
  void aScheduledTaskRunsAtOnceWhenAskedAndOtherStatesAre409() {
    String later = node.submit("{\"type\": \"noop\", \"delay\": 3600}").get("id").asText();

    ServerFixture.Response r = node.post("/api/v1/tasks/" + later + "/run-now", "");

    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().get("state").asText()).isEqualTo("queued");
    node.awaitState(later, "succeeded");
    ServerFixture.Response again = node.post("/api/v1/tasks/" + later + "/run-now", "");
    assertThat(again.status()).isEqualTo(409);
    assertThat(node.post("/api/v1/tasks/" + UUID.randomUUID() + "/run-now", "").status()).isEqualTo(404);
  }

  private JsonNode queue(String name) {
    for (JsonNode q : node.get("/api/v1/queues").json().get("queues")) {
      if (q.get("name").asText().equals(name)) {
        return q;
      }
    }
    throw new AssertionError("no queue " + name);
  }

  @Test
  void healthReportsTheStoreNodeAndLifecycle() {
    ServerFixture.Response r = node.get("/health");

    assertThat(r.status()).isEqualTo(200);
    JsonNode health = r.json().deepCopy();
    JsonNode stats = ((com.fasterxml.jackson.databind.node.ObjectNode) health).remove("stats");
    assertThat(health)
        .isEqualTo(
            json(
                "{\"status\":\"ok\",\"store\":\"sqlite\",\"database\":\"up\","
                    + "\"database_error\":null,\"node_id\":\"test-node\",\"leader\":true,"
                    + "\"lifecycle\":\"running\",\"in_flight\":0,\"concurrency\":5}"));
    assertThat(stats.get("stale_rejected").asLong()).isZero();
    assertThat(stats.has("lease_renewals")).isTrue();
  }

  @Test
  void nodesListsThisNodeWithItsHeartbeatAndRunningTasks() {
    String id = node.submit("{\"type\": \"block\"}").get("id").asText();
    assertThat(node.awaitBlockStarted().toString()).isEqualTo(id);

    ServerFixture.Response r = node.get("/api/v1/nodes");

    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode nodes = r.json().get("nodes");
    assertThat(nodes).hasSize(1);
    JsonNode self = nodes.get(0);
    assertThat(self.get("id").asText()).isEqualTo("test-node");
    assertThat(self.get("concurrency").asInt()).isEqualTo(5);
    assertThat(self.get("heartbeat_age_seconds").asDouble()).isBetween(0.0, 60.0);
    assertThat(self.get("types").toString()).contains("process_task");
    assertThat(self.get("running_count").asInt()).isEqualTo(1);
    assertThat(self.get("running").get(0).get("id").asText()).isEqualTo(id);
    node.release();
  }

  private List<String> ids(String path) {
    ServerFixture.Response r = node.get(path);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    List<String> ids = new ArrayList<>();
    r.json().get("tasks").forEach(t -> ids.add(t.get("id").asText()));
    return ids;
  }

  private static JsonNode json(String text) {
    try {
      return ServerFixture.JSON.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(text, e);
    }
  }
}
