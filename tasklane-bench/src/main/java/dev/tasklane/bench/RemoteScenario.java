package dev.tasklane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.QueueStats;
import dev.tasklane.TaskId;
import dev.tasklane.TaskRequest;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskType;
import dev.tasklane.Worker;
import dev.tasklane.client.RemoteWorker;
import dev.tasklane.server.ServerConfig;
import dev.tasklane.server.TasklaneServer;
import dev.tasklane.spi.TaskStore;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * The worker protocol's own cost: a server node in this process that runs no handler of its own,
 * and remote workers that take its tasks over HTTP on loopback.
 *
 * <ul>
 *   <li>{@code remote-drain}: N no-op tasks queued first (not timed), then 4 Java {@link
 *       RemoteWorker}s of {@code concurrency} handlers each drain them; timed from the workers'
 *       start until the store counts every task succeeded.
 *   <li>{@code remote-drain-python}: the same with 4 Python worker processes ({@code
 *       clients/python/bench/noop_worker.py}, run by {@code /usr/bin/python3}).
 *   <li>{@code remote-latency}: one idle Java worker waiting in its long poll; one submission every
 *       20 ms; for each task, from {@code submit()} returning to its handler's first line in the
 *       worker (one process, one clock).
 * </ul>
 */
final class RemoteScenario implements ScenarioRunner {
  static final int WORKERS = 4;
  private static final String HOST = "127.0.0.1";
  private static final Duration POLL = Duration.ofMillis(20);

  private enum Kind {
    JAVA_DRAIN,
    PYTHON_DRAIN,
    LATENCY
  }

  private final Kind kind;

  private RemoteScenario(Kind kind) {
    this.kind = kind;
  }

  static RemoteScenario javaDrain() {
    return new RemoteScenario(Kind.JAVA_DRAIN);
  }

  static RemoteScenario pythonDrain() {
    return new RemoteScenario(Kind.PYTHON_DRAIN);
  }

  static RemoteScenario latency() {
    return new RemoteScenario(Kind.LATENCY);
  }

  @Override
  public Measurement run(RunContext ctx) throws Exception {
    TaskStore store = ctx.db().open();
    // The type is the workers': announced before the node starts, so the node's own engine passes
    // over its tasks from the first claim.
    store.announceTypes(Set.of(BenchNodes.NOOP));
    try (Worker server =
        Worker.builder(store).config(BenchNodes.config(ctx.nodeId(""), ctx.config().concurrency())).build()) {
      server.start();
      TasklaneServer http =
          TasklaneServer.create(
                  server,
                  ServerConfig.defaults().withBindAddress(HOST).withPort(0).withStoreName(ctx.config().store().id()))
              .start();
      try {
        URI url = URI.create(http.url());
        return switch (kind) {
          case JAVA_DRAIN, PYTHON_DRAIN -> drain(ctx, server, url);
          case LATENCY -> latency(ctx, server, url);
        };
      } finally {
        http.stop();
      }
    }
  }

  private Measurement drain(RunContext ctx, Worker server, URI url) throws Exception {
    int n = ctx.tasks();
    int concurrency = ctx.config().concurrency();
    BenchNodes.seed(server, n, ctx);
    ctx.say(
        "draining %,d tasks with %d %s workers of %d handlers, over HTTP",
        n, WORKERS, kind == Kind.PYTHON_DRAIN ? "Python" : "Java", concurrency);
    List<AutoCloseable> workers = new ArrayList<>();
    long start = System.nanoTime();
    try {
      for (int i = 0; i < WORKERS; i++) {
        workers.add(kind == Kind.PYTHON_DRAIN ? python(url, concurrency, i, ctx) : java(url, concurrency, i, noop()));
      }
      long end = awaitSucceeded(server, n, ctx);
      long failed = server.queues().stream().mapToLong(q -> q.failed() + q.cancelled()).sum();
      return new Measurement(n, BenchNodes.seconds(start, end), null, failed);
    } finally {
      for (AutoCloseable w : workers) {
        w.close();
      }
    }
  }

