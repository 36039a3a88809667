package dev.tasklane.spi;

import dev.tasklane.TaskId;
import dev.tasklane.TaskState;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A fully resolved task for {@link TaskStore#insert(NewTask)}: defaults applied, state chosen
 * ({@code scheduled} when {@code runAt} is after {@code createdAt}, else {@code queued}).
 *
 * <p>Stability: SPI; may gain fields in minor releases. {@code submittedBy} is {@link
 * dev.tasklane.TaskRequest#submittedBy()}.
 */
public record NewTask(
    TaskId id,
    String type,
    String queue,
    String payload,
    int priority,
    TaskState state,
    int maxAttempts,
    Instant runAt,
    Duration timeout,
    Instant createdAt,
    String idempotencyKey,
    String submittedBy) {

  /** A task nobody in particular submitted. */
  public NewTask(
      TaskId id,
      String type,
      String queue,
      String payload,
      int priority,
      TaskState state,
      int maxAttempts,
      Instant runAt,
      Duration timeout,
      Instant createdAt,
      String idempotencyKey) {
    this(
        id, type, queue, payload, priority, state, maxAttempts, runAt, timeout, createdAt,
        idempotencyKey, null);
  }

  public NewTask {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(runAt, "runAt");
    Objects.requireNonNull(createdAt, "createdAt");
    if (state != TaskState.QUEUED && state != TaskState.SCHEDULED) {
      throw new IllegalArgumentException("a new task is queued or scheduled, not " + state.apiName());
    }
  }
}
