package dev.tasklane;

import java.time.Duration;

/**
 * Hears what a {@link Worker} does with tasks, for metrics and tracing. Register one with {@link
 * Worker.Builder#listener(TaskListener)}; the server binds one to Micrometer for {@code /metrics}.
 *
 * <p>Calls come from the engine's threads (submitting callers, the dispatcher, handler threads)
 * and must return quickly; an exception thrown by a listener is logged and otherwise ignored.
 */
public interface TaskListener {

  /** Hears nothing. */
  TaskListener NONE = new TaskListener() {};

  /** How a run ended. */
  enum RunResult {
    SUCCEEDED,
    FAILED,
    /** Failed with attempts left: scheduled again after backoff. */
    RETRIED,
    /** The handler asked to run again later; the attempt does not count. */
    SNOOZED,
    CANCELLED,
    /** Given back to its queue unfinished (shutdown, a paused queue, an unknown type). */
    RELEASED;

    /** As metrics and the API write it: {@code succeeded}. */
    public String apiName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A task was accepted and is durable. */
  default void onSubmitted(Task task) {}

  /**
   * {@code count} tasks of {@code type} in {@code queue} were accepted by one {@link
   * Worker#submitBulk bulk submission} and are durable. A bulk submission keeps none of its tasks,
   * so {@link #onSubmitted} is not called for them; this is, once per queue and type, after its
   * commit.
   */
  default void onSubmittedInBulk(String queue, String type, long count) {}

  /**
   * A handler started.
   *
   * @param waited from the time the task was due to run ({@code run_at}) to its start
   */
  default void onStarted(Task task, Duration waited) {}

  /**
   * A run's outcome was written.
   *
   * @param ran from the handler's start to its return (zero for a run that never started)
   */
  default void onFinished(Task task, RunResult result, Duration ran) {}

  /** This node renewed the leases of {@code runs} runs (running, or claimed and waiting). */
  default void onLeasesRenewed(int runs) {}

  /** A run's write was refused because its lease had moved on (its fencing token is stale). */
  default void onStaleRunRejected(Task task) {}
}
