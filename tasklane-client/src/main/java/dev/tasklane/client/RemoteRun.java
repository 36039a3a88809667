package dev.tasklane.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.TaskContext;
import dev.tasklane.TaskId;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskType;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One run a {@link RemoteWorker} was handed: its task, the handler's thread, why it was stopped if
 * it was, and whether its outcome was decided (by the handler, a timeout, a lost lease or the
 * shutdown; whichever comes first reports, the others nothing). Also the handler's {@link
 * TaskContext}, the same interface the embedded engine gives it.
 */
final class RemoteRun implements TaskContext {
  /** Why a run was stopped before its handler returned. */
  enum Stop {
    CANCEL_REQUESTED,
    TIMED_OUT,
    LOST,
    SHUTDOWN
  }

  /** The payload does not decode into the type's payload class: no retry can mend it. */
  static final class UndecodablePayload extends Exception {
    UndecodablePayload(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private static final int NO_PROGRESS = -1;

  private final JsonNode task;
  private final TaskId taskId;
  private final String workerId;
  private final TaskType<?> type;
  private final Runnable progressed;
  private final long deadlineNanos;
  private final Duration timeout;
  private final AtomicBoolean settled = new AtomicBoolean();
  /** Set once the server ended the run or gave it away: heartbeats no longer name it. */
  private volatile boolean dropped;
  private final AtomicInteger progress = new AtomicInteger(NO_PROGRESS);
  private final AtomicInteger reported = new AtomicInteger(NO_PROGRESS);
  private volatile Stop stop;
  private volatile Thread thread;

  RemoteRun(JsonNode task, String workerId, TaskType<?> type, Runnable progressed) {
    this.task = task;
    this.taskId = TaskId.parse(task.path("id").asText());
    this.workerId = workerId;
    this.type = type;
    this.progressed = progressed;
    Duration fromTask = TaskJson.seconds(task.path("timeout"));
    this.timeout = fromTask != null ? fromTask : type.timeout();
    this.deadlineNanos = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
  }

  /** Decodes the payload and runs the handler on the calling thread. */
  @SuppressWarnings("unchecked")
  TaskResult call() throws Exception {
    Object payload;
    try {
      payload = Http.JSON.treeToValue(task.path("payload"), type.payloadClass());
    } catch (IOException | IllegalArgumentException e) {
      throw new UndecodablePayload(e.getMessage(), e);
    }
    TaskResult result = ((TaskType<Object>) type).handler().handle(payload, this);
    return result == null ? TaskResult.success() : result;
  }

  void bindThread(Thread t) {
    thread = t;
    if (stop != null) {
      t.interrupt(); // stopped before its thread began
    }
  }

  /** Stops the handler: marks why and interrupts its thread, as the engine does. */
  void stop(Stop why) {
    if (stop == null) {
      stop = why;
    }
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
  }

  Stop cancelReason() {
    return stop;
  }

  /** Claims the right to report the outcome; false if something else already did. */
  boolean settle() {
    return settled.compareAndSet(false, true);
  }

  boolean settled() {
    return settled.get();
  }

  void drop() {
    dropped = true;
  }

  boolean dropped() {
    return dropped;
  }

  boolean overdue() {
    return System.nanoTime() > deadlineNanos;
  }

  String timeoutText() {
    long ms = timeout.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
  }

  boolean progressPending() {
    return progress.get() != reported.get();
  }

  /** The progress to send with the next heartbeat, if it changed since the last. */
  Integer takeProgress() {
    int p = progress.get();
    if (p == NO_PROGRESS || reported.getAndSet(p) == p) {
      return null;
    }
    return p;
  }

  // ---------------------------------------------------------------- TaskContext

  @Override
  public TaskId taskId() {
    return taskId;
  }

  @Override
  public String type() {
    return task.path("type").asText();
  }

  @Override
  public String queue() {
    return task.path("queue").asText();
  }

  @Override
  public String nodeId() {
    return workerId;
  }

  @Override
  public int attempt() {
    return task.path("attempt").asInt();
  }

  @Override
  public int maxAttempts() {
    return task.path("max_attempts").asInt();
  }

  @Override
  public long fencingToken() {
    return task.path("fencing_token").asLong();
  }

  @Override
  public void progress(int percent) {
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("progress must be between 0 and 100: " + percent);
    }
    progress.set(percent);
    progressed.run();
  }

  @Override
  public boolean isCancelled() {
    return stop != null;
  }

  @Override
  public void checkCancelled() throws InterruptedException {
    if (stop != null) {
      throw new InterruptedException("task " + taskId + " stopped: " + stop.name().toLowerCase(java.util.Locale.ROOT));
    }
  }
}
