package dev.tasklane.internal;

import dev.tasklane.QueueFullException;
import dev.tasklane.Submission;
import dev.tasklane.Task;
import dev.tasklane.TaskId;
import dev.tasklane.TaskListener;
import dev.tasklane.TaskState;
import dev.tasklane.TaskType;
import dev.tasklane.WorkerConfig;
import dev.tasklane.spi.LeaderElection;
import dev.tasklane.spi.NewTask;
import dev.tasklane.spi.NodeInfo;
import dev.tasklane.spi.RunOutcome;
import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime behind {@link dev.tasklane.Worker}: builds the engine's parts, starts them in order
 * and stops them in the reverse order. Each part is a class of its own:
 *
 * <ul>
 *   <li>{@link Dispatcher}: claims work and hands it out ({@code tasklane-dispatcher});
 *   <li>{@link RunExecutor}: a handler's life, from its slot to its outcome (virtual threads);
 *   <li>{@link RunWriter}: starts and outcomes of runs, group-committed ({@code
 *       tasklane-complete});
 *   <li>{@link LeaseKeeper} and {@link NodeMembership}: leases and this node's registration
 *       ({@code tasklane-heartbeat}), and self-fencing ({@code tasklane-lease-guard});
 *   <li>{@link Maintenance}: lease recovery, node pruning, retention, backlog counts ({@code
 *       tasklane-maintenance});
 *   <li>{@link Timeouts}: per-run timeouts ({@code tasklane-timer});
 *   <li>{@link ScheduleTicker}: fires the ticks of schedules ({@code tasklane-schedules});
 *   <li>{@link Backlog} and the submissions' group commit ({@code tasklane-submit}): admission.
 * </ul>
 *
 * <h2>Start</h2>
 *
 * Claim the node id ({@link NodeMembership#join()}), take back the runs a previous process left
 * under it, load the backlog counts, then start the loops. A start that fails stops whatever it
 * had started, so a failed start leaves no thread behind.
 *
 * <h2>Shutdown</h2>
 *
 * Stop claiming; give back the runs claimed ahead (never started); wait up to the shutdown timeout
 * for runs to finish; interrupt the rest and give their tasks back (attempt refunded); stop
 * maintenance and give up the lead; leave the registry; stop heartbeats last, so leases of runs
 * still writing their outcome stay alive until then.
 */
public final class Engine {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);
  /** How long interrupted runs get to unwind at shutdown before their tasks are given back anyway. */
  private static final Duration INTERRUPT_GRACE = Duration.ofSeconds(2);
  private static final int PROMOTE_BATCH = 1000;
  /** Most submissions a group commit puts in one transaction. */
  private static final int SUBMIT_BATCH = 512;
  /**
   * The longest a submission waits for its commit: past it the caller hears the store is
   * unavailable (503) rather than waiting on; the store's own timeouts normally answer first.
   */
  static final Duration SUBMIT_MAX_WAIT = Duration.ofSeconds(30);

  private final TaskStore store;
  private final WorkerConfig config;
  private final EngineThreads threads;
  private final EngineStats stats = new EngineStats();
  private final SafeListener listener;
  private final Backlog backlog;
  private final ConcurrencyLimits limits;
  private final Transitions transitions;
  private final RemoteOutcomes remoteOutcomes;
  private final Set<String> executorTypes;
  private final RunRegistry registry = new RunRegistry(this::runLeft);
  private final Wakeup wakeup = new Wakeup();
  /** Fired whenever work may have become ready: what remote workers' long polls wait on. */
  private final ReadySignal ready = new ReadySignal();
  private final Timeouts timeouts;
  private final GroupCommit<NewTask, Submission> submissions;
  private final RunWriter writer;
  private final RunExecutor executor;
  private final QueueView view;
  private final Dispatcher dispatcher;
  private final NodeMembership membership;
  private final LeaseKeeper leaseKeeper;
  private final ScheduleTicker ticker;
  private final RateGate rateGate;

  /** Set when shutdown gives up on runs: their writes stop retrying. */
  private volatile boolean abandoned;

  // Set by start(), read by stop(); both run on the worker's lifecycle, never at once.
  private Maintenance maintenance;
  private LeaderElection election;
  private AutoCloseable subscription;
  private EngineThreads.Loop dispatcherLoop = EngineThreads.NONE;
  private EngineThreads.Loop heartbeatLoop = EngineThreads.NONE;
  private EngineThreads.Loop leaseGuardLoop = EngineThreads.NONE;
  private EngineThreads.Loop maintenanceLoop = EngineThreads.NONE;
  private EngineThreads.Loop tickerLoop = EngineThreads.NONE;
  private boolean joined;
  private final AtomicBoolean stopped = new AtomicBoolean();

  public Engine(
      TaskStore store,
      WorkerConfig config,
      Map<String, TaskType<?>> types,
      NodeInfo node,
      TaskListener listener) {
    this(store, config, types, node, listener, new EngineThreads(), new Timeouts());
  }

  /** With the threads and timer given: the engine's tests drive both by hand. */
  Engine(
      TaskStore store,
      WorkerConfig config,
      Map<String, TaskType<?>> types,
      NodeInfo node,
      TaskListener listener,
      EngineThreads threads,
      Timeouts timeouts) {
    this.store = store;
    this.config = config;
    this.threads = threads;
    this.timeouts = timeouts;
    this.listener = new SafeListener(listener);
    this.backlog = new Backlog(config.maxQueued());
    this.limits = new ConcurrencyLimits(config.concurrency(), config::limitOf);
    this.transitions = new Transitions(config.nodeId(), RandomGenerator.getDefault());
    this.remoteOutcomes = new RemoteOutcomes(transitions);
    this.executorTypes = Set.copyOf(types.keySet());
    this.submissions =
        new GroupCommit<>(
            "tasklane-submit", SUBMIT_BATCH, rows -> List.copyOf(store.insertAll(rows)), store::insert);
    this.writer = new RunWriter(store, stats, this.listener, backlog, () -> abandoned);
    this.view = new QueueView(store, config.pollInterval(), PROMOTE_BATCH);
    this.rateGate = new RateGate(store.rates(), config.clock());
    this.membership =
        new NodeMembership(
            store, node, config.leaseDuration(), config.heartbeatInterval(), threads);
    // The executor and the dispatcher know each other through callbacks: a freed slot goes back
    // to the dispatcher (read when called, once both exist), a claimed run to the executor.
    this.executor =
        new RunExecutor(
            config.nodeId(),
            config.clock(),
            types,
            transitions,
            registry,
            writer,
            store,
            timeouts,
            threads,
            stats,
            this.listener,
            this::slotFreed,
            config.leaseDuration(),
            rateGate);
    this.dispatcher =
        new Dispatcher(
            store,
            config,
            view,
            limits,
            backlog,
            registry,
            executor,
            wakeup,
            () -> !membership.evicted(),
            threads::nanoTime,
            rateGate);
    this.leaseKeeper =
        new LeaseKeeper(
            store,
            registry,
            config.leaseDuration(),
            config.heartbeatInterval(),
            stats,
            this.listener,
            run -> dispatcher.runStopped(),
            threads::nanoTime);
    this.ticker =
        new ScheduleTicker(
            store.schedules(), config.clock(), dev.tasklane.Schedule.MISFIRE_GRACE, this::submittedBySchedule);
  }

  /** A run left the registry: its lease is no longer held (the dispatcher may await room). */
  private void runLeft() {
    dispatcher.runLeft();
  }

  /** A handler gave its slot back (the executor calls this; the dispatcher releases it). */
  private void slotFreed(String queue, boolean handlerRan) {
    dispatcher.slotFreed(queue, handlerRan);
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Claims the node id, takes back this id's runs left by a previous process, then starts every
   * loop. On failure, stops what it started and rethrows.
   *
   * @throws dev.tasklane.NodeIdInUseException if a live process holds the node id
   */
  public void start() {
    try {
      membership.join();
      joined = true;
      maintenance =
          new Maintenance(
              store,
              election = store.leaderElection(config.nodeId()),
              transitions,
              registry,
              backlog,
              stats,
              config.clock(),
              config.heartbeatInterval(),
              config.retention(),
              this::workMayBeReady,
              dispatcher::isClaiming,
              rateGate);
      maintenance.recoverOwn(config.nodeId());
      rateGate.refresh();
      loadBacklog();
      subscription =
          store.subscribe(
              (named, settingsChanged) -> {
                view.notified(named, settingsChanged);
                workMayBeReady();
              });
      Duration hb = config.heartbeatInterval();
      heartbeatLoop =
          threads.every(
              "tasklane-heartbeat",
              hb,
              hb,
              () -> {
                Loops.guarded("lease renewal", leaseKeeper::renew).run();
                Loops.guarded("node heartbeat", membership::heartbeat).run();
              });
      // Self-fencing on a timer of its own: a renewal that hangs must not delay it.
      Duration guard = hb.dividedBy(2);
      leaseGuardLoop =
          threads.every("tasklane-lease-guard", guard, guard, leaseKeeper::fenceOverdue);
      maintenanceLoop =
          threads.every(
              "tasklane-maintenance",
              Duration.ZERO,
              config.reapInterval(),
              () -> {
                Loops.guarded("cluster maintenance", maintenance::tick).run();
                Loops.guarded("backlog refresh", maintenance::refreshBacklog).run();
                Loops.guarded("rate limits refresh", rateGate::refresh).run();
              });
      dispatcherLoop = threads.loop("tasklane-dispatcher", dispatcher::loop, Duration.ofSeconds(10));
      tickerLoop = threads.loop("tasklane-schedules", ticker::loop, Duration.ofSeconds(10));
    } catch (RuntimeException | Error e) {
      log.error("node {} failed to start; stopping what had started", config.nodeId());
      try {
        stop();
      } catch (RuntimeException | Error suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** Ordered, idempotent stop: claiming, draining, giving back, maintenance, registry, heartbeats. */
  public void stop() {
    if (!stopped.compareAndSet(false, true)) {
      return;
    }
    ticker.stop();
    tickerLoop.stop();
    dispatcher.stopClaiming();
    dispatcherLoop.stop();
    Loops.closeQuietly(subscription);
    subscription = null;
    if (dispatcherLoop.isAlive()) {
      log.warn("the dispatcher did not stop in time; tasks it claimed ahead return when their leases expire");
    } else {
      dispatcher.releaseAll();
    }
    drainRuns();
    maintenanceLoop.stop();
    Loops.closeQuietly(election);
    election = null;
    if (joined) {
      try {
        membership.leave();
      } catch (RuntimeException e) {
        log.warn("could not remove this node from the registry; the leader will prune it", e);
      }
      joined = false;
    }
    // Heartbeats last: leases of runs that were still writing their outcome stay alive until now.
    heartbeatLoop.stop();
    leaseGuardLoop.stop();
    timeouts.close();
    closeWriters();
  }

  /**
   * Lets running handlers finish up to the shutdown timeout, then interrupts them and, if they
   * still do not end, gives their tasks back anyway: their late writes are refused, since the task
   * left running.
   */
  private void drainRuns() {
    if (registry.awaitEmpty(config.shutdownTimeout())) {
      return;
    }
    List<Run> left = registry.snapshot();
    log.warn("{} task(s) still running at the shutdown deadline; returning them to the queue", left.size());
    for (Run r : left) {
      r.stop(Run.StopReason.SHUTDOWN);
    }
    if (registry.awaitEmpty(INTERRUPT_GRACE)) {
      return;
    }
    abandoned = true;
    Instant now = config.clock().instant();
    for (Run r : registry.snapshot()) {
      try {
        store.finishRun(r.ref(), new RunOutcome.Released(now, null, r.isStarted()));
      } catch (RuntimeException e) {
        log.warn("could not give task {} back; its lease will expire instead", r.taskId(), e);
      }
    }
  }

  /** Stops the group-commit writers; later writes go straight to the store. Idempotent. */
  public void closeWriters() {
    submissions.close();
    writer.close();
  }

  // ---------------------------------------------------------------- submissions

  /**
   * Inserts one task durably: on the caller's thread when no other submission is being written,
   * else in a transaction shared with the submissions that arrive meanwhile, waiting at most
   * {@link #SUBMIT_MAX_WAIT} for that commit (a write on the caller's thread is bounded by the
   * store's own timeouts instead).
   */
  public Submission insert(NewTask task) {
    return submissions.write(task, SUBMIT_MAX_WAIT);
  }

  /**
   * Reserves backlog room for a submission of {@code perQueue} tasks, all or nothing.
   *
   * @throws QueueFullException naming the first queue without room
   */
  public void admit(Map<String, Integer> perQueue) {
    List<Map.Entry<String, Integer>> admitted = new ArrayList<>();
    for (Map.Entry<String, Integer> e : perQueue.entrySet()) {
      if (!backlog.tryAdmit(e.getKey(), e.getValue())) {
        admitted.forEach(a -> backlog.admitted(a.getKey(), a.getValue(), 0));
        throw new QueueFullException(
            e.getKey(), backlog.maxQueued(), QueueFullException.DEFAULT_RETRY_AFTER);
      }
      admitted.add(e);
    }
  }

  /**
   * An admission was answered: of {@code admitted} tasks for {@code queue}, {@code created} are in
   * the store now (0 when the insert failed).
   */
  public void admitted(String queue, int admitted, int created) {
    backlog.admitted(queue, admitted, created);
  }

  /** {@code n} tasks left {@code queue}'s backlog outside a claim (cancelled), by an operation begun at {@code epoch}. */
  public void leftBacklog(String queue, int n, long epoch) {
    backlog.removed(queue, n, epoch);
  }

  /** The backlog's epoch, read before an operation that may remove waiting tasks. */
  public long backlogEpoch() {
    return backlog.epoch();
  }

  /** {@code n} tasks entered {@code queue}'s backlog outside admission (a manual retry). */
  public void enteredBacklog(String queue, int n) {
    backlog.added(queue, n);
  }

  /** Loads backlog counts; needed before admitting submissions, whether or not the node runs tasks. */
  public void loadBacklog() {
    backlog.refresh(store::waitingCounts);
  }

  /** A task was accepted here (called by the worker after its commit). */
  public void submitted(Task task) {
    stats.submitted.increment();
    listener.tell(l -> l.onSubmitted(task));
    view.submitted(task.queue(), task.runAt(), task.state() == TaskState.SCHEDULED);
  }

  /**
   * A bulk submission committed here: {@code counts} tasks per queue and type, and for each queue
   * that got scheduled tasks, the earliest of their due times.
   */
  public void submittedInBulk(Map<String, Map<String, Long>> counts, Map<String, Instant> firstDue) {
    counts.forEach(
        (queue, byType) ->
            byType.forEach(
                (type, n) -> {
                  stats.submitted.add(n);
                  listener.tell(l -> l.onSubmittedInBulk(queue, type, n));
                }));
    counts.keySet().forEach(queue -> view.submitted(queue, config.clock().instant(), false));
    firstDue.forEach((queue, due) -> view.submitted(queue, due, true));
  }

  /**
   * Tasks a schedule created, outside admission (a tick is not refused for a full backlog: it
   * would be lost): counted into the backlog and announced as submissions.
   */
  public void submittedBySchedule(List<Submission> fired) {
    for (Submission s : fired) {
      if (s.created()) {
        backlog.added(s.task().queue(), 1);
        submitted(s.task());
      }
    }
    workMayBeReady();
  }

  /** The rate limits at the start of tasks (also for remote workers' claims). */
  public RateGate rateGate() {
    return rateGate;
  }

  /** The rate limits changed here: this node reads them again now. */
  public void rateLimitsChanged() {
    rateGate.refresh();
    wakeup.wake();
  }

  /**
   * Tasks a rate limit held back outside the dispatcher (a remote worker's claim): counted back
   * into {@code queue}'s backlog, and the dispatcher promotes them at their reserved start.
   */
  public void heldByRateLimit(String queue, int held, Instant firstHeldUntil) {
    if (held > 0) {
      backlog.added(queue, held);
      view.submitted(queue, firstHeldUntil, true);
      wakeup.wake();
    }
  }

  /** A schedule was defined or resumed here: the ticker looks at the schedules again now. */
  public void schedulesChanged() {
    ticker.wake();
  }

  // ---------------------------------------------------------------- operator actions

  /** Wakes the dispatcher: work may have arrived or a slot freed. */
  public void wake() {
    workMayBeReady();
  }

  private void workMayBeReady() {
    wakeup.wake();
    ready.fire();
  }

  /** What waits for work to become ready outside the dispatcher (remote workers' claims). */
  public ReadySignal readySignal() {
    return ready;
  }

  /**
   * From now on this node claims only tasks of the types it has handlers for: other types in its
   * queues are served by remote workers, and a claim must pass over them rather than bounce them.
   */
  public void claimOwnTypesOnly() {
    dispatcher.claimOnly(executorTypes);
  }

  /**
   * Tells {@code listener} the type of each task this node claimed and had no handler for (it is
   * given back to its queue): how a node that never heard a worker's announcement learns that its
   * queues hold remote workers' tasks.
   */
  public void onUnknownType(java.util.function.Consumer<String> listener) {
    executor.onUnknownType(listener);
  }

  /** The listener the engine tells, for runs it does not execute itself (remote workers'). */
  public TaskListener listener() {
    return listener;
  }

  /** How runs end, for runs the engine does not execute itself (remote workers'). */
  public RemoteOutcomes remoteOutcomes() {
    return remoteOutcomes;
  }

  /** Interrupts a run of {@code id} on this node, if there is one, because of a cancel request. */
  public void cancelLocal(TaskId id) {
    leaseKeeper.cancel(id);
  }

  /**
   * The queues or their settings changed here (a pause, a resume, a new queue): the dispatcher
   * re-reads them at once instead of at its next full look.
   */
  public void queuesChanged() {
    view.markStale();
    wakeup.wake();
  }

  // ---------------------------------------------------------------- observations

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

  /** True while this node runs cluster maintenance. */
  public boolean isLeader() {
    return maintenance != null && maintenance.isLeader();
  }

  /** True once another process took this node's id over: it claims nothing more. */
  public boolean isEvicted() {
    return membership.evicted();
  }

  // ---------------------------------------------------------------- for the engine's tests

  Dispatcher dispatcher() {
    return dispatcher;
  }

  Wakeup wakeup() {
    return wakeup;
  }

  LeaseKeeper leaseKeeper() {
    return leaseKeeper;
  }

  NodeMembership membership() {
    return membership;
  }

  Maintenance maintenance() {
    return maintenance;
  }

  RunRegistry registry() {
    return registry;
  }

  Timeouts timeouts() {
    return timeouts;
  }

  ScheduleTicker ticker() {
    return ticker;
  }
}
