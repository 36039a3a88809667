package dev.tasklane;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A schedule as the store keeps it: its definition, with the template resolved against its type
 * when it was defined (queue, attempts and timeout are concrete, so any node can fire it, also one
 * without the type's handler), and where it stands.
 *
 * @param name the schedule's name
 * @param recurrence when it ticks
 * @param type the task type each tick submits
 * @param queue the tasks' queue
 * @param payload the tasks' payload, JSON text
 * @param priority the tasks' priority
 * @param maxAttempts the tasks' attempts
 * @param timeout the tasks' per-run timeout, or {@code null} for none
 * @param misfire what it does about missed ticks
 * @param paused whether it is paused (fires nothing until resumed)
 * @param nextRunAt its next tick, or {@code null} if it has none left (a cron expression past its
 *     last match)
 * @param lastRunAt the tick (or, for a run on demand, the moment) of the last task it created, or
 *     {@code null}
 * @param lastTaskId that task, or {@code null}
 * @param createdBy who defined it (the tasks are recorded as submitted by them), or {@code null}
 * @param createdAt when it was first defined
 * @param updatedAt when its definition or pause last changed
 */
public record ScheduleStatus(
    String name,
    Recurrence recurrence,
    String type,
    String queue,
    String payload,
    int priority,
    int maxAttempts,
    Duration timeout,
    Misfire misfire,
    boolean paused,
    Instant nextRunAt,
    Instant lastRunAt,
    TaskId lastTaskId,
    String createdBy,
    Instant createdAt,
    Instant updatedAt) {

  public ScheduleStatus {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(recurrence, "recurrence");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(payload, "payload");
    Objects.requireNonNull(misfire, "misfire");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(updatedAt, "updatedAt");
  }
}
