package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.server.access.Role;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /api/v1/schedules} over real HTTP against a real SQLite store. */
class ScheduleApiTest {
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

  private ServerFixture.Response put(String name, String body) {
    return node.send("PUT", "/api/v1/schedules/" + name, null, body);
  }

  @Test
  void aScheduleIsDefinedListedAndItsTicksRunTasks() {
    ServerFixture.Response r =
        put("pulse", "{\"every\": 1, \"task\": {\"type\": \"echo\", \"payload\": {\"from\": \"pulse\"}, \"priority\": 4}}");

    assertThat(r.status()).isEqualTo(201);
    assertThat(r.header("Location")).isEqualTo("/api/v1/schedules/pulse");
    JsonNode s = r.json();
    assertThat(s.get("every").asInt()).isEqualTo(1);
    assertThat(s.get("cron").isNull()).isTrue();
    assertThat(s.get("misfire").asText()).isEqualTo("skip");
    assertThat(s.get("task").get("queue").asText()).as("the type's default, resolved").isEqualTo("default");
    assertThat(s.get("task").get("max_attempts").asInt()).isEqualTo(3);
    assertThat(Instant.parse(s.get("next_run_at").asText())).isAfter(Instant.parse(s.get("created_at").asText()));

    // Each tick's task runs; the schedule names the last one.
    await().atMost(Duration.ofSeconds(15)).until(() -> {
      JsonNode now = node.get("/api/v1/schedules/pulse").json();
      return !now.get("last_task_id").isNull()
          && node.task(now.get("last_task_id").asText()).get("state").asText().equals("succeeded");
    });
    JsonNode last = node.get("/api/v1/schedules/pulse").json();
    JsonNode task = node.task(last.get("last_task_id").asText());
    assertThat(task.get("idempotency_key").asText()).isEqualTo("schedule:pulse:" + last.get("last_run_at").asText());
    assertThat(task.get("run_at").asText()).isEqualTo(last.get("last_run_at").asText());
    assertThat(task.get("priority").asInt()).isEqualTo(4);
    assertThat(task.get("result").get("from").asText()).isEqualTo("pulse");
    JsonNode why = node.get("/api/v1/tasks/" + task.get("id").asText() + "/explain").json();
    assertThat(why.get("message").asText()).contains("Schedule pulse created it for its tick at " + last.get("last_run_at").asText());
    assertThat(why.get("details").get("schedule").asText()).isEqualTo("pulse");

    JsonNode list = node.get("/api/v1/schedules").json().get("schedules");
    assertThat(list).hasSize(1);
    assertThat(list.get(0).get("name").asText()).isEqualTo("pulse");
  }

  @Test
  void redefiningAnswers200AndKeepsTheNextTickOfAnUnchangedRecurrence() {
    JsonNode first = put("nightly", "{\"cron\": \"0 3 * * *\", \"zone\": \"Europe/Paris\", \"task\": {\"type\": \"echo\"}}").json();
    ServerFixture.Response again =
        put("nightly", "{\"cron\": \"0 3 * * *\", \"zone\": \"Europe/Paris\", \"misfire\": \"run_once\", \"task\": {\"type\": \"echo\", \"payload\": 2}}");

    assertThat(again.status()).isEqualTo(200);
    assertThat(again.json().get("next_run_at")).isEqualTo(first.get("next_run_at"));
    assertThat(again.json().get("misfire").asText()).isEqualTo("run_once");
    assertThat(again.json().get("task").get("payload").asInt()).isEqualTo(2);
    assertThat(again.json().get("zone").asText()).isEqualTo("Europe/Paris");
  }

  @Test
  void pauseResumeRunAndDelete() {
    put("yearly", "{\"cron\": \"@yearly\", \"task\": {\"type\": \"echo\", \"payload\": \"now\"}}");

    JsonNode paused = node.post("/api/v1/schedules/yearly/pause", "").json();
    assertThat(paused.get("paused").asBoolean()).isTrue();

    ServerFixture.Response run = node.post("/api/v1/schedules/yearly/run", "");
    assertThat(run.status()).isEqualTo(202);
    String taskId = run.json().get("id").asText();
    assertThat(run.header("Location")).isEqualTo("/api/v1/tasks/" + taskId);
    node.awaitState(taskId, "succeeded");
    assertThat(node.get("/api/v1/schedules/yearly").json().get("last_task_id").asText()).isEqualTo(taskId);
    assertThat(node.get("/api/v1/tasks/" + taskId + "/explain").json().get("message").asText())
        .contains("Schedule yearly created it on demand");

    JsonNode resumed = node.post("/api/v1/schedules/yearly/resume", "").json();
    assertThat(resumed.get("paused").asBoolean()).isFalse();

    assertThat(node.send("DELETE", "/api/v1/schedules/yearly", null, null).status()).isEqualTo(204);
    assertThat(node.get("/api/v1/schedules/yearly").status()).isEqualTo(404);
    assertThat(node.send("DELETE", "/api/v1/schedules/yearly", null, null).status()).isEqualTo(404);
    assertThat(node.post("/api/v1/schedules/yearly/run", "").status()).isEqualTo(404);
    assertThat(node.task(taskId).get("state").asText()).as("its tasks stay").isEqualTo("succeeded");
  }

