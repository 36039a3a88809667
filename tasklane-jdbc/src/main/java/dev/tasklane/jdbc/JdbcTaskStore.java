package dev.tasklane.jdbc;

import static dev.tasklane.jdbc.QueryName.CANCEL_WAITING;
import static dev.tasklane.jdbc.QueryName.CLAIM_QUEUED;
import static dev.tasklane.jdbc.QueryName.CLAIM_QUEUED_OF_TYPES;
import static dev.tasklane.jdbc.QueryName.CLAIM_QUEUED_AFTER;
import static dev.tasklane.jdbc.QueryName.CLAIM_QUEUED_OF_TYPES_AFTER;
import static dev.tasklane.jdbc.QueryName.SELECT_TASK_TYPES;
import static dev.tasklane.jdbc.QueryName.UPSERT_TASK_TYPES;
import static dev.tasklane.jdbc.QueryName.CLEAR_QUEUE_LIMIT;
import static dev.tasklane.jdbc.QueryName.COUNT_QUEUED_AHEAD;
import static dev.tasklane.jdbc.QueryName.COUNT_RUNNING_IN_QUEUE;
import static dev.tasklane.jdbc.QueryName.COUNT_TASKS_BY_QUEUE_AND_STATE;
import static dev.tasklane.jdbc.QueryName.COUNT_WAITING_BY_QUEUE;
import static dev.tasklane.jdbc.QueryName.DELETE_FINISHED_TASKS;
import static dev.tasklane.jdbc.QueryName.DELETE_NODE;
import static dev.tasklane.jdbc.QueryName.DELETE_QUEUE;
import static dev.tasklane.jdbc.QueryName.QUEUE_EXISTS;
import static dev.tasklane.jdbc.QueryName.FIND_TASK;
import static dev.tasklane.jdbc.QueryName.FIND_TASK_BY_IDEMPOTENCY_KEY;
import static dev.tasklane.jdbc.QueryName.FIND_TASK_FOR_UPDATE;
import static dev.tasklane.jdbc.QueryName.FINISH_CANCELLED;
import static dev.tasklane.jdbc.QueryName.FINISH_FAILED;
import static dev.tasklane.jdbc.QueryName.FINISH_RELEASED;
import static dev.tasklane.jdbc.QueryName.FINISH_RESCHEDULED;
import static dev.tasklane.jdbc.QueryName.FINISH_SUCCEEDED;
import static dev.tasklane.jdbc.QueryName.FINISH_SUCCEEDED_ALL;
import static dev.tasklane.jdbc.QueryName.INSERT_QUEUE;
import static dev.tasklane.jdbc.QueryName.INSERT_TASK;
import static dev.tasklane.jdbc.QueryName.INSERT_TASKS;
import static dev.tasklane.jdbc.QueryName.LIST_TASKS;
import static dev.tasklane.jdbc.QueryName.LIST_TASKS_BY_QUEUE;
import static dev.tasklane.jdbc.QueryName.LIST_TASKS_BY_STATE;
import static dev.tasklane.jdbc.QueryName.LIST_TASKS_BY_SUBMITTER;
import static dev.tasklane.jdbc.QueryName.LIST_TASKS_BY_TYPE;
import static dev.tasklane.jdbc.QueryName.LOCK_QUEUE_LIMIT;
import static dev.tasklane.jdbc.QueryName.SELECT_PAUSED_QUEUES;
import static dev.tasklane.jdbc.QueryName.SET_QUEUE_PAUSED;
import static dev.tasklane.jdbc.QueryName.NEXT_SCHEDULED_AT;
import static dev.tasklane.jdbc.QueryName.PING;
import static dev.tasklane.jdbc.QueryName.PROMOTE_DUE;
import static dev.tasklane.jdbc.QueryName.PRUNE_NODES;
import static dev.tasklane.jdbc.QueryName.LOCK_EXPIRED_RUN;
import static dev.tasklane.jdbc.QueryName.SELECT_NODE;
import static dev.tasklane.jdbc.QueryName.START_RUNS;
import static dev.tasklane.jdbc.QueryName.RENEW_LEASES;
import static dev.tasklane.jdbc.QueryName.REQUEST_CANCEL_RUNNING;
import static dev.tasklane.jdbc.QueryName.RETRY_TASK;
import static dev.tasklane.jdbc.QueryName.RUN_NOW;
import static dev.tasklane.jdbc.QueryName.SELECT_EXPIRED_LEASES;
import static dev.tasklane.jdbc.QueryName.SELECT_LEASES_OF_NODE;
import static dev.tasklane.jdbc.QueryName.SELECT_NODES;
import static dev.tasklane.jdbc.QueryName.SELECT_QUEUE_LIMITS;
import static dev.tasklane.jdbc.QueryName.SELECT_QUEUE_NAMES;
import static dev.tasklane.jdbc.QueryName.SET_QUEUE_LIMIT;
import static dev.tasklane.jdbc.QueryName.UPDATE_PROGRESS;
import static dev.tasklane.jdbc.QueryName.UPSERT_NODE;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.tasklane.jdbc.TransactionRunner.Durability;
import dev.tasklane.IllegalTransitionException;
import dev.tasklane.LeaseLostException;
import dev.tasklane.StoreException;
import dev.tasklane.Submission;
import dev.tasklane.Task;
import dev.tasklane.TaskError;
import dev.tasklane.TaskId;
import dev.tasklane.TaskNotFoundException;
import dev.tasklane.TaskPage;
import dev.tasklane.TaskQuery;
import dev.tasklane.TaskState;
import dev.tasklane.internal.Json;
import dev.tasklane.spi.ClaimRequest;
import dev.tasklane.spi.LeaseStatus;
import dev.tasklane.spi.NewTask;
import dev.tasklane.spi.NodeInfo;
import dev.tasklane.spi.NodeRecord;
import dev.tasklane.spi.QueueCounts;
import dev.tasklane.spi.QueueRemoval;
import dev.tasklane.spi.RunOutcome;
import dev.tasklane.spi.RunRef;
import dev.tasklane.spi.RunWrites;
import dev.tasklane.spi.TaskStore;
import dev.tasklane.spi.TaskWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Consumer;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link TaskStore} over JDBC, shared by the SQL dialects. The statements come from the dialect's
 * {@code queries.sql} (see {@link Queries}); transactions and connections come from a {@link
 * TransactionRunner}, so the same code runs on SQLite's single writer connection and on a server
 * database's pool.
 *
 * <h2>How it keeps the contract</h2>
 *
 * <ul>
 *   <li>Every method is one transaction: it commits when it returns and rolls back when it throws,
 *       so a method that throws has changed nothing.
 *   <li>Every write to a running task is compare-and-set on {@code state = 'running'} and the run's
 *       fencing token, in the same statement that makes the change; zero rows means the run lost
 *       its lease ({@link LeaseLostException}, or {@link LeaseStatus#LOST}).
 *   <li>Transitions requested by callers (cancel, retry) are checked against {@link
 *       TaskState#canTransitionTo} before anything is written.
 *   <li>Error entries are appended inside the UPDATE, so a run's outcome and its error are written
 *       atomically with no read-modify-write in Java.
 *   <li>A claim of a queue with a cluster-wide limit first locks the queue's row ({@code
 *       lockQueueLimit}), then counts the queue's running tasks, then claims at most the rest, in
 *       one transaction: claims of a limited queue queue up behind each other, so two claimers
 *       cannot both see the same free slots. A claim of an unlimited queue locks nothing and pays
 *       one primary-key read for finding that out. (A claim that raced with the setting of a limit
 *       counts as having come before it, like the tasks already running when a limit is set.)
 * </ul>
 *
 * <p>Instants are stored with millisecond precision (see {@link SqlDialect}); timeouts are stored
 * in whole milliseconds, rounded up so that a positive timeout never becomes zero.
 *
 * <p>Thread-safe: all state is in the database, apart from a cache of queue names known to exist.
 */
public class JdbcTaskStore implements TaskStore {

  /**
   * The order a claim picks tasks in. {@code UPDATE ... RETURNING} does not promise to return rows
   * in the order of its subquery, so claimed tasks are sorted again in Java.
   */
  private static final Comparator<Task> CLAIM_ORDER =
      Comparator.comparingInt(Task::priority)
          .reversed()
          .thenComparing(Task::runAt)
          .thenComparing(Task::id);

  /**
   * The cursor of a first page: the largest UUID, above every real id (a UUIDv7 has version bits
   * 0111, so it is never all ones). One statement with {@code id < ?} then serves every page.
   */
  private static final TaskId FIRST_PAGE = new TaskId(new UUID(-1L, -1L));

  /** Runs by task, then by fencing token: the order every batch writes its rows in. */
  private static final Comparator<RunRef> BY_TASK =
      Comparator.comparing(RunRef::taskId).thenComparingLong(RunRef::fencingToken);

  /** Most rows one batch statement ({@code insertTasks}, {@code finishSucceededAll}) carries. */
  private static final int STATEMENT_BATCH = 1000;

  private final SqlDialect dialect;
  private final Queries queries;
  private final TransactionRunner transactions;
  private final TaskRowMapper mapper;
  private final JdbcScheduleStore schedules;
  private final JdbcRateStore rates;

  /**
   * Replaces the database's clock for leases and heartbeats, in tests only; {@code null} (always,
   * in production) binds NULL, and the statements use the database's own clock.
   */
  private final InstantSource clock;

  /**
   * Queue names known to have a {@code queue} row, so that steady-state inserts do not pay for
   * registering their queue. Queue rows are never deleted, so an entry never goes stale; a name is
   * added only after the transaction that inserted it committed.
   */
  private final Set<String> knownQueues = ConcurrentHashMap.newKeySet();

  /** Where claims ended, so the next starts there: see {@link ClaimFloors}. Off until enabled. */
  private final ClaimFloors floors = new ClaimFloors(System::nanoTime);

  /**
   * Held by each batch write of running tasks' rows: see {@link #takingTurns}. Fair, so that the
   * group-commit writer, which takes it again the moment a batch ends, cannot keep a renewal out
   * for a lease (the node would then fence its own runs).
   */
  private final java.util.concurrent.locks.ReentrantLock runRowWrites =
      new java.util.concurrent.locks.ReentrantLock(true);

  /**
   * Creates a store. The schema must already be migrated (see {@link SchemaMigrator}); the store
   * takes ownership of {@code transactions} and closes it in {@link #close()}.
   *
   * @throws IllegalStateException if the dialect's query file is missing or incomplete
   */
  public JdbcTaskStore(SqlDialect dialect, TransactionRunner transactions) {
    this(dialect, transactions, null);
  }

  /**
   * Creates a store whose leases and node heartbeats are measured by {@code clock} instead of the
   * database's clock: for tests that need to move time. In production pass {@code null} (or use
   * the two-argument constructor), so that every node measures leases against the one clock of
   * the database.
   *
   * @throws IllegalStateException if the dialect's query file is missing or incomplete
   */
  public JdbcTaskStore(SqlDialect dialect, TransactionRunner transactions, InstantSource clock) {
    this.dialect = Objects.requireNonNull(dialect, "dialect");
    this.transactions = Objects.requireNonNull(transactions, "transactions");
    this.queries = Queries.load(dialect);
    this.mapper = new TaskRowMapper(dialect);
    this.clock = clock;
    this.schedules = new JdbcScheduleStore(dialect, transactions, queries, this);
    this.rates = new JdbcRateStore(dialect, transactions, queries);
  }

  /** The value bound for the store's clock: NULL, so the database's clock, unless a test set one. */
  private Instant storeNow() {
    return clock == null ? null : clock.instant();
  }

  // ---------------------------------------------------------------- claim floors

  /**
   * Lets each claim start where the previous claim of its queue ended (see {@link ClaimFloors}).
   * Call it only when every change that makes a task ready reaches this store: its own writes do;
   * another process's must arrive through {@link #tasksMayBeReady}, as notifications.
   */
  public void useClaimFloors() {
    floors.enable();
  }

  /** Undoes one {@link #useClaimFloors()}: the notifications it relied on stopped. */
  public void stopUsingClaimFloors() {
    floors.disable();
  }

  /**
   * Tasks of {@code queues} (of every queue when empty) may have become ready in another process:
   * claims of them start from the head of the queue again.
   */
  public void tasksMayBeReady(Set<String> queues) {
    if (queues.isEmpty()) {
      floors.forgetAll();
    } else {
      queues.forEach(q -> floors.madeReady(q, null));
    }
  }

  /** After a commit that created {@code tasks}: the earliest ready one of each queue moves floors. */
  private void madeReady(Iterable<Task> tasks) {
    if (!floors.enabled()) {
      return;
    }
    Map<String, ClaimFloors.Key> lowest = new java.util.HashMap<>();
    for (Task t : tasks) {
      if (t.state() == TaskState.QUEUED) {
        ClaimFloors.Key key = ClaimFloors.Key.of(t);
        lowest.merge(t.queue(), key, (a, b) -> a.before(b) ? a : b);
      }
    }
    lowest.forEach(floors::madeReady);
  }

  // ---------------------------------------------------------------- submissions

  @Override
  public Submission insert(NewTask task) {
    Objects.requireNonNull(task, "task");
    return forgettingDeletedQueues(
        () -> {
          Submission submission;
          if (knownQueues.contains(task.queue())) {
            // One statement (the insert; a taken idempotency key adds a read): it commits with
            // itself, one round trip on a database server.
            submission = transactions.writeStatement("insert", c -> insertOne(c, task, new HashSet<>()));
          } else {
            Set<String> registered = new HashSet<>();
            submission = transactions.write("insert", c -> insertOne(c, task, registered));
            knownQueues.addAll(registered);
          }
          if (submission.created()) {
            madeReady(List.of(submission.task()));
          }
          return submission;
        });
  }

  /**
   * Runs an insert once more, without the cache of registered queues, if it failed because a
   * queue this node knew was deleted meanwhile by another node (the task row's foreign key found
   * no queue row). The first try changed nothing, so the second is the only one that counts.
   */
  private <T> T forgettingDeletedQueues(java.util.function.Supplier<T> insert) {
    try {
      return insert.get();
    } catch (StoreException e) {
      if (!SqlFailures.foreignKeyViolation(e)) {
        throw e;
      }
      knownQueues.clear();
      return insert.get();
    }
  }

  @Override
  public List<Submission> insertAll(List<NewTask> tasks) {
    List<NewTask> batch = List.copyOf(tasks);
    if (batch.isEmpty()) {
      return List.of();
    }
    List<Submission> out = forgettingDeletedQueues(() -> insertBatch(batch));
    madeReady(() -> out.stream().filter(Submission::created).map(Submission::task).iterator());
    return out;
  }

  /**
   * Streams the tasks into one transaction in chunks: a chunk without idempotency keys goes
   * through the dialect's bulk path if it has one, any other as multi-row inserts of at most
   * {@link #STATEMENT_BATCH} rows. Only one chunk is held at a time.
   */
  @Override
  public BulkInsert insertStream(Iterator<NewTask> tasks, Consumer<Task> created) {
    Objects.requireNonNull(tasks, "tasks");
    Objects.requireNonNull(created, "created");
    // A stream cannot be replayed, so the insert is never retried: every queue it names is
    // registered in its own transaction (once), whatever the cache of known queues says.
    Set<String> registered = new HashSet<>();
    // The earliest ready task of each queue, for the claim floors once the stream has committed.
    Map<String, Task> lowest = new java.util.HashMap<>();
    Consumer<Task> told =
        t -> {
          created.accept(t);
          if (t.state() == TaskState.QUEUED) {
            lowest.merge(t.queue(), t, (a, b) -> CLAIM_ORDER.compare(a, b) <= 0 ? a : b);
          }
        };
    BulkInsert result = transactions.write("insertStream", c -> streamChunks(c, tasks, told, registered));
    knownQueues.addAll(registered);
    madeReady(lowest.values());
    return result;
  }

  /** Tasks read from a stream per chunk of {@code insertStream}: one COPY, or several statements. */
  private static final int STREAM_CHUNK = 10_000;

  private BulkInsert streamChunks(
      Connection c, Iterator<NewTask> tasks, Consumer<Task> created, Set<String> registered) throws SQLException {
    long yielded = 0;
    long made = 0;
    Optional<BulkTaskCopy> bulk = dialect.bulkTaskCopy();
    List<NewTask> chunk = new ArrayList<>(Math.min(STREAM_CHUNK, 1024));
    while (tasks.hasNext()) {
      chunk.clear();
      while (chunk.size() < STREAM_CHUNK && tasks.hasNext()) {
        chunk.add(tasks.next());
      }
      yielded += chunk.size();
      if (bulk.isPresent() && copyable(bulk.get(), chunk)) {
        copy(c, bulk.get(), chunk, registered, false);
        for (NewTask t : chunk) {
          created.accept(newRow(t));
        }
        made += chunk.size();
        continue;
      }
      for (int from = 0; from < chunk.size(); from += STATEMENT_BATCH) {
        List<NewTask> part = chunk.subList(from, Math.min(chunk.size(), from + STATEMENT_BATCH));
        for (Submission s : insertChunk(c, part, registered, false)) {
          if (s.created()) {
            created.accept(s.task());
            made++;
          }
        }
      }
    }
    return new BulkInsert(yielded, made);
  }

  private List<Submission> insertBatch(List<NewTask> batch) {
    Set<String> registered = new HashSet<>();
    List<Submission> submissions =
        transactions.write(
            "insertAll",
            c -> {
              if (batch.size() == 1) {
                return List.of(insertOne(c, batch.get(0), registered));
              }
              Optional<BulkTaskCopy> bulk = dialect.bulkTaskCopy();
              if (bulk.isPresent() && copyable(bulk.get(), batch)) {
                copy(c, bulk.get(), batch, registered, true);
                List<Submission> out = new ArrayList<>(batch.size());
                for (NewTask t : batch) {
                  out.add(new Submission(newRow(t), true));
                }
                return out;
              }
              List<Submission> out = new ArrayList<>(batch.size());
              for (int from = 0; from < batch.size(); from += STATEMENT_BATCH) {
                List<NewTask> chunk = batch.subList(from, Math.min(batch.size(), from + STATEMENT_BATCH));
                out.addAll(insertChunk(c, chunk, registered));
              }
              return out;
            });
    knownQueues.addAll(registered);
    return List.copyOf(submissions);
  }

  /**
   * Whether {@code tasks} go through the database's bulk path: enough of them to pay for it, none
   * with an idempotency key (a bulk load cannot skip a taken key), each one it carries exactly.
   */
  private boolean copyable(BulkTaskCopy bulk, List<NewTask> tasks) {
    return tasks.size() >= dialect.bulkCopyThreshold()
        && tasks.stream().allMatch(t -> t.idempotencyKey() == null && bulk.copiesExactly(t));
  }

  /**
   * Writes {@code tasks} through the bulk path and registers their queues. Nothing comes back from
   * it, and nothing needs to: every column of a new row is either given or a constant default, so
   * each task is known exactly as a read would return it (see {@link #newRow}).
   */
  private void copy(
      Connection c, BulkTaskCopy bulk, List<NewTask> tasks, Set<String> registered, boolean trustKnownQueues)
      throws SQLException {
    Set<String> queues = new java.util.LinkedHashSet<>();
    long written = bulk.copy(c, tasks.iterator(), t -> queues.add(t.queue()));
    if (written != tasks.size()) {
      throw new SQLException("the bulk load wrote " + written + " of " + tasks.size() + " tasks");
    }
    registerQueues(c, queues, tasks.get(0).createdAt(), registered, trustKnownQueues);
  }

  /** Registers the queues of {@code queues} this store has not seen yet, in the caller's transaction. */
  private void registerQueues(
      Connection c, Set<String> queues, Instant createdAt, Set<String> registered, boolean trustKnownQueues)
      throws SQLException {
    for (String queue : queues) {
      if ((!trustKnownQueues || !knownQueues.contains(queue)) && registered.add(queue)) {
        update(c, INSERT_QUEUE, p -> p.text(queue).instant(createdAt));
      }
    }
  }

  /**
   * The row an insert of {@code t} creates, as the store reads it back: times at millisecond
   * precision, the timeout rounded up to whole milliseconds, every other column at its default.
   */
  static Task newRow(NewTask t) {
    return new Task(
        t.id(),
        t.type(),
        t.queue(),
        t.payload(),
        t.priority(),
        t.state(),
        0,
        t.maxAttempts(),
        t.runAt().truncatedTo(java.time.temporal.ChronoUnit.MILLIS),
        t.timeout() == null ? null : Duration.ofMillis(ceilMillis(t.timeout())),
        t.createdAt().truncatedTo(java.time.temporal.ChronoUnit.MILLIS),
        null,
        null,
        null,
        List.of(),
        null,
        0,
        null,
        null,
        null,
        0,
        false,
        null,
        t.submittedBy());
  }

  /**
   * Inserts a chunk with one {@code insertTasks} statement. A task whose idempotency key is taken
   * (by an earlier task, or by one earlier in the same chunk, which is then not sent) gets the
   * task holding the key, as {@link #insertOne} does.
   */
  private List<Submission> insertChunk(Connection c, List<NewTask> chunk, Set<String> registered)
      throws SQLException {
    return insertChunk(c, chunk, registered, true);
  }

  private List<Submission> insertChunk(
      Connection c, List<NewTask> chunk, Set<String> registered, boolean trustKnownQueues) throws SQLException {
    Set<String> keysSent = new HashSet<>();
    List<NewTask> sent = new ArrayList<>(chunk.size());
    for (NewTask task : chunk) {
      if (task.idempotencyKey() == null || keysSent.add(task.idempotencyKey())) {
        sent.add(task);
      }
    }
    Map<TaskId, Task> inserted = new java.util.HashMap<>();
    for (Task t : queryTasks(c, INSERT_TASKS, p -> p.text(tasksJson(sent)))) {
      inserted.put(t.id(), t);
    }
    Map<String, Task> byKey = new java.util.HashMap<>();
    List<Submission> out = new ArrayList<>(chunk.size());
    for (NewTask task : chunk) {
      Task row = inserted.get(task.id());
      if (row != null) {
        if (task.idempotencyKey() != null) {
          byKey.put(task.idempotencyKey(), row);
        }
        if ((!trustKnownQueues || !knownQueues.contains(task.queue())) && registered.add(task.queue())) {
          update(c, INSERT_QUEUE, p -> p.text(task.queue()).instant(task.createdAt()));
        }
        out.add(new Submission(row, true));
        continue;
      }
      if (task.idempotencyKey() == null) {
        throw new SQLException("inserting task " + task.id() + " returned no row");
      }
      Task original = byKey.get(task.idempotencyKey());
      if (original == null) {
        original =
            queryTask(c, FIND_TASK_BY_IDEMPOTENCY_KEY, p -> p.text(task.idempotencyKey()))
                .orElseThrow(
                    () ->
                        new SQLException(
                            "idempotency key '"
                                + task.idempotencyKey()
                                + "' conflicted, but no task holds it"));
        byKey.put(task.idempotencyKey(), original);
      }
      out.add(new Submission(original, false));
    }
    return out;
  }

  /** The {@code insertTasks} parameter: the tasks as a JSON array, times in epoch millis. */
  private static String tasksJson(List<NewTask> tasks) throws SQLException {
    return jsonArray(
        tasks,
        (g, task) -> {
          g.writeStringField("id", task.id().toString());
          g.writeStringField("type", task.type());
          g.writeStringField("queue", task.queue());
          g.writeStringField("payload", task.payload());
          g.writeNumberField("priority", task.priority());
          g.writeStringField("state", task.state().apiName());
          g.writeNumberField("max_attempts", task.maxAttempts());
          g.writeNumberField("run_at", task.runAt().toEpochMilli());
          if (task.timeout() == null) {
            g.writeNullField("timeout_ms");
          } else {
            g.writeNumberField("timeout_ms", ceilMillis(task.timeout()));
          }
          g.writeNumberField("created_at", task.createdAt().toEpochMilli());
          g.writeStringField("idempotency_key", task.idempotencyKey());
          g.writeStringField("submitted_by", task.submittedBy());
        });
  }

  /** Writes one JSON object for each element. */
  @FunctionalInterface
  private interface JsonFields<T> {
    void write(com.fasterxml.jackson.core.JsonGenerator g, T element) throws java.io.IOException;
  }

  private static <T> String jsonArray(List<T> elements, JsonFields<T> fields) throws SQLException {
    java.io.StringWriter out = new java.io.StringWriter(elements.size() * 256);
    try (com.fasterxml.jackson.core.JsonGenerator g = Json.MAPPER.getFactory().createGenerator(out)) {
      g.writeStartArray();
      for (T e : elements) {
        g.writeStartObject();
        fields.write(g, e);
        g.writeEndObject();
      }
      g.writeEndArray();
    } catch (java.io.IOException e) {
      throw new SQLException("could not encode a batch as JSON", e);
    }
    return out.toString();
  }

  /**
   * Inserts one task, or finds the task that already holds its idempotency key (also one inserted
   * earlier in the same transaction).
   *
   * @param registered collects queue names this transaction registered, for the cache
   */
  private Submission insertOne(Connection c, NewTask task, Set<String> registered)
      throws SQLException {
    return insertOne(c, task, registered, true);
  }

  private Submission insertOne(
      Connection c, NewTask task, Set<String> registered, boolean trustKnownQueues)
      throws SQLException {
    Long timeoutMs = task.timeout() == null ? null : ceilMillis(task.timeout());
    Optional<Task> inserted =
        queryTask(
            c,
            INSERT_TASK,
            p ->
                p.id(task.id())
                    .text(task.type())
                    .text(task.queue())
                    .text(task.payload())
                    .integer(task.priority())
                    .text(task.state().apiName())
                    .integer(task.maxAttempts())
                    .instant(task.runAt())
                    .bigint(timeoutMs)
                    .instant(task.createdAt())
                    .text(task.idempotencyKey())
                    .text(task.submittedBy()));
    if (inserted.isEmpty()) {
      if (task.idempotencyKey() == null) {
        throw new SQLException("inserting task " + task.id() + " returned no row");
      }
      Task original =
          queryTask(c, FIND_TASK_BY_IDEMPOTENCY_KEY, p -> p.text(task.idempotencyKey()))
              .orElseThrow(
                  () ->
                      new SQLException(
                          "idempotency key '"
                              + task.idempotencyKey()
                              + "' conflicted, but no task holds it"));
      return new Submission(original, false);
    }
    // The queue is registered after the task row, so a de-duplicated submission never creates a
    // queue; the foreign key from task.queue is deferred to commit to allow this order.
    if ((!trustKnownQueues || !knownQueues.contains(task.queue())) && registered.add(task.queue())) {
      update(c, INSERT_QUEUE, p -> p.text(task.queue()).instant(task.createdAt()));
    }
    return new Submission(inserted.get(), true);
  }

  /**
   * Inserts tasks inside another operation's transaction on {@code c} (a schedule's firing), as
   * {@link #insertAll} would; call {@link #insertedWithin} once it committed.
   */
  List<Submission> insertWithin(Connection c, List<NewTask> batch) throws SQLException {
    Set<String> registered = new HashSet<>();
    List<Submission> out = new ArrayList<>(batch.size());
    for (NewTask task : batch) {
      out.add(insertOne(c, task, registered, false));
    }
    return out;
  }

  /** The transaction of an {@link #insertWithin} committed: its tasks may be claimed now. */
  void insertedWithin(List<Submission> inserted) {
    List<Task> created = new ArrayList<>();
    for (Submission s : inserted) {
      if (s.created()) {
        knownQueues.add(s.task().queue());
        created.add(s.task());
      }
    }
    madeReady(created);
  }

  @Override
  public dev.tasklane.spi.ScheduleStore schedules() {
    return schedules;
  }

  @Override
  public dev.tasklane.spi.RateStore rates() {
    return rates;
  }

  // ---------------------------------------------------------------- reads

  @Override
  public Optional<Task> find(TaskId id) {
    Objects.requireNonNull(id, "id");
    return transactions.read("find", c -> queryTask(c, FIND_TASK, p -> p.id(id)));
  }

  @Override
  public long countQueuedAhead(Task task) {
    Objects.requireNonNull(task, "task");
    return transactions.read(
        "countQueuedAhead",
        c ->
            count(
                c,
                COUNT_QUEUED_AHEAD,
                p ->
                    p.text(task.queue())
                        .integer(task.priority())
                        .integer(task.priority())
                        .instant(task.runAt())
                        .instant(task.runAt())
                        .id(task.id())));
  }

  @Override
  public Optional<Task> findByIdempotencyKey(String idempotencyKey) {
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    return transactions.read(
        "findByIdempotencyKey",
        c -> queryTask(c, FIND_TASK_BY_IDEMPOTENCY_KEY, p -> p.text(idempotencyKey)));
  }

  @Override
  public TaskPage list(TaskQuery query) {
    Objects.requireNonNull(query, "query");
    TaskId cursor = query.after() == null ? FIRST_PAGE : query.after();
    // One row more than the page tells whether another page follows, without a count.
    int fetch = query.limit() + 1;
    String state = query.state() == null ? null : query.state().apiName();
    String queue = query.queue();
    String type = query.type();
    String submitter = query.submittedBy();
    List<Task> rows =
        transactions.read(
            "list",
            c -> {
              if (submitter != null) {
                // One submitter's tasks are few next to all: its index leads, the rest filter.
                return queryTasks(
                    c,
                    LIST_TASKS_BY_SUBMITTER,
                    p ->
                        p.text(submitter)
                            .text(state)
                            .text(state)
                            .text(queue)
                            .text(queue)
                            .text(type)
                            .text(type)
                            .id(cursor)
                            .integer(fetch));
              }
              // The most selective indexed filter picks the statement; the others are residual
              // filters bound twice as "(? IS NULL OR column = ?)".
              if (state != null) {
                return queryTasks(
                    c,
                    LIST_TASKS_BY_STATE,
                    p ->
                        p.text(state)
                            .text(queue)
                            .text(queue)
                            .text(type)
                            .text(type)
                            .id(cursor)
                            .integer(fetch));
              }
              if (queue != null) {
                return queryTasks(
                    c,
                    LIST_TASKS_BY_QUEUE,
                    p -> p.text(queue).text(type).text(type).id(cursor).integer(fetch));
              }
              if (type != null) {
                return queryTasks(
                    c, LIST_TASKS_BY_TYPE, p -> p.text(type).id(cursor).integer(fetch));
              }
              return queryTasks(c, LIST_TASKS, p -> p.id(cursor).integer(fetch));
            });
    if (rows.size() <= query.limit()) {
      return new TaskPage(rows, null);
    }
    List<Task> page = rows.subList(0, query.limit());
    return new TaskPage(page, page.get(page.size() - 1).id());
  }

  /**
   * The row {@code countTasksByQueueAndState} gives, beside the states, for the running tasks
   * claimed ahead (in the same statement, so the two counts agree).
   */
  private static final String CLAIMED_AHEAD = "claimed_ahead";

  @Override
  public List<QueueCounts> queueCounts() {
    return transactions.read(
        "queueCounts",
        c -> {
          Map<String, Map<TaskState, Long>> byQueue = new LinkedHashMap<>();
          Map<String, Long> claimedAhead = new HashMap<>();
          try (PreparedStatement st = c.prepareStatement(sql(COUNT_TASKS_BY_QUEUE_AND_STATE));
              ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              String queue = rs.getString("queue");
              Map<TaskState, Long> counts =
                  byQueue.computeIfAbsent(queue, q -> new EnumMap<>(TaskState.class));
              String state = rs.getString("state");
              if (CLAIMED_AHEAD.equals(state)) {
                claimedAhead.put(queue, rs.getLong("tasks"));
              } else if (state != null) { // null: a queue without tasks, from the outer join
                counts.put(TaskState.fromApiName(state), rs.getLong("tasks"));
              }
            }
          }
          List<QueueCounts> out = new ArrayList<>(byQueue.size());
          byQueue.forEach(
              (queue, counts) ->
                  out.add(new QueueCounts(queue, counts, claimedAhead.getOrDefault(queue, 0L))));
          return List.copyOf(out);
        });
  }

  @Override
  public Map<String, Long> waitingCounts() {
    return transactions.read(
        "waitingCounts",
        c -> {
          Map<String, Long> out = new LinkedHashMap<>();
          try (PreparedStatement st = c.prepareStatement(sql(COUNT_WAITING_BY_QUEUE));
              ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              long tasks = rs.getLong("tasks");
              if (tasks > 0) { // the query has a row for every registered queue
                out.put(rs.getString("queue"), tasks);
              }
            }
          }
          return Collections.unmodifiableMap(out);
        });
  }

  @Override
  public List<String> queueNames() {
    return transactions.read("queueNames", c -> names(c, SELECT_QUEUE_NAMES));
  }

  @Override
  public Map<String, Boolean> queuePauses() {
    return transactions.read(
        "queuePauses",
        c -> {
          Map<String, Boolean> out = new LinkedHashMap<>();
          try (PreparedStatement st = c.prepareStatement(sql(SELECT_QUEUE_NAMES));
              ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              out.put(rs.getString("name"), rs.getBoolean("paused"));
            }
          }
          return Collections.unmodifiableMap(out);
        });
  }

  /** The {@code name} column of every row a query returns, in its order. */
  private List<String> names(Connection c, QueryName query) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement st = c.prepareStatement(sql(query));
        ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        out.add(rs.getString("name"));
      }
    }
    return List.copyOf(out);
  }

  @Override
  public Optional<Instant> nextScheduledAt() {
    return transactions.read(
        "nextScheduledAt",
        c -> {
          try (PreparedStatement st = c.prepareStatement(sql(NEXT_SCHEDULED_AT));
              ResultSet rs = st.executeQuery()) {
            return rs.next() ? Optional.of(dialect.getInstant(rs, "run_at")) : Optional.empty();
          }
        });
  }

  // ---------------------------------------------------------------- dispatching

  @Override
  public int promoteDue(Instant now, int limit) {
    Objects.requireNonNull(now, "now");
    if (requireLimit(limit) == 0) {
      return 0;
    }
    int promoted =
        transactions.write(
            "promoteDue",
            Durability.RELAXED,
            c -> update(c, PROMOTE_DUE, p -> p.instant(now).integer(limit)));
    if (promoted > 0) {
      floors.forgetAll(); // of any queue, with any key
    }
    return promoted;
  }

  @Override
  public List<Task> claim(ClaimRequest request) {
    Objects.requireNonNull(request, "request");
    if (request.limit() == 0 || (request.types() != null && request.types().isEmpty())) {
      return List.of();
    }
    long began = floors.begin(request.now());
    List<Task> claimed =
        // Synced on a database server, unlike the run's later writes: see claimDurability().
        transactions.write(
            "claim",
            dialect.claimDurability(),
            c -> {
              int take = request.limit();
              QueueGate gate = lockQueueLimit(c, request.queue());
              if (gate.paused()) {
                return List.of();
              }
              OptionalInt clusterLimit = gate.limit();
              if (clusterLimit.isPresent()) {
                // The queue's row is locked until commit: no other claim of this queue can count
                // or claim in between, and the count sees every claim committed before ours.
                long running = count(c, COUNT_RUNNING_IN_QUEUE, p -> p.text(request.queue()));
                take = (int) Math.max(0, Math.min(take, clusterLimit.getAsInt() - running));
                if (take == 0) {
                  return List.of();
                }
              }
              // The runs that start now come first in claim order, then those claimed ahead: two
              // statements when both are asked for, each taking the next tasks in claim order.
              int starting = Math.min(take, request.start());
              List<Task> started = claimQueued(c, request, true, starting);
              List<Task> ahead =
                  started.size() < starting
                      ? List.of() // the queue ran dry
                      : claimQueued(c, request, false, take - starting);
              List<Task> out = new ArrayList<>(started.size() + ahead.size());
              out.addAll(sortedForClaim(started));
              out.addAll(sortedForClaim(ahead));
              return out;
            });
    if (!claimed.isEmpty()) {
      floors.claimed(request.queue(), request.types(), Collections.max(claimed, CLAIM_ORDER), began);
    }
    return List.copyOf(claimed);
  }

  /**
   * Claims up to {@code limit} tasks in claim order: from the claimer's floor if one holds (see
   * {@link ClaimFloors}), then, for what that leaves, from the head of the queue's ready range.
   */
  private List<Task> claimQueued(Connection c, ClaimRequest request, boolean start, int limit)
      throws SQLException {
    if (limit == 0) {
      return List.of();
    }
    ClaimFloors.Key floor = floors.current(request.queue(), request.types());
    List<Task> fromFloor = floor == null ? List.of() : claimQueued(c, request, start, limit, floor);
    if (fromFloor.size() == limit) {
      return fromFloor;
    }
    List<Task> fromHead = claimQueued(c, request, start, limit - fromFloor.size(), null);
    if (fromFloor.isEmpty()) {
      return fromHead;
    }
    List<Task> out = new ArrayList<>(fromFloor);
    out.addAll(fromHead);
    return out;
  }

  /** One claim statement: from the head of the ready range, or after {@code floor} if given. */
  private List<Task> claimQueued(
      Connection c, ClaimRequest request, boolean start, int limit, ClaimFloors.Key floor) throws SQLException {
    // A claim of some types binds them between the queue and the time (see claimQueuedOfTypes).
    String types = request.types() == null ? null : Json.write(new java.util.TreeSet<>(request.types()));
    QueryName query =
        floor == null
            ? (types == null ? CLAIM_QUEUED : CLAIM_QUEUED_OF_TYPES)
            : (types == null ? CLAIM_QUEUED_AFTER : CLAIM_QUEUED_OF_TYPES_AFTER);
    return queryTasks(
        c,
        query,
        p -> {
          p.text(request.nodeId())
              .instant(storeNow())
              .bigint(request.lease().toMillis())
              .integer(start ? 1 : 0)
              .text(request.queue());
          if (types != null) {
            p.text(types);
          }
          if (floor != null) {
            p.integer(floor.priority()).instant(floor.runAt()).id(floor.id());
          }
          p.instant(request.now()).integer(limit);
        });
  }

  private static List<Task> sortedForClaim(List<Task> tasks) {
    List<Task> sorted = new ArrayList<>(tasks);
    sorted.sort(CLAIM_ORDER);
    return sorted;
  }

  @Override
  public Map<RunRef, LeaseStatus> renewLeases(Collection<RunRef> runs, Duration lease) {
    List<RunRef> batch = List.copyOf(runs);
    Objects.requireNonNull(lease, "lease");
    long leaseMillis = lease.toMillis();
    if (batch.isEmpty()) {
      return Map.of();
    }
    return takingTurns(
        () ->
            transactions.write(
                "renewLeases",
                Durability.RELAXED,
                c -> {
                  Map<RunRef, LeaseStatus> out = new LinkedHashMap<>();
                  for (int from = 0; from < batch.size(); from += STATEMENT_BATCH) {
                    List<RunRef> chunk = batch.subList(from, Math.min(batch.size(), from + STATEMENT_BATCH));
                    Map<RunRef, Boolean> renewed = renewChunk(c, chunk, leaseMillis);
                    for (RunRef run : chunk) {
                      Boolean cancelRequested = renewed.get(run);
                      out.put(
                          run,
                          cancelRequested == null
                              ? LeaseStatus.LOST
                              : cancelRequested ? LeaseStatus.CANCEL_REQUESTED : LeaseStatus.RENEWED);
                    }
                  }
                  return Collections.unmodifiableMap(out);
                }));
  }

  /** Renews one chunk's leases; the answer holds the runs renewed, each with cancel_requested. */
  private Map<RunRef, Boolean> renewChunk(Connection c, List<RunRef> chunk, long leaseMillis)
      throws SQLException {
    Map<RunRef, Boolean> renewed = new java.util.HashMap<>();
    try (PreparedStatement st = c.prepareStatement(sql(RENEW_LEASES))) {
      new Params(st, dialect).text(runsJson(chunk)).instant(storeNow()).bigint(leaseMillis);
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          renewed.put(
              new RunRef(dialect.getTaskId(rs, "id"), rs.getLong("fencing_token")),
              rs.getBoolean("cancel_requested"));
        }
      }
    }
    return renewed;
  }

  /** Runs as the JSON array of {@code {id, fencing_token}} that the batch statements read. */
  private static String runsJson(List<RunRef> runs) throws SQLException {
    return jsonArray(
        runs,
        (g, run) -> {
          g.writeStringField("id", run.taskId().toString());
          g.writeNumberField("fencing_token", run.fencingToken());
        });
  }

  /**
   * Runs {@code write} while no other batch write of running tasks' rows from this process is in
   * flight. {@link #writeRuns} is a transaction of several statements, a renewal another, and
   * PostgreSQL locks a statement's rows in the order its plan meets them; two such transactions at
   * once can lock overlapping rows in opposite orders and deadlock. The server breaks the cycle
   * only after {@code deadlock_timeout} (one second), and the writer retries: measured in the
   * drain benchmark, hundreds of one-second stalls. The other writes of running rows do not need
   * a turn: each of {@code finishRun}, {@code updateProgress} and {@code requestCancel} locks one
   * row, and recovery skips locked rows. Another node writes a run's rows only once the run is
   * stale or its lease expired (fencing refuses the loser); such a meeting can still deadlock, as
   * rarely as a node losing its leases, and is retried in the same way.
   */
  private <T> T takingTurns(java.util.function.Supplier<T> write) {
    runRowWrites.lock();
    try {
      return write.get();
    } finally {
      runRowWrites.unlock();
    }
  }


  /**
   * {@inheritDoc}
   *
   * @throws IllegalArgumentException if {@code percent} is outside 0..100
   */
  @Override
  public boolean updateProgress(RunRef run, int percent) {
    Objects.requireNonNull(run, "run");
    if (percent < 0 || percent > 100) {
      throw new IllegalArgumentException("progress must be between 0 and 100: " + percent);
    }
    return transactions.write(
        "updateProgress",
        Durability.RELAXED,
        c ->
            update(
                    c,
                    UPDATE_PROGRESS,
                    p -> p.integer(percent).id(run.taskId()).bigint(run.fencingToken()))
                > 0);
  }

  @Override
  public Task finishRun(RunRef run, RunOutcome outcome) {
    Objects.requireNonNull(run, "run");
    Objects.requireNonNull(outcome, "outcome");
    TaskState.RUNNING.checkTransitionTo(outcome.target());
    Task finished =
        transactions.write(
            "finishRun",
            Durability.RELAXED,
            c ->
                // Zero rows: the task left running or another claim moved the token on. Nothing
                // was written, and throwing rolls the (empty) transaction back.
                finish(c, run, outcome)
                    .orElseThrow(() -> new LeaseLostException(run.taskId(), run.fencingToken())));
    madeReady(List.of(finished)); // a run given back is ready again
    return finished;
  }

  /**
   * One transaction for many runs: starts first, then outcomes, each compare-and-set on its own
   * run; a run that lost its lease is left out of the answer (its write is skipped, the others
   * still commit).
   */
  @Override
  public RunWrites.Result writeRuns(RunWrites writes) {
    Objects.requireNonNull(writes, "writes");
    if (writes.isEmpty()) {
      return RunWrites.Result.NONE;
    }
    writes.outcomes().values().forEach(o -> TaskState.RUNNING.checkTransitionTo(o.target()));
    // Rows in task order within each statement (the plans walk the array through the primary
    // key): two nodes writing overlapping runs, a stale run and the run that replaced it, meet
    // their rows in the same order. Within this process, such writes take turns.
    Map<RunRef, RunOutcome> outcomes = new java.util.TreeMap<>(BY_TASK);
    outcomes.putAll(writes.outcomes());
    // A success writes its run's start too (see finishSucceeded): a run that starts and succeeds
    // in one call costs one row write.
    List<RunRef> starts = new ArrayList<>();
    List<RunRef> startedBySuccess = new ArrayList<>();
    for (RunRef run : writes.starts()) {
      (outcomes.get(run) instanceof RunOutcome.Succeeded ? startedBySuccess : starts).add(run);
    }
    starts.sort(Comparator.comparing(RunRef::taskId));
    RunWrites.Result result =
        takingTurns(
            () ->
                transactions.write(
                    "writeRuns",
                    Durability.RELAXED,
                    c -> {
                      Map<RunRef, Task> started = startRuns(c, starts);
                      Map<RunRef, Task> finished = finishRuns(c, outcomes);
                      for (RunRef run : startedBySuccess) {
                        Task t = finished.get(run);
                        if (t != null) {
                          started.put(run, t);
                        }
                      }
                      return new RunWrites.Result(started, finished);
                    }));
    madeReady(result.finished().values()); // runs given back are ready again
    return result;
  }

  /** Starts runs claimed ahead, one statement per chunk. */
  private Map<RunRef, Task> startRuns(Connection c, List<RunRef> runs) throws SQLException {
    Map<RunRef, Task> started = new LinkedHashMap<>();
    for (int from = 0; from < runs.size(); from += STATEMENT_BATCH) {
      List<RunRef> chunk = runs.subList(from, Math.min(runs.size(), from + STATEMENT_BATCH));
      String json = runsJson(chunk);
      Map<TaskId, Task> written = new java.util.HashMap<>();
      for (Task t : queryTasks(c, START_RUNS, p -> p.text(json).instant(storeNow()))) {
        written.put(t.id(), t);
      }
      for (RunRef run : chunk) {
        Task t = written.get(run.taskId());
        if (t != null && t.fencingToken() == run.fencingToken()) {
          started.put(run, t);
        }
      }
    }
    return started;
  }

  /**
   * Writes outcomes on {@code c}. Successes, by far the most common outcome, share one statement
   * per chunk; the rest are written one by one.
   */
  private Map<RunRef, Task> finishRuns(Connection c, Map<RunRef, RunOutcome> outcomes)
      throws SQLException {
    Map<RunRef, Task> finished = new LinkedHashMap<>();
    List<Map.Entry<RunRef, RunOutcome>> successes = new ArrayList<>();
    for (Map.Entry<RunRef, RunOutcome> e : outcomes.entrySet()) {
      if (e.getValue() instanceof RunOutcome.Succeeded && outcomes.size() > 1) {
        successes.add(e);
      } else {
        finish(c, e.getKey(), e.getValue()).ifPresent(t -> finished.put(e.getKey(), t));
      }
    }
    for (int from = 0; from < successes.size(); from += STATEMENT_BATCH) {
      List<Map.Entry<RunRef, RunOutcome>> chunk =
          successes.subList(from, Math.min(successes.size(), from + STATEMENT_BATCH));
      Map<TaskId, Task> written = new java.util.HashMap<>();
      for (Task t : queryTasks(
              c, FINISH_SUCCEEDED_ALL, p -> p.text(successesJson(chunk)).instant(storeNow()))) {
        written.put(t.id(), t);
      }
      for (Map.Entry<RunRef, RunOutcome> e : chunk) {
        Task t = written.get(e.getKey().taskId());
        // A row comes back only where the token matched; the token then tells which run it was,
        // should one batch hold two runs of one task.
        if (t != null && t.fencingToken() == e.getKey().fencingToken()) {
          finished.put(e.getKey(), t);
        }
      }
    }
    return finished;
  }

  /** The {@code finishSucceededAll} parameter. */
  private static String successesJson(List<Map.Entry<RunRef, RunOutcome>> runs)
      throws SQLException {
    return jsonArray(
        runs,
        (g, e) -> {
          RunOutcome.Succeeded s = (RunOutcome.Succeeded) e.getValue();
          g.writeStringField("id", e.getKey().taskId().toString());
          g.writeNumberField("fencing_token", e.getKey().fencingToken());
          g.writeNumberField("finished_at", s.finishedAt().toEpochMilli());
          g.writeStringField("result", s.result());
        });
  }

  /** Writes one run's outcome on {@code c}; empty when the run no longer holds its task. */
  private Optional<Task> finish(Connection c, RunRef run, RunOutcome outcome) throws SQLException {
    TaskId id = run.taskId();
    long token = run.fencingToken();
    return switch (outcome) {
      case RunOutcome.Succeeded s ->
          queryTask(
              c,
              FINISH_SUCCEEDED,
              p -> p.text(s.result()).instant(s.finishedAt()).instant(storeNow()).id(id).bigint(token));
      case RunOutcome.Rescheduled r ->
          requeue(c, FINISH_RESCHEDULED, r.runAt(), r.refundAttempt(), r.error(), id, token);
      case RunOutcome.Failed f ->
          queryTask(
              c,
              FINISH_FAILED,
              p ->
                  p.instant(f.finishedAt())
                      .text(f.error().message())
                      .text(errorJson(f.error()))
                      .id(id)
                      .bigint(token));
      case RunOutcome.Cancelled x -> {
        String error = errorJson(x.error());
        yield queryTask(
            c,
            FINISH_CANCELLED,
            p ->
                p.instant(x.finishedAt())
                    .text(message(x.error()))
                    .text(error)
                    .text(error)
                    .id(id)
                    .bigint(token));
      }
      case RunOutcome.Released r ->
          requeue(c, FINISH_RELEASED, r.runAt(), r.refundAttempt(), r.error(), id, token);
    };
  }

  /**
   * Puts a run's task back to wait until {@code runAt} with {@code query} (a retry, or a run
   * given back unfinished), giving back the attempt it spent when {@code refundAttempt}.
   */
  private Optional<Task> requeue(
      Connection c, QueryName query, Instant runAt, boolean refundAttempt, TaskError error, TaskId id, long token)
      throws SQLException {
    String errorJson = errorJson(error);
    return queryTask(
        c,
        query,
        p ->
            p.instant(runAt)
                .integer(refundAttempt ? 1 : 0)
                .text(message(error))
                .text(errorJson)
                .text(errorJson)
                .id(id)
                .bigint(token));
  }

  // ---------------------------------------------------------------- operator actions

  @Override
  public Task requestCancel(TaskId id, Instant now) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(now, "now");
    return transactions.write(
        "requestCancel",
        c -> {
          Task current = lockTask(c, id);
          current.state().checkTransitionTo(TaskState.CANCELLED);
          Optional<Task> changed =
              current.state() == TaskState.RUNNING
                  // Its node sees the flag at the next lease renewal and finishes the job.
                  ? queryTask(c, REQUEST_CANCEL_RUNNING, p -> p.id(id))
                  : queryTask(c, CANCEL_WAITING, p -> p.instant(now).id(id));
          return changed.orElseThrow(() -> changedUnderLock(id, "requestCancel"));
        });
  }

  @Override
  public Task runNow(TaskId id, Instant now) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(now, "now");
    Task ready =
        transactions.write(
        "runNow",
        c -> {
          Task current = lockTask(c, id);
          if (current.state() != TaskState.SCHEDULED) {
            throw new IllegalTransitionException(current.state(), TaskState.QUEUED);
          }
          return queryTask(c, RUN_NOW, p -> p.instant(now).id(id))
              .orElseThrow(() -> changedUnderLock(id, "runNow"));
        });
    madeReady(List.of(ready));
    return ready;
  }

  @Override
  public Task retry(TaskId id, Instant now) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(now, "now");
    Task ready =
        transactions.write(
        "retry",
        c -> {
          Task current = lockTask(c, id);
          TaskState from = current.state();
          // The table also lets scheduled and running tasks move to queued (promotion, lease
          // recovery), but those are not retries: only a failed or cancelled task is retried.
          if (from != TaskState.FAILED && from != TaskState.CANCELLED) {
            throw new IllegalTransitionException(from, TaskState.QUEUED);
          }
          from.checkTransitionTo(TaskState.QUEUED);
          return queryTask(c, RETRY_TASK, p -> p.instant(now).id(id))
              .orElseThrow(() -> changedUnderLock(id, "retry"));
        });
    madeReady(List.of(ready));
    return ready;
  }

  // ---------------------------------------------------------------- lease recovery

  @Override
  public List<Task> expiredLeases(int limit) {
    if (requireLimit(limit) == 0) {
      return List.of();
    }
    return transactions.read(
        "expiredLeases",
        c -> queryTasks(c, SELECT_EXPIRED_LEASES, p -> p.instant(storeNow()).integer(limit)));
  }

  @Override
  public List<Task> leasesOf(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    return transactions.read(
        "leasesOf", c -> queryTasks(c, SELECT_LEASES_OF_NODE, p -> p.text(nodeId)));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Each run's row is locked while its lease is checked to be still expired ({@code
   * lockExpiredRun}), and its outcome written in the same transaction.
   */
  @Override
  public Map<RunRef, Task> recoverExpired(Map<RunRef, RunOutcome> outcomes) {
    Objects.requireNonNull(outcomes, "outcomes");
    if (outcomes.isEmpty()) {
      return Map.of();
    }
    outcomes.values().forEach(o -> TaskState.RUNNING.checkTransitionTo(o.target()));
    Map<RunRef, Task> recovered =
        transactions.write(
        "recoverExpired",
        c -> {
          Map<RunRef, Task> out = new LinkedHashMap<>();
          for (Map.Entry<RunRef, RunOutcome> e : outcomes.entrySet()) {
            RunRef run = e.getKey();
            boolean stillExpired =
                !ids(
                        c,
                        LOCK_EXPIRED_RUN,
                        p -> p.id(run.taskId()).bigint(run.fencingToken()).instant(storeNow()))
                    .isEmpty();
            if (stillExpired) {
              finish(c, run, e.getValue()).ifPresent(t -> out.put(run, t));
            }
          }
          return Collections.unmodifiableMap(out);
        });
    madeReady(recovered.values()); // recovered runs are ready again
    return recovered;
  }

  /** The {@code id} column of every row a query returns. */
  private List<TaskId> ids(Connection c, QueryName query, Binder binder) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql(query))) {
      binder.bind(new Params(st, dialect));
      try (ResultSet rs = st.executeQuery()) {
        List<TaskId> out = new ArrayList<>();
        while (rs.next()) {
          out.add(dialect.getTaskId(rs, "id"));
        }
        return out;
      }
    }
  }

  // ---------------------------------------------------------------- queues

  @Override
  public void setQueueLimit(String queue, Integer limit) {
    Objects.requireNonNull(queue, "queue");
    if (limit == null) {
      // Nothing to register: a queue nobody has used needs no row to have no limit.
      transactions.write("setQueueLimit", c -> update(c, CLEAR_QUEUE_LIMIT, p -> p.text(queue)));
      return;
    }
    if (limit < 1) {
      throw new IllegalArgumentException("a queue limit must be positive: " + limit);
    }
    // The SPI passes no time here; created_at is informational, so the system clock will do.
    Instant now = Instant.now();
    transactions.write(
        "setQueueLimit",
        c -> update(c, SET_QUEUE_LIMIT, p -> p.text(queue).instant(now).integer(limit)));
    knownQueues.add(queue);
  }

  @Override
  public Map<String, Integer> queueLimits() {
    return transactions.read(
        "queueLimits",
        c -> {
          Map<String, Integer> out = new LinkedHashMap<>();
          try (PreparedStatement st = c.prepareStatement(sql(SELECT_QUEUE_LIMITS));
              ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              out.put(rs.getString("name"), rs.getInt("concurrency_limit"));
            }
          }
          return Collections.unmodifiableMap(out);
        });
  }

  /** The queue's cluster-wide limit, with its row locked until commit; empty when it has none. */
  /** What a claim must respect of its queue: a cluster-wide limit, a pause. */
  private record QueueGate(OptionalInt limit, boolean paused) {
    static final QueueGate OPEN = new QueueGate(OptionalInt.empty(), false);
  }

  private QueueGate lockQueueLimit(Connection c, String queue) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql(LOCK_QUEUE_LIMIT))) {
      new Params(st, dialect).text(queue);
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          return QueueGate.OPEN;
        }
        int limit = rs.getInt("concurrency_limit");
        OptionalInt clusterLimit = rs.wasNull() ? OptionalInt.empty() : OptionalInt.of(limit);
        return new QueueGate(clusterLimit, rs.getBoolean("paused"));
      }
    }
  }

  @Override
  public void setQueuePaused(String queue, boolean paused) {
    Objects.requireNonNull(queue, "queue");
    Instant now = Instant.now(); // created_at is informational, as in setQueueLimit
    transactions.write(
        "setQueuePaused",
        c -> update(c, SET_QUEUE_PAUSED, p -> p.text(queue).instant(now).bool(paused)));
    knownQueues.add(queue);
  }

  @Override
  public QueueRemoval deleteQueue(String queue) {
    Objects.requireNonNull(queue, "queue");
    QueueRemoval removal =
        transactions.write(
            "deleteQueue",
            c -> {
              if (update(c, DELETE_QUEUE, p -> p.text(queue).text(queue)) == 1) {
                return QueueRemoval.DELETED;
              }
              try (PreparedStatement st = c.prepareStatement(sql(QUEUE_EXISTS))) {
                new Params(st, dialect).text(queue);
                try (ResultSet rs = st.executeQuery()) {
                  return rs.next() ? QueueRemoval.HOLDS_TASKS : QueueRemoval.NOT_FOUND;
                }
              }
            });
    knownQueues.remove(queue);
    return removal;
  }

  @Override
  public List<String> pausedQueues() {
    return transactions.read("pausedQueues", c -> names(c, SELECT_PAUSED_QUEUES));
  }

  // ---------------------------------------------------------------- cluster

  @Override
  public void announceTypes(Set<String> types) {
    Objects.requireNonNull(types, "types");
    if (types.isEmpty()) {
      return;
    }
    String names = Json.write(new java.util.TreeSet<>(types));
    transactions.write(
        "announceTypes",
        c -> update(c, UPSERT_TASK_TYPES, p -> p.instant(storeNow()).text(names)));
  }

  @Override
  public List<String> announcedTypes() {
    return transactions.read(
        "announcedTypes",
        c -> {
          List<String> out = new ArrayList<>();
          try (PreparedStatement st = c.prepareStatement(sql(SELECT_TASK_TYPES));
              ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              out.add(rs.getString("name"));
            }
          }
          return List.copyOf(out);
        });
  }

  @Override
  public NodeRecord claimNode(NodeInfo node, Duration lease) {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(lease, "lease");
    return transactions.write(
        "claimNode",
        c -> {
          upsertNode(c, node, lease);
          // Ours if the upsert took the id, else the live holder's, whose row it left alone.
          return selectNodes(c, SELECT_NODE, p -> p.instant(storeNow()).text(node.id())).stream()
              .findFirst()
              .orElseThrow(() -> new SQLException("node " + node.id() + " vanished while registering"));
        });
  }

  @Override
  public boolean heartbeatNode(NodeInfo node, Duration lease) {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(lease, "lease");
    return transactions.write(
        "heartbeatNode", Durability.RELAXED, c -> upsertNode(c, node, lease));
  }

  /** Registers or refreshes {@code node}; false if another live instance holds its id. */
  private boolean upsertNode(Connection c, NodeInfo node, Duration lease) throws SQLException {
    String types = Json.write(node.types());
    try (PreparedStatement st = c.prepareStatement(sql(UPSERT_NODE))) {
      new Params(st, dialect)
          .text(node.id())
          .text(node.instance())
          .text(node.host())
          .bigint(node.pid())
          .instant(node.startedAt())
          .instant(storeNow())
          .bigint(lease.toMillis())
          .integer(node.concurrency())
          .text(types)
          .text(node.labels().isEmpty() ? null : Json.write(node.labels()));
      try (ResultSet rs = st.executeQuery()) {
        return rs.next() && node.instance().equals(rs.getString("instance"));
      }
    }
  }

  @Override
  public void removeNode(NodeInfo node) {
    Objects.requireNonNull(node, "node");
    transactions.write(
        "removeNode", c -> update(c, DELETE_NODE, p -> p.text(node.id()).text(node.instance())));
  }

  @Override
  public List<NodeRecord> nodes() {
    return transactions.read(
        "nodes", c -> selectNodes(c, SELECT_NODES, p -> p.instant(storeNow())));
  }

  private List<NodeRecord> selectNodes(Connection c, QueryName query, Binder binder)
      throws SQLException {
    List<NodeRecord> out = new ArrayList<>();
    try (PreparedStatement st = c.prepareStatement(sql(query))) {
      binder.bind(new Params(st, dialect));
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          String id = rs.getString("id");
          NodeInfo info =
              new NodeInfo(
                  id,
                  rs.getString("instance"),
                  rs.getString("host"),
                  rs.getLong("pid"),
                  dialect.getInstant(rs, "started_at"),
                  rs.getInt("concurrency"),
                  readTypes(id, rs.getString("types")),
                  readLabels(id, rs.getString("labels")));
          Instant heartbeatAt = dialect.getInstant(rs, "heartbeat_at");
          Instant expiresAt = dialect.getInstant(rs, "expires_at");
          Instant readAt = dialect.getInstant(rs, "read_at");
          out.add(
              new NodeRecord(
                  info,
                  heartbeatAt,
                  Duration.between(heartbeatAt, readAt),
                  !expiresAt.isBefore(readAt)));
        }
      }
    }
    return List.copyOf(out);
  }

  @Override
  public int pruneNodes(Duration silentFor) {
    Objects.requireNonNull(silentFor, "silentFor");
    return transactions.write(
        "pruneNodes",
        c -> update(c, PRUNE_NODES, p -> p.instant(storeNow()).bigint(silentFor.toMillis())));
  }

  private static Set<String> readTypes(String nodeId, String json) throws SQLException {
    try {
      return new HashSet<>(Arrays.asList(Json.read(json, String[].class)));
    } catch (JsonProcessingException e) {
      throw new SQLException("node " + nodeId + " has a types column that is no JSON array", e);
    }
  }

  private static Map<String, String> readLabels(String nodeId, String json) throws SQLException {
    if (json == null) {
      return Map.of();
    }
    try {
      return Json.read(json, new TypeReference<Map<String, String>>() {});
    } catch (JsonProcessingException e) {
      throw new SQLException("node " + nodeId + " has a labels column that is no JSON object", e);
    }
  }

  // ---------------------------------------------------------------- retention

  /**
   * {@inheritDoc}
   *
   * <p>Takes the earliest finished first, and skips (in PostgreSQL) rows another transaction holds,
   * such as a task being retried at that moment.
   *
   * @throws IllegalArgumentException if {@code limit} is negative
   */
  @Override
  public int deleteFinishedBefore(Instant cutoff, int limit) {
    Objects.requireNonNull(cutoff, "cutoff");
    if (requireLimit(limit) == 0) {
      return 0;
    }
    return transactions.write(
        "deleteFinishedBefore",
        c -> update(c, DELETE_FINISHED_TASKS, p -> p.instant(cutoff).integer(limit)));
  }

  // ---------------------------------------------------------------- health

  @Override
  public void ping() {
    transactions.read(
        "ping",
        c -> {
          try (PreparedStatement st = c.prepareStatement(sql(PING));
              ResultSet rs = st.executeQuery()) {
            if (!rs.next()) {
              throw new SQLException("ping returned no row");
            }
            return null;
          }
        });
  }

  // ---------------------------------------------------------------- caller's transactions

  /**
   * A writer that inserts tasks on {@code connection}, inside the transaction the caller has open
   * on it: the inserts behave as {@link #insert} and {@link #insertAll} do (idempotency keys, queue
   * registration), but nothing is committed or rolled back, so the tasks exist if and only if the
   * caller commits. The connection must reach this store's database and see its tables the way the
   * store's own statements name them.
   *
   * <p>A failed insert throws {@link StoreException} and may leave the caller's transaction unable
   * to go on (PostgreSQL aborts it): the caller then rolls back. The writer is as thread-safe as
   * the connection, which is to say: use it from the thread that owns the transaction.
   */
  public TaskWriter inTransaction(Connection connection) {
    Objects.requireNonNull(connection, "connection");
    return new TaskWriter() {
      @Override
      public Submission insert(NewTask task) {
        Objects.requireNonNull(task, "task");
        return insertAll(List.of(task)).get(0);
      }

      @Override
      public List<Submission> insertAll(List<NewTask> tasks) {
        List<NewTask> batch = List.copyOf(tasks);
        // The queues registered here are not cached: the caller may still roll back.
        Set<String> registered = new HashSet<>();
        List<Submission> out = new ArrayList<>(batch.size());
        try {
          for (NewTask task : batch) {
            // Registers the queue every time: a queue this node knew may have been deleted by
            // another, and a missing row would fail the caller's commit.
            out.add(insertOne(connection, task, registered, false));
          }
        } catch (SQLException e) {
          throw new StoreException("insert", e);
        }
        return List.copyOf(out);
      }

      @Override
      public String toString() {
        return "TaskWriter[in the caller's transaction]";
      }
    };
  }

  // ---------------------------------------------------------------- lifecycle

  /** Closes the transaction runner and its connections. Idempotent. */
  @Override
  public void close() {
    transactions.close();
  }

  // ---------------------------------------------------------------- helpers

  /** Binds one statement's parameters. */
  @FunctionalInterface
  private interface Binder {
    void bind(Params params) throws SQLException;
  }

  private String sql(QueryName query) {
    return queries.sql(query);
  }

  /** Runs a statement that returns task rows (a SELECT, or a write with {@code RETURNING *}). */
  private List<Task> queryTasks(Connection c, QueryName query, Binder binder) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql(query))) {
      binder.bind(new Params(st, dialect));
      // Read every row before the statement closes: a write's RETURNING rows must be drained
      // before the transaction can commit.
      try (ResultSet rs = st.executeQuery()) {
        List<Task> out = new ArrayList<>();
        while (rs.next()) {
          out.add(mapper.map(rs));
        }
        return out;
      }
    }
  }

  private Optional<Task> queryTask(Connection c, QueryName query, Binder binder)
      throws SQLException {
    List<Task> rows = queryTasks(c, query, binder);
    if (rows.size() > 1) {
      throw new SQLException(query.sqlName() + " returned " + rows.size() + " rows, expected one");
    }
    return rows.stream().findFirst();
  }

  /** Runs a statement whose one row has one number, a count. */
  private long count(Connection c, QueryName query, Binder binder) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql(query))) {
      binder.bind(new Params(st, dialect));
      try (ResultSet rs = st.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException(query.sqlName() + " returned no row");
        }
        return rs.getLong(1);
      }
    }
  }

  private int update(Connection c, QueryName query, Binder binder) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql(query))) {
      binder.bind(new Params(st, dialect));
      return st.executeUpdate();
    }
  }

  /** Reads a task and holds it against other writers until the transaction ends. */
  private Task lockTask(Connection c, TaskId id) throws SQLException {
    return queryTask(c, FIND_TASK_FOR_UPDATE, p -> p.id(id))
        .orElseThrow(() -> new TaskNotFoundException(id));
  }

  /** The row was locked but the update did not match it: the database broke its promise. */
  private static SQLException changedUnderLock(TaskId id, String operation) {
    return new SQLException(
        "task " + id + " changed while locked for " + operation + "; its update matched no row");
  }

  private static String errorJson(TaskError error) {
    return error == null ? null : Json.write(error);
  }

  private static String message(TaskError error) {
    return error == null ? null : error.message();
  }

  private static long ceilMillis(Duration d) {
    long millis = d.toMillis();
    return d.minusMillis(millis).isZero() ? millis : millis + 1;
  }

  private static int requireLimit(int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative: " + limit);
    }
    return limit;
  }
}
