package dev.tasklane.internal;

import dev.tasklane.RetryPolicy;
import dev.tasklane.Task;
import dev.tasklane.TaskError;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskState;
import dev.tasklane.spi.RunOutcome;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Decides how a run ends: the one place that maps a handler's result or exception, and the
 * engine's stop reason, to the next state. Every decision is checked against {@link
 * TaskState#canTransitionTo(TaskState)}; stores only carry it out.
 *
 * <ul>
 *   <li>success → {@code succeeded} (even if a cancel arrived too late to stop it);
 *   <li>a failure with attempts left → {@code scheduled} after backoff; without → {@code failed};
 *   <li>{@link TaskResult.Fail} → {@code failed} at once;
 *   <li>{@link TaskResult.Snooze} and {@link TaskResult.Throttle} → {@code scheduled}, attempt
 *       refunded;
 *   <li>stopped by a cancel → {@code cancelled}; by shutdown or a paused queue → back to {@code
 *       queued}, attempt refunded; by a timeout → a failure "timed out after …";
 *   <li>a run claimed ahead and stopped before its handler started → {@code cancelled} or back to
 *       {@code queued}: it spent no attempt, so none is refunded;
 *   <li>a run whose lease was lost (its node died, or restarted) → recovered by another node or by
 *       the node itself: a started run counts as an attempt ({@code failed} when none is left), a
 *       run that never started spent none and is queued again as it was; a cancel requested before
 *       the loss wins.
 * </ul>
 */
final class Transitions {
  private final String nodeId;
  private final RandomGenerator random;

  Transitions(String nodeId, RandomGenerator random) {
    this.nodeId = nodeId;
    this.random = random;
  }

  /**
   * The outcome of a handler that returned {@code result}.
   *
   * @return empty when nothing may be written (the run lost its lease)
   */
  Optional<RunOutcome> afterResult(
      Task task, Run.StopReason stop, TaskResult result, RetryPolicy policy, Instant now) {
    if (stop == Run.StopReason.LEASE_LOST) {
      return Optional.empty();
    }
    RunOutcome outcome =
        switch (result) {
          case TaskResult.Success s -> new RunOutcome.Succeeded(now, Json.write(s.value()));
          case TaskResult.Retry r when stop == Run.StopReason.CANCELLED -> cancelled(task, now);
          case TaskResult.Retry r ->
              failure(task, now, r.reason() == null ? "retry requested" : r.reason(), null, r.delay(), policy);
          case TaskResult.Fail f when stop == Run.StopReason.CANCELLED -> cancelled(task, now);
          case TaskResult.Fail f ->
              new RunOutcome.Failed(now, error(task, now, f.reason(), null));
          case TaskResult.Snooze s when stop == Run.StopReason.CANCELLED -> cancelled(task, now);
          case TaskResult.Snooze s -> new RunOutcome.Rescheduled(now.plus(s.delay()), null, true);
          case TaskResult.Throttle t when stop == Run.StopReason.CANCELLED -> cancelled(task, now);
          case TaskResult.Throttle t -> new RunOutcome.Rescheduled(now.plus(t.delay()), null, true);
        };
    return Optional.of(checked(outcome));
  }

  /**
   * The outcome of a handler that threw {@code thrown}.
   *
   * @return empty when nothing may be written (the run lost its lease)
   */
  Optional<RunOutcome> afterFailure(
      Task task, Run.StopReason stop, Throwable thrown, RetryPolicy policy, Instant now) {
    if (stop == null) {
      return Optional.of(checked(failure(task, now, describe(thrown), trace(thrown), null, policy)));
    }
    RunOutcome outcome =
        switch (stop) {
          case LEASE_LOST -> null;
          case CANCELLED -> cancelled(task, now);
          case SHUTDOWN, QUEUE_PAUSED -> new RunOutcome.Released(now, null, true);
          case TIMED_OUT ->
              failure(
                  task,
                  now,
                  "timed out after " + formatDuration(task.timeout()),
                  trace(thrown),
                  null,
                  policy);
        };
    return Optional.ofNullable(outcome).map(this::checked);
  }

  /**
   * The outcome of a run that was stopped after its claim but before its handler started (it was
   * claimed ahead and waited for a slot, or its start was just written). A run whose start was
   * written ({@code task.startedAt()} set) gets its attempt back when its node gives it back.
   *
   * @return empty when nothing may be written (the run lost its lease)
   */
  Optional<RunOutcome> beforeStart(Task task, Run.StopReason stop, Instant now) {
    boolean started = task.startedAt() != null;
    RunOutcome outcome =
        switch (stop) {
          case LEASE_LOST -> null;
          case CANCELLED ->
              new RunOutcome.Cancelled(now, error(task, now, "cancelled before it started", null));
          case SHUTDOWN, QUEUE_PAUSED -> new RunOutcome.Released(now, null, started);
          case TIMED_OUT -> throw new IllegalStateException("a run that never started cannot time out");
        };
    return Optional.ofNullable(outcome).map(this::checked);
  }

