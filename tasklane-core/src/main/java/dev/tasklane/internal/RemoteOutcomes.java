package dev.tasklane.internal;

import dev.tasklane.RetryPolicy;
import dev.tasklane.Task;
import dev.tasklane.TaskResult;
import dev.tasklane.spi.RunOutcome;
import java.time.Instant;

/**
 * How runs executed outside the engine end: the same decisions {@link Transitions} makes for the
 * engine's own handlers (retry policy, a cancel winning over a failure, a snooze refunding its
 * attempt), for a remote worker's report. Public only for {@code dev.tasklane.remote}.
 */
public final class RemoteOutcomes {
  private final Transitions transitions;

  RemoteOutcomes(Transitions transitions) {
    this.transitions = transitions;
  }

  /** A worker returned {@code result}: a success, a retry, a permanent failure or a snooze. */
  public RunOutcome afterResult(Task task, TaskResult result, RetryPolicy policy, Instant now) {
    Run.StopReason stop = task.cancelRequested() ? Run.StopReason.CANCELLED : null;
    return transitions
        .afterResult(task, stop, result, policy, now)
        .orElseThrow(() -> new IllegalStateException("a live run always has an outcome"));
  }

  /** A worker's run failed with {@code message} (and {@code trace}, if it sent one). */
  public RunOutcome afterError(
      Task task, String message, String trace, RetryPolicy policy, Instant now) {
    return transitions.afterRemoteError(task, message, trace, policy, now);
  }

  /** A worker's run passed its timeout. */
  public RunOutcome afterTimeout(Task task, RetryPolicy policy, Instant now) {
    return transitions.afterRemoteTimeout(task, policy, now);
  }

  /** A worker confirmed it stopped after a cancel request. */
  public RunOutcome afterCancel(Task task, Instant now) {
    return transitions.afterFailure(task, Run.StopReason.CANCELLED, null, null, now).orElseThrow();
  }

  /** How listeners and metrics name {@code outcome}. */
  public static dev.tasklane.TaskListener.RunResult resultOf(RunOutcome outcome) {
    return RunWriter.resultOf(outcome);
  }

  /**
   * A worker gave the run back unfinished (it is shutting down): queued again at once, its attempt
   * refunded.
   */
  public RunOutcome handedBack(Task task, Instant now) {
    return transitions.beforeStart(task, Run.StopReason.SHUTDOWN, now).orElseThrow();
  }
}
