package dev.tasklane.bench;

import dev.tasklane.Worker;
import dev.tasklane.WorkerStats;

/**
 * {@code drain} and {@code backlog}: N no-op tasks queued first (not timed), then one node with
 * {@code concurrency} handlers runs them all; timed from {@link Worker#start()} until its counters
 * show the last one finished.
 */
final class DrainScenario implements ScenarioRunner {

  @Override
  public Measurement run(RunContext ctx) {
    int n = ctx.tasks();
    try (Worker worker = BenchNodes.noopWorker(ctx.db().open(), ctx.nodeId(""), ctx.config().concurrency())) {
      BenchNodes.seed(worker, n, ctx);
      ctx.say("draining %,d tasks with %d handlers", n, ctx.config().concurrency());
      long start = System.nanoTime();
      worker.start();
      long end = BenchNodes.awaitFinished(worker, n, ctx);
      WorkerStats s = worker.stats();
      return new Measurement(s.succeeded(), BenchNodes.seconds(start, end), null, s.failed() + s.cancelled());
    }
  }
}
