package dev.tasklane.bench;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;

/**
 * What {@code tasklane bench} runs. Immutable; start from {@link #defaults()} and adjust with the
 * {@code with*} methods.
 *
 * @param store where the tasks live; each scenario run gets a fresh database of it
 * @param dbUrl the PostgreSQL JDBC URL (used with {@link StoreKind#POSTGRES} only)
 * @param dbPoolSize connections per PostgreSQL store (node), 1 to 1000
 * @param scenarios what to run, in order, without repeats; not empty
 * @param tasks the size of every scenario, or {@code null} for each one's {@link
 *     Scenario#defaultTasks default}; at least 1
 * @param concurrency handlers per node (and its default queue limit), and the threads of {@code
 *     enqueue-single}; 1 to 10,000
 * @param connections HTTP connections of the {@code http} scenario; 1 to 10,000
 * @param runs how often each scenario runs; with more than one, a median row follows; 1 to 100
 * @param warmup how long {@code http} and {@code latency} send work before they start counting
 * @param compare a peer to measure beside Tasklane in every scenario it has, on the same database
 *     server and in the same run, or {@code null} for Tasklane alone; peers run on PostgreSQL only
 */
public record BenchConfig(
    StoreKind store,
    String dbUrl,
    int dbPoolSize,
    List<Scenario> scenarios,
    Integer tasks,
    int concurrency,
    int connections,
    int runs,
    Duration warmup,
    Contender compare) {

  /** The local PostgreSQL server every development machine of the project runs. */
  public static final String DEFAULT_DB_URL = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
  public static final int DEFAULT_DB_POOL_SIZE = 10;
  public static final int DEFAULT_CONCURRENCY = 16;
  public static final int DEFAULT_CONNECTIONS = 64;
  public static final int DEFAULT_RUNS = 1;
  public static final Duration DEFAULT_WARMUP = Duration.ofSeconds(2);
  /** How long {@code http} counts when no {@code tasks} (request count) is given. */
  public static final Duration HTTP_DURATION = Duration.ofSeconds(10);
  /** Tasks per {@code submitAll} call in {@code enqueue-batch} and when seeding. */
  public static final int BATCH_SIZE = 1000;
  /** Submitting threads of {@code enqueue-batch}. */
  public static final int BATCH_THREADS = 4;
  /** Time between two submissions of {@code latency}. */
  public static final Duration LATENCY_INTERVAL = Duration.ofMillis(20);

  /**
   * @throws IllegalArgumentException if a value is out of range
   */
  public BenchConfig {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(dbUrl, "dbUrl");
    Objects.requireNonNull(scenarios, "scenarios");
    Objects.requireNonNull(warmup, "warmup");
    scenarios = List.copyOf(new LinkedHashSet<>(scenarios));
    if (scenarios.isEmpty()) {
      throw new IllegalArgumentException("name at least one scenario");
    }
    if (store == StoreKind.POSTGRES && !dbUrl.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "the PostgreSQL URL must look like jdbc:postgresql://HOST:PORT/DATABASE, not '" + redact(dbUrl) + "'");
    }
    requireRange("db pool size", dbPoolSize, 1, 1000);
    if (tasks != null) {
      requireRange("tasks", tasks, 1, 100_000_000);
    }
    requireRange("concurrency", concurrency, 1, 10_000);
    requireRange("connections", connections, 1, 10_000);
    requireRange("runs", runs, 1, 100);
    if (compare == Contender.TASKLANE) {
      throw new IllegalArgumentException("compare names a peer, not Tasklane itself");
    }
    if (compare != null && store != StoreKind.POSTGRES) {
      throw new IllegalArgumentException(
          "a comparison runs on PostgreSQL (--store postgres): the peers' SQLite support is not what their users run");
    }
    if (warmup.isNegative()) {
      throw new IllegalArgumentException("warmup must not be negative: " + warmup);
    }
  }

  /** Every scenario on SQLite with the documented sizes. */
  public static BenchConfig defaults() {
    return new BenchConfig(
        StoreKind.SQLITE,
        DEFAULT_DB_URL,
        DEFAULT_DB_POOL_SIZE,
        List.of(Scenario.values()),
        null,
        DEFAULT_CONCURRENCY,
        DEFAULT_CONNECTIONS,
        DEFAULT_RUNS,
        DEFAULT_WARMUP,
        null);
  }

  /** The size {@code scenario} runs with: {@code tasks} if given, else the scenario's default. */
  public int tasksFor(Scenario scenario) {
    return tasks != null ? tasks : scenario.defaultTasks(store);
  }

  public BenchConfig withStore(StoreKind value) {
    return new BenchConfig(value, dbUrl, dbPoolSize, scenarios, tasks, concurrency, connections, runs, warmup, compare);
  }

  public BenchConfig withDbUrl(String value) {
    return new BenchConfig(store, value, dbPoolSize, scenarios, tasks, concurrency, connections, runs, warmup, compare);
  }

  public BenchConfig withDbPoolSize(int value) {
    return new BenchConfig(store, dbUrl, value, scenarios, tasks, concurrency, connections, runs, warmup, compare);
  }

  public BenchConfig withScenarios(List<Scenario> value) {
    return new BenchConfig(store, dbUrl, dbPoolSize, value, tasks, concurrency, connections, runs, warmup, compare);
  }

  /** {@code null} restores each scenario's default size. */
  public BenchConfig withTasks(Integer value) {
    return new BenchConfig(store, dbUrl, dbPoolSize, scenarios, value, concurrency, connections, runs, warmup, compare);
  }

  public BenchConfig withConcurrency(int value) {
    return new BenchConfig(store, dbUrl, dbPoolSize, scenarios, tasks, value, connections, runs, warmup, compare);
  }

  public BenchConfig withConnections(int value) {
    return new BenchConfig(store, dbUrl, dbPoolSize, scenarios, tasks, concurrency, value, runs, warmup, compare);
  }

  public BenchConfig withRuns(int value) {
    return new BenchConfig(store, dbUrl, dbPoolSize, scenarios, tasks, concurrency, connections, value, warmup, compare);
  }

  public BenchConfig withWarmup(Duration value) {
    return new BenchConfig(store, dbUrl, dbPoolSize, scenarios, tasks, concurrency, connections, runs, value, compare);
  }

  /** {@code null}: Tasklane alone. */
  public BenchConfig withCompare(Contender value) {
    return new BenchConfig(store, dbUrl, dbPoolSize, scenarios, tasks, concurrency, connections, runs, warmup, value);
  }

  /** Who runs each scenario: Tasklane, then the peer if one is compared. */
  public List<Contender> contenders() {
    return compare == null ? List.of(Contender.TASKLANE) : List.of(Contender.TASKLANE, compare);
  }

  /** The URL without its query string, which may carry a password: for messages. */
  public String dbLocation() {
    return redact(dbUrl);
  }

  private static String redact(String url) {
    int query = url.indexOf('?');
    return query < 0 ? url : url.substring(0, query);
  }

  private static void requireRange(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", not " + value);
    }
  }
}
