package dev.tasklane;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A snapshot of one task as the store last recorded it. Immutable; read a fresh copy with {@link
 * TaskClient#get(TaskId)}.
 *
 * @param id time-ordered identity
 * @param type the handler type that runs it
 * @param queue the queue it waits in; limits and back-pressure are per queue
 * @param payload the handler's input, as JSON text
 * @param priority higher runs first; FIFO among equal priorities
 * @param state where it is in its life cycle
 * @param attempt how many runs have started (0 before the first claim)
 * @param maxAttempts runs allowed before the task is {@code failed}
 * @param runAt when it becomes (or became) ready to run
 * @param timeout how long one run may take; {@code null} for no limit
 * @param createdAt when it was accepted
 * @param startedAt when its latest run started, or {@code null}
 * @param finishedAt when it reached a terminal state, or {@code null}
 * @param lastError the latest failure's message, or {@code null}
 * @param errors every recorded failure, oldest first
 * @param result the handler's result as JSON text, or {@code null}
 * @param progress 0 to 100, as last reported by the handler
 * @param idempotencyKey the submitter's de-duplication key, or {@code null}
 * @param leaseOwner the node running it, or {@code null} when not running
 * @param leaseExpiresAt when that node's lease ends unless renewed, or {@code null}
 * @param fencingToken grows with each claim; a run's writes are accepted only with the current one
 * @param cancelRequested a cancel was asked for while it ran
 * @param lastNode the node that claimed its latest run (kept after the run ends), or {@code null}
 *     if it never ran
 * @param submittedBy who submitted it, as {@link TaskRequest#submittedBy()} said; {@code null} if
 *     nobody in particular
 */
public record Task(
    TaskId id,
    String type,
    String queue,
    String payload,
    int priority,
    TaskState state,
    int attempt,
    int maxAttempts,
    Instant runAt,
    Duration timeout,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt,
    String lastError,
    List<TaskError> errors,
    String result,
    int progress,
    String idempotencyKey,
    String leaseOwner,
    Instant leaseExpiresAt,
    long fencingToken,
    boolean cancelRequested,
    String lastNode,
    String submittedBy) {

  /** A task nobody in particular submitted (see {@link TaskRequest#submittedBy()}). */
  public Task(
      TaskId id,
      String type,
      String queue,
      String payload,
      int priority,
      TaskState state,
      int attempt,
      int maxAttempts,
      Instant runAt,
      Duration timeout,
      Instant createdAt,
      Instant startedAt,
      Instant finishedAt,
      String lastError,
      List<TaskError> errors,
      String result,
      int progress,
      String idempotencyKey,
      String leaseOwner,
      Instant leaseExpiresAt,
      long fencingToken,
      boolean cancelRequested,
      String lastNode) {
    this(
        id, type, queue, payload, priority, state, attempt, maxAttempts, runAt, timeout, createdAt,
        startedAt, finishedAt, lastError, errors, result, progress, idempotencyKey, leaseOwner,
        leaseExpiresAt, fencingToken, cancelRequested, lastNode, null);
  }

  public Task {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(runAt, "runAt");
    Objects.requireNonNull(createdAt, "createdAt");
    errors = errors == null ? List.of() : List.copyOf(errors);
  }

  /** True once no attempt is left for another run. */
  public boolean attemptsExhausted() {
    return attempt >= maxAttempts;
  }
}
