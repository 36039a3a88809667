package dev.tasklane.testing;

import dev.tasklane.IllegalTransitionException;
import dev.tasklane.LeaseLostException;
import dev.tasklane.Submission;
import dev.tasklane.Task;
import dev.tasklane.TaskError;
import dev.tasklane.TaskId;
import dev.tasklane.TaskNotFoundException;
import dev.tasklane.TaskPage;
import dev.tasklane.TaskQuery;
import dev.tasklane.TaskState;
import dev.tasklane.spi.ClaimRequest;
import dev.tasklane.spi.LeaseStatus;
import dev.tasklane.spi.NewTask;
import dev.tasklane.spi.NodeInfo;
import dev.tasklane.spi.NodeRecord;
import dev.tasklane.spi.QueueCounts;
import dev.tasklane.spi.RunOutcome;
import dev.tasklane.spi.RunRef;
import dev.tasklane.spi.RunWrites;
import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * A deterministic, in-memory {@link TaskStore} for the engine's tests: every method is one atomic
 * step under one lock, times come from the clock it is given, and it passes the same store
 * contract as the SQL stores (so a test of the engine against it proves what it would against
 * them). Not durable, single process: for tests only.
 */
public class InMemoryTaskStore implements TaskStore {
  private final java.util.SortedSet<String> announced = new java.util.TreeSet<>();

  private static final Comparator<Task> CLAIM_ORDER =
      Comparator.comparingInt(Task::priority).reversed().thenComparing(Task::runAt).thenComparing(Task::id);

  private final InstantSource clock;
  private final TreeMap<TaskId, Task> tasks = new TreeMap<>();
  private final Map<String, Task> byKey = new HashMap<>();
  /** Registered queues: name to {limit or null, paused}. */
  private final TreeMap<String, QueueRow> queues = new TreeMap<>();
  private final TreeMap<String, NodeRow> nodes = new TreeMap<>();
  private boolean closed;

  private record QueueRow(Integer limit, boolean paused) {}

  private record NodeRow(NodeInfo node, Instant heartbeatAt, Instant expiresAt) {}

  /** @param clock the store's clock: leases, starts and heartbeats are timed by it */
  public InMemoryTaskStore(InstantSource clock) {
    this.clock = clock;
  }

  private Instant now() {
    return ms(clock.instant());
  }

  private static Instant ms(Instant i) {
    return i == null ? null : i.truncatedTo(ChronoUnit.MILLIS);
  }

