package dev.tasklane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.TaskId;
import dev.tasklane.TaskRequest;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskType;
import dev.tasklane.Worker;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code latency}: an idle node receives one submission every {@link
 * BenchConfig#LATENCY_INTERVAL} (a fixed-rate scheduler); for each task, the time from {@code
 * submit()} returning (the acknowledgment) to the first line of its handler. On PostgreSQL the
 * producer and the runner are two nodes, each with its own store (pool, listener): the task is
 * submitted on one and runs on the other, woken by {@code LISTEN/NOTIFY}. SQLite allows one node,
 * which both submits and runs.
 *
 * <p>The same rate runs for {@code warmup} first, not counted, so that the figures show a warm,
 * idle node rather than the first calls of a fresh JVM. Timed from the first counted submission to
 * the last handler's start.
 */
final class LatencyScenario implements ScenarioRunner {
  private static final String PROBE = "probe";
  private static final TaskRequest PROBE_REQUEST = TaskRequest.builder(PROBE).build();
  /** Lets a freshly started node finish its first maintenance round before the clock starts. */
  private static final Duration SETTLE = Duration.ofSeconds(1);

  @Override
  public Measurement run(RunContext ctx) throws Exception {
    int n = ctx.tasks();
    int concurrency = ctx.config().concurrency();
    Map<TaskId, Long> handlerStarted = new ConcurrentHashMap<>(2 * n);
    TaskType<JsonNode> probe =
        TaskType.of(
            PROBE,
            JsonNode.class,
            (payload, task) -> {
              long now = System.nanoTime();
              handlerStarted.putIfAbsent(task.taskId(), now);
              return TaskResult.success();
            });
    boolean twoNodes = ctx.db().allowsSecondNode();
    try (Worker runner =
            Worker.builder(ctx.db().open())
                .config(BenchNodes.config(ctx.nodeId(twoNodes ? "runner" : ""), concurrency))
                .register(probe)
                .build();
        Worker producer =
            twoNodes
                ? Worker.builder(ctx.db().open())
                    .config(BenchNodes.config(ctx.nodeId("producer"), concurrency))
                    .register(probe)
                    .build()
                : null) {
      Worker submitter = twoNodes ? producer : runner;
      runner.start();
      Thread.sleep(SETTLE);
      String where = twoNodes ? "submitted on one node, run on another" : "submitted and run on one node";
      long interval = BenchConfig.LATENCY_INTERVAL.toMillis();
      int warmups = (int) (ctx.config().warmup().toMillis() / interval);
      long finishedBefore = 0;
      long warmErrors = 0;
      if (warmups > 0) {
        ctx.say("warming up: %,d submissions, one every %d ms (not counted)", warmups, interval);
        Round warm = submitEvery(submitter, warmups);
        finishedBefore = warm.accepted();
        warmErrors = warm.errors();
        BenchNodes.awaitFinished(runner, finishedBefore, ctx);
      }
      ctx.say("%,d submissions, one every %d ms, %s", n, interval, where);
      long start = System.nanoTime();
      Round round = submitEvery(submitter, n);
      long end = BenchNodes.awaitFinished(runner, finishedBefore + round.accepted(), ctx);
      if (round.firstError() != null) {
        ctx.say("%,d submissions failed; the first: %s", round.errors(), round.firstError());
      }
      Samples latencies = new Samples(n);
      for (int k = 0; k < n; k++) {
        if (round.ids()[k] != null) {
          Long began = handlerStarted.get(round.ids()[k]);
          // A handler that started before submit() returned to its caller waited 0 ms for it.
          latencies.add(began == null ? 0 : Math.max(0, began - round.acked()[k]));
        }
      }
      return new Measurement(
          round.accepted(), BenchNodes.seconds(start, end), latencies.percentiles(), warmErrors + round.errors());
    }
  }

  /**
   * The submissions of one round: for the k-th, its task id ({@code null} if it failed) and the
   * {@link System#nanoTime()} at which {@code submit()} returned.
   */
  private record Round(TaskId[] ids, long[] acked, long errors, RuntimeException firstError) {
    long accepted() {
      return ids.length - errors;
    }
  }

  /** Submits {@code n} probe tasks, one every {@link BenchConfig#LATENCY_INTERVAL}, at a fixed rate. */
  private static Round submitEvery(Worker submitter, int n) throws InterruptedException {
    TaskId[] ids = new TaskId[n];
    long[] acked = new long[n];
    AtomicInteger next = new AtomicInteger();
    LongAdder errors = new LongAdder();
    AtomicReference<RuntimeException> firstError = new AtomicReference<>();
    CountDownLatch allSent = new CountDownLatch(1);
    ScheduledExecutorService ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("bench-latency-ticker").daemon(true).unstarted(r));
    try {
      ticker.scheduleAtFixedRate(
          () -> {
            int k = next.getAndIncrement();
            if (k >= n) {
              return;
            }
            try {
              TaskId id = submitter.submit(PROBE_REQUEST).task().id();
              acked[k] = System.nanoTime();
              ids[k] = id;
            } catch (RuntimeException e) {
              // Caught: an exception would cancel the schedule.
              errors.increment();
              firstError.compareAndSet(null, e);
            } finally {
              if (k == n - 1) {
                allSent.countDown(); // after every earlier write of this one thread: publishes them
              }
            }
          },
          0,
          BenchConfig.LATENCY_INTERVAL.toNanos(),
          TimeUnit.NANOSECONDS);
      long budget = BenchConfig.LATENCY_INTERVAL.multipliedBy(n).plus(BenchNodes.STALL_TIMEOUT).toMillis();
      if (!allSent.await(budget, TimeUnit.MILLISECONDS)) {
        throw new BenchException("latency: " + n + " submissions did not finish within " + budget + " ms");
      }
    } finally {
      ticker.shutdownNow();
    }
    return new Round(ids, acked, errors.sum(), firstError.get());
  }
}
