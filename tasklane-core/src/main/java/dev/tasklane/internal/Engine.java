package dev.tasklane.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tasklane.LeaseLostException;
import dev.tasklane.Task;
import dev.tasklane.TaskId;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskType;
import dev.tasklane.WorkerConfig;
import dev.tasklane.spi.LeaderElection;
import dev.tasklane.Submission;
import dev.tasklane.spi.LeaseStatus;
import dev.tasklane.spi.NewTask;
import dev.tasklane.spi.NodeInfo;
import dev.tasklane.spi.RunOutcome;
import dev.tasklane.spi.RunRef;
import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The runtime behind {@link dev.tasklane.Worker}: dispatcher, handler runs, heartbeats, lease
 * recovery and shutdown.
 *
 * <h2>Threads</h2>
 *
 * <ul>
 *   <li>{@code tasklane-dispatcher} (platform): promotes due tasks, claims work for free slots
 *       and claims ahead (see below), starts handlers. Sleeps until woken by a submission or a
 *       freed slot, the next scheduled task's time, or the poll interval, whichever comes first.
 *   <li>{@code tasklane-heartbeat} (platform): renews the leases of this node's running tasks and
 *       learns of cancel requests and lost leases.
 *   <li>{@code tasklane-maintenance} (platform): recovers other nodes' expired leases and
 *       refreshes the backlog counts.
 *   <li>{@code tasklane-timer} (platform): fires per-run timeouts.
 *   <li>handlers: one virtual thread per run, holding one global and one queue slot.
 * </ul>
 *
 * <h2>Claiming ahead</h2>
 *
 * Besides a task for every free slot, the dispatcher claims up to {@link ClaimAhead}'s allowance
 * more (what the handlers finished in the last 100 ms, at most {@link
 * WorkerConfig#claimAhead()}), and keeps them in claim order per queue until a slot frees. Their
 * leases are renewed like those of running handlers; a cancel, a lost lease or shutdown takes them
 * out without running them. A queue is topped up when its waiting tasks fall to half its allowance,
 * so a busy node claims in large batches rather than once per finished task. A handler gives its
 * slot back as soon as it returns, while its outcome is still being committed: runs of one node
 * finishing together share an outcome transaction, and the node holds at most {@code 2 x
 * (concurrency + claimAhead)} leases in all.
 *
 * <h2>Shutdown</h2>
 *
 * Stop claiming; wait up to the shutdown timeout for runs to finish; interrupt the rest and return
 * them to {@code queued} (attempt refunded); stop heartbeats last, so leases of runs still
 * finishing stay alive until their outcome is written.
 */
public final class Engine {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);
  /** How long interrupted runs get to unwind at shutdown before their tasks are released anyway. */
  private static final Duration INTERRUPT_GRACE = Duration.ofSeconds(2);
  private static final int RECOVERY_BATCH = 1000;
  private static final int PROMOTE_BATCH = 1000;
  private static final int RETENTION_BATCH = 1000;
  /** Most writes a group commit puts in one transaction. */
  private static final int WRITE_BATCH = 512;
  /** A node whose heartbeat stopped this long ago is removed from the registry by the leader. */
  private static final Duration NODE_EXPIRY_MIN = Duration.ofMinutes(1);

  private final TaskStore store;
  private final dev.tasklane.TaskListener listener;
  private final WorkerConfig config;
  private final Map<String, TaskType<?>> types;
  private final ConcurrencyLimits limits;
  private final Backlog backlog;
  private final Transitions transitions;
  private final EngineStats stats = new EngineStats();
  private final ConcurrentMap<TaskId, Run> running = new ConcurrentHashMap<>();
  /** Concurrent submissions share a transaction (group commit). */
  private final GroupCommit<NewTask, Submission> submissions;
  /** Outcomes of runs that finish together share a transaction. */
  private final GroupCommit<Completion, Task> completions;
  private final ThreadFactory handlerThreads = Thread.ofVirtual().name("tasklane-task-", 0).factory();

  private final ReentrantLock signalLock = new ReentrantLock();
  private final Condition signal = signalLock.newCondition();
  private boolean signalled;
  private final Condition runFinished = signalLock.newCondition();

  private final AtomicBoolean claiming = new AtomicBoolean();
  /** Set when shutdown gives up on runs: their outcome writes stop retrying. */
  private volatile boolean abandoned;
  private NodeInfo node;
  private LeaderElection election;
  private AutoCloseable subscription;
  private volatile boolean leader;
  private Thread dispatcher;
  private ScheduledExecutorService heartbeat;
  private ScheduledExecutorService maintenance;
  private ScheduledExecutorService timer;
  private int rotation;
  /**
   * Tasks claimed ahead, per queue in claim order, waiting for a slot (dispatcher thread only; read
   * by {@link #stop()} after the dispatcher has ended).
   */
  private final Map<String, ArrayDeque<Run>> waiting = new HashMap<>();
  private int waitingTotal;
  /** Set when a waiting run may have been stopped: the dispatcher sweeps stopped runs out. */
  private volatile boolean sweepWaiting;
  /** Handler runs that returned, for the claim-ahead allowance. */
  private final LongAdder handlersDone = new LongAdder();
  private final ClaimAhead claimAhead;
  /** Most leases this node holds: claimed ahead, running, or finished with the outcome in flight. */
  private final int maxHeld;
  /** The dispatcher's view of the store, refreshed as {@link #dispatchOnce()} explains. */
  private volatile List<String> queues = List.of();
  /** Queues paused cluster-wide, refreshed with {@link #queues}. */
  private volatile Set<String> paused = Set.of();
  private volatile boolean refreshQueues = true;
  private volatile Instant nextDue;
  private volatile Instant nextFullCheck = Instant.MIN;

  public Engine(TaskStore store, WorkerConfig config, Map<String, TaskType<?>> types) {
    this(store, config, types, dev.tasklane.TaskListener.NONE);
  }

  public Engine(
      TaskStore store,
      WorkerConfig config,
      Map<String, TaskType<?>> types,
      dev.tasklane.TaskListener listener) {
    this.store = store;
    this.listener = java.util.Objects.requireNonNull(listener, "listener");
    this.config = config;
    this.types = Map.copyOf(types);
    this.limits = new ConcurrencyLimits(config.concurrency(), config::limitOf);
    this.backlog = new Backlog(config.maxQueued());
    this.transitions = new Transitions(config.nodeId(), RandomGenerator.getDefault());
    this.claimAhead = new ClaimAhead(config.claimAhead());
    this.maxHeld = 2 * (config.concurrency() + config.claimAhead());
    this.submissions =
        new GroupCommit<>(
            "tasklane-submit", WRITE_BATCH, rows -> List.copyOf(store.insertAll(rows)), store::insert);
    this.completions =
        new GroupCommit<>("tasklane-complete", WRITE_BATCH, this::finishAll, c -> store.finishRun(c.run(), c.outcome()));
  }

  /** One run's outcome on its way to the store. */
  private record Completion(RunRef run, RunOutcome outcome) {}

  private List<Object> finishAll(List<Completion> batch) {
    Map<RunRef, RunOutcome> outcomes = new java.util.LinkedHashMap<>();
    batch.forEach(c -> outcomes.put(c.run(), c.outcome()));
    Map<RunRef, Task> written = store.finishRuns(outcomes);
    List<Object> results = new ArrayList<>(batch.size());
    for (Completion c : batch) {
      Task t = written.get(c.run());
      results.add(t != null ? t : new LeaseLostException(c.run().taskId(), c.run().fencingToken()));
    }
    return results;
  }

  /**
   * Inserts one task durably, in a transaction shared with the submissions that arrive meanwhile.
   */
  public Submission insert(NewTask task) {
    return submissions.write(task);
  }

  /** Stops the group-commit writers; later writes go straight to the store. Idempotent. */
  public void closeWriters() {
    submissions.close();
    completions.close();
  }

  /**
   * Reserves backlog room for a submission of {@code perQueue} tasks, all or nothing.
   *
   * @throws dev.tasklane.QueueFullException naming the first queue without room
   */
  public void admit(Map<String, Integer> perQueue) {
    List<Map.Entry<String, Integer>> admitted = new ArrayList<>();
    for (Map.Entry<String, Integer> e : perQueue.entrySet()) {
      if (!backlog.tryAdmit(e.getKey(), e.getValue())) {
        admitted.forEach(a -> backlog.removed(a.getKey(), a.getValue()));
        throw new dev.tasklane.QueueFullException(
            e.getKey(), backlog.maxQueued(), dev.tasklane.Worker.QUEUE_FULL_RETRY_AFTER);
      }
      admitted.add(e);
    }
  }

  /** {@code n} tasks left {@code queue}'s backlog outside a claim (cancelled, or not inserted). */
  public void leftBacklog(String queue, int n) {
    backlog.removed(queue, n);
  }

  /** {@code n} tasks entered {@code queue}'s backlog outside admission (manual retry). */
  public void enteredBacklog(String queue, int n) {
    backlog.added(queue, n);
  }

  public EngineStats stats() {
    return stats;
  }

  /** Handlers running on this node now (not counting tasks claimed ahead). */
  public int inFlight() {
    return limits.inFlight();
  }

  public int inFlight(String queue) {
    return limits.inFlight(queue);
  }

  /** Loads backlog counts; needed before admitting submissions, whether or not the node runs tasks. */
  public void loadBacklog() {
    backlog.reset(store.waitingCounts());
  }

  /** Recovers this node's own leases left by an unclean stop, then starts every thread. */
  public void start() {
    Instant now = config.clock().instant();
    List<Task> recovered = store.recoverLeasesOf(config.nodeId(), now);
    if (!recovered.isEmpty()) {
      log.warn(
          "recovered {} task(s) left running by this node ({}) before it stopped",
          recovered.size(),
          config.nodeId());
      stats.recovered.add(recovered.size());
    }
    loadBacklog();
    node = new NodeInfo(config.nodeId(), now, now, config.concurrency(), types.keySet());
    store.heartbeatNode(node);
    election = store.leaderElection(config.nodeId());
    subscription =
        store.subscribe(
            (named, settingsChanged) -> {
              // The queue list is re-read only when it may have changed: a pause or resume, a
              // queue this node has not seen, or a notification that names none. Otherwise the
              // pass goes straight to its claims.
              if (settingsChanged || named.isEmpty() || !queues.containsAll(named)) {
                refreshQueues = true;
              }
              wake();
            });
    claiming.set(true);
    heartbeat = scheduler("tasklane-heartbeat");
    maintenance = scheduler("tasklane-maintenance");
    timer = scheduler("tasklane-timer");
    long hb = config.heartbeatInterval().toMillis();
    heartbeat.scheduleWithFixedDelay(guarded("lease renewal", this::renewLeases), hb, hb, TimeUnit.MILLISECONDS);
    heartbeat.scheduleWithFixedDelay(guarded("node heartbeat", this::heartbeatNode), hb, hb, TimeUnit.MILLISECONDS);
    long reap = config.reapInterval().toMillis();
    maintenance.scheduleWithFixedDelay(guarded("cluster maintenance", this::maintain), 0, reap, TimeUnit.MILLISECONDS);
    maintenance.scheduleWithFixedDelay(guarded("backlog refresh", this::loadBacklog), 1, 1, TimeUnit.SECONDS);
    dispatcher = Thread.ofPlatform().name("tasklane-dispatcher").daemon(true).start(this::dispatchLoop);
  }

  private static ScheduledExecutorService scheduler(String name) {
    return Executors.newSingleThreadScheduledExecutor(
        r -> Thread.ofPlatform().name(name).daemon(true).unstarted(r));
  }

  /** Loop bodies catch everything, log it and keep going: one bad tick must not stop the node. */
  private static Runnable guarded(String what, Runnable body) {
    return () -> {
      try {
        body.run();
      } catch (Throwable t) {
        log.error("{} failed; will try again", what, t);
      }
    };
  }

  /** Wakes the dispatcher: work may have arrived or a slot freed. */
  public void wake() {
    signalLock.lock();
    try {
      signalled = true;
      signal.signalAll();
    } finally {
      signalLock.unlock();
    }
  }

  // ---------------------------------------------------------------- dispatching

  private void dispatchLoop() {
    Duration errorBackoff = Duration.ofMillis(100);
    while (claiming.get()) {
      try {
        Instant nextDue = dispatchOnce();
        errorBackoff = Duration.ofMillis(100);
        awaitSignal(nextDue);
      } catch (Throwable t) {
        if (!claiming.get()) {
          break;
        }
        log.error("dispatcher failed; retrying in {} ms", errorBackoff.toMillis(), t);
        awaitFor(errorBackoff);
        errorBackoff = min(errorBackoff.multipliedBy(2), Duration.ofSeconds(5));
      }
    }
  }

  /**
   * One pass: promote due tasks, then fill free slots queue by queue (the starting queue rotates,
   * so no queue starves the others of global slots).
   *
   * @return when the next scheduled task becomes due, or {@code null}; {@link Instant#MIN} when
   *     the pass filled every slot it could and more work may be waiting
   */
  private Instant dispatchOnce() {
    Instant now = config.clock().instant();
    boolean more = false;
    // What the store knows beyond this node's own writes (other processes' submissions, queues
    // and schedules) is re-read at every poll interval, and the queue list also whenever a
    // notification or a local submission may have added a queue. In between, a pass costs only
    // its claims: no write transaction to promote when nothing is due.
    boolean fullCheck = !now.isBefore(nextFullCheck);
    if (fullCheck || refreshQueues) {
      refreshQueues = false;
      Map<String, Boolean> pauses = store.queuePauses(); // one read for both
      queues = List.copyOf(pauses.keySet());
      Set<String> nowPaused = new java.util.HashSet<>();
      pauses.forEach((queue, isPaused) -> {
        if (isPaused) {
          nowPaused.add(queue);
        }
      });
      paused = Set.copyOf(nowPaused);
    }
    Instant due = nextDue;
    if (fullCheck || (due != null && !due.isAfter(now))) {
      more = store.promoteDue(now, PROMOTE_BATCH) == PROMOTE_BATCH;
      nextDue = store.nextScheduledAt().orElse(null);
      nextFullCheck = now.plus(config.pollInterval());
    }
    if (sweepWaiting) {
      sweepWaiting = false;
      sweepStoppedWaiting();
    }
    List<String> queues = this.queues;
    Set<String> paused = this.paused;
    releaseWaitingOf(paused);
    int n = queues.size();
    if (n > 0) {
      int start = Math.floorMod(rotation++, n);
      // Tasks claimed ahead were first in line when they were claimed: they get free slots first.
      for (int i = 0; i < n; i++) {
        startWaiting(queues.get((start + i) % n));
      }
      int allowance = claimAhead.allowance(System.nanoTime(), handlersDone.sum());
      for (int i = 0; i < n && claiming.get(); i++) {
        String queue = queues.get((start + i) % n);
        if (paused.contains(queue)) {
          continue; // the store would refuse the claim too; this saves the round trip
        }
        int want = claimWanted(queue, allowance);
        if (want <= 0) {
          continue;
        }
        Instant claimAt = config.clock().instant();
        List<Task> claimed =
            store.claim(queue, want, config.nodeId(), claimAt, claimAt.plus(config.leaseDuration()));
        backlog.removed(queue, claimed.size());
        ArrayDeque<Run> line = waiting.computeIfAbsent(queue, q -> new ArrayDeque<>());
        for (Task task : claimed) {
          Run run = newRun(task);
          if (line.isEmpty() && limits.available(queue) > 0) {
            limits.acquire(queue, 1);
            launch(run);
          } else {
            line.addLast(run);
            waitingTotal++;
          }
        }
        if (claimed.size() == want) {
          more = true;
        }
      }
      if (more && limits.globalAvailable() == 0 && waitingTotal > 0) {
        more = false; // every slot is busy and tasks wait: the next freed slot wakes the dispatcher
      }
    }
    if (more) {
      return Instant.MIN;
    }
    Instant until = nextFullCheck;
    Instant due2 = nextDue;
    return due2 != null && due2.isBefore(until) ? due2 : until;
  }

  /**
   * How many tasks to claim from {@code queue} now: one for each free slot, plus, once the tasks
   * already waiting in this queue fall to half of what the allowance leaves it (the allowance is
   * the node's, shared by its queues), enough to fill it again; never more than a claim batch or
   * than the node's lease bound allows.
   */
  private int claimWanted(String queue, int allowance) {
    ArrayDeque<Run> line = waiting.get(queue);
    int waitingHere = line == null ? 0 : line.size();
    int free = waitingHere == 0 ? limits.available(queue) : 0;
    int aheadHere = Math.max(0, allowance - (waitingTotal - waitingHere));
    int topUp = waitingHere <= aheadHere / 2 ? aheadHere - waitingHere : 0;
    int want = Math.min(config.claimBatchSize(), free + topUp);
    return Math.min(want, maxHeld - running.size());
  }

  /** Starts the waiting tasks of {@code queue} that have a slot now, in claim order. */
  private void startWaiting(String queue) {
    ArrayDeque<Run> line = waiting.get(queue);
    while (line != null && !line.isEmpty() && limits.available(queue) > 0) {
      Run run = line.pollFirst();
      waitingTotal--;
      if (run.stopReason() != null) {
        finishUnstarted(run);
        continue;
      }
      limits.acquire(queue, 1);
      launch(run);
    }
  }

  /**
   * A paused queue's tasks that this node claimed ahead go back to the queue (attempt refunded),
   * so nothing of the queue starts after the node has learned of the pause.
   */
  private void releaseWaitingOf(Set<String> pausedQueues) {
    for (String queue : pausedQueues) {
      ArrayDeque<Run> line = waiting.get(queue);
      while (line != null && !line.isEmpty()) {
        Run run = line.pollFirst();
        waitingTotal--;
        run.stop(Run.StopReason.QUEUE_PAUSED);
        finishUnstarted(run);
      }
    }
  }

  /**
   * The queues or their settings changed here (a pause, a resume, a new queue): the dispatcher
   * re-reads them at once instead of at its next full look.
   */
  public void queuesChanged() {
    refreshQueues = true;
    wake();
  }

  /** Takes waiting runs that were stopped (cancelled, lease lost) out of line and records them. */
  private void sweepStoppedWaiting() {
    for (ArrayDeque<Run> line : waiting.values()) {
      for (Iterator<Run> it = line.iterator(); it.hasNext(); ) {
        Run run = it.next();
        if (run.stopReason() != null) {
          it.remove();
          waitingTotal--;
          finishUnstarted(run);
        }
      }
    }
  }

  /** A waiting run was stopped: its outcome is written on a thread of its own, never run. */
  private void finishUnstarted(Run run) {
    handlerThreads
        .newThread(
            () -> {
              try {
                transitions
                    .beforeStart(run.task(), run.stopReason(), config.clock().instant())
                    .ifPresent(o -> record(run, o));
              } catch (Throwable t) {
                log.error("unexpected failure finishing task {}", run.taskId(), t);
              } finally {
                deregister(run);
              }
            })
        .start();
  }

  /**
   * A task was submitted here: if it is scheduled, the dispatcher must wake for it even before its
   * next full look; if its queue is new to this node, the queue list must be re-read.
   */
  public void noteSubmitted(String queue, Instant runAt, boolean scheduled) {
    if (!queues.contains(queue)) {
      refreshQueues = true;
    }
    if (scheduled) {
      // Benign race with the dispatcher's own update: the worst case is one extra full check.
      Instant due = nextDue;
      if (due == null || runAt.isBefore(due)) {
        nextDue = runAt;
      }
    }
  }

  private void awaitSignal(Instant nextDue) throws InterruptedException {
    if (nextDue == Instant.MIN) {
      return;
    }
    Duration wait = config.pollInterval();
    if (nextDue != null) {
      Duration untilDue = Duration.between(config.clock().instant(), nextDue);
      wait = min(wait, untilDue.isNegative() ? Duration.ZERO : untilDue.plusMillis(1));
    }
    signalLock.lock();
    try {
      long nanos = wait.toNanos();
      while (!signalled && nanos > 0 && claiming.get()) {
        nanos = signal.awaitNanos(nanos);
      }
      signalled = false;
    } finally {
      signalLock.unlock();
    }
  }

  private void awaitFor(Duration d) {
    signalLock.lock();
    try {
      long nanos = d.toNanos();
      while (nanos > 0 && claiming.get()) {
        nanos = signal.awaitNanos(nanos);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      signalLock.unlock();
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  // ---------------------------------------------------------------- running a task

  /** Registers a claimed task as this node's run: from now on its lease is renewed. */
  private Run newRun(Task task) {
    Run run = new Run(task, config.nodeId(), percent -> writeProgress(task, percent));
    running.put(task.id(), run);
    return run;
  }

  /** Starts the handler of a run that holds a slot. */
  private void launch(Run run) {
    Task task = run.task();
    stats.started.increment();
    run.markStarted();
    Duration waited = Duration.between(task.runAt(), config.clock().instant());
    tell(l -> l.onStarted(task, waited.isNegative() ? Duration.ZERO : waited));
    Thread thread = handlerThreads.newThread(() -> execute(run));
    run.bind(thread);
    if (task.timeout() != null) {
      run.timeoutTimer(
          timer.schedule(
              () -> run.stop(Run.StopReason.TIMED_OUT), task.timeout().toMillis(), TimeUnit.MILLISECONDS));
    }
    thread.start();
  }

  private boolean writeProgress(Task task, int percent) {
    return store.updateProgress(new RunRef(task.id(), task.fencingToken()), percent);
  }

  /**
   * The handler boundary: every exit path frees the slot once and ends in at most one outcome
   * write. The slot is freed as soon as the handler returns, so the next task starts while this
   * outcome commits (in a transaction shared with the outcomes of other runs).
   */
  private void execute(Run run) {
    Task task = run.task();
    MDC.put("task_id", task.id().toString());
    MDC.put("node_id", config.nodeId());
    boolean holdsSlot = true;
    try {
      Optional<RunOutcome> outcome = runHandler(run);
      run.markEnded();
      run.cancelTimeoutTimer();
      holdsSlot = false;
      freeSlot(task.queue());
      outcome.ifPresent(o -> record(run, o));
      if (outcome.isEmpty()) {
        stats.staleRejected.increment();
        tell(l -> l.onStaleRunRejected(task));
        log.warn("run {} of task {} lost its lease; its outcome is discarded", task.fencingToken(), task.id());
      }
    } catch (Throwable t) {
      log.error("unexpected failure finishing task {}", task.id(), t);
    } finally {
      if (holdsSlot) {
        freeSlot(task.queue());
      }
      MDC.remove("task_id");
      MDC.remove("node_id");
      deregister(run);
    }
  }

  private void freeSlot(String queue) {
    limits.release(queue, 1);
    handlersDone.increment();
    wake();
  }

  /** The run's outcome is written (or given up on): its lease is no longer this node's concern. */
  private void deregister(Run run) {
    running.remove(run.taskId(), run);
    signalLock.lock();
    try {
      signalled = true;
      signal.signalAll();
      runFinished.signalAll();
    } finally {
      signalLock.unlock();
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private Optional<RunOutcome> runHandler(Run run) {
    Task task = run.task();
    TaskType type = types.get(task.type());
    Instant now;
    if (type == null) {
      // The store holds a type this node does not serve (e.g. a handler was removed): give it back
      // rather than fail it, so a node that knows the type can run it.
      log.warn("no handler for type '{}' of task {}; returning it to the queue", task.type(), task.id());
      return Optional.of(new RunOutcome.Released(config.clock().instant().plusSeconds(5)));
    }
    Object payload;
    try {
      payload = Json.MAPPER.readValue(task.payload(), type.payloadClass());
    } catch (JsonProcessingException e) {
      return Optional.of(transitions.undecodable(task, e.getOriginalMessage(), config.clock().instant()));
    }
    TaskResult result;
    try {
      result = ((dev.tasklane.TaskHandler) type.handler()).handle(payload, run);
      if (result == null) {
        result = TaskResult.success();
      }
    } catch (Throwable t) {
      if (t instanceof InterruptedException) {
        Thread.interrupted();
      }
      now = config.clock().instant();
      return transitions.afterFailure(task, run.stopReason(), t, type.retryPolicy(), now);
    }
    Thread.interrupted(); // a late interrupt must not leak into the outcome write
    now = config.clock().instant();
    return transitions.afterResult(task, run.stopReason(), result, type.retryPolicy(), now);
  }

  /**
   * Writes a run's outcome. A store failure (the database restarting, say) is retried with backoff
   * until it succeeds, the lease turns out lost, or shutdown abandons the run: the run stays
   * registered meanwhile, so its lease keeps being renewed once the database answers again, and a
   * database blip does not turn a finished task into a re-run.
   */
  private void record(Run run, RunOutcome outcome) {
    Duration backoff = Duration.ofMillis(50);
    for (int attempt = 1; ; attempt++) {
      try {
        Task after = completions.write(new Completion(run.ref(), outcome));
        count(run.task(), outcome, after);
        tell(l -> l.onFinished(after, resultOf(outcome), run.ranFor()));
        return;
      } catch (LeaseLostException e) {
        stats.staleRejected.increment();
        tell(l -> l.onStaleRunRejected(run.task()));
        log.warn("outcome of run {} of task {} rejected: the lease moved on", run.ref().fencingToken(), run.taskId());
        return;
      } catch (RuntimeException e) {
        if (abandoned) {
          log.error("could not record the outcome of task {} before shutdown; its lease will expire and it will run again", run.taskId(), e);
          return;
        }
        if (attempt == 1 || attempt % 20 == 0) {
          log.warn("recording the outcome of task {} failed (attempt {}); retrying", run.taskId(), attempt, e);
        }
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          return;
        }
        backoff = min(backoff.multipliedBy(2), Duration.ofSeconds(5));
      }
    }
  }

  private static dev.tasklane.TaskListener.RunResult resultOf(RunOutcome outcome) {
    return switch (outcome) {
      case RunOutcome.Succeeded s -> dev.tasklane.TaskListener.RunResult.SUCCEEDED;
      case RunOutcome.Failed f -> dev.tasklane.TaskListener.RunResult.FAILED;
      case RunOutcome.Cancelled c -> dev.tasklane.TaskListener.RunResult.CANCELLED;
      case RunOutcome.Rescheduled r ->
          r.error() != null
              ? dev.tasklane.TaskListener.RunResult.RETRIED
              : dev.tasklane.TaskListener.RunResult.SNOOZED;
      case RunOutcome.Released r -> dev.tasklane.TaskListener.RunResult.RELEASED;
    };
  }

  /** Tells the listener; a failing listener is logged, never allowed to disturb a run. */
  private void tell(java.util.function.Consumer<dev.tasklane.TaskListener> event) {
    try {
      event.accept(listener);
    } catch (RuntimeException e) {
      log.warn("task listener {} failed", listener, e);
    }
  }

  /** A task was accepted here (called by the worker after its commit). */
  public void submitted(Task task) {
    stats.submitted.increment();
    tell(l -> l.onSubmitted(task));
  }

  private void count(Task task, RunOutcome outcome, Task after) {
    switch (outcome) {
      case RunOutcome.Succeeded s -> stats.succeeded.increment();
      case RunOutcome.Failed f -> stats.failed.increment();
      case RunOutcome.Cancelled c -> stats.cancelled.increment();
      case RunOutcome.Rescheduled r -> {
        if (r.error() != null) {
          stats.retried.increment();
        }
        backlog.added(task.queue(), 1);
      }
      case RunOutcome.Released r -> backlog.added(task.queue(), 1);
    }
    if (after.state().isTerminal()) {
      log.debug("task {} {}", task.id(), after.state().apiName());
    }
  }

  // ---------------------------------------------------------------- leases

  private void renewLeases() {
    Collection<Run> runs = List.copyOf(running.values());
    if (runs.isEmpty()) {
      return;
    }
    List<RunRef> refs = new ArrayList<>(runs.size());
    for (Run r : runs) {
      refs.add(r.ref());
    }
    Instant expiry = config.clock().instant().plus(config.leaseDuration());
    Map<RunRef, LeaseStatus> statuses = store.renewLeases(refs, expiry);
    long renewed = statuses.values().stream().filter(st -> st != LeaseStatus.LOST).count();
    if (renewed > 0) {
      tell(l -> l.onLeasesRenewed((int) renewed));
    }
    for (Run r : runs) {
      LeaseStatus status = statuses.getOrDefault(r.ref(), LeaseStatus.LOST);
      switch (status) {
        case RENEWED -> stats.leaseRenewals.increment();
        case CANCEL_REQUESTED -> {
          stats.leaseRenewals.increment();
          stopWaitingOrRunning(r, Run.StopReason.CANCELLED);
        }
        case LOST -> {
          if (running.get(r.taskId()) == r && stopWaitingOrRunning(r, Run.StopReason.LEASE_LOST)) {
            log.warn("lease of task {} was lost; stopping its run", r.taskId());
          }
        }
      }
    }
  }

  /**
   * Stops a run: a running handler is interrupted; a run still waiting for a slot has no thread,
   * so the dispatcher is woken to take it out of line.
   */
  private boolean stopWaitingOrRunning(Run run, Run.StopReason reason) {
    boolean first = run.stop(reason);
    if (first) {
      sweepWaiting = true;
      wake();
    }
    return first;
  }

  private void heartbeatNode() {
    store.heartbeatNode(node.withHeartbeatAt(config.clock().instant()));
  }

  /** True while this node runs cluster maintenance. */
  public boolean isLeader() {
    return leader;
  }

  /**
   * The leader's chores: recover expired leases, forget dead nodes, delete finished tasks past
   * retention. Other nodes only keep trying to lead, so a leader's death is covered at the next
   * tick of whichever node takes over.
   */
  private void maintain() {
    boolean leads = election.tryLead();
    if (leads != leader) {
      leader = leads;
      log.info(leads ? "this node ({}) now leads cluster maintenance" : "this node ({}) no longer leads", config.nodeId());
    }
    if (!leads) {
      return;
    }
    recoverExpired();
    Instant now = config.clock().instant();
    Duration nodeExpiry = max(NODE_EXPIRY_MIN, config.heartbeatInterval().multipliedBy(10));
    int pruned = store.pruneNodes(now.minus(nodeExpiry));
    if (pruned > 0) {
      log.info("removed {} node(s) whose heartbeat stopped over {} ago", pruned, nodeExpiry);
    }
    if (!config.retention().isZero()) {
      Instant cutoff = now.minus(config.retention());
      int deleted;
      do {
        deleted = store.deleteFinishedBefore(cutoff, RETENTION_BATCH);
      } while (deleted == RETENTION_BATCH && claiming.get());
    }
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private void recoverExpired() {
    List<Task> recovered = store.recoverExpiredLeases(config.clock().instant(), RECOVERY_BATCH);
    if (!recovered.isEmpty()) {
      stats.recovered.add(recovered.size());
      for (Task t : recovered) {
        log.warn("task {} recovered from an expired lease; now {}", t.id(), t.state().apiName());
      }
      wake();
    }
  }

  /** Interrupts a run of {@code task} on this node, if there is one, because of a cancel request. */
  public void cancelLocal(TaskId id) {
    Run run = running.get(id);
    if (run != null) {
      stopWaitingOrRunning(run, Run.StopReason.CANCELLED);
    }
  }

  // ---------------------------------------------------------------- shutdown

  /** Ordered, idempotent stop: claiming, then draining, then releasing, then heartbeats. */
  public void stop() {
    if (!claiming.compareAndSet(true, false)) {
      return;
    }
    wake();
    joinQuietly(dispatcher, Duration.ofSeconds(10));
    closeQuietly(subscription);
    releaseWaiting();
    if (!awaitRunsDone(config.shutdownTimeout())) {
      List<Run> left = List.copyOf(running.values());
      log.warn("{} task(s) still running at the shutdown deadline; returning them to the queue", left.size());
      for (Run r : left) {
        r.stop(Run.StopReason.SHUTDOWN);
      }
      if (!awaitRunsDone(INTERRUPT_GRACE)) {
        abandoned = true;
        // Handlers that ignore interrupts: give their tasks back anyway. Their late writes will be
        // rejected, since the release moves the task out of running.
        Instant now = config.clock().instant();
        for (Run r : List.copyOf(running.values())) {
          try {
            store.finishRun(r.ref(), new RunOutcome.Released(now));
          } catch (RuntimeException e) {
            log.warn("could not release task {}; its lease will expire instead", r.taskId(), e);
          }
        }
      }
    }
    timer.shutdownNow();
    maintenance.shutdownNow();
    awaitTermination(maintenance);
    closeQuietly(election);
    try {
      store.removeNode(config.nodeId());
    } catch (RuntimeException e) {
      log.warn("could not remove this node from the registry; the leader will prune it", e);
    }
    // Heartbeats last: leases of runs that were still writing their outcome stay alive until now.
    heartbeat.shutdownNow();
    awaitTermination(heartbeat);
    closeWriters();
  }

  /** Gives the tasks claimed ahead back to their queues at once: they never started. */
  private void releaseWaiting() {
    if (dispatcher != null && dispatcher.isAlive()) {
      log.warn("the dispatcher did not stop in time; tasks it claimed ahead return when their leases expire");
      return;
    }
    for (ArrayDeque<Run> line : waiting.values()) {
      for (Run run : line) {
        run.stop(Run.StopReason.SHUTDOWN);
        finishUnstarted(run);
      }
      line.clear();
    }
    waitingTotal = 0;
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      log.warn("closing {} failed", c, e);
    }
  }

  private boolean awaitRunsDone(Duration timeout) {
    long nanos = timeout.toNanos();
    signalLock.lock();
    try {
      while (!running.isEmpty()) {
        if (nanos <= 0) {
          return false;
        }
        nanos = runFinished.awaitNanos(nanos);
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return running.isEmpty();
    } finally {
      signalLock.unlock();
    }
  }

  private static void joinQuietly(Thread t, Duration d) {
    if (t == null) {
      return;
    }
    try {
      t.join(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitTermination(ScheduledExecutorService s) {
    try {
      s.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Counters of what this node did since it started. */
  public static final class EngineStats {
    final LongAdder started = new LongAdder();
    final LongAdder succeeded = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder retried = new LongAdder();
    final LongAdder cancelled = new LongAdder();
    final LongAdder staleRejected = new LongAdder();
    final LongAdder leaseRenewals = new LongAdder();
    final LongAdder recovered = new LongAdder();
    public final LongAdder submitted = new LongAdder();

    public dev.tasklane.WorkerStats snapshot(int inFlight) {
      return new dev.tasklane.WorkerStats(
          submitted.sum(),
          started.sum(),
          succeeded.sum(),
          failed.sum(),
          retried.sum(),
          cancelled.sum(),
          staleRejected.sum(),
          leaseRenewals.sum(),
          recovered.sum(),
          inFlight);
    }
  }
}
