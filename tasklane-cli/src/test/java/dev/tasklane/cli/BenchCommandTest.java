package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tasklane.bench.BenchConfig;
import dev.tasklane.bench.Contender;
import dev.tasklane.bench.Scenario;
import dev.tasklane.bench.StoreKind;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Options of {@code tasklane bench}; no scenario runs here (see {@link BenchSmokeTest}). */
class BenchCommandTest {

  @Test
  void withoutFlagsEveryScenarioRunsOnSqliteWithTheDocumentedSettings() {
    BenchConfig c = config(Map.of());

    assertThat(c).isEqualTo(BenchConfig.defaults());
    assertThat(c.dbUrl()).isEqualTo("jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
  }

  @Test
  void flagsChooseStoreScenariosAndSizes() {
    BenchConfig c =
        config(
            Map.of(),
            "--store", "postgres",
            "--db-url", "jdbc:postgresql://db:5432/bench",
            "--db-pool-size", "20",
            "--scenario", "latency",
            "--scenario", "drain,http",
            "--tasks", "5000",
            "--concurrency", "32",
            "--connections", "8",
            "--runs", "3",
            "--warmup", "500ms");

    assertThat(c.store()).isEqualTo(StoreKind.POSTGRES);
    assertThat(c.dbUrl()).isEqualTo("jdbc:postgresql://db:5432/bench");
    assertThat(c.dbPoolSize()).isEqualTo(20);
    assertThat(c.scenarios()).containsExactly(Scenario.LATENCY, Scenario.DRAIN, Scenario.HTTP);
    assertThat(c.tasks()).isEqualTo(5000);
    assertThat(c.concurrency()).isEqualTo(32);
    assertThat(c.connections()).isEqualTo(8);
    assertThat(c.runs()).isEqualTo(3);
    assertThat(c.warmup()).isEqualTo(Duration.ofMillis(500));
  }

  @Test
  void compareRunsOnPostgresAndDefaultsToTheScenariosThePeerHas() {
    BenchConfig c = config(Map.of(), "--compare", "db-scheduler", "--runs", "3");

    assertThat(c.compare()).isEqualTo(Contender.DB_SCHEDULER);
    assertThat(c.store()).isEqualTo(StoreKind.POSTGRES);
    assertThat(c.scenarios())
        .containsExactly(
            Scenario.ENQUEUE_SERIAL, Scenario.ENQUEUE_SINGLE, Scenario.ENQUEUE_BULK, Scenario.DRAIN, Scenario.LATENCY);
    assertThat(config(Map.of(), "--compare", "db-scheduler", "--scenario", "drain").scenarios())
        .containsExactly(Scenario.DRAIN);
    assertThat(config(Map.of()).compare()).isNull();
  }

  @Test
  void theDatabaseUrlComesFromTheEnvironmentButServesSettingsDoNot() {
    Map<String, String> env =
        Map.of(
            "TASKLANE_DB_URL", "jdbc:postgresql://elsewhere:5432/x",
            "TASKLANE_CONCURRENCY", "5",
            "TASKLANE_STORE", "postgres");

    BenchConfig c = config(env);

    assertThat(c.dbUrl()).isEqualTo("jdbc:postgresql://elsewhere:5432/x");
    assertThat(c.concurrency()).isEqualTo(16);
    assertThat(c.store()).isEqualTo(StoreKind.SQLITE);
    assertThat(config(env, "--db-url", "jdbc:postgresql://flag:5432/y").dbUrl())
        .isEqualTo("jdbc:postgresql://flag:5432/y");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "--store mysql | --store must be sqlite or postgres, not 'mysql'",
        "--scenario throughput | no scenario 'throughput'; there are: drain, enqueue-serial, enqueue-single",
        "--compare quartz | --compare: no peer 'quartz' to compare with; there is: db-scheduler",
        "--compare db-scheduler --store sqlite | --compare runs on PostgreSQL",
        "--tasks 0 | --tasks must be at least 1",
        "--tasks many | --tasks",
        "--concurrency 0 | --concurrency must be between 1 and 10000",
        "--connections 20000 | --connections must be between 1 and 10000",
        "--runs 0 | --runs must be between 1 and 100",
        "--db-pool-size 0 | --db-pool-size must be between 1 and 1000",
        "--warmup soon | 'soon' is not a duration",
        "--store postgres --db-url jdbc:mysql://x/y | --db-url must be a PostgreSQL JDBC URL"
      })
  void badFlagsAreUsageErrorsThatSayWhy(String flags, String message) {
    CliRun run = new CliRun();

    int code = run.execute(("bench " + flags).split(" "));

    assertThat(code).isEqualTo(ExitCodes.USAGE);
    assertThat(run.err()).contains(message);
    assertThat(run.out()).doesNotContain("scenario ");
  }

  @Test
  void helpListsEveryScenarioAndWarnsThatBacklogTakesMinutes() {
    CliRun run = new CliRun();

    assertThat(run.execute("bench", "--help")).isZero();

    assertThat(run.out()).contains("Usage: tasklane bench");
    for (Scenario s : Scenario.values()) {
      assertThat(run.out()).contains("  " + s.id() + " ");
    }
    assertThat(run.out()).contains("MINUTES").contains("TASKLANE_DB_URL").contains("--json");
    CliRun top = new CliRun();
    top.execute("--help");
    assertThat(top.out()).contains("bench");
  }

  /** Parses {@code bench} with these flags and environment and returns what it would run. */
  private static BenchConfig config(Map<String, String> env, String... flags) {
    CliRun run = new CliRun(env);
    String[] args = new String[flags.length + 1];
    args[0] = "bench";
    System.arraycopy(flags, 0, args, 1, flags.length);
    run.commandLine.parseArgs(args);
    BenchCommand bench = run.commandLine.getSubcommands().get("bench").getCommand();
    return bench.config();
  }
}
