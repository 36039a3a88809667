package dev.tasklane.internal;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Fires per-run timeouts. One platform thread, {@code tasklane-timer}, started with the first
 * timeout set.
 *
 * <p>A cancelled timeout leaves the timer's queue at once ({@code removeOnCancelPolicy}): without
 * it, a run that ends long before its timeout would leave its entry queued until the timeout's
 * delay passed, and a million short runs with an hour's timeout held a million entries.
 */
class Timeouts implements AutoCloseable {
  private final Object lock = new Object();
  private ScheduledThreadPoolExecutor timer; // guarded by lock
  private boolean closed; // guarded by lock

  /**
   * Runs {@code action} after {@code delay}, unless cancelled first.
   *
   * @throws java.util.concurrent.RejectedExecutionException once closed
   */
  ScheduledTimeout schedule(Runnable action, Duration delay) {
    ScheduledFuture<?> f = timer().schedule(action, delay.toNanos(), TimeUnit.NANOSECONDS);
    return () -> f.cancel(false);
  }

  /** Timeouts set and not yet fired or cancelled. */
  int pending() {
    synchronized (lock) {
      return timer == null ? 0 : timer.getQueue().size();
    }
  }

  private ScheduledThreadPoolExecutor timer() {
    synchronized (lock) {
      if (closed) {
        throw new java.util.concurrent.RejectedExecutionException("the timer is closed");
      }
      if (timer == null) {
        timer =
            new ScheduledThreadPoolExecutor(
                1, r -> Thread.ofPlatform().name("tasklane-timer").daemon(true).unstarted(r));
        timer.setRemoveOnCancelPolicy(true);
      }
      return timer;
    }
  }

  /** Drops every pending timeout and ends the thread. Idempotent. */
  @Override
  public void close() {
    ScheduledThreadPoolExecutor t;
    synchronized (lock) {
      closed = true;
      t = timer;
    }
    if (t != null) {
      t.shutdownNow();
      Loops.awaitTermination(t);
    }
  }
}
