package dev.tasklane.bench;

import dev.tasklane.Worker;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code enqueue-single} and {@code enqueue-batch}: a producer-only node (never started, so
 * nothing runs) and several platform threads submitting N tasks as fast as they can, {@code
 * submit()} one task per call or {@code submitAll()} in batches. Timed from the moment the threads
 * are let go until the last call returned; the latency of every call is kept.
 */
final class EnqueueScenario implements ScenarioRunner {
  private final int batchSize;

  private EnqueueScenario(int batchSize) {
    this.batchSize = batchSize;
  }

  /** One task per {@code submit()} call, from {@code concurrency} threads. */
  static EnqueueScenario single() {
    return new EnqueueScenario(1);
  }

  /** {@value BenchConfig#BATCH_SIZE} tasks per {@code submitAll()} call, from 4 threads. */
  static EnqueueScenario batches() {
    return new EnqueueScenario(BenchConfig.BATCH_SIZE);
  }

  @Override
  public Measurement run(RunContext ctx) throws InterruptedException {
    int n = ctx.tasks();
    int calls = (n + batchSize - 1) / batchSize;
    int threadCount =
        Math.min(calls, batchSize == 1 ? ctx.config().concurrency() : BenchConfig.BATCH_THREADS);
    try (Worker producer = BenchNodes.noopWorker(ctx.db().open(), ctx.nodeId("producer"), ctx.config().concurrency())) {
      AtomicInteger nextCall = new AtomicInteger();
      LongAdder accepted = new LongAdder();
      LongAdder errors = new LongAdder();
      AtomicReference<RuntimeException> firstError = new AtomicReference<>();
      CountDownLatch go = new CountDownLatch(1);
      List<Samples> latencies = new ArrayList<>();
      List<Thread> threads = new ArrayList<>();
      ctx.say(
          "%,d tasks in %,d calls of %s from %d threads",
          n,
          calls,
          batchSize == 1 ? "one task" : String.format(java.util.Locale.ROOT, "up to %,d tasks", batchSize),
          threadCount);
      for (int t = 0; t < threadCount; t++) {
        Samples mine = new Samples(calls / threadCount + 1);
        latencies.add(mine);
        threads.add(
            Thread.ofPlatform()
                .name("bench-submit-" + t)
                .start(
                    () -> {
                      awaitQuietly(go);
                      for (int call; (call = nextCall.getAndIncrement()) < calls; ) {
                        int size = Math.min(batchSize, n - call * batchSize);
                        long begin = System.nanoTime();
                        try {
                          if (size == 1) {
                            producer.submit(BenchNodes.NOOP_REQUEST);
                          } else {
                            producer.submitAll(Collections.nCopies(size, BenchNodes.NOOP_REQUEST));
                          }
                          accepted.add(size);
                        } catch (RuntimeException e) {
                          errors.increment();
                          firstError.compareAndSet(null, e);
                        }
                        mine.add(System.nanoTime() - begin);
                      }
                    }));
      }
      long start = System.nanoTime();
      go.countDown();
      for (Thread t : threads) {
        t.join();
      }
      long end = System.nanoTime();
      if (firstError.get() != null) {
        ctx.say("%,d calls failed; the first: %s", errors.sum(), firstError.get());
      }
      Samples all = new Samples(calls);
      latencies.forEach(all::addAll);
      return new Measurement(accepted.sum(), BenchNodes.seconds(start, end), all.percentiles(), errors.sum());
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
