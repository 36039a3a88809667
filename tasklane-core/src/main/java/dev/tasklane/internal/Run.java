package dev.tasklane.internal;

import dev.tasklane.Task;
import dev.tasklane.TaskContext;
import dev.tasklane.TaskId;
import dev.tasklane.spi.RunRef;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One run of a task on this node, from its claim to its outcome: the claimed snapshot, the
 * handler's thread, and why (if at all) the engine asked it to stop. The handler sees it as its
 * {@link TaskContext}.
 *
 * <p>A run claimed ahead has not started: its attempt is not spent until {@link #started(Task)}
 * records the start the store wrote. The stop reason is set once (first reason wins); the
 * handler's thread is interrupted only while the handler runs, never after it returned, so an
 * interrupt cannot reach the thread while it writes the outcome (see {@link #stop}).
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

  /** Where the handler is: not yet called, running on {@link #thread}, or returned. */
  private enum Phase {
    BEFORE,
    HANDLER,
    AFTER
  }

  private final String nodeId;
  private final RunRef ref;
  private final Consumer<Run> progressSink;
  private final AtomicReference<StopReason> stopReason = new AtomicReference<>();
  private volatile Task task;
  /** The write of this run's start, while it is on its way (a run claimed ahead). */
  private volatile CompletableFuture<Task> pendingStart;
  private volatile ScheduledTimeout timeout;
  private volatile int progress;
  /** Whether a write of {@link #progress} is under way (see {@link ProgressWriter}). */
  private final AtomicBoolean progressWriting = new AtomicBoolean();
  private volatile long startedNanos;
  private volatile long endedNanos;
  /** When the latest renewal that succeeded was sent (or the claim, before any). */
  private volatile long leaseConfirmedNanos;

  // guarded by this
  private Phase phase = Phase.BEFORE;
  private Thread thread;

  /**
   * @param task the task as claimed
   * @param claimSentNanos {@link System#nanoTime()} when the claim was sent: the lease is valid
   *     from no earlier than that
   */
  Run(Task task, String nodeId, long claimSentNanos, Consumer<Run> progressSink) {
    this.task = task;
    this.nodeId = nodeId;
    this.ref = new RunRef(task.id(), task.fencingToken());
    this.leaseConfirmedNanos = claimSentNanos;
    this.progressSink = progressSink;
  }

  /** The task as claimed, or as started. */
  public Task task() {
    return task;
  }

  public RunRef ref() {
    return ref;
  }

  /**
   * Whether the run has started (its attempt spent): at its claim, or since {@link #started} or
   * {@link #starting}.
   */
  boolean isStarted() {
    return task.startedAt() != null;
  }

  /** The store wrote this run's start (it was claimed ahead): {@code task} as written. */
  void started(Task startedTask) {
    this.task = startedTask;
  }

  /**
   * The run's start is on its way to the store while its handler begins: until the write is
   * answered, the run sees the task as the write will make it (its attempt spent, started now).
   */
  void starting(CompletableFuture<Task> write, Instant now) {
    Task t = task;
    this.task =
        new Task(
            t.id(), t.type(), t.queue(), t.payload(), t.priority(), t.state(), t.attempt() + 1,
            t.maxAttempts(), t.runAt(), t.timeout(), t.createdAt(), now, t.finishedAt(),
            t.lastError(), t.errors(), t.result(), t.progress(), t.idempotencyKey(),
            t.leaseOwner(), t.leaseExpiresAt(), t.fencingToken(), t.cancelRequested(),
            t.lastNode(), t.submittedBy());
    this.pendingStart = write;
  }

  /** The write of the run's start, if it is on its way or answered; {@code null} if none was sent. */
  CompletableFuture<Task> pendingStart() {
    return pendingStart;
  }

  /** A renewal sent at {@code sentNanos} extended the lease. */
  void leaseConfirmed(long sentNanos) {
    leaseConfirmedNanos = Math.max(leaseConfirmedNanos, sentNanos);
  }

  /** When the lease was last known to be extended, as {@link System#nanoTime()}. */
  long leaseConfirmedNanos() {
    return leaseConfirmedNanos;
  }

  /** The handler starts now, on the current thread. */
  void handlerBegins() {
    synchronized (this) {
      thread = Thread.currentThread();
      phase = Phase.HANDLER;
      startedNanos = System.nanoTime();
      if (stopReason.get() != null) {
        thread.interrupt(); // stopped while the handler was being called
      }
    }
  }

  /**
   * The handler returned (or threw). From now on {@link #stop} no longer interrupts, and an
   * interrupt that arrived meanwhile is cleared: the outcome write must not be cut short.
   */
  void handlerEnded() {
    synchronized (this) {
      phase = Phase.AFTER;
      endedNanos = System.nanoTime();
    }
    Thread.interrupted();
  }

  /** Whether the handler has returned (or thrown). */
  synchronized boolean handlerReturned() {
    return phase == Phase.AFTER;
  }

  /** How long the handler ran (to its return, or to now), or zero if it never started. */
  Duration ranFor() {
    long start = startedNanos;
    long end = endedNanos;
    if (start == 0) {
      return Duration.ZERO;
    }
    return Duration.ofNanos((end == 0 ? System.nanoTime() : end) - start);
  }

  void timeout(ScheduledTimeout t) {
    this.timeout = t;
  }

  /** Cancels the run's timeout, so that the timer forgets it at once. */
  void cancelTimeout() {
    ScheduledTimeout t = timeout;
    if (t != null) {
      t.cancel();
    }
  }

  /**
   * Asks the run to stop; the first reason given sticks. A running handler is interrupted; a run
   * that has not called its handler yet sees the reason before it does. Returns true if this call
   * set the reason.
   */
  boolean stop(StopReason reason) {
    boolean first = stopReason.compareAndSet(null, reason);
    if (first) {
      synchronized (this) {
        if (phase == Phase.HANDLER) {
          thread.interrupt();
        }
      }
    }
    return first;
  }

  /** Why the engine stopped it, or {@code null} if it did not. */
  StopReason stopReason() {
    return stopReason.get();
  }

  @Override
  public TaskId taskId() {
    return ref.taskId();
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
    return ref.fencingToken();
  }

  @Override
  public void progress(int percent) {
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("progress must be between 0 and 100: " + percent);
    }
    if (percent != progress) {
      progress = percent;
      progressSink.accept(this); // written off this thread: a handler never waits for the store
    }
  }

  /** The progress the handler reported last. */
  int reportedProgress() {
    return progress;
  }

  /** Takes the right to write the progress; false if a write is already under way. */
  boolean claimProgressWrite() {
    return progressWriting.compareAndSet(false, true);
  }

  /**
   * A write of {@code written} ended. True if the writer is done (nothing newer was reported);
   * false if it must write again.
   */
  boolean releaseProgressWrite(int written) {
    progressWriting.set(false);
    return progress == written || !claimProgressWrite();
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
