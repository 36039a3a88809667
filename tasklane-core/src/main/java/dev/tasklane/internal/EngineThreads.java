package dev.tasklane.internal;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * Where the engine's loops and handler runs get their threads, and how it measures and waits out
 * short intervals: the seam that lets tests drive the real engine by hand (see the engine's
 * tests), while production starts real threads and reads the real monotonic clock.
 *
 * <ul>
 *   <li>{@link #every}: a periodic loop on a platform thread of its own ({@code
 *       tasklane-heartbeat}, {@code tasklane-maintenance});
 *   <li>{@link #loop}: a thread that runs a body until it returns ({@code tasklane-dispatcher});
 *   <li>{@link #handler}: one run of one handler, on a virtual thread of its own.
 * </ul>
 */
class EngineThreads {
  private final ThreadFactory handlers = Thread.ofVirtual().name("tasklane-task-", 0).factory();

  /** A running loop, stopped in the engine's shutdown order. */
  interface Loop {
    /** Stops the loop (a pass under way finishes) and waits for its thread. Idempotent. */
    void stop();

    /** Whether its thread still runs. */
    boolean isAlive();
  }

  /** A loop that never ran: what a test gets, and what is stopped when a start fails early. */
  static final Loop NONE =
      new Loop() {
        @Override
        public void stop() {}

        @Override
        public boolean isAlive() {
          return false;
        }
      };

  /**
   * Runs {@code body} every {@code interval} (after the previous pass ended) on a platform thread
   * named {@code name}, first after {@code initialDelay}. A pass that throws is logged.
   */
  Loop every(String name, Duration initialDelay, Duration interval, Runnable body) {
    ScheduledExecutorService s =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name(name).daemon(true).unstarted(r));
    s.scheduleWithFixedDelay(
        Loops.guarded(name, body),
        initialDelay.toMillis(),
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
    return new Loop() {
      @Override
      public void stop() {
        s.shutdownNow();
        Loops.awaitTermination(s);
      }

      @Override
      public boolean isAlive() {
        return !s.isTerminated();
      }

      @Override
      public String toString() {
        return name;
      }
    };
  }

  /**
   * Runs {@code body} on a platform thread named {@code name} until it returns; the body watches
   * its own stop condition, and {@code stop} only waits for it (up to {@code joinFor}).
   */
  Loop loop(String name, Runnable body, Duration joinFor) {
    Thread t = Thread.ofPlatform().name(name).daemon(true).start(body);
    return new Loop() {
      @Override
      public void stop() {
        Loops.join(t, joinFor);
      }

      @Override
      public boolean isAlive() {
        return t.isAlive();
      }
    };
  }

  /** A monotonic time in nanoseconds, as {@link System#nanoTime()}: for intervals, never dates. */
  long nanoTime() {
    return System.nanoTime();
  }

  /** Waits {@code d} (uninterruptibly: a caller that must wait does not give up on an interrupt). */
  void pause(Duration d) {
    java.util.concurrent.locks.LockSupport.parkNanos(d.toNanos());
  }

  /**
   * Starts one handler run on a virtual thread of its own.
   *
   * @throws Error or RuntimeException if no thread can be started; the caller gives the run back
   */
  void handler(Runnable run) {
    handlers.newThread(run).start();
  }
}