  /**
   * The outcome of a run that failed outside the engine (a remote worker's report): retried after
   * backoff while attempts are left, unless a cancel was requested, which wins.
   */
  RunOutcome afterRemoteError(Task task, String message, String trace, RetryPolicy policy, Instant now) {
    if (task.cancelRequested()) {
      return checked(cancelled(task, now));
    }
    return checked(failure(task, now, message, trace, null, policy));
  }

  /** A run that outlived its timeout outside the engine: a failure, as a local timeout is. */
  RunOutcome afterRemoteTimeout(Task task, RetryPolicy policy, Instant now) {
    return afterRemoteError(task, "timed out after " + formatDuration(task.timeout()), null, policy, now);
  }

  /**
   * A task of a type this node does not serve goes back to its queue for a while, so that a node
   * that serves it can run it; its attempt, if spent, is given back.
   */
  RunOutcome unknownType(Task task, Instant now) {
    return checked(
        new RunOutcome.Released(
            now.plus(RunExecutor.UNKNOWN_TYPE_DELAY), null, task.startedAt() != null));
  }

  /** Why a run's lease is being given up by someone other than the run itself. */
  enum LostLease {
    /** Its lease expired: its node died, froze, or lost the database for longer than a lease. */
    EXPIRED,
    /** Its node took its id back after a crash: nothing of the old process runs any more. */
    NODE_RESTARTED
  }

  /**
   * The outcome for a run whose lease is lost, written by whoever recovers it (never the run's own
   * handler). A run that started spent its attempt: it is queued again, or {@code failed} when no
   * attempt is left, so a task that kills its node every time still runs out of attempts. A run
   * that was claimed ahead and never started spent nothing: it is queued again as it was. A
   * cancel requested before the loss wins either way. The error records the loss.
   */
  RunOutcome afterLostLease(Task task, LostLease why, Instant now) {
    boolean started = task.startedAt() != null;
    String owner = task.leaseOwner();
    String message =
        switch (why) {
          case EXPIRED -> "lease of node " + owner + " expired";
          case NODE_RESTARTED -> "node " + owner + " restarted";
        }
            + (started ? " while running it" : NOT_STARTED);
    // node is null: the recovering node records the error, not the node that held the run (the
    // message names it).
    TaskError error =
        new TaskError(started ? task.attempt() : task.attempt() + 1, now, null, message, null);
    RunOutcome outcome;
    if (task.cancelRequested()) {
      outcome = new RunOutcome.Cancelled(now, error);
    } else if (started && task.attemptsExhausted()) {
      outcome = new RunOutcome.Failed(now, error);
    } else if (!started && lostBeforeStart(task) >= task.maxAttempts()) {
      // A handler may begin while its start is on its way to the store; one that kills its node
      // in that instant every time would never spend an attempt. Losing a task before its start
      // as often as it has attempts ends it.
      outcome =
          new RunOutcome.Failed(
              now,
              new TaskError(
                  error.attempt(),
                  now,
                  null,
                  message + "; lost before its start " + (lostBeforeStart(task) + 1) + " times",
                  null));
    } else {
      outcome = new RunOutcome.Released(now, error, false);
    }
    return checked(outcome);
  }

  /** How an error entry says a run was lost before its start was recorded. */
  static final String NOT_STARTED = " before its handler started; no attempt was spent";

  /** How many runs of {@code task} were lost before their start was recorded. */
  private static long lostBeforeStart(Task task) {
    return task.errors().stream().filter(e -> e.message().endsWith(NOT_STARTED)).count();
  }

  /** A payload that cannot be decoded will never succeed: fail at once. */
  RunOutcome undecodable(Task task, String why, Instant now) {
    return checked(new RunOutcome.Failed(now, error(task, now, "payload cannot be decoded: " + why, null)));
  }

  private RunOutcome cancelled(Task task, Instant now) {
    return new RunOutcome.Cancelled(now, error(task, now, "cancelled while running", null));
  }

  private RunOutcome failure(
      Task task, Instant now, String message, String trace, Duration delay, RetryPolicy policy) {
    TaskError error = error(task, now, message, trace);
    if (task.attemptsExhausted()) {
      return new RunOutcome.Failed(now, error);
    }
    Duration wait = delay != null ? delay : policy.backoff(task.attempt(), random);
    return new RunOutcome.Rescheduled(now.plus(wait), error, false);
  }

  private RunOutcome checked(RunOutcome outcome) {
    TaskState.RUNNING.checkTransitionTo(outcome.target());
    return outcome;
  }

  private TaskError error(Task task, Instant now, String message, String trace) {
    return new TaskError(task.attempt(), now, nodeId, message, trace);
  }

  static String describe(Throwable t) {
    String message = t.getMessage();
    return message == null || message.isBlank()
        ? t.getClass().getName()
        : t.getClass().getName() + ": " + message;
  }

  static String trace(Throwable t) {
    StringWriter out = new StringWriter();
    t.printStackTrace(new PrintWriter(out));
    String s = out.toString();
    // Deep recursion can make traces huge; the head says what matters.
    return s.length() > 16_000 ? s.substring(0, 16_000) + "\n\t... (truncated)" : s;
  }

  static String formatDuration(Duration d) {
    if (d == null) {
      return "?";
    }
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
  }
}
