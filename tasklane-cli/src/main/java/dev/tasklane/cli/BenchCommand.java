package dev.tasklane.cli;

import dev.tasklane.bench.Bench;
import dev.tasklane.bench.BenchConfig;
import dev.tasklane.bench.BenchException;
import dev.tasklane.bench.ConsoleOutput;
import dev.tasklane.bench.Contender;
import dev.tasklane.bench.Scenario;
import dev.tasklane.bench.StoreKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tasklane bench}: runs named scenarios against a fresh database of the chosen store and
 * prints a table, or JSON lines with {@code --json}. The scenarios live in {@code tasklane-bench};
 * this class only reads the options.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Measure this build: run named scenarios, one row per run.",
      "Each runs on a fresh database: a new SQLite file, or a new PostgreSQL schema",
      "dropped afterwards.",
      "",
      "Scenarios, in the order they run, with their default size (--tasks sets all):",
      "  drain           100,000 tasks already queued, run by one node with",
      "                  --concurrency handlers: tasks/s from start() to the last",
      "                  succeeded",
      "  enqueue-serial  20,000 submit() calls of one task each, from one",
      "                  thread: tasks/s, latency per call",
      "  enqueue-single  100,000 (postgres: 50,000) submit() calls of one task",
      "                  each, from --concurrency threads: tasks/s, latency per call",
      "  enqueue-batch   500,000 tasks by submitAll() in batches of 1,000 from",
      "                  4 threads: tasks/s, latency per batch",
      "  enqueue-bulk    20,000 tasks in one submitBulk() call (streamed, one",
      "                  transaction): tasks/s and peak heap",
      "  http            10 s (or --tasks requests) of POST /api/v1/tasks on",
      "                  --connections keep-alive connections to a running node,",
      "                  after --warmup: 202s per second, latency per request",
      "  latency         500 submissions, one every 20 ms (10 s), to an idle node,",
      "                  after --warmup: submit() return to the handler's first",
      "                  line; on postgres submitted on one node, run on another",
      "  backlog         1,000,000 tasks queued, then drained: tasks/s and peak",
      "                  heap. Takes MINUTES (seeding the million included).",
      "  remote-drain    20,000 tasks queued on a node with no handler of its own,",
      "                  drained over HTTP by 4 Java remote workers (tasklane-client)",
      "                  of --concurrency handlers: tasks/s through the worker protocol",
      "  remote-drain-python  the same with 4 Python worker processes",
      "                  (clients/python, run by /usr/bin/python3)",
      "  remote-latency  500 submissions, one every 20 ms, to an idle Java remote",
      "                  worker waiting in its long poll: submit() return to the",
      "                  handler's first line in the worker",
      "  drain-rate-limited  10,000 tasks queued, drained through a queue rate",
      "                  limit of 1,000 a second (burst 100): tasks/s against the limit",
      ""
    },
    footer = {
      "",
      "Output: a table on stdout once every scenario has run (progress on stderr",
      "meanwhile), or with --json one JSON line per run as soon as it finishes:",
      "scenario, system, store, tasks, seconds, tasks_per_sec, p50_ms, p95_ms,",
      "p99_ms, peak_heap_mb (null where a figure does not apply), errors, run",
      "(\"median\" on the row after several runs), runs.",
      "",
      "--compare db-scheduler runs db-scheduler (through its public API, on the",
      "same PostgreSQL server, pool size and thread count) after each of Tasklane's",
      "runs of drain, backlog, the enqueue scenarios and latency, then prints both",
      "and their ratios: tasks/s as Tasklane's over db-scheduler's, latencies as",
      "db-scheduler's over Tasklane's (above 1: Tasklane ahead). In latency,",
      "db-scheduler runs in one process with immediate execution.",
      "",
      "Peak heap: the most heap in use (live or not yet collected), sampled every",
      "50 ms from the start of the run, seeding included. The heap limit is the",
      "JVM's default unless JAVA_TOOL_OPTIONS sets one (e.g. -Xmx2g).",
      "",
      "Exit status: 0 when every run finished without errors, 1 otherwise, 2 for",
      "bad options.",
      "",
      "Examples:",
      "  tasklane bench --store sqlite",
      "  tasklane bench --store postgres --scenario drain,latency --runs 3",
      "  tasklane bench --compare db-scheduler --runs 3",
      "  tasklane bench --scenario http --json > http.jsonl"
    })
final class BenchCommand implements Callable<Integer> {

  /** Only the database URL comes from the environment: a bench's sizes are explicit, never inherited. */
  static final Map<String, String> VARIABLES = Map.of("--db-url", "TASKLANE_DB_URL");

  @Spec CommandSpec spec;

  @Option(
      names = "--store",
      paramLabel = "sqlite|postgres",
      description = "Store to measure (default sqlite; postgres with --compare).")
  String store;

  @Option(
      names = "--compare",
      paramLabel = "<peer>",
      description =
          "Measure a peer beside Tasklane in the same run, on PostgreSQL: db-scheduler (see below).")
  String compare;

  @Option(
      names = "--db-url",
      paramLabel = "<jdbc-url>",
      defaultValue = BenchConfig.DEFAULT_DB_URL,
      // The URL on a line of its own: wrapped, it would break inside (at "//" or a dot).
      description = {
        "PostgreSQL JDBC URL, with --store postgres; each run creates and drops a schema of its own"
            + " there (env TASKLANE_DB_URL). Default:",
        "${DEFAULT-VALUE}"
      })
  String dbUrl;