  private Measurement latency(RunContext ctx, Worker server, URI url) throws Exception {
    int n = ctx.tasks();
    Map<TaskId, Long> started = new ConcurrentHashMap<>(2 * n);
    TaskType<JsonNode> probe =
        TaskType.of(BenchNodes.NOOP, JsonNode.class, (p, task) -> {
          started.putIfAbsent(task.taskId(), System.nanoTime());
          return TaskResult.success();
        });
    try (RemoteWorker worker = java(url, ctx.config().concurrency(), 0, probe)) {
      Thread.sleep(Duration.ofMillis(500)); // the worker's first long poll is waiting
      long interval = dev.tasklane.bench.BenchConfig.LATENCY_INTERVAL.toNanos();
      ctx.say("%,d submissions, one every %d ms, run by a remote worker waiting in its long poll", n, interval / 1_000_000);
      TaskId[] ids = new TaskId[n];
      long[] acked = new long[n];
      long start = System.nanoTime();
      long errors = 0;
      for (int k = 0; k < n; k++) {
        LockSupport.parkNanos(start + k * interval - System.nanoTime());
        try {
          ids[k] = server.submit(TaskRequest.builder(BenchNodes.NOOP).build()).task().id();
          acked[k] = System.nanoTime();
        } catch (RuntimeException e) {
          errors++;
        }
      }
      long end = awaitSucceeded(server, n - errors, ctx);
      Samples latencies = new Samples(n);
      for (int k = 0; k < n; k++) {
        if (ids[k] != null) {
          Long began = started.get(ids[k]);
          latencies.add(began == null ? 0 : Math.max(0, began - acked[k]));
        }
      }
      return new Measurement(n - errors, BenchNodes.seconds(start, end), latencies.percentiles(), errors);
    }
  }

  private static TaskType<JsonNode> noop() {
    return TaskType.of(BenchNodes.NOOP, JsonNode.class, (p, c) -> TaskResult.success());
  }

  private static RemoteWorker java(URI url, int concurrency, int i, TaskType<JsonNode> type) {
    return RemoteWorker.builder(url)
        .token(null)
        .id("bench-java-" + i)
        .concurrency(concurrency)
        .claimWait(Duration.ofSeconds(2))
        .shutdownTimeout(Duration.ofSeconds(5))
        .register(type)
        .start();
  }

  private static AutoCloseable python(URI url, int concurrency, int i, RunContext ctx) throws IOException {
    Path script = pythonClient().resolve("bench").resolve("noop_worker.py");
    Process p =
        new ProcessBuilder(
                "/usr/bin/python3", script.toString(), url.toString(), BenchNodes.NOOP,
                Integer.toString(concurrency), "bench-python-" + i)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    return () -> {
      p.destroy(); // SIGTERM: a graceful stop
      if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    };
  }

  /** {@code clients/python} of the repository this runs from, found upwards of the working folder. */
  static Path pythonClient() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("clients").resolve("python");
      if (Files.isRegularFile(candidate.resolve("tasklane").resolve("__init__.py"))) {
        return candidate;
      }
    }
    throw new BenchException(
        "remote-drain-python needs the repository's clients/python: run the benchmark from a clone");
  }

  /** Waits until the store counts {@code n} tasks succeeded. */
  private static long awaitSucceeded(Worker server, long n, RunContext ctx) {
    long start = System.nanoTime();
    long last = -1;
    long lastChange = start;
    long lastReport = start;
    while (true) {
      long done = server.queues().stream().mapToLong(QueueStats::succeeded).sum();
      long now = System.nanoTime();
      if (done >= n) {
        return now;
      }
      if (done != last) {
        last = done;
        lastChange = now;
      } else if (now - lastChange > BenchNodes.STALL_TIMEOUT.toNanos()) {
        throw new BenchException(String.format(java.util.Locale.ROOT,
            "%s stalled: %,d of %,d tasks succeeded, none in the last %d s",
            ctx.scenario().id(), done, n, BenchNodes.STALL_TIMEOUT.toSeconds()));
      }
      if (now - lastReport >= BenchNodes.PROGRESS_EVERY.toNanos()) {
        ctx.say("%,d of %,d succeeded (%,.0f/s so far)", done, n, done / BenchNodes.seconds(start, now));
        lastReport = now;
      }
      LockSupport.parkNanos(POLL.toNanos());
    }
  }
}
