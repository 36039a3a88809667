package dev.tasklane.bench;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.Map;

/**
 * The latency scenarios' load: one submission every {@link BenchConfig#LATENCY_INTERVAL} from a
 * fixed-rate scheduler, the time each call returned (its acknowledgment), and, from the starts
 * the handlers recorded, the time from acknowledgment to handler start.
 */
final class FixedRate {
  private FixedRate() {}

  /** Submits one task and returns the key its handler records its start under. */
  @FunctionalInterface
  interface Submit {
    Object one();
  }

  /**
   * The submissions of one round: for the k-th, its task id ({@code null} if it failed) and the
   * {@link System#nanoTime()} at which {@code submit()} returned.
   */
  record Round(Object[] ids, long[] acked, long errors, RuntimeException firstError) {
    long accepted() {
      return ids.length - errors;
    }
  }

  /**
   * Calls {@code submit} {@code n} times, one every {@link BenchConfig#LATENCY_INTERVAL}, at a
   * fixed rate; each call submits one task and returns the key its handler will record.
   */
  static Round submitEvery(Submit submit, int n) throws InterruptedException {
    Object[] ids = new Object[n];
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
              Object id = submit.one();
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

  /**
   * From acknowledgment to handler start, for each accepted submission of {@code round}; a
   * handler that started before its submit() returned waited 0 ms.
   */
  static Samples latencies(Round round, Map<Object, Long> handlerStarted) {
    Samples latencies = new Samples(round.ids().length);
    for (int k = 0; k < round.ids().length; k++) {
      if (round.ids()[k] != null) {
        Long began = handlerStarted.get(round.ids()[k]);
        latencies.add(began == null ? 0 : Math.max(0, began - round.acked()[k]));
      }
    }
    return latencies;
  }

  /**
   * A latency measurement: {@code warmup} worth of submissions first (not counted, waited for),
   * then {@code ctx.tasks()} more at the fixed rate, timed from the first counted submission until
   * {@code finished} (runs ended, in memory) counts them all.
   *
   * @param call what one submission is, for the progress lines ("submissions", "schedule() calls")
   * @param where how the submission reaches its handler, for the progress line
   * @param handlerStarted where the handlers record their start, by the keys {@code submit} returns
   */
  static Measurement measure(
      RunContext ctx,
      Submit submit,
      java.util.function.LongSupplier finished,
      Map<Object, Long> handlerStarted,
      String call,
      String where)
      throws InterruptedException {
    int n = ctx.tasks();
    long interval = BenchConfig.LATENCY_INTERVAL.toMillis();
    int warmups = (int) (ctx.config().warmup().toMillis() / interval);
    long finishedBefore = 0;
    long warmErrors = 0;
    if (warmups > 0) {
      ctx.say("warming up: %,d %s, one every %d ms (not counted)", warmups, call, interval);
      Round warm = submitEvery(submit, warmups);
      finishedBefore = warm.accepted();
      warmErrors = warm.errors();
      BenchNodes.awaitCount(finished, finishedBefore, ctx);
    }
    ctx.say("%,d %s, one every %d ms, %s", n, call, interval, where);
    long start = System.nanoTime();
    Round round = submitEvery(submit, n);
    long end = BenchNodes.awaitCount(finished, finishedBefore + round.accepted(), ctx);
    if (round.firstError() != null) {
      ctx.say("%,d %s failed; the first: %s", round.errors(), call, round.firstError());
    }
    return new Measurement(
        round.accepted(),
        BenchNodes.seconds(start, end),
        latencies(round, handlerStarted).percentiles(),
        warmErrors + round.errors());
  }
}
