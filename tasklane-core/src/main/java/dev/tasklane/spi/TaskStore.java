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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Where tasks live. The engine holds all policy (what the next state is); a store makes each
 * change atomically and durably, and every change to a running task is compare-and-set on its
 * {@link RunRef} so a stale run can never overwrite a newer one.
 *
 * <h2>Clocks</h2>
 *
 * Leases and node heartbeats are measured by the store's own clock, the one clock every node
 * shares (the database's, for a store shared by many nodes): the engine passes lease durations,
 * never lease ends, and a node whose clock runs ahead cannot take another node's live lease for
 * expired. Other instants the engine passes ({@code now} for due times, finish times, run-at
 * times) are the engine's.
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

  /**
   * Inserts every task {@code tasks} yields in one transaction, without holding them: for bulk
   * loads of any size, in memory that does not grow with their number. All are durable on return,
   * or none is (the call throws, also when {@code tasks} throws: its exception passes through
   * unchanged). Idempotency keys behave as in {@link #insert(NewTask)}, also across the stream.
   *
   * <p>The default collects the stream and calls {@link #insertAll(List)}: correct, not flat in
   * memory. Stores that can stream override it.
   *
   * @param created told of each task the call creates, as it is written, in the stream's order;
   *     nothing it is told is durable before this method returns
   * @return how many tasks the stream yielded, and how many of them were created
   */
  default BulkInsert insertStream(Iterator<NewTask> tasks, Consumer<Task> created) {
    List<NewTask> all = new ArrayList<>();
    tasks.forEachRemaining(all::add);
    long made = 0;
    for (Submission s : insertAll(all)) {
      if (s.created()) {
        created.accept(s.task());
        made++;
      }
    }
    return new BulkInsert(all.size(), made);
  }

  /**
   * What {@link #insertStream} did.
   *
   * @param yielded tasks the stream yielded
   * @param created of them, tasks created (the rest found their idempotency key taken)
   */
  record BulkInsert(long yielded, long created) {}

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
   * Claims up to {@code request.limit()} {@code queued} tasks of {@code request.queue()} with
   * {@code run_at <= request.now()}, highest priority first, then by {@code run_at}, then by id.
   * Each claimed task becomes {@code running} with {@code lease_owner = nodeId}, a lease ending
   * {@code request.lease()} after the store's clock, {@code fencing_token + 1}, progress 0 and no
   * cancel request. The first {@code request.start()} of them (in claim order) also start: {@code
   * attempt + 1} and {@code started_at} = the store's clock. The others are claimed ahead: {@code
   * started_at} is null and their attempt is not spent until {@link #writeRuns} starts them.
   * Never returns a task to two callers.
   *
   * <p>A queue with a cluster-wide limit ({@link #setQueueLimit}) never gets more than that many
   * running tasks in the whole store: the claim takes at most {@code limit - running} of them, and
   * claims of such a queue are serialised so concurrent claimers cannot overshoot together. A
   * paused queue yields nothing.
   *
   * @return the claimed tasks in claim order, the started ones first
   */
  List<Task> claim(ClaimRequest request);

  /**
   * Extends the leases of running tasks to {@code lease} after the store's clock, compare-and-set
   * on each run's fencing token.
   */
  Map<RunRef, LeaseStatus> renewLeases(Collection<RunRef> runs, Duration lease);

  /**
   * Records a running task's progress (0-100).
   *
   * @return false if the run no longer owns the task
   */
  boolean updateProgress(RunRef run, int percent);

  /**
   * Ends a run: moves the task from {@code running} to {@code outcome.target()}, clears its lease,
   * and records the error or result. A {@link RunOutcome.Succeeded success} of a run claimed ahead
   * whose start is not written yet writes the start too, under the start's condition (see {@link
   * #writeRuns}): a short handler's run then costs one row write, not two.
   *
   * @throws LeaseLostException if the task is not running under {@code run} (nothing written)
   */
  Task finishRun(RunRef run, RunOutcome outcome);

  /**
   * Starts runs claimed ahead and ends runs, in one transaction, each as {@link #claim} would have
   * started it or {@link #finishRun} ends it. A start is written only while its task is running
   * under that run and its lease has not expired by the store's clock (once expired, another node
   * may recover it as not started); a run already started is answered as it is, so a start whose
   * commit went unanswered may be sent again. A run with both a start and a success here is
   * started by its success (one row write), and is answered in both maps with the task as it
   * ended. A run that no longer owns its task is skipped (absent from the answer) without failing
   * the others. If the call throws, nothing was written.
   */
  RunWrites.Result writeRuns(RunWrites writes);

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
   * Up to {@code limit} running tasks whose lease has expired by the store's clock, oldest expiry
   * first. Reads only: the engine decides what becomes of each and writes it with {@link
   * #recoverExpired}.
   */
  List<Task> expiredLeases(int limit);

  /** Every running task leased by {@code nodeId}, whatever its expiry. */
  List<Task> leasesOf(String nodeId);

  /**
   * Ends runs whose lease expired, each as {@link #finishRun} would, but only while its task is
   * still running under that run and its lease is still expired by the store's clock: a lease
   * renewed meanwhile keeps its run. Runs that do not qualify are skipped (absent from the
   * answer); one transaction.
   */
  Map<RunRef, Task> recoverExpired(Map<RunRef, RunOutcome> outcomes);

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

  /**
   * Removes {@code queue}, its limit and its pause, if it holds no task in any state. A later
   * submission to it registers it again.
   */
  QueueRemoval deleteQueue(String queue);

  // ---------------------------------------------------------------- schedules

  /** The schedules kept with these tasks (see {@link ScheduleStore}). */
  ScheduleStore schedules();

  /** The rate limits and their buckets, kept with these tasks (see {@link RateStore}). */
  RateStore rates();

  // ---------------------------------------------------------------- remote workers

  /**
   * Remembers that a remote worker serves {@code types} (registering new names, refreshing the
   * time of known ones), so that submissions of them are accepted while no such worker is
   * connected.
   */
  void announceTypes(Set<String> types);

  /** Every type a remote worker has ever announced, ordered by name. */
  List<String> announcedTypes();

  // ---------------------------------------------------------------- cluster

  /**
   * Registers {@code node} under its id for {@code lease} (by the store's clock), unless another
   * instance holds that id and is still live. A registration held by an instance that is no longer
   * live (its lease passed: the process died or froze) is taken over.
   *
   * @return the registration that holds the id now: {@code node}'s own if the claim succeeded,
   *     else the live holder's
   */
  NodeRecord claimNode(NodeInfo node, Duration lease);

  /**
   * Refreshes {@code node}'s registration for another {@code lease}, or takes it again if it was
   * pruned or expired meanwhile and nobody else took the id.
   *
   * @return false if another instance holds the id now (this node's registration was taken over)
   */
  boolean heartbeatNode(NodeInfo node, Duration lease);

  /** Removes {@code node}'s registration (at graceful shutdown), if this instance still holds it. */
  void removeNode(NodeInfo node);

  /** Every registered node, ordered by id, with ages by the store's clock. */
  List<NodeRecord> nodes();

  /**
   * Removes the registrations whose latest heartbeat is older than {@code silentFor} by the store's
   * clock; returns how many.
   */
  int pruneNodes(Duration silentFor);

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
