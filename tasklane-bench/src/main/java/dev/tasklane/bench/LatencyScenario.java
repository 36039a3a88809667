package dev.tasklane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.TaskRequest;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskType;
import dev.tasklane.Worker;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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
    Map<Object, Long> handlerStarted = new ConcurrentHashMap<>(2 * n);
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
      FixedRate.Submit submit = () -> submitter.submit(PROBE_REQUEST).task().id();
      runner.start();
      Thread.sleep(SETTLE);
      String where = twoNodes ? "submitted on one node, run on another" : "submitted and run on one node";
      return FixedRate.measure(
          ctx, submit, () -> BenchNodes.finished(runner.stats()), handlerStarted, "submissions", where);
    }
  }
}