  @Option(
      names = "--db-pool-size",
      paramLabel = "<n>",
      defaultValue = "" + BenchConfig.DEFAULT_DB_POOL_SIZE,
      description = "PostgreSQL connections per node (default ${DEFAULT-VALUE}, as tasklane serve).")
  int dbPoolSize;

  @Option(
      names = "--scenario",
      paramLabel = "<name>",
      split = ",",
      description =
          "Scenario to run; repeatable, or comma-separated (default: all, in the order listed above).")
  List<String> scenarios = new ArrayList<>();

  @Option(
      names = "--tasks",
      paramLabel = "<n>",
      description = "Size of every scenario instead of its default (http: requests to count).")
  Integer tasks;

  @Option(
      names = "--concurrency",
      paramLabel = "<n>",
      defaultValue = "" + BenchConfig.DEFAULT_CONCURRENCY,
      description =
          "Handlers per node (also its queue limit), and submitting threads of enqueue-single"
              + " (default ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(
      names = "--connections",
      paramLabel = "<n>",
      defaultValue = "" + BenchConfig.DEFAULT_CONNECTIONS,
      description = "HTTP connections of the http scenario (default ${DEFAULT-VALUE}).")
  int connections;

  @Option(
      names = "--runs",
      paramLabel = "<n>",
      defaultValue = "" + BenchConfig.DEFAULT_RUNS,
      description =
          "Runs of each scenario, each on a fresh database; with more than one, a median row"
              + " follows (default ${DEFAULT-VALUE}).")
  int runs;

  @Option(
      names = "--warmup",
      paramLabel = "<duration>",
      defaultValue = "2s",
      description =
          "How long http and latency send work before they count; 0s for none (default ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(names = "--json", description = "One JSON object per line instead of a table.")
  boolean json;

  private final ShutdownHooks hooks;

  BenchCommand(ShutdownHooks hooks) {
    this.hooks = hooks;
  }

  @Override
  public Integer call() throws InterruptedException {
    BenchConfig config = config();
    Bench bench =
        new Bench(config, new ConsoleOutput(spec.commandLine().getOut(), spec.commandLine().getErr(), json));
    hooks.register("tasklane-bench-cleanup", bench::abandon);
    BenchLogging logging = BenchLogging.quiet();
    try {
      return bench.run() == 0 ? ExitCodes.OK : ExitCodes.FAILED;
    } catch (BenchException e) {
      throw new CommandFailedException(ExitCodes.FAILED, e.getMessage());
    } finally {
      logging.close();
    }
  }

  /**
   * Checks and resolves the options.
   *
   * @throws ParameterException naming the flag, for a value out of range
   */
  BenchConfig config() {
    Contender peer = null;
    if (compare != null) {
      try {
        peer = Contender.parsePeer(compare);
      } catch (IllegalArgumentException e) {
        throw usage("--compare: " + e.getMessage());
      }
    }
    StoreKind storeKind;
    String storeName = store != null ? store : peer != null ? "postgres" : "sqlite";
    try {
      storeKind = StoreKind.parse(storeName);
    } catch (IllegalArgumentException e) {
      throw usage("--store must be sqlite or postgres, not '" + store + "'");
    }
    require(
        peer == null || storeKind == StoreKind.POSTGRES,
        "--compare runs on PostgreSQL: leave --store out, or give --store postgres");
    List<Scenario> chosen = new ArrayList<>();
    for (String name : scenarios) {
      try {
        chosen.add(Scenario.parse(name));
      } catch (IllegalArgumentException e) {
        throw usage("--scenario: " + e.getMessage());
      }
    }
    if (chosen.isEmpty()) {
      chosen = List.of(Scenario.values());
    }
    // With a peer and no scenario named: the scenarios the peer has, so the command measures the
    // comparison rather than an hour of Tasklane-only scenarios.
    if (scenarios.isEmpty() && peer != null) {
      chosen = List.of(
          Scenario.ENQUEUE_SERIAL, Scenario.ENQUEUE_SINGLE, Scenario.ENQUEUE_BULK, Scenario.DRAIN, Scenario.LATENCY);
    }
    require(tasks == null || tasks >= 1, "--tasks must be at least 1, not " + tasks);
    require(concurrency >= 1 && concurrency <= 10_000, "--concurrency must be between 1 and 10000, not " + concurrency);
    require(connections >= 1 && connections <= 10_000, "--connections must be between 1 and 10000, not " + connections);
    require(runs >= 1 && runs <= 100, "--runs must be between 1 and 100, not " + runs);
    require(dbPoolSize >= 1 && dbPoolSize <= 1000, "--db-pool-size must be between 1 and 1000, not " + dbPoolSize);
    require(
        storeKind != StoreKind.POSTGRES || dbUrl.startsWith("jdbc:postgresql:"),
        "--db-url must be a PostgreSQL JDBC URL like jdbc:postgresql://HOST:PORT/DATABASE (or TASKLANE_DB_URL)");
    try {
      return new BenchConfig(storeKind, dbUrl, dbPoolSize, chosen, tasks, concurrency, connections, runs, warmup, peer);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  private void require(boolean condition, String message) {
    if (!condition) {
      throw usage(message);
    }
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  /** Environment fallbacks of this command: {@link #VARIABLES}, blank counting as unset. */
  static IDefaultValueProvider environment(Map<String, String> env) {
    Map<String, String> copy = Map.copyOf(env);
    return argSpec -> {
      if (!(argSpec instanceof OptionSpec option)) {
        return null;
      }
      String variable = VARIABLES.get(option.longestName());
      String value = variable == null ? null : copy.get(variable);
      return value == null || value.isBlank() ? null : value.strip();
    };
  }
}
