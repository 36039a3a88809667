package dev.tasklane.remote;

import dev.tasklane.internal.RateGate;
import dev.tasklane.LeaseLostException;
import dev.tasklane.NodeIdInUseException;
import dev.tasklane.RetryPolicy;
import dev.tasklane.Task;
import dev.tasklane.TaskId;
import dev.tasklane.TaskNotFoundException;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskState;
import dev.tasklane.TaskType;
import dev.tasklane.WorkerConfig;
import dev.tasklane.internal.AnnouncedTypes;
import dev.tasklane.internal.Engine;
import dev.tasklane.internal.RemoteOutcomes;
import dev.tasklane.spi.ClaimRequest;
import dev.tasklane.spi.LeaseStatus;
import dev.tasklane.spi.NodeInfo;
import dev.tasklane.spi.NodeRecord;
import dev.tasklane.spi.RunOutcome;
import dev.tasklane.spi.RunRef;
import dev.tasklane.spi.RunWrites;
import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * The engine's side of remote workers: processes in any language that run tasks they claim over
 * the worker protocol. A remote worker is a node of the cluster like any other: it is registered
 * in the store's node registry (with a heartbeat and a lease, so {@code /api/v1/nodes} and {@code
 * explain} see it), it claims through {@link TaskStore#claim} (so priority order, pauses and
 * cluster-wide queue limits hold across the engine's own handlers and remote workers alike), it
 * holds every task under a lease renewed by its heartbeats, and every write it makes is
 * compare-and-set on the run's fencing token. A worker that dies is recovered by the cluster
 * leader exactly as a node is: its leases expire, and its tasks run again elsewhere.
 *
 * <p>What this class adds is the part a remote process cannot do itself: long-poll claims that wait
 * for work and wake when some becomes ready, the outcome decisions (retry policy, a cancel winning
 * over a failure), timeouts enforced on the server's side too, and the listener's events.
 *
 * <p>Thread-safe: every method may be called from many request threads at once. Obtain it from
 * {@link dev.tasklane.Worker#remoteWorkers()}.
 */
public final class RemoteWorkers {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RemoteWorkers.class);

  /** Most tasks one claim may take: a round trip per batch, not per task. */
  public static final int MAX_CLAIM = 1_000;

  /** Longest a claim may wait for work. */
  public static final Duration MAX_WAIT = Duration.ofSeconds(60);

  private final TaskStore store;
  private final WorkerConfig config;
  private final Engine engine;
  private final AnnouncedTypes announced;
  private final Function<String, Optional<TaskType<?>>> localTypes;
  private final RemoteOutcomes outcomes;
  /** Registrations this server has seen, by worker id; confirmed against the store when stale. */
  private final Map<String, Registration> registrations = new ConcurrentHashMap<>();
  /** What this server knows of runs it handed out or was told of: owner and deadline. */
  private final Map<TaskId, HeldRun> runs = new ConcurrentHashMap<>();
  private final AtomicInteger rotation = new AtomicInteger();
  private final Map<String, Object> claimLocks = new ConcurrentHashMap<>();
  /** Past this many remembered runs (leases recovered elsewhere leave theirs), start afresh. */
  private static final int MAX_REMEMBERED_RUNS = 100_000;
  private volatile boolean closed;

  /** Built by {@link dev.tasklane.Worker}; not for direct use. */
  public RemoteWorkers(
      TaskStore store,
      WorkerConfig config,
      Engine engine,
      AnnouncedTypes announced,
      Function<String, Optional<TaskType<?>>> localTypes) {
    this.store = store;
    this.config = config;
    this.engine = engine;
    this.announced = announced;
    this.localTypes = localTypes;
    this.outcomes = engine.remoteOutcomes();
    if (announced.any()) {
      engine.claimOwnTypesOnly();
    }
  }

  /** How long a worker's registration and its runs' leases last without a heartbeat. */
  public Duration lease() {
    return config.leaseDuration();
  }

  /** How often a worker should heartbeat: a third of a lease, so two may fail in a row. */
  public Duration heartbeatInterval() {
    return config.leaseDuration().dividedBy(3);
  }

  /**
   * Registers a worker, or takes its id back after a restart. Its types are remembered, so that
   * submissions of them are accepted from now on, also while no worker is connected.
   *
   * @throws NodeIdInUseException if another live process holds this worker id
   */
  public NodeRecord announce(WorkerAnnouncement worker) {
    Objects.requireNonNull(worker, "worker");
    NodeInfo node = nodeOf(worker);
    for (NodeRecord r : store.nodes()) {
      // A registration that lapsed may be taken over by a restart of the same worker, but never
      // by another credential's worker, and an engine node's id never by a worker.
      boolean other =
          r.id().equals(worker.id())
              && (!r.node().isRemote() || !Objects.equals(r.node().labels().get(OWNER), worker.owner()));
      if (other) {
        throw new NodeIdInUseException(
            worker.id(),
            (r.node().isRemote() ? "a worker of another credential, " : "an engine node, ")
                + r.node().describeProcess(),
            r.heartbeatAge());
      }
    }
    NodeRecord record = store.claimNode(node, lease());
    if (!record.node().instance().equals(node.instance())) {
      throw new NodeIdInUseException(
          worker.id(), record.node().describeProcess(), record.heartbeatAge());
    }
    announced.announce(worker.types());
    // The engine's own dispatcher now shares queues with remote workers: it must pass over their
    // tasks instead of claiming them and giving them back.
    engine.claimOwnTypesOnly();
    registrations.put(worker.id(), new Registration(node, System.nanoTime()));
    return record;
  }

  /**
   * Claims up to {@code max} ready tasks of the worker's types from its queues (never more than its
   * announced concurrency less what it holds), waiting up to {@code wait} for one if none is ready.
   * Each task comes back running under a fresh lease and fencing token, its attempt spent.
   *
   * @throws UnknownWorkerException if the worker is not registered under that instance
   * @throws InterruptedException if the calling thread is interrupted while it waits
   */
  public List<Task> claim(String workerId, String instance, String owner, int max, Duration wait)
      throws InterruptedException {
    if (max < 1 || max > MAX_CLAIM) {
      throw new IllegalArgumentException("max must be between 1 and " + MAX_CLAIM + ": " + max);
    }
    if (wait.isNegative() || wait.compareTo(MAX_WAIT) > 0) {
      throw new IllegalArgumentException("wait must be between 0 and " + MAX_WAIT.toSeconds() + "s");
    }
    Registration reg = registration(workerId, instance, owner);
    Object claimLock = claimLocks.computeIfAbsent(workerId, k -> new Object());
    long deadline = System.nanoTime() + wait.toNanos();
    while (true) {
      long seen = engine.readySignal().generation();
      List<Task> claimed;
      // One claim of a worker at a time counts its leases and takes: two requests at once (a
      // retry beside its original) cannot both see the same free slots.
      synchronized (claimLock) {
        int room = Math.min(max, reg.node.concurrency() - store.leasesOf(workerId).size());
        if (room <= 0) {
          return List.of();
        }
        claimed = claimOnce(reg, room);
      }
      long left = deadline - System.nanoTime();
      if (!claimed.isEmpty() || left <= 0 || closed) {
        return claimed;
      }
      // A signal between the claim and this wait moved the generation: no wait then. The poll
      // interval bounds the wait for what no signal announces (a delayed task falling due).
      engine
          .readySignal()
          .awaitAfter(seen, Duration.ofNanos(Math.min(left, config.pollInterval().toNanos())));
      // The worker may have died while its claim waited (its connection gone, the request still
      // here). Its registration lapses no later than its runs' leases, so a task recovered from
      // it finds the registration dead here, rather than being claimed for it again and losing
      // another attempt.
      reg = registration(workerId, instance, owner, true);
    }
  }

  private List<Task> claimOnce(Registration reg, int room) {
    NodeInfo node = reg.node;
    List<String> queues = queuesOf(node);
    List<Task> out = new ArrayList<>();
    if (queues.isEmpty()) {
      return out;
    }
    int start = Math.floorMod(rotation.getAndIncrement(), queues.size());
    Instant now = config.clock().instant();
    for (int i = 0; i < queues.size() && out.size() < room; i++) {
      String queue = queues.get((start + i) % queues.size());
      long epoch = engine.backlogEpoch();
      int want = room - out.size();
      if (!engine.rateGate().gates(queue)) {
        List<Task> claimed =
            store.claim(ClaimRequest.starting(queue, want, node.id(), now, lease()).ofTypes(node.types()));
        engine.leftBacklog(queue, claimed.size(), epoch);
        out.addAll(claimed);
        continue;
      }
      // A rate limit may hold the queue: claim ahead (nothing started), let the gate decide, give
      // back what it holds, and start the rest.
      List<Task> claimed =
          store.claim(new ClaimRequest(queue, want, 0, node.id(), now, lease()).ofTypes(node.types()));
      engine.leftBacklog(queue, claimed.size(), epoch);
      RateGate.Passed passed = engine.rateGate().pass(store, claimed);
      engine.heldByRateLimit(queue, passed.held(), passed.firstHeldUntil());
      if (!passed.startNow().isEmpty()) {
        List<RunRef> starts = passed.startNow().stream().map(t -> new RunRef(t.id(), t.fencingToken())).toList();
        Map<RunRef, Task> started = store.writeRuns(RunWrites.starting(starts)).started();
        for (RunRef r : starts) {
          Task t = started.get(r);
          if (t != null) {
            out.add(t);
          }
        }
      }
    }
    for (Task task : out) {
      remember(task.id(), HeldRun.of(task));
      Duration waited = Duration.between(task.runAt(), task.startedAt());
      engine.listener().onStarted(task, waited.isNegative() ? Duration.ZERO : waited);
    }
    return out;
  }

  private List<String> queuesOf(NodeInfo node) {
    String named = node.labels().get("queues");
    if (named != null && !named.isEmpty()) {
      return List.of(named.split(","));
    }
    List<String> queues = new ArrayList<>();
    store.queuePauses().forEach((queue, paused) -> {
      if (!paused) {
        queues.add(queue);
      }
    });
    return queues;
  }

  /**
   * A worker's heartbeat: refreshes its registration, renews the leases of the runs it reports,
   * records their progress, and says of each whether to go on, stop for a cancel, or stop because
   * it is lost or timed out (a run past its timeout is ended here as a failure, as the engine ends
   * its own).
   *
   * @throws UnknownWorkerException if the worker is not registered under that instance (another
   *     process took its id, or it was silent past its lease and was pruned): its runs are lost
   */
  public Map<TaskId, RunStatus> heartbeat(
      String workerId, String instance, String owner, List<RunReport> reports) {
    Registration reg = registration(workerId, instance, owner);
    if (!store.heartbeatNode(reg.node, lease())) {
      registrations.remove(workerId, reg);
      throw new UnknownWorkerException(workerId, instance);
    }
    registrations.put(workerId, new Registration(reg.node, System.nanoTime()));
    Map<TaskId, RunStatus> out = new LinkedHashMap<>();
    List<RunRef> owned = new ArrayList<>();
    for (RunReport r : reports) {
      HeldRun held = held(r.taskId(), workerId, r.fencingToken());
      if (held == null || !held.owner.equals(workerId) || held.fencingToken != r.fencingToken()) {
        out.put(r.taskId(), RunStatus.LOST);
      } else {
        owned.add(new RunRef(r.taskId(), r.fencingToken()));
      }
    }
    Map<RunRef, LeaseStatus> renewed = owned.isEmpty() ? Map.of() : store.renewLeases(owned, lease());
    Map<TaskId, Integer> progress = new LinkedHashMap<>();
    reports.forEach(r -> {
      if (r.progress() != null) {
        progress.put(r.taskId(), r.progress());
      }
    });
    Instant now = config.clock().instant();
    for (RunRef ref : owned) {
      LeaseStatus status = renewed.getOrDefault(ref, LeaseStatus.LOST);
      RunStatus answer =
          switch (status) {
            case LOST -> RunStatus.LOST;
            case CANCEL_REQUESTED -> RunStatus.CANCEL_REQUESTED;
            case RENEWED -> RunStatus.RUNNING;
          };
      HeldRun held = runs.get(ref.taskId());
      if (answer != RunStatus.LOST && held != null && held.pastDeadline(now)) {
        answer = endTimedOut(ref, now);
      } else if (answer != RunStatus.LOST && progress.containsKey(ref.taskId())) {
        if (!store.updateProgress(ref, progress.get(ref.taskId()))) {
          answer = RunStatus.LOST;
        }
      }
      if (answer == RunStatus.LOST || answer == RunStatus.TIMED_OUT) {
        runs.remove(ref.taskId());
      }
      out.put(ref.taskId(), answer);
    }
    engine.listener().onLeasesRenewed(owned.size());
    return out;
  }

  private RunStatus endTimedOut(RunRef ref, Instant now) {
    Optional<Task> task = store.find(ref.taskId());
    HeldRun held = runs.get(ref.taskId());
    if (task.isEmpty() || held == null || !holds(task.get(), ref, held.owner)) {
      return RunStatus.LOST;
    }
    try {
      RunOutcome outcome = outcomes.afterTimeout(task.get(), policyOf(task.get()), now);
      finished(task.get(), store.finishRun(ref, outcome), outcome, now);
      return RunStatus.TIMED_OUT;
    } catch (LeaseLostException e) {
      return RunStatus.LOST;
    }
  }

  /**
   * Ends a run as the worker reports it. Every check is on the run: the task must be running under
   * this fencing token and leased to this worker; the worker's registration need not be current,
   * so a result reported just after a brief silence is not lost while its lease still holds.
   *
   * @return the task as it ended
   * @throws TaskNotFoundException if there is no such task
   * @throws LeaseLostException if the run no longer holds its task (nothing was written)
   */
  public Task finish(String workerId, String owner, RunRef run, RemoteOutcome outcome) {
    Objects.requireNonNull(outcome, "outcome");
    requireNotOwnedElsewhere(workerId, owner);
    Task task = store.find(run.taskId()).orElseThrow(() -> new TaskNotFoundException(run.taskId()));
    if (!holds(task, run, workerId)) {
      engine.listener().onStaleRunRejected(task);
      throw new LeaseLostException(run.taskId(), run.fencingToken());
    }
    Instant now = config.clock().instant();
    RunOutcome decided = decide(task, outcome, now);
    Task after;
    try {
      after = store.finishRun(run, decided);
    } catch (LeaseLostException e) {
      engine.listener().onStaleRunRejected(task);
      throw e;
    }
    finished(task, after, decided, now);
    return after;
  }

  /** What became of one outcome of {@link #finishAll}. */
  public enum Finished {
    /** Written: the task ended (or was rescheduled) as reported. */
    WRITTEN,
    /** The run no longer holds its task (or never did, for this worker): nothing was written. */
    STALE,
    /** There is no such task. */
    NOT_FOUND
  }

  /**
   * Ends many runs in one transaction, each as {@link #finish} would: the batched form a worker
   * uses so that reporting outcomes costs one request and one commit for many tasks. A success of
   * a run this server handed out needs no read (its owner and token are known here); other
   * outcomes read their task to apply its retry policy. Runs that do not qualify are answered
   * {@link Finished#STALE} without failing the others.
   */
  public Map<TaskId, Finished> finishAll(
      String workerId, String owner, Map<RunRef, RemoteOutcome> reported) {
    requireNotOwnedElsewhere(workerId, owner);
    Instant now = config.clock().instant();
    Map<TaskId, Finished> answer = new LinkedHashMap<>();
    Map<RunRef, RunOutcome> writes = new LinkedHashMap<>();
    Map<RunRef, Instant> startedAt = new java.util.HashMap<>();
    for (Map.Entry<RunRef, RemoteOutcome> e : reported.entrySet()) {
      RunRef run = e.getKey();
      HeldRun held = runs.get(run.taskId());
      if (held != null && (!held.owner.equals(workerId) || held.fencingToken != run.fencingToken())) {
        held = null; // known here for another run: the store decides
      }
      Task task = null;
      if (held == null || !(e.getValue() instanceof RemoteOutcome.Succeeded)) {
        task = store.find(run.taskId()).orElse(null);
        if (task == null) {
          answer.put(run.taskId(), Finished.NOT_FOUND);
          continue;
        }
        if (!holds(task, run, workerId)) {
          answer.put(run.taskId(), Finished.STALE);
          continue;
        }
        held = HeldRun.of(task);
      }
      writes.put(run, task == null ? successOf((RemoteOutcome.Succeeded) e.getValue(), now) : decide(task, e.getValue(), now));
      startedAt.put(run, held.startedAt);
      answer.put(run.taskId(), Finished.STALE); // until the store says it was written
    }
    if (!writes.isEmpty()) {
      Map<RunRef, Task> written = store.writeRuns(RunWrites.finishing(writes)).finished();
      for (Map.Entry<RunRef, Task> w : written.entrySet()) {
        RunRef run = w.getKey();
        answer.put(run.taskId(), Finished.WRITTEN);
        runs.remove(run.taskId());
        Instant began = startedAt.get(run);
        Duration ran = began == null ? Duration.ZERO : Duration.between(began, now);
        engine.listener().onFinished(
            w.getValue(), RemoteOutcomes.resultOf(writes.get(run)), ran.isNegative() ? Duration.ZERO : ran);
      }
      engine.wake();
    }
    return answer;
  }

  private static RunOutcome successOf(RemoteOutcome.Succeeded s, Instant now) {
    // A success counts even when a cancel came too late to stop it, as for the engine's own.
    return new RunOutcome.Succeeded(now, s.result());
  }

  /** The run's next state from the worker's report, by the type's policy. */
  private RunOutcome decide(Task task, RemoteOutcome outcome, Instant now) {
    RetryPolicy policy = policyOf(task);
    return switch (outcome) {
      case RemoteOutcome.Succeeded s -> successOf(s, now);
      case RemoteOutcome.Failed f when f.permanent() ->
          outcomes.afterResult(task, TaskResult.fail(f.message()), policy, now);
      case RemoteOutcome.Failed f -> outcomes.afterError(task, f.message(), f.stackTrace(), policy, now);
      case RemoteOutcome.RetryLater r ->
          outcomes.afterResult(task, TaskResult.retry(r.delay(), r.reason()), policy, now);
      case RemoteOutcome.Snoozed s -> outcomes.afterResult(task, TaskResult.snooze(s.delay()), policy, now);
      case RemoteOutcome.Throttled t -> {
        try {
          engine.rateGate().hold(task, now.plus(t.delay()));
        } catch (RuntimeException e) {
          // The task itself still waits; only the other tasks under its limits are not held.
          log.warn("could not hold the rate limits of task {}", task.id(), e);
        }
        yield outcomes.afterResult(task, TaskResult.throttle(t.delay(), t.reason()), policy, now);
      }
      case RemoteOutcome.Cancelled c -> outcomes.afterCancel(task, now);
    };
  }

  /**
   * Gives runs back unfinished (the worker is shutting down, or took more than it will run): each is
   * queued again at once with its attempt refunded. Runs it no longer holds are skipped.
   *
   * @return the tasks given back
   */
  public List<Task> handBack(String workerId, String owner, List<RunRef> handed) {
    requireNotOwnedElsewhere(workerId, owner);
    List<Task> out = new ArrayList<>();
    Instant now = config.clock().instant();
    for (RunRef run : handed) {
      Optional<Task> task = store.find(run.taskId());
      if (task.isEmpty() || !holds(task.get(), run, workerId)) {
        continue;
      }
      RunOutcome outcome = outcomes.handedBack(task.get(), now);
      try {
        Task after = store.finishRun(run, outcome);
        finished(task.get(), after, outcome, now);
        out.add(after);
      } catch (LeaseLostException e) {
        // Recovered or ended meanwhile: nothing left to give back.
      }
    }
    return out;
  }

  /**
   * A worker leaves gracefully: what it still holds goes back to its queues, then its registration
   * is removed.
   */
  public List<Task> leave(String workerId, String instance, String owner) {
    Registration reg = registration(workerId, instance, owner);
    List<RunRef> held =
        store.leasesOf(workerId).stream().map(t -> new RunRef(t.id(), t.fencingToken())).toList();
    List<Task> back = handBack(workerId, owner, held);
    store.removeNode(reg.node);
    registrations.remove(workerId, reg);
    return back;
  }

  /**
   * A run's outcome may be written without a current registration (by its fencing token), but never
   * for a worker that a different credential registered.
   */
  private void requireNotOwnedElsewhere(String workerId, String owner) {
    Registration reg = registrations.get(workerId);
    if (reg == null || !reg.ownedBy(owner)) {
      // Unknown here, or known here as another's: the id may have lapsed and been announced
      // anew since (through another server). The store decides.
      reg =
          store.nodes().stream()
              .filter(r -> r.id().equals(workerId))
              .findFirst()
              .map(r -> new Registration(r.node(), System.nanoTime() - lease().toNanos()))
              .orElse(null);
      if (reg != null) {
        registrations.put(workerId, reg); // stale on purpose: a claim re-reads it
      }
    }
    if (reg != null && (!reg.node.isRemote() || !reg.ownedBy(owner))) {
      throw new UnknownWorkerException(workerId, reg.node.instance());
    }
  }

  /** Ends every waiting claim at its next look (the server is stopping). */
  public void close() {
    closed = true;
  }

  // ---------------------------------------------------------------- internals

  private void finished(Task before, Task after, RunOutcome outcome, Instant now) {
    runs.remove(after.id());
    Duration ran =
        before.startedAt() == null ? Duration.ZERO : Duration.between(before.startedAt(), now);
    engine.listener().onFinished(after, RemoteOutcomes.resultOf(outcome), ran.isNegative() ? Duration.ZERO : ran);
    // A freed lease may let a limited queue's next task start, and a task given back or failed
    // may be ready again: both are news for waiting claims.
    engine.wake();
  }

  private static boolean holds(Task task, RunRef run, String workerId) {
    return task.state() == TaskState.RUNNING
        && task.fencingToken() == run.fencingToken()
        && workerId.equals(task.leaseOwner());
  }

  private RetryPolicy policyOf(Task task) {
    return localTypes
        .apply(task.type())
        .or(() -> announced.find(task.type()))
        .map(TaskType::retryPolicy)
        .orElse(RetryPolicy.defaults());
  }

  /** What this server knows of a run, reading the store once for a run another server handed out. */
  private HeldRun held(TaskId id, String workerId, long fencingToken) {
    HeldRun held = runs.get(id);
    if (held != null && held.owner.equals(workerId) && held.fencingToken == fencingToken) {
      return held;
    }
    // Unknown here, or known for another run: the run may have been claimed through another
    // server of the cluster since. The store decides.
    runs.remove(id);
    Optional<Task> task = store.find(id);
    if (task.isEmpty() || task.get().state() != TaskState.RUNNING || task.get().leaseOwner() == null) {
      return null;
    }
    held = HeldRun.of(task.get());
    remember(id, held);
    return held;
  }

  private void remember(TaskId id, HeldRun held) {
    if (runs.size() >= MAX_REMEMBERED_RUNS) {
      runs.clear(); // only a cache: each run is read from the store again when next asked for
    }
    runs.put(id, held);
  }

  /**
   * The worker's registration: this server's copy while it is younger than a heartbeat interval,
   * else the store's (the worker may have announced itself to another server of the cluster).
   */
  private Registration registration(String workerId, String instance, String owner) {
    return registration(workerId, instance, owner, false);
  }

  /** @param fresh read the store whatever this server's copy says */
  private Registration registration(String workerId, String instance, String owner, boolean fresh) {
    Registration reg = registrations.get(workerId);
    if (fresh
        || reg == null
        || !reg.node.instance().equals(instance)
        || System.nanoTime() - reg.confirmedAt >= heartbeatInterval().toNanos()) {
      reg = null;
      for (NodeRecord r : store.nodes()) {
        if (r.id().equals(workerId) && r.node().instance().equals(instance) && r.live()) {
          reg = new Registration(r.node(), System.nanoTime());
          registrations.put(workerId, reg);
        }
      }
    }
    // A worker another credential announced is, to this caller, a worker that does not exist.
    if (reg == null || !reg.node.isRemote() || !reg.ownedBy(owner)) {
      throw new UnknownWorkerException(workerId, instance);
    }
    return reg;
  }

  private static NodeInfo nodeOf(WorkerAnnouncement w) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(NodeInfo.KIND, "remote");
    labels.put("language", w.language());
    labels.put("client", w.client());
    if (!w.queues().isEmpty()) {
      labels.put("queues", String.join(",", w.queues()));
    }
    if (w.owner() != null) {
      labels.put(OWNER, w.owner());
    }
    return new NodeInfo(
        w.id(), w.instance(), w.host(), w.pid(), Instant.now(), w.concurrency(), w.types(), labels);
  }

  /** The label that names who announced a worker. */
  private static final String OWNER = "owner";

  private record Registration(NodeInfo node, long confirmedAt) {
    boolean ownedBy(String owner) {
      return Objects.equals(node.labels().get(OWNER), owner);
    }
  }

  /** A run's owner, token, start and deadline ({@code null}: no timeout). */
  private record HeldRun(String owner, long fencingToken, Instant startedAt, Instant deadline) {
    static HeldRun of(Task task) {
      Instant deadline =
          task.timeout() == null || task.startedAt() == null
              ? null
              : task.startedAt().plus(task.timeout());
      return new HeldRun(task.leaseOwner(), task.fencingToken(), task.startedAt(), deadline);
    }

    boolean pastDeadline(Instant now) {
      return deadline != null && now.isAfter(deadline);
    }
  }
}
