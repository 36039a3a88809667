package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tasklane serve --schedules <file>} and {@code tasklane schedule ...} end to end in one
 * process, over a temp SQLite file.
 */
class ScheduleCommandTest {
  private static final Pattern LISTENING = Pattern.compile("Tasklane listening on (http://127\\.0\\.0\\.1:\\d+)");

  @TempDir Path dir;
  private final ExecutorService background = Executors.newSingleThreadExecutor();
  private CliRun serve;
  private Future<Integer> serveExit;

  private String serve(String... more) {
    serve = new CliRun();
    java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of(
        "serve", "--port", "0", "--db", dir.resolve("tasklane.db").toString(), "--node-id", "cron"));
    args.addAll(java.util.List.of(more));
    serveExit = background.submit(() -> serve.execute(args.toArray(String[]::new)));
    Matcher m = await().atMost(Duration.ofSeconds(30)).until(() -> LISTENING.matcher(serve.out()), Matcher::find);
    return m.group(1);
  }

  @AfterEach
  void stop() throws Exception {
    if (serve != null) {
      serve.sigterm();
    }
    background.shutdown();
    assertThat(background.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
  }

  private static JsonNode json(String text) throws Exception {
    return ApiClient.JSON.readTree(text);
  }

  private CliRun run(String... args) {
    CliRun cli = new CliRun();
    int code = cli.execute(args);
    assertThat(code).as(String.join(" ", args) + ": " + cli.err()).isZero();
    return cli;
  }

  @Test
  void aSchedulesFileIsDefinedAtStartAndTheScheduleCommandsManageIt() throws Exception {
    Path file = dir.resolve("schedules.json");
    Files.writeString(
        file,
        """
        {"schedules": [
          {"name": "pulse", "every": 1, "task": {"type": "echo", "payload": {"from": "file"}}},
          {"name": "nightly", "cron": "0 3 * * *", "zone": "Europe/Paris", "misfire": "run_once",
           "task": {"type": "noop", "queue": "reports"}}
        ]}
        """);
    String url = serve("--schedules", file.toString());

    await().atMost(Duration.ofSeconds(20)).until(() -> {
      JsonNode all = json(run("schedule", "list", "--json", "--server", url).out());
      return all.get(0).get("name").asText().equals("nightly") && !all.get(1).get("last_task_id").isNull();
    });
    String table = run("schedule", "list", "--server", url).out();
    assertThat(table).contains("NEXT RUN").contains("pulse").contains("every 1s").contains("0 3 * * * Europe/Paris");

    JsonNode defined =
        json(run("schedule", "set", "weekly", "--cron", "0 9 * * MON", "--type", "echo", "--payload", "{\"n\": 7}",
            "--priority", "5", "--server", url).out());
    assertThat(defined.get("task").get("priority").asInt()).isEqualTo(5);
    assertThat(json(run("schedule", "pause", "weekly", "--server", url).out()).get("paused").asBoolean()).isTrue();
    JsonNode task = json(run("schedule", "run", "weekly", "--server", url).out());
    assertThat(task.get("type").asText()).isEqualTo("echo");
    assertThat(json(run("schedule", "resume", "weekly", "--server", url).out()).get("paused").asBoolean()).isFalse();
    run("schedule", "delete", "weekly", "--server", url);

    CliRun missing = new CliRun();
    assertThat(missing.execute("schedule", "delete", "weekly", "--server", url)).isEqualTo(ExitCodes.FAILED);
    assertThat(missing.err()).contains("not found");
    CliRun bad = new CliRun();
    assertThat(bad.execute("schedule", "set", "x", "--cron", "61 * * * *", "--type", "echo", "--server", url))
        .isEqualTo(ExitCodes.FAILED);
    assertThat(bad.err()).contains("cron");
  }

  @Test
  void aBadSchedulesFileStopsServeBeforeAnythingOpensAndSaysWhere() throws Exception {
    Path file = dir.resolve("schedules.json");
    Files.writeString(file, "{\"schedules\": [{\"name\": \"bad\", \"cron\": \"0 0 31 2 *\", \"task\": {\"type\": \"echo\"}}]}");
    CliRun cli = new CliRun();

    assertThat(cli.execute("serve", "--port", "0", "--db", dir.resolve("t.db").toString(), "--schedules", file.toString()))
        .isEqualTo(ExitCodes.USAGE);
    assertThat(cli.err()).contains("entry 0 ('bad')").contains("cron").contains("never matches");
    assertThat(dir.resolve("t.db")).doesNotExist();
  }

  @Test
  void aScheduleOfATypeNobodyServesStopsServe() throws Exception {
    Path file = dir.resolve("schedules.json");
    Files.writeString(file, "{\"schedules\": [{\"name\": \"x\", \"every\": 60, \"task\": {\"type\": \"mystery\"}}]}");
    CliRun cli = new CliRun();

    assertThat(cli.execute("serve", "--port", "0", "--db", dir.resolve("t.db").toString(), "--schedules", file.toString()))
        .isEqualTo(ExitCodes.FAILED);
    assertThat(cli.err()).contains("cannot start").contains("mystery");
  }
}
