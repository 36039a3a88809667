package dev.tasklane.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.TaskRequest;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskType;
import dev.tasklane.Worker;
import dev.tasklane.WorkerConfig;
import dev.tasklane.WorkerStats;
import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import java.util.Collections;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/** What the scenarios share: the no-op task, node settings, seeding and waiting for a drain. */
final class BenchNodes {
  static final String NOOP = "noop";

  /** A {@value #NOOP} task with an empty payload; immutable, so every submission reuses it. */
  static final TaskRequest NOOP_REQUEST = TaskRequest.builder(NOOP).build();

  /** Large enough that admission control never refuses a benchmark's submissions. */
  static final long MAX_QUEUED = 1L << 40;

  /** A wait that sees no task finish for this long gives up. */
  static final Duration STALL_TIMEOUT = Duration.ofSeconds(60);

  static final Duration PROGRESS_EVERY = Duration.ofSeconds(10);

  /** How often a wait looks at the worker's counters (in memory: no database query). */
  private static final long POLL_NANOS = Duration.ofMillis(1).toNanos();

  private BenchNodes() {}

  /** The no-op handler, as the server's built-in {@code noop}: decodes the payload, succeeds. */
  static TaskType<JsonNode> noop() {
    return TaskType.of(NOOP, JsonNode.class, (payload, ctx) -> TaskResult.success());
  }

  /**
   * A node's settings: {@code concurrency} handlers (also the default queue's limit), a backlog
   * bound that never refuses, and every other setting at its default.
   */
  static WorkerConfig config(String nodeId, int concurrency) {
    return WorkerConfig.builder()
        .nodeId(nodeId)
        .concurrency(concurrency)
        .maxQueued(MAX_QUEUED)
        .shutdownTimeout(Duration.ofSeconds(10))
        .build();
  }

  /** A node on {@code store} serving {@link #noop()}; not started. */
  static Worker noopWorker(TaskStore store, String nodeId, int concurrency) {
    return Worker.builder(store).config(config(nodeId, concurrency)).register(noop()).build();
  }

  /** Queues {@code n} no-op tasks through {@code producer} in batches; not part of any timing. */
  static void seed(Worker producer, int n, RunContext ctx) {
    long start = System.nanoTime();
    long lastReport = start;
    int done = 0;
    while (done < n) {
      int size = Math.min(BenchConfig.BATCH_SIZE, n - done);
      producer.submitAll(Collections.nCopies(size, NOOP_REQUEST));
      done += size;
      long now = System.nanoTime();
      if (now - lastReport >= PROGRESS_EVERY.toNanos()) {
        ctx.say("seeding: %,d of %,d queued", done, n);
        lastReport = now;
      }
    }
    ctx.say("seeded %,d tasks in %.1f s (not timed)", n, seconds(start, System.nanoTime()));
  }

  /**
   * Waits until {@code worker} has finished {@code n} runs (succeeded, failed or cancelled),
   * watching its in-memory counters; reports progress now and then.
   *
   * @return {@link System#nanoTime()} when the last one finished (within a millisecond)
   * @throws BenchException if no run finishes for {@link #STALL_TIMEOUT}
   */
  static long awaitFinished(Worker worker, long n, RunContext ctx) {
    return awaitCount(() -> finished(worker.stats()), n, ctx);
  }

  /**
   * Waits until {@code finished} (an in-memory counter of runs that ended) reaches {@code n};
   * reports progress now and then.
   *
   * @return {@link System#nanoTime()} when it did (within a millisecond)
   * @throws BenchException if the count does not move for {@link #STALL_TIMEOUT}
   */
  static long awaitCount(LongSupplier finished, long n, RunContext ctx) {
    long start = System.nanoTime();
    long lastDone = -1;
    long lastChange = start;
    long lastReport = start;
    while (true) {
      long done = finished.getAsLong();
      long now = System.nanoTime();
      if (done >= n) {
        return now;
      }
      if (done != lastDone) {
        lastDone = done;
        lastChange = now;
      } else if (now - lastChange > STALL_TIMEOUT.toNanos()) {
        throw new BenchException(
            String.format(
                java.util.Locale.ROOT,
                "%s stalled: %,d of %,d tasks finished, none in the last %d s",
                ctx.scenario().id(),
                done,
                n,
                STALL_TIMEOUT.toSeconds()));
      }
      if (now - lastReport >= PROGRESS_EVERY.toNanos()) {
        ctx.say("%,d of %,d finished (%,.0f/s so far)", done, n, done / seconds(start, now));
        lastReport = now;
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  /** Runs that ended: succeeded, failed or cancelled. */
  static long finished(WorkerStats s) {
    return s.succeeded() + s.failed() + s.cancelled();
  }

  static double seconds(long startNanos, long endNanos) {
    return (endNanos - startNanos) / 1e9;
  }
}