  @Test
  void badDefinitionsAre422sThatNameTheFieldAndChangeNothing() {
    assertDetail(put("s", "{\"cron\": \"61 * * * *\", \"task\": {\"type\": \"echo\"}}"), "cron", "61");
    assertDetail(put("s", "{\"cron\": \"* * *\", \"task\": {\"type\": \"echo\"}}"), "cron", "5 fields");
    assertDetail(put("s", "{\"cron\": \"0 0 31 2 *\", \"task\": {\"type\": \"echo\"}}"), "cron", "never matches");
    assertDetail(put("s", "{\"cron\": \"@daily\", \"zone\": \"Mars/Olympus\", \"task\": {\"type\": \"echo\"}}"), "zone", "unknown time zone");
    assertDetail(put("s", "{\"every\": 0, \"task\": {\"type\": \"echo\"}}"), "every", "greater than or equal to 1");
    assertDetail(put("s", "{\"every\": 60, \"cron\": \"@daily\", \"task\": {\"type\": \"echo\"}}"), null, "not both");
    assertDetail(put("s", "{\"task\": {\"type\": \"echo\"}}"), null, "not neither");
    assertDetail(put("s", "{\"every\": 60, \"zone\": \"UTC\", \"task\": {\"type\": \"echo\"}}"), null, "zone applies to cron");
    assertDetail(put("s", "{\"every\": 60}"), "task", "Field required");
    assertDetail(put("s", "{\"every\": 60, \"task\": {\"type\": \"nope\"}}"), "type", "Input should be");
    assertDetail(put("s", "{\"every\": 60, \"task\": {\"type\": \"echo\", \"delay\": 5}}"), "delay", "Extra inputs");
    assertDetail(put("s", "{\"every\": 60, \"task\": {\"type\": \"echo\", \"idempotency_key\": \"k\"}}"), "idempotency_key", "Extra inputs");
    assertDetail(put("s", "{\"every\": 60, \"misfire\": \"always\", \"task\": {\"type\": \"echo\"}}"), "misfire", "'skip' or 'run_once'");
    assertThat(put("bad%20name!", "{\"every\": 60, \"task\": {\"type\": \"echo\"}}").status()).isEqualTo(422);
    assertThat(node.get("/api/v1/schedules").json().get("schedules")).isEmpty();
  }

  private static void assertDetail(ServerFixture.Response r, String field, String message) {
    assertThat(r.status()).as(r.body()).isEqualTo(422);
    JsonNode error = r.detail().get(0);
    if (field != null) {
      JsonNode loc = error.get("loc");
      assertThat(loc.get(loc.size() - 1).asText()).as(r.body()).isEqualTo(field);
    }
    assertThat(error.get("msg").asText()).as(r.body()).contains(message);
  }

  @Test
  void submissionsCannotTakeATicksKey() {
    ServerFixture.Response r =
        node.post("/api/v1/tasks", "{\"type\": \"echo\", \"idempotency_key\": \"schedule:nightly:2030-01-01T03:00:00Z\"}");
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.body()).contains("belong to schedules");
  }

  @Test
  void readersListSchedulesAndOnlyOperatorsChangeThem() throws Exception {
    node.close();
    node = ServerFixture.start(dir);
    String admin = node.token("admin", Role.ADMIN);
    String reader = node.token("reader", Role.READER);
    String submitter = node.token("submitter", Role.SUBMITTER);
    String operator = node.token("operator", Role.OPERATOR);
    String body = "{\"every\": 3600, \"task\": {\"type\": \"echo\"}}";

    assertThat(node.send("PUT", "/api/v1/schedules/s", reader, body).status()).isEqualTo(403);
    assertThat(node.send("PUT", "/api/v1/schedules/s", submitter, body).status()).isEqualTo(403);
    ServerFixture.Response defined = node.send("PUT", "/api/v1/schedules/s", operator, body);
    assertThat(defined.status()).isEqualTo(201);
    assertThat(defined.json().get("created_by").asText()).startsWith("token:");
    assertThat(node.send("GET", "/api/v1/schedules", reader, null).status()).isEqualTo(200);
    assertThat(node.send("POST", "/api/v1/schedules/s/run", reader, null).status()).isEqualTo(403);
    assertThat(node.send("DELETE", "/api/v1/schedules/s", admin, null).status()).isEqualTo(204);
    assertThat(node.send("GET", "/api/v1/audit", admin, null).body())
        .contains("schedule.define")
        .contains("schedule.delete");
  }
}
