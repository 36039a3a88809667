package dev.tasklane.internal;

import dev.tasklane.Task;
import dev.tasklane.TaskContext;
import dev.tasklane.TaskId;
import dev.tasklane.spi.RunRef;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntPredicate;

/**
 * One run of a task on this node: the claimed snapshot, the handler's thread, and why (if at all)
 * the engine asked it to stop. The handler sees it as its {@link TaskContext}.
 *
 * <p>The stop reason is set once (first reason wins) and then the thread is interrupted, so the
 * code that maps the handler's exit to an outcome knows whether an {@code InterruptedException}
 * meant a cancel, a timeout, a shutdown or a lost lease.
 */
public final class Run implements TaskContext {

  /** Why the engine interrupted a run. */
  public enum StopReason {
    CANCELLED,
    TIMED_OUT,
    SHUTDOWN,
    LEASE_LOST,
    /** Its queue was paused while it waited for a slot (a run that started is never stopped). */
    QUEUE_PAUSED
  }

  private final Task task;
  private final String nodeId;
  private final RunRef ref;
  private final IntPredicate progressWriter;
  private final AtomicReference<StopReason> stopReason = new AtomicReference<>();
  private volatile Thread thread;
  private volatile ScheduledFuture<?> timeoutTimer;
  private volatile int progress;
  private volatile long startedNanos;
  private volatile long endedNanos;

  /** The handler returned (or threw) now. */
  void markEnded() {
    endedNanos = System.nanoTime();
  }

  /** The handler starts now. */
  void markStarted() {
    startedNanos = System.nanoTime();
  }

  /** How long the handler ran (to its return, or to now), or zero if it never started. */
  java.time.Duration ranFor() {
    long start = startedNanos;
    long end = endedNanos;
    if (start == 0) {
      return java.time.Duration.ZERO;
    }
    return java.time.Duration.ofNanos((end == 0 ? System.nanoTime() : end) - start);
  }

  Run(Task task, String nodeId, IntPredicate progressWriter) {
    this.task = task;
    this.nodeId = nodeId;
    this.ref = new RunRef(task.id(), task.fencingToken());
    this.progressWriter = progressWriter;
  }

  /** The task as claimed. */
  public Task task() {
    return task;
  }

  public RunRef ref() {
    return ref;
  }

  void bind(Thread t) {
    this.thread = t;
  }

  void timeoutTimer(ScheduledFuture<?> timer) {
    this.timeoutTimer = timer;
  }

  void cancelTimeoutTimer() {
    ScheduledFuture<?> t = timeoutTimer;
    if (t != null) {
      t.cancel(false);
    }
  }

  /** Asks the handler to stop; the first reason given sticks. Returns true if this call set it. */
  boolean stop(StopReason reason) {
    boolean first = stopReason.compareAndSet(null, reason);
    Thread t = thread;
    if (first && t != null) {
      t.interrupt();
    }
    return first;
  }

  /** Why the engine stopped it, or {@code null} if it did not. */
  StopReason stopReason() {
    return stopReason.get();
  }

  @Override
  public TaskId taskId() {
    return task.id();
  }

  @Override
  public String type() {
    return task.type();
  }

  @Override
  public String queue() {
    return task.queue();
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  @Override
  public int attempt() {
    return task.attempt();
  }

  @Override
  public int maxAttempts() {
    return task.maxAttempts();
  }

  @Override
  public long fencingToken() {
    return task.fencingToken();
  }

  @Override
  public void progress(int percent) {
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("progress must be between 0 and 100: " + percent);
    }
    if (percent != progress) {
      progress = percent;
      if (!progressWriter.test(percent)) {
        stop(StopReason.LEASE_LOST);
      }
    }
  }

  @Override
  public boolean isCancelled() {
    return stopReason.get() != null;
  }

  @Override
  public void checkCancelled() throws InterruptedException {
    if (isCancelled()) {
      throw new InterruptedException("run stopped: " + stopReason.get());
    }
  }
}