  /** The task {@code id}, for an operator action on it; a closed store or an unknown id throws. */
  private Task existing(TaskId id) {
    checkOpen();
    Task t = tasks.get(id);
    if (t == null) {
      throw new TaskNotFoundException(id);
    }
    return t;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("the in-memory task store is closed");
    }
  }

  // ---------------------------------------------------------------- submissions

  @Override
  public synchronized Submission insert(NewTask task) {
    checkOpen();
    return insertOne(task);
  }

  @Override
  public synchronized List<Submission> insertAll(List<NewTask> newTasks) {
    checkOpen();
    Set<TaskId> ids = new java.util.HashSet<>();
    for (NewTask t : newTasks) {
      if (tasks.containsKey(t.id()) || !ids.add(t.id())) {
        // All or nothing, as a transaction would be: checked before anything is written.
        throw new dev.tasklane.StoreException(
            "insertAll", new IllegalStateException("duplicate id " + t.id()));
      }
    }
    List<Submission> out = new ArrayList<>();
    for (NewTask t : newTasks) {
      out.add(insertOne(t));
    }
    return out;
  }

  private Submission insertOne(NewTask t) {
    if (t.idempotencyKey() != null && byKey.containsKey(t.idempotencyKey())) {
      return new Submission(byKey.get(t.idempotencyKey()), false);
    }
    if (tasks.containsKey(t.id())) {
      throw new dev.tasklane.StoreException("insert", new IllegalStateException("duplicate id " + t.id()));
    }
    Task task =
        new Task(
            t.id(), t.type(), t.queue(), t.payload(), t.priority(), t.state(), 0, t.maxAttempts(),
            ms(t.runAt()), t.timeout() == null ? null : ceilMillis(t.timeout()), ms(t.createdAt()),
            null, null, null, List.of(), null, 0, t.idempotencyKey(), null, null, 0, false, null,
            t.submittedBy());
    put(task);
    queues.putIfAbsent(t.queue(), new QueueRow(null, false));
    return new Submission(task, true);
  }

  private static Duration ceilMillis(Duration d) {
    long millis = d.toMillis();
    return Duration.ofMillis(d.minusMillis(millis).isZero() ? millis : millis + 1);
  }

  private void put(Task t) {
    tasks.put(t.id(), t);
    if (t.idempotencyKey() != null) {
      byKey.put(t.idempotencyKey(), t);
    }
  }

  // ---------------------------------------------------------------- reads

  @Override
  public synchronized Optional<Task> find(TaskId id) {
    checkOpen();
    return Optional.ofNullable(tasks.get(id));
  }

  @Override
  public synchronized Optional<Task> findByIdempotencyKey(String key) {
    checkOpen();
    return Optional.ofNullable(byKey.get(key));
  }

  @Override
  public synchronized TaskPage list(TaskQuery q) {
    checkOpen();
    List<Task> rows = new ArrayList<>();
    var view = q.after() == null ? tasks.descendingMap() : tasks.headMap(q.after(), false).descendingMap();
    for (Task t : view.values()) {
      if ((q.state() == null || t.state() == q.state())
          && (q.queue() == null || t.queue().equals(q.queue()))
          && (q.type() == null || t.type().equals(q.type()))
          && (q.submittedBy() == null || q.submittedBy().equals(t.submittedBy()))) {
        rows.add(t);
        if (rows.size() > q.limit()) {
          break;
        }
      }
    }
    if (rows.size() <= q.limit()) {
      return new TaskPage(rows, null);
    }
    List<Task> page = List.copyOf(rows.subList(0, q.limit()));
    return new TaskPage(page, page.get(page.size() - 1).id());
  }

  @Override
  public synchronized long countQueuedAhead(Task task) {
    checkOpen();
    return tasks.values().stream()
        .filter(t -> t.state() == TaskState.QUEUED && t.queue().equals(task.queue()))
        .filter(t -> CLAIM_ORDER.compare(t, task) < 0)
        .count();
  }

  @Override
  public synchronized List<QueueCounts> queueCounts() {
    checkOpen();
    List<QueueCounts> out = new ArrayList<>();
    for (String q : queues.keySet()) {
      Map<TaskState, Long> counts = new EnumMap<>(TaskState.class);
      long claimedAhead = 0;
      for (Task t : tasks.values()) {
        if (t.queue().equals(q)) {
          counts.merge(t.state(), 1L, Long::sum);
          if (t.state() == TaskState.RUNNING && t.startedAt() == null) {
            claimedAhead++;
          }
        }
      }
      out.add(new QueueCounts(q, counts, claimedAhead));
    }
    return out;
  }

  @Override
  public synchronized Map<String, Long> waitingCounts() {
    checkOpen();
    Map<String, Long> out = new LinkedHashMap<>();
    for (Task t : tasks.values()) {
      if (t.state().isWaiting()) {
        out.merge(t.queue(), 1L, Long::sum);
      }
    }
    return out;
  }

  @Override
  public synchronized List<String> queueNames() {
    checkOpen();
    return List.copyOf(queues.keySet());
  }

  @Override
  public synchronized Map<String, Boolean> queuePauses() {
    checkOpen();
    Map<String, Boolean> out = new LinkedHashMap<>();
    queues.forEach((name, row) -> out.put(name, row.paused()));
    return out;
  }

  @Override
  public synchronized Optional<Instant> nextScheduledAt() {
    checkOpen();
    return tasks.values().stream()
        .filter(t -> t.state() == TaskState.SCHEDULED)
        .map(Task::runAt)
        .min(Comparator.naturalOrder());
  }

  // ---------------------------------------------------------------- dispatching

  @Override
  public synchronized int promoteDue(Instant now, int limit) {
    checkOpen();
    requireLimit(limit);
    List<Task> due =
        tasks.values().stream()
            .filter(t -> t.state() == TaskState.SCHEDULED && !t.runAt().isAfter(now))
            .sorted(Comparator.comparing(Task::runAt).thenComparing(Task::id))
            .limit(limit)
            .toList();
    for (Task t : due) {
      put(with(t).state(TaskState.QUEUED).build());
    }
    return due.size();
  }

  // ---------------------------------------------------------------- rate limits

  private final TreeMap<String, dev.tasklane.RateLimit> rateLimits = new TreeMap<>();
  private final Map<dev.tasklane.spi.RateStore.Bucket, Long> buckets = new HashMap<>();
  private final Map<TaskId, Long> reservations = new HashMap<>();
  private final dev.tasklane.spi.RateStore rateStore = new InMemoryRates();

  @Override
  public dev.tasklane.spi.RateStore rates() {
    return rateStore;
  }

  /** Rate limits and buckets under the store's one lock: every reservation is one atomic step. */
  private final class InMemoryRates implements dev.tasklane.spi.RateStore {
    private final Object lock = InMemoryTaskStore.this;

    @Override
    public List<dev.tasklane.RateLimit> rateLimits() {
      synchronized (lock) {
        checkOpen();
        return List.copyOf(rateLimits.values());
      }
    }

    @Override
    public void saveRateLimit(dev.tasklane.RateLimit limit) {
      synchronized (lock) {
        checkOpen();
        rateLimits.put(limit.name(), limit);
      }
    }

    @Override
    public boolean deleteRateLimit(dev.tasklane.RateLimit.Scope scope, String target) {
      synchronized (lock) {
        checkOpen();
        String name = scope.apiName() + ":" + target;
        buckets.keySet().removeIf(b -> b.limit().equals(name));
        return rateLimits.remove(name) != null;
      }
    }

    @Override
    public <T> T reserve(
        java.util.Set<Bucket> wanted, java.util.Collection<TaskId> tasks, Planner<T> planner) {
      synchronized (lock) {
        checkOpen();
        Map<Bucket, Long> tats = new HashMap<>();
        wanted.forEach(b -> tats.put(b, buckets.getOrDefault(b, 0L)));
        Map<TaskId, Long> held = new HashMap<>();
        for (TaskId id : tasks) {
          Long r = reservations.remove(id);
          if (r != null) {
            held.put(id, r);
          }
        }
        Update<T> update = planner.plan(Map.copyOf(tats), Map.copyOf(held));
        buckets.putAll(update.tats());
        reservations.putAll(update.reservations());
        return update.result();
      }
    }

    @Override
    public Optional<Long> reservation(TaskId task) {
      synchronized (lock) {
        checkOpen();
        return Optional.ofNullable(reservations.get(task));
      }
    }

    @Override
    public int prune(long bucketsBefore, long reservationsBefore) {
      synchronized (lock) {
        checkOpen();
        int before = buckets.size() + reservations.size();
        buckets.values().removeIf(t -> t < bucketsBefore);
        reservations.values().removeIf(t -> t < reservationsBefore);
        return before - buckets.size() - reservations.size();
      }
    }
  }

  // ---------------------------------------------------------------- schedules

  private final TreeMap<String, dev.tasklane.ScheduleStatus> schedules = new TreeMap<>();
  private final dev.tasklane.spi.ScheduleStore scheduleStore = new InMemorySchedules();

  @Override
  public dev.tasklane.spi.ScheduleStore schedules() {
    return scheduleStore;
  }

  /** The schedules, under the store's one lock, so a firing and its tasks' insert are one step. */
  private final class InMemorySchedules implements dev.tasklane.spi.ScheduleStore {
    private final Object lock = InMemoryTaskStore.this;

    private static dev.tasklane.ScheduleStatus with(
        dev.tasklane.ScheduleStatus s, boolean paused, Instant next, Instant lastRun, TaskId lastTask, Instant updated) {
      return new dev.tasklane.ScheduleStatus(
          s.name(), s.recurrence(), s.type(), s.queue(), s.payload(), s.priority(), s.maxAttempts(),
          s.timeout(), s.misfire(), paused, ms(next), ms(lastRun), lastTask, s.createdBy(),
          s.createdAt(), ms(updated));
    }

    @Override
    public dev.tasklane.ScheduleStatus saveSchedule(dev.tasklane.ScheduleStatus s) {
      synchronized (lock) {
        checkOpen();
        dev.tasklane.ScheduleStatus old = schedules.get(s.name());
        dev.tasklane.ScheduleStatus row;
        if (old == null) {
          row =
              new dev.tasklane.ScheduleStatus(
                  s.name(), s.recurrence(), s.type(), s.queue(), s.payload(), s.priority(),
                  s.maxAttempts(), s.timeout() == null ? null : ceilMillis(s.timeout()), s.misfire(),
                  s.paused(), ms(s.nextRunAt()), null, null, s.createdBy(), ms(s.createdAt()),
                  ms(s.updatedAt()));
        } else {
          boolean moved = !old.recurrence().equals(s.recurrence());
          row =
              new dev.tasklane.ScheduleStatus(
                  s.name(), s.recurrence(), s.type(), s.queue(), s.payload(), s.priority(),
                  s.maxAttempts(), s.timeout() == null ? null : ceilMillis(s.timeout()), s.misfire(),
                  old.paused(), moved ? ms(s.nextRunAt()) : old.nextRunAt(), old.lastRunAt(),
                  old.lastTaskId(), s.createdBy(), old.createdAt(), ms(s.updatedAt()));
        }
        schedules.put(s.name(), row);
        return row;
      }
    }

    @Override
    public Optional<dev.tasklane.ScheduleStatus> findSchedule(String name) {
      synchronized (lock) {
        checkOpen();
        return Optional.ofNullable(schedules.get(name));
      }
    }

    @Override
    public List<dev.tasklane.ScheduleStatus> listSchedules() {
      synchronized (lock) {
        checkOpen();
        return List.copyOf(schedules.values());
      }
    }

    @Override
    public boolean deleteSchedule(String name) {
      synchronized (lock) {
        checkOpen();
        return schedules.remove(name) != null;
      }
    }

    @Override
    public Optional<dev.tasklane.ScheduleStatus> pauseSchedule(String name, Instant now) {
      synchronized (lock) {
        checkOpen();
        dev.tasklane.ScheduleStatus s = schedules.get(name);
        if (s != null && !s.paused()) {
          s = with(s, true, s.nextRunAt(), s.lastRunAt(), s.lastTaskId(), now);
          schedules.put(name, s);
        }
        return Optional.ofNullable(s);
      }
    }

    @Override
    public Optional<dev.tasklane.ScheduleStatus> resumeSchedule(String name, Instant nextRunAt, Instant now) {
      synchronized (lock) {
        checkOpen();
        dev.tasklane.ScheduleStatus s = schedules.get(name);
        if (s != null && s.paused()) {
          s = with(s, false, nextRunAt, s.lastRunAt(), s.lastTaskId(), now);
          schedules.put(name, s);
        }
        return Optional.ofNullable(s);
      }
    }

    @Override
    public List<dev.tasklane.ScheduleStatus> dueSchedules(Instant now, int limit) {
      synchronized (lock) {
        checkOpen();
        return schedules.values().stream()
            .filter(s -> !s.paused() && s.nextRunAt() != null && !s.nextRunAt().isAfter(now))
            .sorted(Comparator.comparing(dev.tasklane.ScheduleStatus::nextRunAt))
            .limit(limit)
            .toList();
      }
    }

    @Override
    public Optional<Instant> nextScheduleAt() {
      synchronized (lock) {
        checkOpen();
        return schedules.values().stream()
            .filter(s -> !s.paused() && s.nextRunAt() != null)
            .map(dev.tasklane.ScheduleStatus::nextRunAt)
            .min(Comparator.naturalOrder());
      }
    }

    @Override
    public Optional<List<Submission>> fireSchedule(
        String name, Instant expectedNextRunAt, Instant nextRunAt, List<NewTask> newTasks) {
      synchronized (lock) {
        checkOpen();
        dev.tasklane.ScheduleStatus s = schedules.get(name);
        if (s == null || s.paused() || !java.util.Objects.equals(s.nextRunAt(), ms(expectedNextRunAt))) {
          return Optional.empty();
        }
        List<Submission> out = insertAll(newTasks);
        Submission last = out.isEmpty() ? null : out.get(out.size() - 1);
        schedules.put(
            name,
            with(
                s, false, nextRunAt,
                last == null ? s.lastRunAt() : last.task().runAt(),
                last == null ? s.lastTaskId() : last.task().id(),
                s.updatedAt()));
        return Optional.of(out);
      }
    }

    @Override
    public Optional<Submission> runSchedule(String name, NewTask task) {
      synchronized (lock) {
        checkOpen();
        dev.tasklane.ScheduleStatus s = schedules.get(name);
        if (s == null) {
          return Optional.empty();
        }
        Submission out = insert(task);
        schedules.put(
            name, with(s, s.paused(), s.nextRunAt(), task.createdAt(), out.task().id(), s.updatedAt()));
        return Optional.of(out);
      }
    }
  }

  @Override
  public synchronized void announceTypes(java.util.Set<String> names) {
    checkOpen();
    announced.addAll(names);
  }

  @Override
  public synchronized List<String> announcedTypes() {
    checkOpen();
    return List.copyOf(announced);
  }

  @Override
  public synchronized List<Task> claim(ClaimRequest r) {
    checkOpen();
    QueueRow queue = queues.get(r.queue());
    if (queue != null && queue.paused()) {
      return List.of();
    }
    int take = r.limit();
    if (queue != null && queue.limit() != null) {
      long running = count(t -> t.state() == TaskState.RUNNING && t.queue().equals(r.queue()));
      take = (int) Math.max(0, Math.min(take, queue.limit() - running));
    }
    Instant at = now();
    List<Task> ready =
        tasks.values().stream()
            .filter(t -> t.state() == TaskState.QUEUED && t.queue().equals(r.queue()))
            .filter(t -> r.types() == null || r.types().contains(t.type()))
            .filter(t -> !t.runAt().isAfter(r.now()))
            .sorted(CLAIM_ORDER)
            .limit(take)
            .toList();
    List<Task> out = new ArrayList<>();
    for (int i = 0; i < ready.size(); i++) {
      Task t = ready.get(i);
      boolean start = i < r.start();
      Task claimed =
          with(t)
              .state(TaskState.RUNNING)
              .leaseOwner(r.nodeId())
              .leaseExpiresAt(at.plus(r.lease().truncatedTo(ChronoUnit.MILLIS)))
              .startedAt(start ? at : null)
              .lastNode(r.nodeId())
              .attempt(t.attempt() + (start ? 1 : 0))
              .fencingToken(t.fencingToken() + 1)
              .progress(0)
              .cancelRequested(false)
              .build();
      put(claimed);
      out.add(claimed);
    }
    return out;
  }

  private long count(Predicate<Task> p) {
    return tasks.values().stream().filter(p).count();
  }

  private Task current(RunRef run) {
    Task t = tasks.get(run.taskId());
    return t != null && t.state() == TaskState.RUNNING && t.fencingToken() == run.fencingToken()
        ? t
        : null;
  }

  @Override
  public synchronized Map<RunRef, LeaseStatus> renewLeases(Collection<RunRef> runs, Duration lease) {
    checkOpen();
    Map<RunRef, LeaseStatus> out = new LinkedHashMap<>();
    for (RunRef run : runs) {
      Task t = current(run);
      if (t == null) {
        out.put(run, LeaseStatus.LOST);
        continue;
      }
      put(with(t).leaseExpiresAt(now().plus(lease.truncatedTo(ChronoUnit.MILLIS))).build());
      out.put(run, t.cancelRequested() ? LeaseStatus.CANCEL_REQUESTED : LeaseStatus.RENEWED);
    }
    return out;
  }

  @Override
  public synchronized boolean updateProgress(RunRef run, int percent) {
    checkOpen();
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("progress must be between 0 and 100: " + percent);
    }
    Task t = current(run);
    if (t == null) {
      return false;
    }
    put(with(t).progress(percent).build());
    return true;
  }

  @Override
  public synchronized Task finishRun(RunRef run, RunOutcome outcome) {
    checkOpen();
    TaskState.RUNNING.checkTransitionTo(outcome.target());
    Task t = ending(run, outcome);
    if (t == null) {
      throw new LeaseLostException(run.taskId(), run.fencingToken());
    }
    Task done = finished(t, outcome);
    put(done);
    return done;
  }

  /**
   * The task {@code run} may end with {@code outcome}, or null. A success starts a run whose start
   * is not written yet, under the start's condition (its lease has not expired), no later than it
   * finished, as the SQL stores' {@code finishSucceeded} does.
   */
  private Task ending(RunRef run, RunOutcome outcome) {
    Task t = current(run);
    if (t == null || !(outcome instanceof RunOutcome.Succeeded s) || t.startedAt() != null) {
      return t;
    }
    Instant startedAt = now().isAfter(s.finishedAt()) ? s.finishedAt() : now();
    return t.leaseExpiresAt().isBefore(now()) ? null : with(t).attempt(t.attempt() + 1).startedAt(startedAt).build();
  }

  @Override
  public synchronized RunWrites.Result writeRuns(RunWrites writes) {
    checkOpen();
    writes.outcomes().values().forEach(o -> TaskState.RUNNING.checkTransitionTo(o.target()));
    Map<RunRef, Task> started = new LinkedHashMap<>();
    for (RunRef run : writes.starts()) {
      if (writes.outcomes().get(run) instanceof RunOutcome.Succeeded) {
        continue; // the success starts it (see ending)
      }
      Task t = current(run);
      if (t != null && !t.leaseExpiresAt().isBefore(now())) {
        Task s = t.startedAt() != null ? t : with(t).attempt(t.attempt() + 1).startedAt(now()).build();
        put(s);
        started.put(run, s);
      }
    }
    Map<RunRef, Task> finished = new LinkedHashMap<>();
    writes.outcomes().forEach(
        (run, outcome) -> {
          Task t = ending(run, outcome);
          if (t != null) {
            Task done = finished(t, outcome);
            put(done);
            finished.put(run, done);
            if (writes.starts().contains(run) && outcome instanceof RunOutcome.Succeeded) {
              started.put(run, done);
            }
          }
        });
    return new RunWrites.Result(started, finished);
  }

  private static List<TaskError> plus(List<TaskError> errors, TaskError e) {
    if (e == null) {
      return errors;
    }
    List<TaskError> out = new ArrayList<>(errors);
    out.add(e);
    return out;
  }

  private Task finished(Task t, RunOutcome outcome) {
    Row r = with(t).leaseOwner(null).leaseExpiresAt(null).cancelRequested(false);
    return switch (outcome) {
      case RunOutcome.Succeeded s ->
          r.state(TaskState.SUCCEEDED).finishedAt(ms(s.finishedAt())).result(s.result()).progress(100).build();
      case RunOutcome.Rescheduled x ->
          r.state(TaskState.SCHEDULED)
              .runAt(ms(x.runAt()))
              .attempt(t.attempt() - (x.refundAttempt() ? 1 : 0))
              .lastError(x.error() == null ? t.lastError() : x.error().message())
              .errors(plus(t.errors(), x.error()))
              .build();
      case RunOutcome.Failed f ->
          r.state(TaskState.FAILED)
              .finishedAt(ms(f.finishedAt()))
              .lastError(f.error().message())
              .errors(plus(t.errors(), f.error()))
              .build();
      case RunOutcome.Cancelled c ->
          r.state(TaskState.CANCELLED)
              .finishedAt(ms(c.finishedAt()))
              .lastError(c.error() == null ? t.lastError() : c.error().message())
              .errors(plus(t.errors(), c.error()))
              .build();
      case RunOutcome.Released x ->
          r.state(TaskState.QUEUED)
              .runAt(ms(x.runAt()))
              .attempt(t.attempt() - (x.refundAttempt() && t.startedAt() != null ? 1 : 0))
              .lastError(x.error() == null ? t.lastError() : x.error().message())
              .errors(plus(t.errors(), x.error()))
              .build();
    };
  }

  // ---------------------------------------------------------------- operator actions

  @Override
  public synchronized Task requestCancel(TaskId id, Instant now) {
    Task t = existing(id);
    t.state().checkTransitionTo(TaskState.CANCELLED);
    Task after =
        t.state() == TaskState.RUNNING
            ? with(t).cancelRequested(true).build()
            : with(t).state(TaskState.CANCELLED).finishedAt(ms(now)).build();
    put(after);
    return after;
  }

  @Override
  public synchronized Task retry(TaskId id, Instant now) {
    Task t = existing(id);
    if (t.state() != TaskState.FAILED && t.state() != TaskState.CANCELLED) {
      throw new IllegalTransitionException(t.state(), TaskState.QUEUED);
    }
    Task after =
        with(t)
            .state(TaskState.QUEUED)
            .runAt(ms(now))
            .maxAttempts(Math.max(t.maxAttempts(), t.attempt() + 1))
            .finishedAt(null)
            .result(null)
            .progress(0)
            .cancelRequested(false)
            .build();
    put(after);
    return after;
  }

  @Override
  public synchronized Task runNow(TaskId id, Instant now) {
    Task t = existing(id);
    if (t.state() != TaskState.SCHEDULED) {
      throw new IllegalTransitionException(t.state(), TaskState.QUEUED);
    }
    Task after = with(t).state(TaskState.QUEUED).runAt(ms(now)).build();
    put(after);
    return after;
  }

  // ---------------------------------------------------------------- recovery

  @Override
  public synchronized List<Task> expiredLeases(int limit) {
    checkOpen();
    requireLimit(limit);
    Instant now = now();
    return tasks.values().stream()
        .filter(t -> t.state() == TaskState.RUNNING && t.leaseExpiresAt().isBefore(now))
        .sorted(Comparator.comparing(Task::leaseExpiresAt).thenComparing(Task::id))
        .limit(limit)
        .toList();
  }

  @Override
  public synchronized List<Task> leasesOf(String nodeId) {
    checkOpen();
    return tasks.values().stream()
        .filter(t -> t.state() == TaskState.RUNNING && nodeId.equals(t.leaseOwner()))
        .toList();
  }

  @Override
  public synchronized Map<RunRef, Task> recoverExpired(Map<RunRef, RunOutcome> outcomes) {
    checkOpen();
    Instant now = now();
    Map<RunRef, Task> out = new LinkedHashMap<>();
    outcomes.forEach(
        (run, outcome) -> {
          Task t = current(run);
          if (t != null && t.leaseExpiresAt().isBefore(now)) {
            Task done = finished(t, outcome);
            put(done);
            out.put(run, done);
          }
        });
    return out;
  }

  // ---------------------------------------------------------------- queues

  @Override
  public synchronized void setQueueLimit(String queue, Integer limit) {
    checkOpen();
    if (limit == null) {
      QueueRow row = queues.get(queue);
      if (row != null) {
        queues.put(queue, new QueueRow(null, row.paused()));
      }
      return;
    }
    if (limit < 1) {
      throw new IllegalArgumentException("a queue limit must be positive: " + limit);
    }
    QueueRow row = queues.get(queue);
    queues.put(queue, new QueueRow(limit, row != null && row.paused()));
  }

  @Override
  public synchronized Map<String, Integer> queueLimits() {
    checkOpen();
    Map<String, Integer> out = new LinkedHashMap<>();
    queues.forEach(
        (name, row) -> {
          if (row.limit() != null) {
            out.put(name, row.limit());
          }
        });
    return out;
  }

  @Override
  public synchronized void setQueuePaused(String queue, boolean paused) {
    checkOpen();
    QueueRow row = queues.get(queue);
    queues.put(queue, new QueueRow(row == null ? null : row.limit(), paused));
  }

  @Override
  public synchronized dev.tasklane.spi.QueueRemoval deleteQueue(String queue) {
    checkOpen();
    if (!queues.containsKey(queue)) {
      return dev.tasklane.spi.QueueRemoval.NOT_FOUND;
    }
    if (tasks.values().stream().anyMatch(t -> t.queue().equals(queue))) {
      return dev.tasklane.spi.QueueRemoval.HOLDS_TASKS;
    }
    queues.remove(queue);
    return dev.tasklane.spi.QueueRemoval.DELETED;
  }

  @Override
  public synchronized List<String> pausedQueues() {
    checkOpen();
    return queues.entrySet().stream().filter(e -> e.getValue().paused()).map(Map.Entry::getKey).toList();
  }

  // ---------------------------------------------------------------- cluster

  @Override
  public synchronized NodeRecord claimNode(NodeInfo node, Duration lease) {
    checkOpen();
    upsert(node, lease);
    return record(nodes.get(node.id()), now());
  }

  @Override
  public synchronized boolean heartbeatNode(NodeInfo node, Duration lease) {
    checkOpen();
    return upsert(node, lease);
  }

  private boolean upsert(NodeInfo node, Duration lease) {
    Instant now = now();
    NodeRow held = nodes.get(node.id());
    if (held != null
        && !held.node().instance().equals(node.instance())
        && !held.expiresAt().isBefore(now)) {
      return false;
    }
    NodeInfo stored =
        new NodeInfo(node.id(), node.instance(), node.host(), node.pid(), ms(node.startedAt()),
            node.concurrency(), node.types(), node.labels());
    nodes.put(node.id(), new NodeRow(stored, now, now.plus(lease.truncatedTo(ChronoUnit.MILLIS))));
    return true;
  }

  private static NodeRecord record(NodeRow row, Instant now) {
    return new NodeRecord(
        row.node(), row.heartbeatAt(), Duration.between(row.heartbeatAt(), now), !row.expiresAt().isBefore(now));
  }

  @Override
  public synchronized void removeNode(NodeInfo node) {
    checkOpen();
    NodeRow row = nodes.get(node.id());
    if (row != null && row.node().instance().equals(node.instance())) {
      nodes.remove(node.id());
    }
  }

  @Override
  public synchronized List<NodeRecord> nodes() {
    checkOpen();
    Instant now = now();
    return nodes.values().stream().map(r -> record(r, now)).toList();
  }

  @Override
  public synchronized int pruneNodes(Duration silentFor) {
    checkOpen();
    Instant cutoff = now().minus(silentFor);
    int before = nodes.size();
    nodes.values().removeIf(r -> r.heartbeatAt().isBefore(cutoff));
    return before - nodes.size();
  }

  @Override
  public synchronized int deleteFinishedBefore(Instant cutoff, int limit) {
    checkOpen();
    requireLimit(limit);
    List<Task> old =
        tasks.values().stream()
            .filter(t -> t.state().isTerminal() && t.finishedAt().isBefore(cutoff))
            .sorted(Comparator.comparing(Task::finishedAt).thenComparing(Task::id))
            .limit(limit)
            .toList();
    for (Task t : old) {
      tasks.remove(t.id());
      if (t.idempotencyKey() != null) {
        byKey.remove(t.idempotencyKey());
      }
    }
    return old.size();
  }

  @Override
  public synchronized void ping() {
    checkOpen();
  }

  @Override
  public synchronized void close() {
    closed = true;
  }

  /** Reopens after {@link #close()}, keeping the data (as reopening a database file would). */
  public synchronized void reopen() {
    closed = false;
  }

  private static void requireLimit(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative: " + limit);
    }
  }

  // ---------------------------------------------------------------- copying tasks

  private static Row with(Task t) {
    return new Row(t);
  }

  /** A task being changed: a copy with setters. */
  private static final class Row {
    private TaskId id;
    private String type;
    private String queue;
    private String payload;
    private int priority;
    private TaskState state;
    private int attempt;
    private int maxAttempts;
    private Instant runAt;
    private Duration timeout;
    private Instant createdAt;
    private Instant startedAt;
    private Instant finishedAt;
    private String lastError;
    private List<TaskError> errors;
    private String result;
    private int progress;
    private String idempotencyKey;
    private String leaseOwner;
    private Instant leaseExpiresAt;
    private long fencingToken;
    private boolean cancelRequested;
    private String lastNode;
    private String submittedBy;

    Row(Task t) {
      id = t.id();
      type = t.type();
      queue = t.queue();
      payload = t.payload();
      priority = t.priority();
      state = t.state();
      attempt = t.attempt();
      maxAttempts = t.maxAttempts();
      runAt = t.runAt();
      timeout = t.timeout();
      createdAt = t.createdAt();
      startedAt = t.startedAt();
      finishedAt = t.finishedAt();
      lastError = t.lastError();
      errors = t.errors();
      result = t.result();
      progress = t.progress();
      idempotencyKey = t.idempotencyKey();
      leaseOwner = t.leaseOwner();
      leaseExpiresAt = t.leaseExpiresAt();
      fencingToken = t.fencingToken();
      cancelRequested = t.cancelRequested();
      lastNode = t.lastNode();
      submittedBy = t.submittedBy();
    }

    Row state(TaskState v) { state = v; return this; }
    Row attempt(int v) { attempt = v; return this; }
    Row maxAttempts(int v) { maxAttempts = v; return this; }
    Row runAt(Instant v) { runAt = v; return this; }
    Row startedAt(Instant v) { startedAt = v; return this; }
    Row finishedAt(Instant v) { finishedAt = v; return this; }
    Row lastError(String v) { lastError = v; return this; }
    Row errors(List<TaskError> v) { errors = v; return this; }
    Row result(String v) { result = v; return this; }
    Row progress(int v) { progress = v; return this; }
    Row leaseOwner(String v) { leaseOwner = v; return this; }
    Row leaseExpiresAt(Instant v) { leaseExpiresAt = v; return this; }
    Row fencingToken(long v) { fencingToken = v; return this; }
    Row cancelRequested(boolean v) { cancelRequested = v; return this; }
    Row lastNode(String v) { lastNode = v; return this; }

    Task build() {
      return new Task(
          id, type, queue, payload, priority, state, attempt, maxAttempts, runAt, timeout, createdAt,
          startedAt, finishedAt, lastError, errors, result, progress, idempotencyKey, leaseOwner,
          leaseExpiresAt, fencingToken, cancelRequested, lastNode, submittedBy);
    }
  }

  @Override
  public String toString() {
    return "InMemoryTaskStore[" + tasks.size() + " tasks]";
  }

  /** For tests that need to know the store's queue rows exist. */
  synchronized Set<String> registeredQueues() {
    return Set.copyOf(queues.keySet());
  }
}
