package dev.tasklane.spi;

import dev.tasklane.IllegalTransitionException;
import dev.tasklane.LeaseLostException;
import dev.tasklane.StoreException;
import dev.tasklane.Submission;
import dev.tasklane.Task;
import dev.tasklane.TaskId;
import dev.tasklane.TaskNotFoundException;
import dev.tasklane.TaskPage;
import dev.tasklane.TaskQuery;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where tasks live. The engine holds all policy (what the next state is); a store makes each
 * change atomically and durably, and every change to a running task is compare-and-set on its
 * {@link RunRef} so a stale run can never overwrite a newer one.
 *
 * <p>Implementations must be safe for concurrent use. Every method may throw {@link
 * StoreException} when the database fails; a method that throws has changed nothing.
 *
 * <p>Stability: SPI. Methods may be added in minor releases.
 */
public interface TaskStore extends TaskWriter, AutoCloseable {

  /**
   * Inserts a task, durably, before returning. If {@code task.idempotencyKey()} is already taken,
   * inserts nothing and returns the existing task with {@code created = false}.
   */
  @Override
  Submission insert(NewTask task);

  /**
   * Inserts tasks in one transaction: all of them are durable on return, or none is (the call
   * throws). Idempotency keys behave as in {@link #insert(NewTask)}, also within the batch.
   */
  @Override
  List<Submission> insertAll(List<NewTask> tasks);

  Optional<Task> find(TaskId id);

  /** The task submitted with this idempotency key, if any. */
  Optional<Task> findByIdempotencyKey(String idempotencyKey);

  /** Newest first (by id), filtered, keyset-paged after {@code query.after()}. */
  TaskPage list(TaskQuery query);

  /**
   * How many {@code queued} tasks of {@code task}'s queue a claim would take before it: those of
   * higher priority, then of the same priority with an earlier run-at, then the same run-at and a
   * lower id.
   */
  long countQueuedAhead(Task task);

  /** Counts by state for every queue that has ever had a task, ordered by queue name. */
  List<QueueCounts> queueCounts();

  /** Tasks waiting ({@code queued} + {@code scheduled}) per queue; queues with none may be absent. */
  Map<String, Long> waitingCounts();

  /** Every queue that has ever had a task, ordered by name. */
  List<String> queueNames();

  /**
   * Every queue that has ever had a task, ordered by name, mapped to whether it is paused: what
   * {@link #queueNames()} and {@link #pausedQueues()} say together, in one read (the dispatcher
   * reads it each time work may have arrived).
   */
  Map<String, Boolean> queuePauses();

  /** Moves up to {@code limit} {@code scheduled} tasks with {@code run_at <= now} to {@code queued}. */
  int promoteDue(Instant now, int limit);

  /** The earliest {@code run_at} of a {@code scheduled} task, if any. */
  Optional<Instant> nextScheduledAt();

  /**
   * Claims up to {@code limit} {@code queued} tasks of {@code queue} with {@code run_at <= now},
   * highest priority first, then by {@code run_at}, then by id. Each claimed task becomes {@code
   * running} with {@code lease_owner = nodeId}, the given lease expiry, {@code started_at = now},
   * {@code attempt + 1}, {@code fencing_token + 1}, progress 0 and no cancel request. Never returns
   * a task to two callers.
   *
   * <p>A queue with a cluster-wide limit ({@link #setQueueLimit}) never gets more than that many
   * running tasks in the whole store: the claim takes at most {@code limit - running} of them, and
   * claims of such a queue are serialised so concurrent claimers cannot overshoot together.
   */
  List<Task> claim(String queue, int limit, String nodeId, Instant now, Instant leaseExpiresAt);

  /** Extends the leases of running tasks, compare-and-set on each run's fencing token. */
  Map<RunRef, LeaseStatus> renewLeases(Collection<RunRef> runs, Instant leaseExpiresAt);

  /**
   * Records a running task's progress (0-100).
   *
   * @return false if the run no longer owns the task
   */
  boolean updateProgress(RunRef run, int percent);

  /**
   * Ends a run: moves the task from {@code running} to {@code outcome.target()}, clears its lease,
   * and records the error or result.
   *
   * @throws LeaseLostException if the task is not running under {@code run} (nothing written)
   */
  Task finishRun(RunRef run, RunOutcome outcome);

