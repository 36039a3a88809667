package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.WorkerConfig;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Parsing, environment fallbacks and exit codes of the {@code tasklane} command. */
class CommandLineTest {

  @Test
  void serveWithoutFlagsOrEnvironmentUsesTheDocumentedDefaults() {
    ServeSettings s = new CliRun().serveSettings();

    assertThat(s.port()).isEqualTo(8000);
    assertThat(s.bind()).isEqualTo("127.0.0.1");
    assertThat(s.store()).isEqualTo(new StoreChoice.Sqlite(Path.of("./tasklane-data/tasklane.db")));
    assertThat(s.concurrency()).isEqualTo(5);
    assertThat(s.maxQueued()).isEqualTo(WorkerConfig.DEFAULT_MAX_QUEUED);
    assertThat(s.seedTaskDuration()).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.queueLimits()).isEmpty();
    assertThat(s.nodeId())
        .as("unique to this process")
        .matches(java.util.regex.Pattern.quote(WorkerConfig.hostName() + "-" + ProcessHandle.current().pid() + "-") + "[0-9a-f]{4}");
    assertThat(s.shutdownTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(s.lease()).isEqualTo(Duration.ofSeconds(30));
    assertThat(s.pollInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(s.retention()).isEqualTo(Duration.ofDays(7));
    assertThat(s.leaderTimeout()).isEqualTo(Duration.ofSeconds(15));
  }

  @Test
  void servePostgresTakesItsConnectionFromFlagsAndEnvironment() {
    Map<String, String> env =
        Map.of(
            "TASKLANE_STORE", "postgres",
            "TASKLANE_DB_URL", "jdbc:postgresql://db:5432/jobs",
            "TASKLANE_DB_PASSWORD", "s3cret",
            "TASKLANE_LISTEN", "false");

    ServeSettings s =
        new CliRun(env)
            .serveSettings("--db-user", "tasklane", "--db-schema", "tl", "--db-pool-size", "4", "--leader-timeout", "6s");

    assertThat(s.store()).isInstanceOfSatisfying(StoreChoice.Postgres.class, p -> {
      assertThat(p.options().jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/jobs");
      assertThat(p.options().user()).isEqualTo("tasklane");
      assertThat(p.options().password()).isEqualTo("s3cret");
      assertThat(p.options().schema()).isEqualTo("tl");
      assertThat(p.options().poolSize()).isEqualTo(4);
      assertThat(p.options().listen()).isFalse();
      assertThat(p.options().leaderTimeout()).isEqualTo(Duration.ofSeconds(6));
      assertThat(p.location()).doesNotContain("s3cret");
    });
    // The leader confirms its lead well within the timeout.
    assertThat(s.workerConfig().reapInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.serverConfig().storeName()).isEqualTo("postgres");
  }

  @Test
  void webhooksComeFromFlagsOrTheEnvironmentAndMustBeAllowedAndSigned() {
    ServeSettings s =
        new CliRun(Map.of("TASKLANE_WEBHOOK_SECRET", "sixteen-chars-at-least"))
            .serveSettings(
                "--webhook", "notify=https://hooks.example.com/n",
                "--webhook", "bill=http://billing.internal:8080/hook",
                "--webhook-allow", "hooks.example.com,billing.internal:8080",
                "--webhook-timeout", "5s",
                "--no-builtin-tasks");
    assertThat(s.builtinTasks()).isFalse();
    assertThat(s.webhooks().webhooks()).extracting(w -> w.type() + " " + w.url() + " " + w.timeout())
        .containsExactly("notify https://hooks.example.com/n PT5S", "bill http://billing.internal:8080/hook PT5S");

    ServeSettings fromEnv =
        new CliRun(Map.of(
                "TASKLANE_WEBHOOKS", "a=https://h.example/a,b=https://h.example/b",
                "TASKLANE_WEBHOOK_ALLOW", "h.example",
                "TASKLANE_WEBHOOK_SECRET", "sixteen-chars-at-least"))
            .serveSettings();
    assertThat(fromEnv.webhooks().webhooks()).extracting(w -> w.type()).containsExactly("a", "b");
    assertThat(new CliRun().serveSettings().webhooks().isEmpty()).isTrue();

    CliRun notAllowed = new CliRun(Map.of("TASKLANE_WEBHOOK_SECRET", "sixteen-chars-at-least"));
    assertThat(notAllowed.execute("serve", "--webhook", "x=http://169.254.169.254/")).isEqualTo(ExitCodes.USAGE);
    assertThat(notAllowed.err()).contains("--webhook-allow");
    CliRun unsigned = new CliRun(Map.of());
    assertThat(unsigned.execute("serve", "--webhook", "x=https://h.example/", "--webhook-allow", "h.example"))
        .isEqualTo(ExitCodes.USAGE);
    assertThat(unsigned.err()).contains("signing secret");
  }

  @Test
  void servePostgresWithoutAUrlIsAUsageError() {
    CliRun run = new CliRun(Map.of());
    assertThat(run.execute("serve", "--store", "postgres")).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("--db-url");
    assertThat(new CliRun(Map.of()).execute("serve", "--store", "mysql")).isEqualTo(ExitCodes.USAGE);
  }

  @Test
  void serveFallsBackToTasklaneEnvironmentVariables() {
    Map<String, String> env =
        Map.ofEntries(
            Map.entry("TASKLANE_PORT", "9001"),
            Map.entry("TASKLANE_BIND", "0.0.0.0"),
            Map.entry("TASKLANE_DB", "/var/lib/tasklane/t.db"),
            Map.entry("TASKLANE_CONCURRENCY", "12"),
            Map.entry("TASKLANE_MAX_QUEUED", "50"),
            Map.entry("TASKLANE_SEED_TASK_DURATION", "500ms"),
            Map.entry("TASKLANE_QUEUE_LIMIT", "mail=2,reports=3"),
            Map.entry("TASKLANE_NODE_ID", "node-a"),
            Map.entry("TASKLANE_SHUTDOWN_TIMEOUT", "PT1M"),
            Map.entry("TASKLANE_LEASE", "45"));

    ServeSettings s = new CliRun(env).serveSettings();

    assertThat(s.port()).isEqualTo(9001);
    assertThat(s.bind()).isEqualTo("0.0.0.0");
    assertThat(s.store()).isEqualTo(new StoreChoice.Sqlite(Path.of("/var/lib/tasklane/t.db")));
    assertThat(s.concurrency()).isEqualTo(12);
    assertThat(s.maxQueued()).isEqualTo(50);
    assertThat(s.seedTaskDuration()).isEqualTo(Duration.ofMillis(500));
    assertThat(s.queueLimits()).containsExactlyInAnyOrderEntriesOf(Map.of("mail", 2, "reports", 3));
    assertThat(s.nodeId()).isEqualTo("node-a");
    assertThat(s.shutdownTimeout()).isEqualTo(Duration.ofMinutes(1));
    assertThat(s.lease()).isEqualTo(Duration.ofSeconds(45));
  }

  @Test
  void flagsWinOverEnvironmentVariables() {
    CliRun run = new CliRun(Map.of("TASKLANE_PORT", "9001", "TASKLANE_QUEUE_LIMIT", "mail=2"));

    ServeSettings s = run.serveSettings("--port", "9002", "--queue-limit", "mail=7", "--queue-limit", "x=1");

    assertThat(s.port()).isEqualTo(9002);
    assertThat(s.queueLimits()).containsExactlyInAnyOrderEntriesOf(Map.of("mail", 7, "x", 1));
    assertThat(s.workerConfig().limitOf("mail")).isEqualTo(5);
    assertThat(s.workerConfig().limitOf("x")).isEqualTo(1);
  }

  @Test
  void blankEnvironmentVariableCountsAsUnset() {
    assertThat(new CliRun(Map.of("TASKLANE_PORT", " ")).serveSettings().port()).isEqualTo(8000);
  }

  @Test
  void twoServersStartedWithoutANodeIdNeverShareOne() {
    assertThat(new CliRun().serveSettings().nodeId())
        .isNotEqualTo(new CliRun().serveSettings().nodeId());
  }

  @Test
  void theDatabaseTimeoutDefaultsToTenSecondsAndIsSetByFlagOrEnvironment() {
    Map<String, String> env =
        Map.of("TASKLANE_STORE", "postgres", "TASKLANE_DB_URL", "jdbc:postgresql://db:5432/jobs");
    assertThat(new CliRun(env).serveSettings().store())
        .isInstanceOfSatisfying(
            StoreChoice.Postgres.class,
            p -> assertThat(p.options().timeout()).isEqualTo(Duration.ofSeconds(10)));
    assertThat(new CliRun(Map.of("TASKLANE_STORE", "postgres", "TASKLANE_DB_URL", "jdbc:postgresql://db/j", "TASKLANE_DB_TIMEOUT", "3s")).serveSettings().store())
        .isInstanceOfSatisfying(
            StoreChoice.Postgres.class,
            p -> assertThat(p.options().timeout()).isEqualTo(Duration.ofSeconds(3)));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "--port abc | --port",
        "--port 70000 | --port must be between 0 and 65535",
        "--concurrency 0 | --concurrency must be between 1 and 10000",
        "--max-queued 0 | --max-queued must be at least 1",
        "--seed-task-duration soon | 'soon' is not a duration",
        "--lease 0s | --lease must be longer than zero",
        "--queue-limit mail=0 | --queue-limit mail must be at least 1",
        "--queue-limit mail | --queue-limit",
        "--queue-limit bad!name=2 | not a queue name",
        "--bogus | unknown option '--bogus'",
        "--lease 3s --shutdown-timeout -1s | '-1s' is not a duration"
      })
  void badServeFlagExitsWithUsageErrorAndSaysWhy(String flags, String message) {
    CliRun run = new CliRun();
    String[] args = ("serve " + flags).split(" ");

    int code = run.execute(args);

    assertThat(code).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains(message);
    assertThat(run.out()).doesNotContain("listening");
  }

  @Test
  void badEnvironmentValueIsAUsageErrorThatNamesTheVariable() {
    CliRun run = new CliRun(Map.of("TASKLANE_CONCURRENCY", "many"));

    assertThat(run.execute("serve")).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err())
        .contains("--concurrency")
        .contains("many")
        .contains("(from the environment: TASKLANE_CONCURRENCY)");
    CliRun typed = new CliRun(Map.of("TASKLANE_CONCURRENCY", "many"));
    assertThat(typed.execute("serve", "--concurrency", "lots")).isEqualTo(ExitCodes.USAGE);
    assertThat(typed.err()).contains("lots").doesNotContain("TASKLANE_CONCURRENCY");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "serve --bogus | tasklane serve: unknown option '--bogus'; see 'tasklane serve --help'",
        "serve --concurrency abc | tasklane serve: invalid value for option '--concurrency': 'abc' is"
            + " not an int; see 'tasklane serve --help'",
        "serve --port | tasklane serve: missing required parameter for option '--port' (<port>); see"
            + " 'tasklane serve --help'",
        "serve --port 70000 | tasklane serve: --port must be between 0 and 65535, not 70000; see"
            + " 'tasklane serve --help'",
        "submit | tasklane submit: missing required parameter: '<type>'; see 'tasklane submit"
            + " --help'",
        "status a b | tasklane status: unexpected argument 'b'; see 'tasklane status --help'",
        "bogus | tasklane: unknown command 'bogus'; see 'tasklane --help'",
        "stauts | tasklane: unknown command 'stauts' (did you mean 'status'?); see 'tasklane"
            + " --help'",
        "serve --prot 9000 | tasklane serve: unknown option '--prot' (did you mean '--port'?); see"
            + " 'tasklane serve --help'"
      })
  void aCommandLineMistakeIsOneLineNamingItAndTheHelpToRead(String args, String line) {
    CliRun run = new CliRun();

    assertThat(run.execute(args.split(" "))).isEqualTo(ExitCodes.USAGE);

    assertThat(run.err()).isEqualTo(line + System.lineSeparator());
    assertThat(run.out()).isEmpty();
  }

  @Test
  void everyCommandHasHelpNamingItsEnvironmentVariables() {
    for (String command : new String[] {"serve", "submit", "status"}) {
      CliRun run = new CliRun();

      assertThat(run.execute(command, "--help")).isZero();
      assertThat(run.out()).contains("Usage: tasklane " + command);
    }
    CliRun serve = new CliRun();
    serve.execute("serve", "--help");
    for (String variable : EnvDefaults.VARIABLES.values()) {
      if (!java.util.Set.of("TASKLANE_SERVER", "TASKLANE_TOKEN", "TASKLANE_CA_CERT").contains(variable)) {
        assertThat(serve.out()).contains(variable);
      }
    }
    CliRun submit = new CliRun();
    submit.execute("submit", "--help");
    assertThat(submit.out()).contains("TASKLANE_SERVER", "TASKLANE_TOKEN", "TASKLANE_CA_CERT");
  }

  @Test
  void versionIsPrintedByTheCommandAndItsSubcommands() {
    CliRun run = new CliRun();

    assertThat(run.execute("--version")).isZero();
    assertThat(run.out()).startsWith("tasklane ");
    assertThat(new CliRun().execute("serve", "--version")).isZero();
  }

  @Test
  void noSubcommandShowsUsageAndExits2() {
    CliRun run = new CliRun();

    assertThat(run.execute()).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("serve").contains("submit").contains("status");
  }

  @Test
  void submitWithPayloadThatIsNotJsonExits2BeforeCallingAnyServer() {
    CliRun run = new CliRun();

    assertThat(run.execute("submit", "echo", "{oops", "--server", "http://127.0.0.1:1")).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("<payload-json> is not valid JSON");
  }

  @Test
  void statusOfSomethingThatIsNotATaskIdExits2() {
    CliRun run = new CliRun();

    assertThat(run.execute("status", "42")).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("is not a task id");
  }

  @Test
  void submitWithoutPriorityLeavesTheFieldOutSoTheServersDefaultApplies() throws IOException {
    try (RecordingServer server = RecordingServer.answering("{\"id\": \"x\", \"priority\": 1}")) {
      CliRun plain = new CliRun();
      assertThat(plain.execute("submit", "process_task", "{\"data\": \"hi\", \"priority\": 3}", "--server", server.url()))
          .as(plain.err())
          .isZero();
      CliRun withFlag = new CliRun();
      assertThat(withFlag.execute("submit", "noop", "--priority", "7", "--server", server.url())).isZero();

      assertThat(server.bodies()).hasSize(2);
      JsonNode first = ApiClient.JSON.readTree(server.bodies().get(0));
      assertThat(first.has("priority")).as("no client-side default: %s", first).isFalse();
      assertThat(first.get("payload").get("priority").asInt()).isEqualTo(3);
      assertThat(ApiClient.JSON.readTree(server.bodies().get(1)).get("priority").asInt()).isEqualTo(7);
    }
    CliRun help = new CliRun();
    help.execute("submit", "--help");
    assertThat(help.out().replaceAll("\\s+", " "))
        .contains("(default: the server's, 1; for process_task the payload's own \"priority\")");
  }

  /** A server that asks for credentials refused the command: exit 1 with its status, never "unreachable". */
  @Test
  void anAnswerAskingForCredentialsIsARefusalNotAnUnreachableServer() throws IOException {
    try (RecordingServer server =
        RecordingServer.answering(
            401, Map.of("WWW-Authenticate", "Bearer"), "{\"detail\": \"Not authenticated\"}")) {
      CliRun submit = new CliRun();
      assertThat(submit.execute("submit", "noop", "--server", server.url())).isEqualTo(ExitCodes.FAILED);
      assertThat(submit.err()).contains("server refused (401)").doesNotContain("cannot reach");

      CliRun status = new CliRun();
      assertThat(status.execute("status", "--server", server.url())).isEqualTo(ExitCodes.FAILED);
      assertThat(status.err()).contains("server refused (401): Not authenticated");
    }
  }

  @Test
  void serverOptionThatIsNotAUrlExits2() {
    CliRun run = new CliRun(Map.of("TASKLANE_SERVER", "localhost:8000"));

    assertThat(run.execute("status")).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains("--server: 'localhost:8000' is not a URL");
  }

  @Test
  void clientCommandsExit3WithAHintWhenNoServerAnswers() throws IOException {
    String url = "http://127.0.0.1:" + unusedPort();
    for (String[] args :
        new String[][] {
          {"submit", "noop", "--server", url}, {"status", "--server", url},
        }) {
      CliRun run = new CliRun();

      assertThat(run.execute(args)).isEqualTo(ExitCodes.UNREACHABLE);
      assertThat(run.err()).contains("cannot reach a Tasklane server at " + url).contains("./tasklane serve");
    }
  }

  @Test
  void clientCommandsReadTheServerFromTheEnvironment() throws IOException {
    String url = "http://127.0.0.1:" + unusedPort();
    CliRun run = new CliRun(Map.of("TASKLANE_SERVER", url));

    assertThat(run.execute("status")).isEqualTo(ExitCodes.UNREACHABLE);
    assertThat(run.err()).contains(url);
  }

  @Test
  void queueSummaryShowsALimitThatIsNotSetAsADashAndEveryColumn() throws IOException {
    String health =
        "{\"status\":\"ok\",\"node_id\":\"n1\",\"lifecycle\":\"running\",\"in_flight\":2,"
            + "\"concurrency\":5,\"store\":\"sqlite\"}";
    String queues =
        "{\"queues\":["
            + "{\"name\":\"default\",\"queued\":12,\"scheduled\":3,\"running\":2,\"claimed\":1,"
            + "\"limit\":null,\"node_limit\":5,\"succeeded\":40,\"failed\":1,\"cancelled\":0,"
            + "\"paused\":false},"
            + "{\"name\":\"reports\",\"queued\":0,\"scheduled\":0,\"running\":1,\"claimed\":0,"
            + "\"limit\":2,\"node_limit\":2,\"succeeded\":7,\"failed\":0,\"cancelled\":4,"
            + "\"paused\":true}]}";
    try (RecordingServer server =
        RecordingServer.answering(Map.of("/health", health, "/api/v1/queues", queues))) {
      CliRun run = new CliRun();
      assertThat(run.execute("status", "--server", server.url())).as(run.err()).isZero();

      assertThat(run.out().lines())
          .containsExactly(
              "Tasklane at " + server.url() + ": ok",
              "  node n1, running, 2 of 5 slots busy, store sqlite",
              "QUEUE    SCHEDULED  QUEUED  CLAIMED  RUNNING  SUCCEEDED  FAILED  CANCELLED  LIMIT  NODE LIMIT  PAUSED",
              "default          3      12        1        2         40       1          0      -           5      no",
              "reports          0       0        0        1          7       0          4      2           2     yes");

      CliRun json = new CliRun();
      assertThat(json.execute("status", "--json", "--server", server.url())).isZero();
      JsonNode both = ApiClient.JSON.readTree(json.out());
      assertThat(both.get("queues").get(0).get("limit").isNull()).isTrue();
      assertThat(both.get("health").get("node_id").asText()).isEqualTo("n1");
    }
  }

  /** A port nothing listens on: bound, then released. */
  private static int unusedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
