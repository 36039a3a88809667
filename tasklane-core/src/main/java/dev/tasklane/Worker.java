package dev.tasklane;

import dev.tasklane.internal.AnnouncedTypes;
import dev.tasklane.internal.Engine;
import dev.tasklane.remote.RemoteWorkers;
import dev.tasklane.spi.QueueRemoval;
import dev.tasklane.spi.NewTask;
import dev.tasklane.spi.QueueCounts;
import dev.tasklane.spi.NodeInfo;
import dev.tasklane.spi.NodeRecord;
import dev.tasklane.spi.TaskStore;
import dev.tasklane.spi.TaskWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * A Tasklane node: accepts submissions ({@link TaskClient}) and, once {@link #start() started},
 * runs the registered handlers with bounded concurrency, leases, retries and timeouts.
 *
 * <pre>{@code
 * TaskStore store = SqliteTaskStore.open(Path.of("tasklane.db"));
 * Worker worker = Worker.builder(store)
 *     .config(WorkerConfig.builder().concurrency(5).build())
 *     .register(TaskType.of("email", Email.class, (email, ctx) -> { send(email); return TaskResult.success(); }))
 *     .build();
 * worker.start();
 * worker.submit(TaskRequest.builder("email").payload(new Email("a@b.c")).build());
 * }</pre>
 *
 * <p>A worker that is never started still accepts submissions: a producer-only process. {@link
 * #close()} stops it gracefully; it does not close the store, which the caller owns.
 */
public final class Worker implements TaskClient, AutoCloseable {

  /** Where a worker is in its life. Changes only forward, by compare-and-set. */
  public enum Lifecycle {
    NEW,
    RUNNING,
    STOPPING,
    STOPPED
  }

  /** Retry-After suggested with {@link QueueFullException}. */
  public static final Duration QUEUE_FULL_RETRY_AFTER = QueueFullException.DEFAULT_RETRY_AFTER;

  private final TaskStore store;
  private final WorkerConfig config;
  private final Map<String, TaskType<?>> types;
  private final Engine engine;
  private final AnnouncedTypes announced;
  private final RemoteWorkers remoteWorkers;
  private final Schedules schedules;
  private final List<Schedule> definedInCode;
  private final AtomicReference<Lifecycle> lifecycle = new AtomicReference<>(Lifecycle.NEW);

  private Worker(
      TaskStore store,
      WorkerConfig config,
      Map<String, TaskType<?>> types,
      TaskListener listener,
      List<Schedule> definedInCode) {
    this.store = store;
    this.definedInCode = List.copyOf(definedInCode);
    this.config = config;
    this.types = Map.copyOf(types);
    NodeInfo node =
        new NodeInfo(
            config.nodeId(),
            UUID.randomUUID().toString(),
            WorkerConfig.hostName(),
            ProcessHandle.current().pid(),
            config.clock().instant(),
            config.concurrency(),
            types.keySet());
    this.engine = new Engine(store, config, types, node, listener);
    engine.loadBacklog();
    this.announced = new AnnouncedTypes(store, System::nanoTime);
    this.remoteWorkers = new RemoteWorkers(store, config, engine, announced, this::type);
    this.schedules = new Schedules(store.schedules(), config.clock(), this::resolve, engine);
    // A node started before any worker announced itself (here or on another node) learns of
    // remote types when it first claims one of their tasks: from then on it passes over them.
    engine.onUnknownType(type -> {
      if (announced.find(type).isPresent()) {
        engine.claimOwnTypesOnly();
      }
    });
  }

  public static Builder builder(TaskStore store) {
    return new Builder(store);
  }

  public WorkerConfig config() {
    return config;
  }

  /** The store's schedules (recurring tasks): define, list, pause, resume, run now, delete. */
  public Schedules schedules() {
    return schedules;
  }

  /** Names of the registered task types, sorted. */
  public Set<String> types() {
    return new TreeSet<>(types.keySet());
  }

  public Optional<TaskType<?>> type(String name) {
    return Optional.ofNullable(types.get(name));
  }

  /**
   * The side of this node that serves remote workers (processes in any language that claim tasks
   * over the worker protocol), and through which it accepts submissions of the types they run.
   */
  public RemoteWorkers remoteWorkers() {
    return remoteWorkers;
  }

  /**
   * Whether a submission of {@code type} is accepted: a handler of this node runs it, or a remote
   * worker has announced it (here or on another node of the cluster).
   */
  public boolean accepts(String type) {
    return types.containsKey(type) || announced.find(type).isPresent();
  }

  /** Names of the types remote workers have announced, sorted. */
  public Set<String> remoteTypes() {
    announced.any();
    return announced.names();
  }

  public Lifecycle lifecycle() {
    return lifecycle.get();
  }

  /** Handlers of {@code queue} running on this node now. */
  public int inFlight(String queue) {
    return engine.inFlight(queue);
  }

  public WorkerStats stats() {
    return engine.stats().snapshot(engine.inFlight());
  }

  /**
   * Starts running tasks: claims the node id, takes back the tasks a previous process left running
   * under it, then starts claiming. A worker whose start fails is {@link Lifecycle#STOPPED} and
   * holds no thread; build a new one to try again.
   *
   * @throws IllegalStateException if already started or closed
   * @throws NodeIdInUseException if a live process holds this node's id
   * @throws StoreException if the store cannot be reached
   * @throws UnknownTaskTypeException if a schedule given to the builder names a type nobody serves
   */
  public void start() {
    if (!lifecycle.compareAndSet(Lifecycle.NEW, Lifecycle.RUNNING)) {
      throw new IllegalStateException(
          "worker is " + lifecycle.get().name().toLowerCase(java.util.Locale.ROOT) + ", not new");
    }
    try {
      definedInCode.forEach(schedules::define);
      engine.start();
    } catch (RuntimeException | Error e) {
      lifecycle.set(Lifecycle.STOPPED);
      throw e;
    }
  }

  /** True once another process took this node's id over: the worker claims nothing more. */
  public boolean isEvicted() {
    return engine.isEvicted();
  }

  /**
   * Stops gracefully: no new claims; running handlers get {@link WorkerConfig#shutdownTimeout()} to
   * finish, then are interrupted and their tasks returned to {@code queued}. Idempotent.
   */
  @Override
  public void close() {
    remoteWorkers.close();
    if (lifecycle.compareAndSet(Lifecycle.NEW, Lifecycle.STOPPED)) {
      engine.closeWriters();
      return;
    }
    if (lifecycle.compareAndSet(Lifecycle.RUNNING, Lifecycle.STOPPING)) {
      engine.stop();
      lifecycle.set(Lifecycle.STOPPED);
    }
  }

  @Override
  public Submission submit(TaskRequest request) {
    try {
      return submitAll(List.of(request)).get(0);
    } catch (QueueFullException full) {
      // A repeat of an accepted submission is answered with the original even when the queue is
      // full: the client is retrying something that already succeeded.
      if (request.idempotencyKey() != null) {
        Optional<Task> original = store.findByIdempotencyKey(request.idempotencyKey());
        if (original.isPresent()) {
          return new Submission(original.get(), false);
        }
      }
      throw full;
    }
  }

  /**
   * Submits several tasks in one store transaction: all are durable on return, or none is.
   *
   * @throws QueueFullException if any queue's backlog would pass its bound (nothing written)
   */
  public List<Submission> submitAll(List<TaskRequest> requests) {
    return submitAll(requests, store);
  }

  /**
   * Submits every task of {@code requests} in one store transaction without keeping them: for bulk
   * loads (imports, backfills) of any size, in memory that does not grow with their number (on
   * PostgreSQL the rows stream through {@code COPY}). All are durable on return, or none is. Each
   * task takes its queue's backlog room as it is read, so a stream that would pass a queue's
   * {@link WorkerConfig#maxQueued() bound} fails as a whole with {@link QueueFullException}, having
   * written nothing. Idempotency keys behave as in {@link #submit}, also across the stream.
   *
   * <p>Unlike {@link #submitAll(List)}, it answers with counts rather than one {@link Submission}
   * per task, and {@link TaskListener#onSubmittedInBulk} instead of {@link
   * TaskListener#onSubmitted} per task. The stream is consumed and closed.
   *
   * @throws UnknownTaskTypeException if a request names a type nobody serves (nothing written)
   */
  public BulkSubmission submitBulk(Stream<TaskRequest> requests) {
    Objects.requireNonNull(requests, "requests");
    Instant now = config.clock().instant();
    Map<String, Integer> admitted = new HashMap<>();
    Map<String, Integer> createdPerQueue = new HashMap<>();
    Map<String, Map<String, Long>> counts = new HashMap<>();
    Map<String, Instant> firstDue = new HashMap<>();
    TaskStore.BulkInsert result;
    try (requests) {
      Iterator<TaskRequest> source = requests.iterator();
      Iterator<NewTask> rows =
          new Iterator<>() {
            @Override
            public boolean hasNext() {
              return source.hasNext();
            }

            @Override
            public NewTask next() {
              NewTask row = resolve(source.next(), now);
              engine.admit(Map.of(row.queue(), 1));
              admitted.merge(row.queue(), 1, Integer::sum);
              return row;
            }
          };
      result =
          store.insertStream(
              rows,
              task -> {
                createdPerQueue.merge(task.queue(), 1, Integer::sum);
                counts.computeIfAbsent(task.queue(), q -> new HashMap<>()).merge(task.type(), 1L, Long::sum);
                if (task.state() == TaskState.SCHEDULED) {
                  firstDue.merge(task.queue(), task.runAt(), (a, b) -> a.isBefore(b) ? a : b);
                }
              });
    } catch (RuntimeException | Error e) {
      boolean mayHaveCommitted = e instanceof StoreException s && s.unavailable();
      admitted.forEach((q, n) -> engine.admitted(q, n, mayHaveCommitted ? n : 0));
      throw e;
    }
    admitted.forEach((q, n) -> engine.admitted(q, n, createdPerQueue.getOrDefault(q, 0)));
    engine.submittedInBulk(counts, firstDue);
    engine.wake();
    return new BulkSubmission(result.yielded(), result.created());
  }

  /**
   * Submits a task through {@code writer}: typically a store view bound to the caller's own open
   * transaction (for example {@code PostgresTaskStore.inTransaction(connection)}), so that the task
   * exists if and only if that transaction commits. Nodes learn of it when it commits.
   */
  public Submission submit(TaskRequest request, TaskWriter writer) {
    return submitAll(List.of(request), writer).get(0);
  }

  /** {@link #submit(TaskRequest, TaskWriter)} for several tasks. */
  public List<Submission> submitAll(List<TaskRequest> requests, TaskWriter writer) {
    Objects.requireNonNull(requests, "requests");
    Objects.requireNonNull(writer, "writer");
    if (requests.isEmpty()) {
      return List.of();
    }
    Instant now = config.clock().instant();
    List<NewTask> rows = new ArrayList<>(requests.size());
    Map<String, Integer> perQueue = new LinkedHashMap<>();
    for (TaskRequest r : requests) {
      NewTask row = resolve(r, now);
      rows.add(row);
      perQueue.merge(row.queue(), 1, Integer::sum);
    }
    engine.admit(perQueue);
    List<Submission> out;
    try {
      if (rows.size() > 1) {
        out = writer.insertAll(rows);
      } else if (writer == store) {
        out = List.of(engine.insert(rows.get(0)));
      } else {
        out = List.of(writer.insert(rows.get(0)));
      }
    } catch (RuntimeException | Error e) {
      // A store that did not answer may have committed anyway: count the tasks as written until
      // the next refresh of the counts says otherwise, so the bound is never passed meanwhile.
      boolean mayHaveCommitted = e instanceof StoreException s && s.unavailable();
      perQueue.forEach((q, n) -> engine.admitted(q, n, mayHaveCommitted ? n : 0));
      throw e;
    }
    Map<String, Integer> created = new LinkedHashMap<>();
    for (Submission s : out) {
      if (s.created()) {
        created.merge(s.task().queue(), 1, Integer::sum);
        engine.submitted(s.task());
      }
    }
    perQueue.forEach((q, n) -> engine.admitted(q, n, created.getOrDefault(q, 0)));
    engine.wake();
    return out;
  }

  private NewTask resolve(TaskRequest r, Instant now) {
    TaskType<?> type = types.get(r.type());
    if (type == null) {
      type = announced.find(r.type()).orElse(null);
    }
    if (type == null) {
      Set<String> known = new TreeSet<>(types.keySet());
      known.addAll(announced.names());
      throw new UnknownTaskTypeException(r.type(), known);
    }
    Instant runAt = r.resolveRunAt(now);
    TaskState state = runAt.isAfter(now) ? TaskState.SCHEDULED : TaskState.QUEUED;
    return new NewTask(
        TaskId.next(),
        r.type(),
        r.queue() != null ? r.queue() : type.queue(),
        r.payload(),
        r.priority(),
        state,
        r.maxAttempts() != null ? r.maxAttempts() : type.retryPolicy().maxAttempts(),
        runAt,
        r.timeout() != null ? r.timeout() : type.timeout(),
        now,
        r.idempotencyKey(),
        r.submittedBy());
  }

  @Override
  public Optional<Task> get(TaskId id) {
    return store.find(id);
  }

  /** The task submitted with {@code idempotencyKey}, if any. */
  public Optional<Task> findByIdempotencyKey(String idempotencyKey) {
    return store.findByIdempotencyKey(idempotencyKey);
  }

  @Override
  public TaskPage list(TaskQuery query) {
    return store.list(query);
  }

  @Override
  public Task cancel(TaskId id) {
    Task before = store.find(id).orElseThrow(() -> new TaskNotFoundException(id));
    long epoch = engine.backlogEpoch();
    Task after = store.requestCancel(id, config.clock().instant());
    if (after.state() == TaskState.CANCELLED && before.state().isWaiting()) {
      engine.leftBacklog(after.queue(), 1, epoch);
    }
    if (after.state() == TaskState.RUNNING) {
      engine.cancelLocal(id);
    }
    return after;
  }

  /**
   * Runs a {@code scheduled} task now instead of at its time (or at the end of a retry's backoff).
   *
   * @throws TaskNotFoundException if no such task exists
   * @throws IllegalTransitionException if it is not scheduled
   */
  public Task runNow(TaskId id) {
    Task after = store.runNow(id, config.clock().instant());
    engine.wake();
    return after;
  }

  @Override
  public Task retry(TaskId id) {
    Task after = store.retry(id, config.clock().instant());
    engine.enteredBacklog(after.queue(), 1);
    engine.wake();
    return after;
  }

  @Override
  public List<QueueStats> queues() {
    List<QueueStats> out = new ArrayList<>();
    Map<String, Integer> clusterLimits = store.queueLimits();
    Set<String> paused = Set.copyOf(store.pausedQueues());
    for (QueueCounts c : store.queueCounts()) {
      int nodeLimit = config.limitOf(c.queue());
      Integer clusterLimit = clusterLimits.get(c.queue());
      out.add(
          new QueueStats(
              c.queue(),
              c.count(TaskState.SCHEDULED),
              c.count(TaskState.QUEUED),
              c.started(),
              c.claimedAhead(),
              c.count(TaskState.SUCCEEDED),
              c.count(TaskState.FAILED),
              c.count(TaskState.CANCELLED),
              clusterLimit,
              nodeLimit,
              paused.contains(c.queue())));
    }
    return out;
  }

  /**
   * Sets a queue's cluster-wide concurrency limit: however many nodes run, at most {@code limit}
   * of its tasks run at once. {@code null} removes it. Takes effect at every node's next claim.
   *
   * @throws IllegalArgumentException if {@code limit} is not positive or the name is invalid
   */
  public void setQueueLimit(String queue, Integer limit) {
    if (!TaskRequest.NAME.matcher(queue).matches()) {
      throw new IllegalArgumentException("invalid queue name '" + queue + "'");
    }
    if (limit != null && limit < 1) {
      throw new IllegalArgumentException("limit of queue '" + queue + "' must be positive: " + limit);
    }
    store.setQueueLimit(queue, limit);
    engine.queuesChanged();
  }

  /**
   * Pauses {@code queue} on every node: none of its tasks starts until {@link #resumeQueue}.
   * Running tasks finish; tasks a node had claimed ahead go back to the queue as soon as that node
   * learns of the pause (at once on this node and, with PostgreSQL notifications, on the others;
   * otherwise within their poll interval). Submissions, cancels and retries still work.
   *
   * @throws IllegalArgumentException if the name is invalid
   */
  public void pauseQueue(String queue) {
    setPaused(queue, true);
  }

  /** Resumes a paused queue on every node. Resuming a queue that is not paused changes nothing. */
  public void resumeQueue(String queue) {
    setPaused(queue, false);
  }

  /**
   * Removes a queue that holds no task in any state (finished ones count until retention removes
   * them), with its limit and pause, on every node.
   *
   * @return what happened
   * @throws IllegalArgumentException if the name is not a queue name
   */
  public QueueRemoval deleteQueue(String queue) {
    if (!TaskRequest.NAME.matcher(queue).matches()) {
      throw new IllegalArgumentException("invalid queue name '" + queue + "'");
    }
    QueueRemoval removal = store.deleteQueue(queue);
    if (removal == QueueRemoval.DELETED) {
      engine.queuesChanged();
    }
    return removal;
  }

  /**
   * Sets a rate limit (replacing the one of its scope and target, with fresh buckets) on every
   * node: this one applies it at once, the others within about a second. See {@link RateLimit}.
   */
  public void setRateLimit(RateLimit limit) {
    store.rates().saveRateLimit(java.util.Objects.requireNonNull(limit, "limit"));
    engine.rateLimitsChanged();
  }

  /** Removes a rate limit on every node; false if there was none. */
  public boolean deleteRateLimit(RateLimit.Scope scope, String target) {
    boolean deleted = store.rates().deleteRateLimit(scope, target);
    engine.rateLimitsChanged();
    return deleted;
  }

  /** Every rate limit, by scope and name. */
  public List<RateLimit> rateLimits() {
    return store.rates().rateLimits();
  }

  /** Every registered queue's name, ordered by name: one cheap read. */
  public List<String> queueNames() {
    return store.queueNames();
  }

  private void setPaused(String queue, boolean paused) {
    if (!TaskRequest.NAME.matcher(queue).matches()) {
      throw new IllegalArgumentException("invalid queue name '" + queue + "'");
    }
    store.setQueuePaused(queue, paused);
    engine.queuesChanged();
  }

  /** Every registered node with the tasks it runs now. */
  public List<NodeStatus> nodes() {
    Map<String, List<Task>> running = new LinkedHashMap<>();
    Map<String, List<Task>> claimed = new LinkedHashMap<>();
    TaskQuery query = TaskQuery.all().withState(TaskState.RUNNING).withLimit(TaskQuery.MAX_LIMIT);
    for (Task t : store.list(query).tasks()) {
      (t.startedAt() != null ? running : claimed)
          .computeIfAbsent(t.leaseOwner(), k -> new ArrayList<>())
          .add(t);
    }
    List<NodeStatus> out = new ArrayList<>();
    for (NodeRecord r : store.nodes()) {
      NodeInfo n = r.node();
      out.add(
          new NodeStatus(
              n.id(),
              n.host(),
              n.pid(),
              n.startedAt(),
              r.heartbeatAt(),
              r.heartbeatAge(),
              r.live(),
              n.concurrency(),
              n.types(),
              running.getOrDefault(n.id(), List.of()),
              claimed.getOrDefault(n.id(), List.of()),
              n.labels()));
    }
    return out;
  }

  /**
   * Why a task is where it is: scheduled for later, waiting out a retry's backoff, held by a paused
   * queue, by no live node serving its type, by its queue's cluster-wide limit (naming the tasks
   * that hold it), by busy nodes, behind other tasks of its queue (how many), running on a node
   * (with its heartbeat's age), or finished. A node counts as live while its heartbeat is younger
   * than a lease.
   *
   * @throws TaskNotFoundException if there is no such task
   */
  public Explanation explain(TaskId id) {
    Task task = store.find(id).orElseThrow(() -> new TaskNotFoundException(id));
    boolean paused = false;
    Integer limit = null;
    long runningInQueue = 0;
    List<Task> sample = List.of();
    Map<String, Long> runningByNode = new LinkedHashMap<>();
    List<NodeRecord> nodes = List.of();
    if (task.state() == TaskState.QUEUED || task.state() == TaskState.RUNNING) {
      nodes = store.nodes();
    }
    if (task.state() == TaskState.QUEUED) {
      paused = store.pausedQueues().contains(task.queue());
      limit = store.queueLimits().get(task.queue());
      TaskQuery running = TaskQuery.all().withState(TaskState.RUNNING).withLimit(TaskQuery.MAX_LIMIT);
      for (Task r : store.list(running).tasks()) {
        runningByNode.merge(r.leaseOwner(), 1L, Long::sum);
      }
      TaskQuery inQueue = running.withQueue(task.queue()).withLimit(5);
      sample = store.list(inQueue).tasks();
      runningInQueue =
          store.queueCounts().stream()
              .filter(c -> c.queue().equals(task.queue()))
              .mapToLong(c -> c.count(TaskState.RUNNING))
              .sum();
    }
    Explanation explained =
        dev.tasklane.internal.Explainer.explain(
            new dev.tasklane.internal.Explainer.Facts(
            task,
            config.clock().instant(),
            paused,
            limit,
            runningInQueue,
            sample,
            nodes,
            runningByNode,
            () -> store.countQueuedAhead(task)));
    if (task.state() == TaskState.SCHEDULED) {
      Optional<Long> reserved = store.rates().reservation(task.id());
      if (reserved.isPresent()) {
        explained = rateLimited(task, reserved.get());
      }
    }
    Explanation why = explained;
    return Schedule.originOf(task.idempotencyKey()).map(o -> withOrigin(why, o)).orElse(why);
  }

  /** A task a rate limit held back: which limits, and when its reserved start is. */
  private Explanation rateLimited(Task task, long reservedMicros) {
    Instant at = Instant.EPOCH.plus(reservedMicros, java.time.temporal.ChronoUnit.MICROS);
    List<RateLimit> limits = engine.rateGate().limitsOf(task);
    List<String> named = new ArrayList<>();
    for (RateLimit l : limits) {
      String key = dev.tasklane.internal.RateGate.keyOf(l, task);
      named.add(l.name() + " (" + l.describe() + (key.isEmpty() ? "" : ", key " + key) + ")");
    }
    Duration in = Duration.between(config.clock().instant(), at);
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("limits", limits.stream().map(RateLimit::name).toList());
    details.put("starts_at", at.toString());
    details.put("in_seconds", Math.max(0, in.toMillis()) / 1000.0);
    String message =
        (named.isEmpty() ? "A rate limit (since removed)" : "Rate limit " + String.join(" and ", named))
            + " holds it: its start is reserved for "
            + at
            + (in.isNegative() ? " (due now)." : " (in " + Math.max(0, in.toMillis()) / 1000.0 + " s).");
    return new Explanation(task.id(), task.state(), Explanation.Reason.RATE_LIMITED, message, details);
  }

  /** An explanation that also says which schedule created the task, and for which tick. */
  private static Explanation withOrigin(Explanation why, Schedule.Origin origin) {
    Map<String, Object> details = new LinkedHashMap<>(why.details());
    details.put("schedule", origin.schedule());
    if (origin.tick() != null) {
      details.put("schedule_tick", origin.tick().toString());
    }
    String from =
        origin.tick() != null
            ? " Schedule " + origin.schedule() + " created it for its tick at " + origin.tick() + "."
            : " Schedule " + origin.schedule() + " created it on demand (run now).";
    return new Explanation(why.taskId(), why.state(), why.reason(), why.message() + from, details);
  }

  /** True while this node runs cluster maintenance (lease recovery, pruning, retention). */
  public boolean isLeader() {
    return engine.isLeader();
  }

  /**
   * Checks that the store answers.
   *
   * @throws StoreException if it does not
   */
  public void checkStore() {
    store.ping();
  }

  /** Collects the store, configuration and task types of a {@link Worker}. */
  public static final class Builder {
    private final TaskStore store;
    private WorkerConfig config = WorkerConfig.defaults();
    private final Map<String, TaskType<?>> types = new LinkedHashMap<>();
    private TaskListener listener = TaskListener.NONE;
    private final Map<String, Schedule> schedules = new LinkedHashMap<>();

    private Builder(TaskStore store) {
      this.store = Objects.requireNonNull(store, "store");
    }

    public Builder config(WorkerConfig workerConfig) {
      this.config = Objects.requireNonNull(workerConfig, "config");
      return this;
    }

    /**
     * @throws IllegalArgumentException if a type of that name is already registered
     */
    public Builder register(TaskType<?> type) {
      if (types.putIfAbsent(type.name(), type) != null) {
        throw new IllegalArgumentException("task type '" + type.name() + "' is registered twice");
      }
      return this;
    }

    /** Hears submissions, starts, outcomes and lease events (for metrics). Default: none. */
    public Builder listener(TaskListener taskListener) {
      this.listener = Objects.requireNonNull(taskListener, "listener");
      return this;
    }

    /**
     * Defines {@code schedule} when the worker starts (as {@link Schedules#define} does): a
     * schedule written in code, defined anew, unchanged, by every node at every start. Removing it
     * from the code does not delete it from the store; {@link Schedules#delete} does.
     *
     * @throws IllegalArgumentException if a schedule of that name is already given
     */
    public Builder schedule(Schedule schedule) {
      if (schedules.putIfAbsent(schedule.name(), schedule) != null) {
        throw new IllegalArgumentException("schedule '" + schedule.name() + "' is given twice");
      }
      return this;
    }

    public Worker build() {
      return new Worker(store, config, types, listener, List.copyOf(schedules.values()));
    }
  }
}
