package dev.tasklane.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The enqueue scenarios: a producer (for Tasklane a node that is never started, so nothing runs)
 * and several platform threads submitting N tasks as fast as they can, one task per call or in
 * batches. Timed from the moment the threads are let go until the last call returned; the latency
 * of every call is kept.
 */
final class EnqueueScenario implements ScenarioRunner {
  /** A batch size meaning "all N tasks in one call". */
  private static final int ALL = 0;

  private final int batchSize;
  private final Threads threads;
  private final Producer.Factory producers;

  /** How many threads submit, from the run's settings. */
  private interface Threads {
    int of(BenchConfig config);
  }

  private EnqueueScenario(int batchSize, Threads threads, Producer.Factory producers) {
    this.batchSize = batchSize;
    this.threads = threads;
    this.producers = producers;
  }

  /** One task per call, from one thread: what a lone caller (a request handler) pays. */
  static EnqueueScenario serial(Producer.Factory producers) {
    return new EnqueueScenario(1, config -> 1, producers);
  }

  /** One task per call, from {@code concurrency} threads. */
  static EnqueueScenario single(Producer.Factory producers) {
    return new EnqueueScenario(1, BenchConfig::concurrency, producers);
  }

  /** {@value BenchConfig#BATCH_SIZE} tasks per call, from {@value BenchConfig#BATCH_THREADS} threads. */
  static EnqueueScenario batches(Producer.Factory producers) {
    return new EnqueueScenario(BenchConfig.BATCH_SIZE, config -> BenchConfig.BATCH_THREADS, producers);
  }

  /** All N tasks in one streaming call ({@code submitBulk}), from one thread. */
  static EnqueueScenario bulk(Producer.Factory producers) {
    return new EnqueueScenario(ALL, config -> 1, producers);
  }

  @Override
  public Measurement run(RunContext ctx) throws InterruptedException {
    int n = ctx.tasks();
    int batchSize = this.batchSize == ALL ? n : this.batchSize;
    int calls = (n + batchSize - 1) / batchSize;
    int threadCount = Math.min(calls, threads.of(ctx.config()));
    try (Producer producer = producers.open(ctx)) {
      AtomicInteger nextCall = new AtomicInteger();
      LongAdder accepted = new LongAdder();
      LongAdder errors = new LongAdder();
      AtomicReference<Throwable> firstError = new AtomicReference<>();
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
                            producer.submitOne();
                          } else if (this.batchSize == ALL) {
                            producer.submitBulk(size);
                          } else {
                            producer.submitMany(size);
                          }
                          accepted.add(size);
                        } catch (RuntimeException | OutOfMemoryError e) {
                          // Counted, not lost with the thread: a bulk call that runs out of heap
                          // is what the figure must show.
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
