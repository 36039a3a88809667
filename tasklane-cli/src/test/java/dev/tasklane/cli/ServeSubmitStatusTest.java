package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.sqlite.SqliteTaskStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end in one process: {@code tasklane serve} on a random port over a temp SQLite file,
 * driven by the {@code submit} and {@code status} commands, then stopped as SIGTERM would.
 */
class ServeSubmitStatusTest {
  private static final Pattern LISTENING =
      Pattern.compile("Tasklane listening on (http://127\\.0\\.0\\.1:\\d+) \\(store: sqlite (.+)\\) as node e2e");

  @TempDir Path dir;
  private final ExecutorService background = Executors.newSingleThreadExecutor();
  private CliRun serve;
  private Future<Integer> serveExit;
  private String url;

  @BeforeEach
  void startServer() {
    serve = new CliRun();
    Path db = dir.resolve("data").resolve("tasklane.db");
    serveExit =
        background.submit(
            () ->
                serve.execute(
                    "serve", "--port", "0", "--db", db.toString(), "--seed-task-duration", "50ms",
                    "--node-id", "e2e"));
    Matcher m =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> LISTENING.matcher(serve.out()), Matcher::find);
    url = m.group(1);
    assertThat(m.group(2)).isEqualTo(db.toString());
  }

  @AfterEach
  void stopServer() throws Exception {
    serve.sigterm();
    background.shutdown();
    assertThat(background.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void metricsCoverTheWorkerTheJvmAndTheStoresConnectionPool() throws Exception {
    java.net.http.HttpResponse<String> r =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body())
        .contains("tasklane_handlers_limit")
        .contains("jvm_memory_used_bytes")
        .contains("hikaricp_connections{pool=\"tasklane-sqlite-readers\"}");
  }

  @Test
  void submittedSeedTaskRunsAndStatusShowsItSucceeded() {
    CliRun submit = new CliRun();
    int code =
        submit.execute("submit", "process_task", "{\"data\": \"hello\"}", "--priority", "2", "--server", url);

    assertThat(code).as(submit.err()).isZero();
    JsonNode task = json(submit.out());
    assertThat(task.get("type").asText()).isEqualTo("process_task");
    assertThat(task.get("priority").asInt()).isEqualTo(2);
    String id = task.get("id").asText();

    JsonNode done =
        await()
            .atMost(Duration.ofSeconds(15))
            .until(() -> status(id), t -> t.get("state").asText().equals("succeeded"));
    assertThat(done.get("result")).isEqualTo(json("{\"processed\": \"hello\"}"));
    assertThat(done.get("lease_owner").isNull()).isTrue();
  }

  @Test
  void processTaskTakesItsPriorityFromItsPayloadAndOtherTasksTheServersDefault() {
    String seed = submit("submit", "process_task", "{\"data\":\"hello\",\"priority\":3}");
    String plain = submit("submit", "noop", "--delay", "1h");
    String flagged = submit("submit", "process_task", "{\"data\":\"x\",\"priority\":3}", "--priority", "5");

    assertThat(status(seed).get("priority").asInt()).isEqualTo(3);
    assertThat(status(plain).get("priority").asInt()).isEqualTo(1);
    assertThat(status(flagged).get("priority").asInt()).as("the flag wins").isEqualTo(5);
  }

  @Test
  void statusOfATaskIsASummaryAndJsonOnlyWhenAskedFor() {
    String id = submit("submit", "process_task", "{\"data\": \"hello\"}", "--priority", "4", "--max-attempts", "3");
    await().atMost(Duration.ofSeconds(15)).until(() -> status(id).get("state").asText().equals("succeeded"));

    String summary = statusSummary(id);

    assertThat(summary.lines())
        .containsSubsequence(
            "Task " + id,
            "  type       process_task",
            "  queue      default",
            "  state      succeeded",
            "  priority   4",
            "  attempts   1 of 3")
        .contains("  result     {\"processed\":\"hello\"}")
        .anySatisfy(l -> assertThat(l).matches("  created    \\d{4}-\\d\\d-\\d\\dT.+Z"))
        .anySatisfy(l -> assertThat(l).matches("  started    \\d{4}-.+Z"))
        .anySatisfy(l -> assertThat(l).matches("  finished   \\d{4}-.+Z"))
        .noneSatisfy(l -> assertThat(l).startsWith("  last error"));
    assertThat(summary).doesNotContain("{\n").doesNotContain("\"state\"");
  }

  @Test
  void statusSummaryShowsTheLastErrorOnOneLineAndARunningTasksProgress() {
    String failing = submit("submit", "fail", "{\"message\": \"boom\\nsecond line\"}", "--max-attempts", "1");
    String sleeping = submit("submit", "sleep", "{\"seconds\": 30}");
    await().atMost(Duration.ofSeconds(15)).until(() -> status(failing).get("state").asText().equals("failed"));
    await().atMost(Duration.ofSeconds(15)).until(() -> status(sleeping).get("state").asText().equals("running"));

    assertThat(statusSummary(failing).lines())
        .contains("  state      failed", "  attempts   1 of 1")
        .anySatisfy(l -> assertThat(l).startsWith("  last error ").contains("boom").doesNotContain("second line"));
    assertThat(statusSummary(sleeping).lines())
        .anySatisfy(l -> assertThat(l).matches("  state      running, \\d+% done, on e2e"))
        .contains("  finished   -");
  }

  @Test
  void submitPassesEveryOptionThroughToTheServer() {
    CliRun submit = new CliRun(java.util.Map.of("TASKLANE_SERVER", url));
    int code =
        submit.execute(
            "submit", "echo", "[1, 2]", "--queue", "reports", "--delay", "1h", "--max-attempts", "4",
            "--timeout", "1500ms", "--idempotency-key", "k-1");

    assertThat(code).as(submit.err()).isZero();
    JsonNode task = json(submit.out());
    assertThat(task.get("queue").asText()).isEqualTo("reports");
    assertThat(task.get("state").asText()).isEqualTo("scheduled");
    assertThat(task.get("max_attempts").asInt()).isEqualTo(4);
    assertThat(task.get("timeout").decimalValue()).isEqualByComparingTo("1.5");
    assertThat(task.get("idempotency_key").asText()).isEqualTo("k-1");
    assertThat(task.get("payload")).isEqualTo(json("[1, 2]"));

    CliRun again = new CliRun(java.util.Map.of("TASKLANE_SERVER", url));
    assertThat(again.execute("submit", "echo", "--idempotency-key", "k-1")).isZero();
    assertThat(json(again.out()).get("id")).isEqualTo(task.get("id"));
    assertThat(again.err()).contains("already existed");
  }

  @Test
  void submitThatTheServerRefusesExits1WithItsReasons() {
    CliRun submit = new CliRun();

    int code = submit.execute("submit", "no_such_type", "--priority", "5000", "--server", url);

    assertThat(code).isEqualTo(ExitCodes.FAILED);
    assertThat(submit.err())
        .contains("server refused (422)")
        .contains("body.type: Input should be")
        .contains("body.priority: Input should be less than or equal to 1000 (got 5000)");
    assertThat(submit.out()).isEmpty();
  }

  @Test
  void statusOfAnUnknownTaskExits1WithNotFound() {
    CliRun status = new CliRun();
    String id = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

    assertThat(status.execute("status", id, "--server", url)).isEqualTo(ExitCodes.FAILED);
    assertThat(status.err()).contains("server refused (404): Task " + id + " not found");
  }

  @Test
  void statusWithoutAnIdSummarisesHealthAndQueues() {
    CliRun submit = new CliRun();
    submit.execute("submit", "noop", "--queue", "mail", "--delay", "1h", "--server", url);

    CliRun status = new CliRun();
    assertThat(status.execute("status", "--server", url)).isZero();

    assertThat(status.out())
        .contains("Tasklane at " + url + ": ok")
        .contains("node e2e, running, 0 of 5 slots busy, store sqlite")
        .containsPattern(
            "QUEUE\\s+SCHEDULED\\s+QUEUED\\s+CLAIMED\\s+RUNNING\\s+SUCCEEDED\\s+FAILED\\s+CANCELLED"
                + "\\s+LIMIT\\s+NODE LIMIT\\s+PAUSED")
        // No cluster-wide limit on mail: its limit is null, shown as "-".
        .containsPattern("mail\\s+1\\s+0\\s+\\S+\\s+0\\s+0\\s+0\\s+0\\s+\\S+\\s+\\S+\\s+no");

    CliRun asJson = new CliRun();
    assertThat(asJson.execute("status", "--json", "--server", url)).isZero();
    JsonNode both = json(asJson.out());
    assertThat(both.get("health").get("node_id").asText()).isEqualTo("e2e");
    assertThat(both.get("queues").get(0).get("name").asText()).isEqualTo("mail");
  }

  @Test
  void sigtermStopsTheServerReleasesTheDatabaseAndExits0() throws Exception {
    serve.sigterm();

    assertThat(serveExit.get(30, TimeUnit.SECONDS)).isZero();
    // The store closed: its file lock is free again for another process.
    SqliteTaskStore.open(dir.resolve("data").resolve("tasklane.db")).close();
    CliRun status = new CliRun();
    assertThat(status.execute("status", "--server", url)).isEqualTo(ExitCodes.UNREACHABLE);
  }

  private JsonNode status(String id) {
    CliRun status = new CliRun();
    assertThat(status.execute("status", id, "--json", "--server", url)).as(status.err()).isZero();
    return json(status.out());
  }

  private String statusSummary(String id) {
    CliRun status = new CliRun();
    assertThat(status.execute("status", id, "--server", url)).as(status.err()).isZero();
    return status.out();
  }

  private String submit(String... args) {
    CliRun submit = new CliRun(java.util.Map.of("TASKLANE_SERVER", url));
    assertThat(submit.execute(args)).as(submit.err()).isZero();
    return json(submit.out()).get("id").asText();
  }

  private static JsonNode json(String text) {
    try {
      return ApiClient.JSON.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(text, e);
    }
  }
}