  /**
   * Ends many runs in one transaction, each as {@link #finishRun} would. A run that no longer owns
   * its task is skipped (absent from the answer) without failing the others. If the call throws,
   * nothing was written.
   *
   * @return the tasks as written, by run
   */
  default Map<RunRef, Task> finishRuns(Map<RunRef, RunOutcome> outcomes) {
    Map<RunRef, Task> out = new java.util.LinkedHashMap<>();
    outcomes.forEach(
        (run, outcome) -> {
          try {
            out.put(run, finishRun(run, outcome));
          } catch (LeaseLostException e) {
            // skipped, as documented
          }
        });
    return out;
  }

  /**
   * Cancels a task: {@code scheduled} or {@code queued} become {@code cancelled} at once; a {@code
   * running} task gets its cancel-requested flag set (its node finishes the job).
   *
   * @throws TaskNotFoundException if no such task exists
   * @throws IllegalTransitionException if it is already terminal
   */
  Task requestCancel(TaskId id, Instant now);

  /**
   * Moves a {@code failed} or {@code cancelled} task back to {@code queued} with {@code run_at =
   * now}, raising {@code max_attempts} to {@code attempt + 1} if needed, and clearing result,
   * progress, finish time and cancel request. Errors are kept.
   *
   * @throws TaskNotFoundException if no such task exists
   * @throws IllegalTransitionException if it is not failed or cancelled
   */
  Task retry(TaskId id, Instant now);

  /**
   * Moves a {@code scheduled} task (delayed, or waiting out a retry's backoff) to {@code queued}
   * with {@code run_at = now}, so the next claim may take it.
   *
   * @throws TaskNotFoundException if no such task exists
   * @throws IllegalTransitionException if it is not scheduled
   */
  Task runNow(TaskId id, Instant now);

  /**
   * Recovers up to {@code limit} running tasks whose lease expired before {@code now}: each moves
   * to {@code queued} (the lost run counts as an attempt) or, with no attempt left, to {@code
   * failed}, or to {@code cancelled} if a cancel was requested while it ran; an error entry records
   * the lost lease.
   */
  List<Task> recoverExpiredLeases(Instant now, int limit);

  /**
   * Recovers every running task leased by {@code nodeId}, whatever its expiry, as {@link
   * #recoverExpiredLeases} does. Called by a node at start: nothing of its own can be running.
   */
  List<Task> recoverLeasesOf(String nodeId, Instant now);

  // ---------------------------------------------------------------- queues

  /**
   * Sets the cluster-wide concurrency limit of {@code queue} (registering the queue if new), or
   * removes it with {@code null}.
   *
   * @throws IllegalArgumentException if {@code limit} is not positive
   */
  void setQueueLimit(String queue, Integer limit);

  /** The cluster-wide limits of the queues that have one. */
  Map<String, Integer> queueLimits();

  /**
   * Pauses or resumes {@code queue} for every node (registering the queue if new). While a queue
   * is paused, {@link #claim} returns none of its tasks; submissions, cancels and retries still
   * work, and tasks already claimed finish.
   */
  void setQueuePaused(String queue, boolean paused);

  /** The queues that are paused, ordered by name. */
  List<String> pausedQueues();

  // ---------------------------------------------------------------- cluster

  /** Registers {@code node} or refreshes its row (heartbeat time, limits, types). */
  void heartbeatNode(NodeInfo node);

  /** Removes a node's row (at graceful shutdown). Unknown ids are ignored. */
  void removeNode(String nodeId);

  /** Every registered node, ordered by id. */
  List<NodeInfo> nodes();

  /** Removes nodes whose last heartbeat is before {@code heartbeatBefore}; returns how many. */
  int pruneNodes(Instant heartbeatBefore);

  /**
   * Deletes up to {@code limit} terminal tasks that finished before {@code cutoff} (retention);
   * returns how many. Never touches waiting or running tasks.
   */
  int deleteFinishedBefore(Instant cutoff, int limit);

  /**
   * The election of the node that runs cluster maintenance. Stores used by a single process
   * return {@link LeaderElection#SOLE}.
   */
  default LeaderElection leaderElection(String nodeId) {
    return LeaderElection.SOLE;
  }

  /**
   * Calls {@code onWork} (on a store thread; it must return quickly) whenever another process may
   * have made work ready (a submission, a promotion, a retry, a recovered lease) or paused or
   * resumed a queue, naming the queues when it can. Stores without such notifications return a
   * no-op subscription; the engine polls anyway.
   *
   * @return closing it ends the subscription
   */
  default AutoCloseable subscribe(WorkSignal onWork) {
    return () -> {};
  }

  /**
   * Checks that the database answers.
   *
   * @throws StoreException if it does not
   */
  void ping();

  /*
   * Times: stores keep millisecond precision; instants read back are truncated to milliseconds.
   */

  /** Releases the store's resources. Idempotent. */
  @Override
  void close();
}
