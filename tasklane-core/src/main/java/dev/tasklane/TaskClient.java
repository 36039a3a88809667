package dev.tasklane;

import java.util.List;
import java.util.Optional;

/**
 * What producers and operators need: submit, look up, cancel and retry tasks. {@link Worker}
 * implements it; code that only submits should depend on this interface alone.
 */
public interface TaskClient {

  /**
   * Submits a task. When this returns, the task is durable in the store.
   *
   * @throws UnknownTaskTypeException if no handler is registered for the type
   * @throws QueueFullException if the queue's backlog is at its bound (nothing was written)
   * @throws IllegalArgumentException if the request is invalid
   */
  Submission submit(TaskRequest request);

  /** The task's current record. */
  Optional<Task> get(TaskId id);

  /** A page of tasks, newest first. */
  TaskPage list(TaskQuery query);

  /**
   * Cancels a task. A {@code scheduled} or {@code queued} task becomes {@code cancelled} at once; a
   * {@code running} one is interrupted and becomes {@code cancelled} when its handler stops (or
   * {@code succeeded}, if it finished first).
   *
   * @return the task after the request
   * @throws TaskNotFoundException if no such task exists
   * @throws IllegalTransitionException if the task already finished
   */
  Task cancel(TaskId id);

  /**
   * Runs a {@code failed} or {@code cancelled} task again, with one more attempt allowed.
   *
   * @throws TaskNotFoundException if no such task exists
   * @throws IllegalTransitionException if the task is not failed or cancelled
   */
  Task retry(TaskId id);

  /** Per-queue counts, for every queue that has ever had a task. */
  List<QueueStats> queues();
}
