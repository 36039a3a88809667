package dev.tasklane.bench;

import dev.tasklane.RateLimit;
import dev.tasklane.TaskRequest;
import dev.tasklane.Worker;
import dev.tasklane.WorkerStats;
import java.time.Duration;

/**
 * {@code drain-rate-limited}: the drain of N no-op tasks, through a queue limited to {@value #RATE}
 * starts per second with a burst of {@value #BURST} (a token bucket shared through the store, as
 * every node would share it). The figure to read is how close the tasks per second come to the
 * limit: what the limiter costs on top of the drain (a claim, a bucket decision, and for each task
 * held back a write to reserve its start and a promotion when it comes).
 */
final class RateLimitedScenario implements ScenarioRunner {
  static final int RATE = 1_000;
  static final int BURST = 100;

  @Override
  public Measurement run(RunContext ctx) {
    int n = ctx.tasks();
    try (Worker worker = BenchNodes.noopWorker(ctx.db().open(), ctx.nodeId(""), ctx.config().concurrency())) {
      worker.setRateLimit(
          RateLimit.perQueue(TaskRequest.DEFAULT_QUEUE, RATE, Duration.ofSeconds(1)).withBurst(BURST));
      BenchNodes.seed(worker, n, ctx);
      ctx.say("draining %,d tasks through a limit of %,d a second (burst %d) with %d handlers", n, RATE, BURST, ctx.config().concurrency());
      long start = System.nanoTime();
      worker.start();
      long end = BenchNodes.awaitFinished(worker, n, ctx);
      WorkerStats s = worker.stats();
      return new Measurement(s.succeeded(), BenchNodes.seconds(start, end), null, s.failed() + s.cancelled());
    }
  }
}
