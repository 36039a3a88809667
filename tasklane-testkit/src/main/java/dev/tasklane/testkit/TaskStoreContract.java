package dev.tasklane.testkit;

import static dev.tasklane.testkit.Fixtures.aTask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import dev.tasklane.spi.LeaderElection;
import dev.tasklane.spi.LeaseStatus;
import dev.tasklane.spi.NewTask;
import dev.tasklane.spi.ClaimRequest;
import dev.tasklane.spi.NodeInfo;
import dev.tasklane.spi.NodeRecord;
import dev.tasklane.spi.RunWrites;
import dev.tasklane.spi.QueueCounts;
import dev.tasklane.spi.QueueRemoval;
import dev.tasklane.spi.RunOutcome;
import dev.tasklane.spi.RunRef;
import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link TaskStore} must show, written once and run against each store: a
 * store's test extends this class and supplies {@link #openStore()}.
 *
 * <p>Every store method takes its time as an argument, so the tests pass explicit instants from a
 * {@link MutableClock} and never sleep. Instants are compared at millisecond precision, the
 * precision stores promise.
 *
 * <p>Stability: test API; tests may be added in minor releases.
 */
public abstract class TaskStoreContract {
  /** The node that claims in most tests. */
  protected static final String NODE = "node-a";

  /** Another node, for tests about whose leases are whose. */
  protected static final String OTHER_NODE = "node-b";

  /** The lease every claim in these tests takes. */
  protected static final Duration LEASE = Duration.ofSeconds(30);

  /** The tests' time; starts at {@link MutableClock#DEFAULT_START}. */
  protected final MutableClock clock = MutableClock.atDefaultStart();

  /** The store under test, opened before each test and closed after it. */
  protected TaskStore store;

  /**
   * Opens the store under test over this test's database. Called before each test, when the
   * database must hold no tasks and no queues. A test may close the store and call this again: it
   * must then open the same database, with its data kept and its migrations run again.
   */
  protected abstract TaskStore openStore();

  /**
   * Opens a store over a database of its own (empty, and not {@link #store}'s) whose leases and
   * heartbeats run on the database's own clock, as in production: no test clock. Closed by the
   * test.
   */
  protected abstract TaskStore openStoreOnTheDatabasesClock();

  @BeforeEach
  void openTheStore() {
    store = openStore();
  }

  @AfterEach
  void closeTheStore() {
    if (store != null) {
      store.close();
    }
  }

  // ================================================================ insert and find

  @Test
  void insertedTaskReadsBackWithEveryField() {
    Instant created = Instant.parse("2030-01-01T00:00:00.123Z");
    Instant runAt = created.plus(Duration.ofMinutes(5));
    // A payload already in the form a JSON column type would normalise to, so that a store may
    // keep payloads as text or as parsed JSON.
    String payload = "{\"n\": [1, 2], \"to\": \"zoë@example.com\"}";
    NewTask task =
        aTask()
            .type("email.send")
            .queue("mail")
            .payload(payload)
            .priority(-7)
            .maxAttempts(5)
            .timeout(Duration.ofSeconds(90))
            .idempotencyKey("order-42")
            .createdAt(created)
            .runAt(runAt)
            .build();

    Submission submission = store.insert(task);

    Task expected =
        new Task(
            task.id(),
            "email.send",
            "mail",
            payload,
            -7,
            TaskState.SCHEDULED,
            0,
            5,
            runAt,
            Duration.ofSeconds(90),
            created,
            null,
            null,
            null,
            List.of(),
            null,
            0,
            "order-42",
            null,
            null,
            0,
            false,
            null);
    assertThat(submission.created()).isTrue();
    assertThat(submission.task()).isEqualTo(expected);
    assertThat(store.find(task.id())).contains(expected);
  }

  @Test
  void insertedTaskWithoutOptionalFieldsReadsBackNulls() {
    NewTask task = aTask().build();

    store.insert(task);

    Task stored = find(task.id());
    assertThat(stored.state()).isEqualTo(TaskState.QUEUED);
    assertThat(stored.timeout()).isNull();
    assertThat(stored.idempotencyKey()).isNull();
    assertThat(stored.startedAt()).isNull();
    assertThat(stored.finishedAt()).isNull();
    assertThat(stored.lastError()).isNull();
    assertThat(stored.errors()).isEmpty();
    assertThat(stored.result()).isNull();
    assertThat(stored.leaseOwner()).isNull();
    assertThat(stored.leaseExpiresAt()).isNull();
    assertThat(stored.cancelRequested()).isFalse();
  }

  @Test
  void timestampsKeepMillisecondsAndDropFinerFractions() {
    Instant created = Instant.parse("2030-01-01T00:00:00.123456789Z");
    NewTask task = aTask().createdAt(created).runAt(created).build();
    store.insert(task);
    Instant claimAt = Instant.parse("2030-01-01T00:00:01.987654321Z");
    clock.set(claimAt); // the store's clock times the start and the lease
    Task claimed =
        store.claim(ClaimRequest.starting(task.queue(), 1, NODE, claimAt, Duration.ofMillis(29_013)))
            .get(0);
    Instant finished = Instant.parse("2030-01-01T00:00:02.500000001Z");

    Task done = store.finishRun(runOf(claimed), new RunOutcome.Succeeded(finished, null));

    assertThat(claimed.createdAt()).isEqualTo(Instant.parse("2030-01-01T00:00:00.123Z"));
    assertThat(claimed.runAt()).isEqualTo(Instant.parse("2030-01-01T00:00:00.123Z"));
    assertThat(claimed.startedAt()).isEqualTo(Instant.parse("2030-01-01T00:00:01.987Z"));
    assertThat(claimed.leaseExpiresAt()).isEqualTo(Instant.parse("2030-01-01T00:00:31Z"));
    assertThat(done.finishedAt()).isEqualTo(Instant.parse("2030-01-01T00:00:02.500Z"));
    assertThat(find(task.id())).isEqualTo(done);
  }

  @Test
  void findOfAnUnknownIdFindsNothing() {
    assertThat(store.find(TaskId.next())).isEmpty();
  }

  @Test
  void findByIdempotencyKeyFindsOnlyTheTaskSubmittedWithIt() {
    Task keyed = store.insert(aTask().idempotencyKey("report-2026-11").build()).task();
    store.insert(aTask().build());

    assertThat(store.findByIdempotencyKey("report-2026-11")).contains(keyed);
    assertThat(store.findByIdempotencyKey("report-2026-12")).isEmpty();
  }

  @Test
  void insertWithATakenIdempotencyKeyReturnsTheOriginalTaskAndInsertsNothing() {
    Task original = store.insert(aTask().idempotencyKey("k").payload("{\"v\": 1}").build()).task();
    NewTask duplicate = aTask().idempotencyKey("k").payload("{\"v\": 2}").queue("other").build();

    Submission again = store.insert(duplicate);

    assertThat(again.created()).isFalse();
    assertThat(again.task()).isEqualTo(original);
    assertThat(store.find(duplicate.id())).isEmpty();
    // The de-duplicated submission named a queue no task ever entered: it is not registered.
    assertThat(store.queueNames()).containsExactly(Fixtures.DEFAULT_QUEUE);
  }

  @Test
  void insertAllDeduplicatesIdempotencyKeysAgainstEarlierTasks() {
    Task original = store.insert(aTask().idempotencyKey("k").build()).task();
    NewTask duplicate = aTask().idempotencyKey("k").build();
    NewTask fresh = aTask().idempotencyKey("other").build();

    List<Submission> submissions = store.insertAll(List.of(duplicate, fresh));

    assertThat(submissions).extracting(Submission::created).containsExactly(false, true);
    assertThat(submissions.get(0).task()).isEqualTo(original);
    assertThat(submissions.get(1).task().id()).isEqualTo(fresh.id());
    assertThat(store.find(duplicate.id())).isEmpty();
  }

  @Test
  void insertAllDeduplicatesIdempotencyKeysWithinTheBatch() {
    NewTask first = aTask().idempotencyKey("k").build();
    NewTask unkeyed = aTask().build();
    NewTask repeat = aTask().idempotencyKey("k").build();

    List<Submission> submissions = store.insertAll(List.of(first, unkeyed, repeat));

    assertThat(submissions).extracting(Submission::created).containsExactly(true, true, false);
    assertThat(submissions.get(2).task()).isEqualTo(submissions.get(0).task());
    assertThat(submissions.get(0).task().id()).isEqualTo(first.id());
    assertThat(store.find(repeat.id())).isEmpty();
    assertThat(allTaskIds()).containsExactlyInAnyOrder(first.id(), unkeyed.id());
  }

  @Test
  void insertAllReturnsOneSubmissionPerTaskInTheGivenOrder() {
    List<NewTask> batch =
        List.of(aTask().queue("b").build(), aTask().queue("a").build(), aTask().build());

    List<Submission> submissions = store.insertAll(batch);

    assertThat(submissions).allMatch(Submission::created);
    assertThat(submissions)
        .extracting(s -> s.task().id())
        .containsExactlyElementsOf(batch.stream().map(NewTask::id).toList());
    for (Submission s : submissions) {
      assertThat(store.find(s.task().id())).contains(s.task());
    }
  }

  @Test
  void insertAllOfNoTasksInsertsNothing() {
    assertThat(store.insertAll(List.of())).isEmpty();
    assertThat(allTaskIds()).isEmpty();
  }

  @Test
  void insertAllInsertsNothingWhenOneTaskViolatesAConstraint() {
    NewTask first = aTask().queue("fresh").build();
    NewTask second = aTask().build();
    NewTask sameIdAsFirst = aTask().id(first.id()).build();

    assertThatThrownBy(() -> store.insertAll(List.of(first, second, sameIdAsFirst)))
        .isInstanceOf(StoreException.class);

    assertThat(allTaskIds()).isEmpty();
    assertThat(store.queueNames()).isEmpty();
    assertThat(store.queueCounts()).isEmpty();
    // The failed batch left no trace that would make a later insert skip registering its queue.
    store.insert(aTask().queue("fresh").build());
    assertThat(store.queueNames()).containsExactly("fresh");
  }

  @Test
  void insertAllStoresEveryFieldExactlyAsInsertDoes() {
    Instant now = clock.instant();
    String payload = "{\"b\": [1,  2.50], \"a\": \"quote \\\" and \\u00e9 \u00e9 \u4e2d\"}";
    java.util.function.Supplier<Fixtures.Builder> shape =
        () ->
            aTask()
                .type("report")
                .queue("exact")
                .payload(payload)
                .priority(-3)
                .maxAttempts(7)
                .timeout(java.time.Duration.ofNanos(1_500_001))
                .createdAt(now)
                .runAt(now.plusSeconds(60));
    Task single = store.insert(shape.get().idempotencyKey("single").build()).task();

    List<Submission> batch =
        store.insertAll(
            List.of(shape.get().idempotencyKey("batched").build(), shape.get().build()));

    for (Submission s : batch) {
      Task t = s.task();
      assertThat(t)
          .usingRecursiveComparison()
          .ignoringFields("id", "idempotencyKey")
          .isEqualTo(single);
      assertThat(find(t.id())).isEqualTo(t);
      assertThat(t.payload()).isEqualTo(payload);
    }
    assertThat(batch.get(0).task().idempotencyKey()).isEqualTo("batched");
    assertThat(batch.get(1).task().idempotencyKey()).isNull();
  }

  /**
   * A large batch without idempotency keys may take the database's bulk path (PostgreSQL's COPY),
   * which returns no rows: what the store answers must still be exactly what it stored, also for
   * text that a bulk format has to escape (tabs, newlines, backslashes, non-ASCII).
   */
  @Test
  void aLargeUnkeyedBatchStoresEveryFieldExactlyAsInsertDoes() {
    Instant now = clock.instant();
    String payload = "{\n\t\"path\": \"C:\\\\tmp\\\\new\",\r\n \"s\": \"tab\\t \u00e9 \u4e2d \\\\N\"}";
    java.util.function.Supplier<Fixtures.Builder> shape =
        () ->
            aTask()
                .type("report\\x")
                .queue("bulk.exact")
                .payload(payload)
                .priority(-3)
                .maxAttempts(7)
                .timeout(java.time.Duration.ofNanos(1_500_001))
                .createdAt(now.plusNanos(123_456))
                .runAt(now.plusSeconds(60).plusNanos(999_999))
                .submittedBy("tab\there \\ \u00e9");
    Task single = store.insert(shape.get().build()).task();

    List<NewTask> many = Stream.generate(() -> shape.get().build()).limit(250).toList();
    List<Submission> batch = store.insertAll(many);

    assertThat(batch).hasSize(250).allMatch(Submission::created);
    for (int i = 0; i < batch.size(); i++) {
      Task t = batch.get(i).task();
      assertThat(t.id()).isEqualTo(many.get(i).id());
      assertThat(t).usingRecursiveComparison().ignoringFields("id").isEqualTo(single);
      assertThat(find(t.id())).isEqualTo(t);
    }
    assertThat(batch.get(0).task().payload()).isEqualTo(payload);
    assertThat(store.queueNames()).containsExactly("bulk.exact");
  }

  @Test
  void insertStreamWritesEveryTaskOnceAcrossChunksAndTellsEachCreatedOne() {
    // 25,000 tasks: more than a chunk of any store's streaming, unkeyed runs (a bulk path) and
    // keyed ones (multi-row inserts), with keys repeated within the stream and against a task
    // stored before it.
    Task earlier = store.insert(aTask().idempotencyKey("k-0").build()).task();
    List<TaskId> expected = new java.util.ArrayList<>(List.of(earlier.id()));
    List<TaskId> repeats = new java.util.ArrayList<>();
    java.util.Iterator<NewTask> tasks =
        IntStream.range(0, 25_000)
            .mapToObj(
                i -> {
                  boolean keyed = i >= 12_000 && i < 14_000;
                  NewTask t =
                      aTask()
                          .queue(i % 2 == 0 ? "even" : "odd")
                          .idempotencyKey(keyed ? "k-" + (i % 1_500) : null)
                          .build();
                  if (!keyed || i < 12_000 + 1_500 && i % 1_500 != 0) {
                    expected.add(t.id());
                  } else {
                    repeats.add(t.id());
                  }
                  return t;
                })
            .iterator();
    List<Task> told = new java.util.ArrayList<>();

    TaskStore.BulkInsert result = store.insertStream(tasks, told::add);

    assertThat(result.yielded()).isEqualTo(25_000);
    // Keys k-1..k-1499 were new once each; k-0 was taken before, and 500 repeats came after.
    assertThat(result.created()).isEqualTo(25_000 - 2_000 + 1_499);
    assertThat(told).hasSize((int) result.created());
    assertThat(told.get(0)).isEqualTo(find(told.get(0).id()));
    assertThat(told.get(told.size() - 1)).isEqualTo(find(told.get(told.size() - 1).id()));
    long stored =
        store.queueCounts().stream()
            .mapToLong(q -> q.byState().values().stream().mapToLong(Long::longValue).sum())
            .sum();
    assertThat(stored).isEqualTo(expected.size());
    for (int i = 0; i < expected.size(); i += 97) {
      assertThat(store.find(expected.get(i))).as("task %d of the stream", i).isPresent();
    }
    assertThat(repeats).hasSize(501).allSatisfy(id -> assertThat(store.find(id)).isEmpty());
    assertThat(told).extracting(Task::id).containsExactlyElementsOf(expected.subList(1, expected.size()));
    assertThat(store.queueNames()).containsExactlyInAnyOrder(Fixtures.DEFAULT_QUEUE, "even", "odd");
  }

  @Test
  void insertStreamWritesNothingWhenItsSourceFailsPartWay() {
    IllegalStateException boom = new IllegalStateException("the source broke");
    java.util.Iterator<NewTask> tasks =
        IntStream.range(0, 15_000)
            .mapToObj(
                i -> {
                  if (i == 14_999) {
                    throw boom;
                  }
                  return aTask().queue("doomed").build();
                })
            .iterator();

    assertThatThrownBy(() -> store.insertStream(tasks, t -> {})).isSameAs(boom);

    assertThat(allTaskIds()).isEmpty();
    assertThat(store.queueNames()).isEmpty();
    // Nothing cached either: the queue is registered by the next insert into it.
    store.insert(aTask().queue("doomed").build());
    assertThat(store.queueNames()).containsExactly("doomed");
  }

  @Test
  void aLargeUnkeyedBatchAnswersWithWhatWasStoredEvenForTextUtf8CannotCarry() {
    // A lone surrogate: some stores keep it, others store a replacement; either way the answer
    // and a later read agree.
    List<NewTask> many =
        Stream.generate(() -> aTask().submittedBy("lone \ud800 surrogate").build()).limit(150).toList();

    List<Submission> batch = store.insertAll(many);

    for (Submission s : batch) {
      assertThat(find(s.task().id())).isEqualTo(s.task());
    }
  }

  @Test
  void insertAllOfMoreTasksThanOneStatementCarriesKeepsOrderAndFailsAsAWhole() {
    List<NewTask> many = Stream.generate(() -> aTask().build()).limit(2_500).toList();
    List<Submission> submissions = store.insertAll(many);
    assertThat(submissions)
        .extracting(s -> s.task().id())
        .containsExactlyElementsOf(many.stream().map(NewTask::id).toList());

    // A clash in the last statement of a batch undoes the statements before it.
    List<NewTask> more = new java.util.ArrayList<>(Stream.generate(() -> aTask().queue("more").build()).limit(2_500).toList());
    more.add(aTask().id(many.get(0).id()).build());
    assertThatThrownBy(() -> store.insertAll(more)).isInstanceOf(StoreException.class);
    assertThat(store.queueNames()).containsExactly(Fixtures.DEFAULT_QUEUE);
    assertThat(store.queueCounts())
        .singleElement()
        .satisfies(q -> assertThat(q.byState().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(2_500));
  }

  @Test
  void insertOfAnIdThatIsAlreadyStoredFailsAndKeepsTheStoredTask() {
    NewTask task = aTask().payload("{\"v\": 1}").build();
    Task stored = store.insert(task).task();
    NewTask clash = aTask().id(task.id()).payload("{\"v\": 2}").build();

    assertThatThrownBy(() -> store.insert(clash)).isInstanceOf(StoreException.class);

    assertThat(find(task.id())).isEqualTo(stored);
  }

  // ================================================================ claim

  @Test
  void claimTakesTheHighestPriorityFirstThenTheEarliestRunAtThenTheLowestId() {
    Instant t = clock.instant();
    List<TaskId> ids = Stream.generate(TaskId::next).limit(5).sorted().toList();
    NewTask oldButLow = aTask().id(ids.get(0)).priority(0).createdAt(t.minusSeconds(100)).build();
    NewTask highLater = aTask().id(ids.get(1)).priority(5).createdAt(t.minusSeconds(10)).build();
    NewTask highEarlier = aTask().id(ids.get(2)).priority(5).createdAt(t.minusSeconds(20)).build();
    NewTask middle = aTask().id(ids.get(3)).priority(1).createdAt(t).build();
    // Same priority and run_at as highLater: the higher id goes after it.
    NewTask highLaterTwin =
        aTask().id(ids.get(4)).priority(5).createdAt(t.minusSeconds(10)).build();
    store.insertAll(List.of(middle, highLaterTwin, oldButLow, highLater, highEarlier));

    // One at a time, so the order is the store's choice of which task to take, not a sort of the
    // result.
    List<TaskId> order = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      order.add(claim(Fixtures.DEFAULT_QUEUE, 1).get(0).id());
    }

    assertThat(order)
        .containsExactly(
            highEarlier.id(), highLater.id(), highLaterTwin.id(), middle.id(), oldButLow.id());
  }

  @Test
  void claimReturnsABatchInClaimOrder() {
    Instant t = clock.instant();
    NewTask low = aTask().priority(-1).createdAt(t.minusSeconds(30)).build();
    NewTask high = aTask().priority(3).createdAt(t).build();
    NewTask mid = aTask().priority(0).createdAt(t.minusSeconds(5)).build();
    NewTask midOlder = aTask().priority(0).createdAt(t.minusSeconds(9)).build();
    store.insertAll(List.of(low, high, mid, midOlder));

    List<Task> claimed = claim(Fixtures.DEFAULT_QUEUE, 3);

    assertThat(claimed).extracting(Task::id).containsExactly(high.id(), midOlder.id(), mid.id());
  }

  /**
   * A store may start a claim where the previous claim of the queue ended (PostgreSQL's claim
   * floors): a task that becomes ready afterwards ahead of that point, by any of the store's own
   * writes, must still be claimed first.
   */
  @Test
  void tasksMadeReadyAheadOfWhereTheLastClaimEndedAreClaimedFirst() {
    Instant t = clock.instant();
    List<NewTask> batch =
        IntStream.range(0, 6).mapToObj(i -> aTask().createdAt(t.minusSeconds(60 - i)).build()).toList();
    store.insertAll(batch);
    List<Task> firstTwo = claim(Fixtures.DEFAULT_QUEUE, 2);
    assertThat(firstTwo).extracting(Task::id).containsExactly(batch.get(0).id(), batch.get(1).id());

    // Ahead of the third task in claim order: a higher priority, an earlier run_at, a run given
    // back (it keeps its early run_at), a retried one.
    NewTask urgent = aTask().priority(5).createdAt(t).build();
    store.insert(urgent);
    List<Task> next = claim(Fixtures.DEFAULT_QUEUE, 2);
    assertThat(next).extracting(Task::id).containsExactly(urgent.id(), batch.get(2).id());

    NewTask backdated = aTask().createdAt(t.minusSeconds(600)).build();
    store.insert(backdated);
    assertThat(claim(Fixtures.DEFAULT_QUEUE, 1)).extracting(Task::id).containsExactly(backdated.id());

    store.finishRun(runOf(firstTwo.get(0)), new RunOutcome.Released(t.minusSeconds(60), null, true));
    assertThat(claim(Fixtures.DEFAULT_QUEUE, 1)).extracting(Task::id).containsExactly(batch.get(0).id());

    Task failed =
        store.finishRun(
            runOf(firstTwo.get(1)),
            new RunOutcome.Failed(t, new dev.tasklane.TaskError(1, t, null, "boom", null)));
    store.retry(failed.id(), t.minusSeconds(120));
    List<Task> rest = claim(Fixtures.DEFAULT_QUEUE, 10);
    assertThat(rest).extracting(Task::id).first().isEqualTo(failed.id());
    assertThat(rest).extracting(Task::id).contains(batch.get(3).id(), batch.get(4).id(), batch.get(5).id());
  }

  @Test
  void claimTakesNoMoreThanTheLimit() {
    store.insertAll(IntStream.range(0, 5).mapToObj(i -> aTask().build()).toList());

    List<Task> claimed = claim(Fixtures.DEFAULT_QUEUE, 3);

    assertThat(claimed).hasSize(3);
    assertThat(store.waitingCounts()).containsEntry(Fixtures.DEFAULT_QUEUE, 2L);
  }

  @Test
  void claimTakesOnlyTasksOfTheGivenQueue() {
    NewTask mine = aTask().queue("mine").build();
    NewTask theirs = aTask().queue("theirs").priority(100).build();
    store.insertAll(List.of(mine, theirs));

    List<Task> claimed = claim("mine", 10);

    assertThat(claimed).extracting(Task::id).containsExactly(mine.id());
    assertThat(find(theirs.id()).state()).isEqualTo(TaskState.QUEUED);
  }

  @Test
  void aClaimOfSomeTypesPassesOverTasksOfOtherTypesInClaimOrder() {
    Instant t = clock.instant();
    NewTask otherFirst = aTask().type("other").priority(9).createdAt(t).build();
    NewTask mineLow = aTask().type("mine").priority(1).createdAt(t).build();
    NewTask mineHigh = aTask().type("mine").priority(5).createdAt(t).build();
    NewTask also = aTask().type("also").priority(3).createdAt(t).build();
    store.insertAll(List.of(otherFirst, mineLow, mineHigh, also));

    List<Task> claimed =
        store.claim(
            ClaimRequest.starting(Fixtures.DEFAULT_QUEUE, 10, "node-a", t, Duration.ofSeconds(30))
                .ofTypes(Set.of("mine", "also")));

    assertThat(claimed).extracting(Task::id).containsExactly(mineHigh.id(), also.id(), mineLow.id());
    assertThat(find(otherFirst.id()).state()).isEqualTo(TaskState.QUEUED);
    assertThat(
            store.claim(
                ClaimRequest.starting(Fixtures.DEFAULT_QUEUE, 10, "node-a", t, Duration.ofSeconds(30))
                    .ofTypes(Set.of())))
        .as("no type, no task")
        .isEmpty();
  }

  @Test
  void claimLeavesQueuedTasksWhoseRunAtIsStillAhead() {
    Instant t = clock.instant();
    NewTask later = aTask().createdAt(t).runAt(t.plusSeconds(1)).queued().build();
    store.insert(later);

    assertThat(claimAt(Fixtures.DEFAULT_QUEUE, 10, NODE, t)).isEmpty();
    // run_at <= now: due at exactly its run_at.
    assertThat(claimAt(Fixtures.DEFAULT_QUEUE, 10, NODE, t.plusSeconds(1)))
        .extracting(Task::id)
        .containsExactly(later.id());
  }

  @Test
  void claimLeavesScheduledTasksUntilTheyArePromoted() {
    Instant t = clock.instant();
    NewTask scheduled =
        aTask().createdAt(t.minusSeconds(60)).scheduledAt(t.minusSeconds(1)).build();
    store.insert(scheduled);

    assertThat(claim(Fixtures.DEFAULT_QUEUE, 10)).isEmpty();

    store.promoteDue(t, 10);
    assertThat(claim(Fixtures.DEFAULT_QUEUE, 10))
        .extracting(Task::id)
        .containsExactly(scheduled.id());
  }

  @Test
  void claimStartsARunWithALeaseTheNextAttemptAndTheNextFencingToken() {
    NewTask task = aTask().build();
    store.insert(task);
    Instant t = clock.advance(Duration.ofSeconds(3));

    Task claimed = claimAt(Fixtures.DEFAULT_QUEUE, 1, NODE, t).get(0);

    assertThat(claimed.id()).isEqualTo(task.id());
    assertThat(claimed.state()).isEqualTo(TaskState.RUNNING);
    assertThat(claimed.leaseOwner()).isEqualTo(NODE);
    assertThat(claimed.leaseExpiresAt()).isEqualTo(t.plus(LEASE));
    assertThat(claimed.startedAt()).isEqualTo(t);
    assertThat(claimed.attempt()).isEqualTo(1);
    assertThat(claimed.fencingToken()).isEqualTo(1);
    assertThat(claimed.progress()).isZero();
    assertThat(claimed.cancelRequested()).isFalse();
    assertThat(claimed.finishedAt()).isNull();
    assertThat(find(task.id())).isEqualTo(claimed);
  }

  @Test
  void reclaimingAReleasedTaskStartsANewRunWithFreshProgressAndTheNextFencingToken() {
    store.insert(aTask().build());
    Task first = claimOne();
    store.updateProgress(runOf(first), 50);
    store.finishRun(runOf(first), new RunOutcome.Released(clock.instant(), null, true));

    Task second = claimOne();

    assertThat(second.id()).isEqualTo(first.id());
    assertThat(second.attempt()).isEqualTo(1); // the released run was refunded
    assertThat(second.fencingToken()).isEqualTo(2);
    assertThat(second.progress()).isZero();
  }

  @Test
  void aClaimCanStartSomeRunsAndClaimTheRestAheadWithoutSpendingTheirAttempts() {
    Instant t = clock.instant();
    List<NewTask> tasks =
        List.of(
            aTask().priority(3).build(),
            aTask().priority(2).build(),
            aTask().priority(1).build(),
            aTask().priority(0).build());
    store.insertAll(tasks);

    List<Task> claimed =
        store.claim(new ClaimRequest(Fixtures.DEFAULT_QUEUE, 3, 1, NODE, t, LEASE));

    assertThat(claimed)
        .extracting(Task::id)
        .containsExactly(tasks.get(0).id(), tasks.get(1).id(), tasks.get(2).id());
    Task started = claimed.get(0);
    assertThat(started.startedAt()).isEqualTo(t);
    assertThat(started.attempt()).isEqualTo(1);
    assertThat(claimed.subList(1, 3))
        .allSatisfy(
            ahead -> {
              assertThat(ahead.state()).isEqualTo(TaskState.RUNNING);
              assertThat(ahead.startedAt()).as("not started").isNull();
              assertThat(ahead.attempt()).as("no attempt spent").isZero();
              assertThat(ahead.fencingToken()).isEqualTo(1);
              assertThat(ahead.leaseOwner()).isEqualTo(NODE);
              assertThat(ahead.leaseExpiresAt()).isEqualTo(t.plus(LEASE));
            });
    assertThat(find(tasks.get(3).id()).state()).isEqualTo(TaskState.QUEUED);
  }

  @Test
  void startingARunClaimedAheadSpendsItsAttemptOnceAndOnlyForTheCurrentRun() {
    store.insertAll(List.of(aTask().build(), aTask().build()));
    List<Task> ahead =
        store.claim(new ClaimRequest(Fixtures.DEFAULT_QUEUE, 2, 0, NODE, clock.instant(), LEASE));
    Instant t = clock.advance(Duration.ofSeconds(2));
    RunRef stale = new RunRef(ahead.get(1).id(), ahead.get(1).fencingToken() + 1);

    RunWrites.Result result =
        store.writeRuns(RunWrites.starting(List.of(runOf(ahead.get(0)), stale)));

    assertThat(result.started()).containsOnlyKeys(runOf(ahead.get(0)));
    Task started = result.started().get(runOf(ahead.get(0)));
    assertThat(started.attempt()).isEqualTo(1);
    assertThat(started.startedAt()).isEqualTo(t);
    assertThat(find(started.id())).isEqualTo(started);
    assertThat(find(ahead.get(1).id())).isEqualTo(ahead.get(1));
    // A start already written is not written again, but answered as written: a start whose
    // commit went unanswered can be sent again.
    clock.advance(Duration.ofSeconds(1));
    assertThat(store.writeRuns(RunWrites.starting(List.of(runOf(ahead.get(0))))).started())
        .containsExactly(Map.entry(runOf(ahead.get(0)), started));
    assertThat(find(started.id())).isEqualTo(started);
  }

  @Test
  void aRunClaimedAheadWhoseLeaseExpiredCannotStart() {
    store.insert(aTask().build());
    Task ahead =
        store
            .claim(new ClaimRequest(Fixtures.DEFAULT_QUEUE, 1, 0, NODE, clock.instant(), LEASE))
            .get(0);
    clock.advance(LEASE.plusMillis(1)); // another node may recover it as not started now

    assertThat(store.writeRuns(RunWrites.starting(List.of(runOf(ahead)))).started()).isEmpty();
    assertThat(find(ahead.id())).isEqualTo(ahead);
  }

  @Test
  void aSuccessOfARunClaimedAheadWritesItsStartToo() {
    store.insertAll(List.of(aTask().build(), aTask().build(), aTask().build()));
    List<Task> ahead =
        store.claim(new ClaimRequest(Fixtures.DEFAULT_QUEUE, 3, 0, NODE, clock.instant(), LEASE));
    Instant t = clock.advance(Duration.ofSeconds(2));

    // Alone (the one-row statement) ...
    Task one = store.finishRun(runOf(ahead.get(0)), new RunOutcome.Succeeded(t, null));
    // ... and in a batch of successes (the batch statement).
    RunWrites.Result batch =
        store.writeRuns(
            RunWrites.finishing(
                Map.of(
                    runOf(ahead.get(1)), new RunOutcome.Succeeded(t, "1"),
                    runOf(ahead.get(2)), new RunOutcome.Succeeded(t, "2"))));

    assertThat(batch.finished()).hasSize(2);
    assertThat(List.of(one, batch.finished().get(runOf(ahead.get(1))), batch.finished().get(runOf(ahead.get(2)))))
        .allSatisfy(
            done -> {
              assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
              assertThat(done.attempt()).as("the attempt is spent once").isEqualTo(1);
              assertThat(done.startedAt()).isEqualTo(t);
              assertThat(find(done.id())).isEqualTo(done);
            });
  }

  @Test
  void aSuccessWrittenAfterItsHandlerEndedNeverShowsItStartingLaterThanItFinished() {
    store.insertAll(List.of(aTask().build(), aTask().build()));
    List<Task> ahead =
        store.claim(new ClaimRequest(Fixtures.DEFAULT_QUEUE, 2, 0, NODE, clock.instant(), LEASE));
    Instant ended = clock.advance(Duration.ofSeconds(2));
    clock.advance(Duration.ofMillis(500)); // the outcome reaches the store after the handler ended

    Task one = store.finishRun(runOf(ahead.get(0)), new RunOutcome.Succeeded(ended, null));
    Task other =
        store.writeRuns(RunWrites.finishing(Map.of(runOf(ahead.get(1)), new RunOutcome.Succeeded(ended, null))))
            .finished()
            .get(runOf(ahead.get(1)));

    assertThat(List.of(one, other)).allSatisfy(done -> {
      assertThat(done.finishedAt()).isEqualTo(ended);
      assertThat(done.startedAt()).isEqualTo(ended);
      assertThat(find(done.id())).isEqualTo(done);
    });
  }

  @Test
  void aSuccessOfARunClaimedAheadWhoseLeaseExpiredIsRefusedAsItsStartWouldBe() {
    store.insertAll(List.of(aTask().build(), aTask().build(), aTask().build()));
    List<Task> ahead =
        store.claim(new ClaimRequest(Fixtures.DEFAULT_QUEUE, 3, 0, NODE, clock.instant(), LEASE));
    clock.advance(LEASE.plusMillis(1)); // another node may recover them as not started now

    assertThatThrownBy(
            () -> store.finishRun(runOf(ahead.get(0)), new RunOutcome.Succeeded(clock.instant(), null)))
        .isInstanceOf(LeaseLostException.class);
    RunWrites.Result batch =
        store.writeRuns(
            RunWrites.finishing(
                Map.of(
                    runOf(ahead.get(1)), new RunOutcome.Succeeded(clock.instant(), null),
                    runOf(ahead.get(2)), new RunOutcome.Succeeded(clock.instant(), null))));

    assertThat(batch.finished()).isEmpty();
    assertThat(ahead).allSatisfy(t -> assertThat(find(t.id())).isEqualTo(t));
  }

  @Test
  void aStartAndASuccessOfOneRunInOneCallAreWrittenAsOne() {
    store.insertAll(List.of(aTask().build(), aTask().build()));
    List<Task> ahead =
        store.claim(new ClaimRequest(Fixtures.DEFAULT_QUEUE, 2, 0, NODE, clock.instant(), LEASE));
    Instant t = clock.advance(Duration.ofSeconds(1));
    RunRef quick = runOf(ahead.get(0));
    RunRef slow = runOf(ahead.get(1));

    RunWrites.Result result =
        store.writeRuns(
            new RunWrites(List.of(quick, slow), Map.of(quick, new RunOutcome.Succeeded(t, null))));

    Task done = find(quick.taskId());
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.attempt()).isEqualTo(1);
    assertThat(done.startedAt()).isEqualTo(t);
    assertThat(result.finished()).containsExactly(Map.entry(quick, done));
    assertThat(result.started()).containsEntry(quick, done);
    Task running = result.started().get(slow);
    assertThat(running.state()).isEqualTo(TaskState.RUNNING);
    assertThat(running.attempt()).isEqualTo(1);
    assertThat(find(slow.taskId())).isEqualTo(running);
  }

  @Test
  void givingBackARunThatNeverStartedRefundsNothingEvenWhenAskedTo() {
    store.insert(aTask().build());
    Task ahead =
        store
            .claim(new ClaimRequest(Fixtures.DEFAULT_QUEUE, 1, 0, NODE, clock.instant(), LEASE))
            .get(0);

    Task back = store.finishRun(runOf(ahead), new RunOutcome.Released(clock.instant(), null, true));

    assertThat(back.attempt()).isZero();
  }

  @Test
  void aRunClaimedAheadAndGivenBackUnstartedKeepsItsAttempts() {
    store.insert(aTask().maxAttempts(1).build());
    Task ahead =
        store
            .claim(new ClaimRequest(Fixtures.DEFAULT_QUEUE, 1, 0, NODE, clock.instant(), LEASE))
            .get(0);

    Task back =
        store.finishRun(runOf(ahead), new RunOutcome.Released(clock.instant(), null, false));

    assertThat(back.state()).isEqualTo(TaskState.QUEUED);
    assertThat(back.attempt()).isZero();
    assertThat(claimOne().attempt()).isEqualTo(1);
  }

  @Test
  void aClaimedTaskIsNotClaimedAgain() {
    store.insert(aTask().build());
    claimOne();

    assertThat(claimAt(Fixtures.DEFAULT_QUEUE, 10, OTHER_NODE, clock.instant())).isEmpty();
  }

  @Test
  void claimOfAnEmptyOrUnknownQueueReturnsNothing() {
    assertThat(claim("nothing-here", 10)).isEmpty();
    assertThat(claim(Fixtures.DEFAULT_QUEUE, 0)).isEmpty();
  }

  @Test
  void concurrentClaimersNeverReceiveTheSameTask() throws Exception {
    int taskCount = 2_000;
    int claimers = 8;
    List<NewTask> tasks =
        IntStream.range(0, taskCount).mapToObj(i -> aTask().priority(i % 3).build()).toList();
    store.insertAll(tasks);
    ExecutorService pool = Executors.newFixedThreadPool(claimers);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<List<Task>>> results = new ArrayList<>();
      for (int i = 0; i < claimers; i++) {
        String node = "node-" + i;
        results.add(
            pool.submit(
                () -> {
                  start.await();
                  List<Task> mine = new ArrayList<>();
                  while (true) {
                    List<Task> batch = claimAt(Fixtures.DEFAULT_QUEUE, 7, node, clock.instant());
                    if (batch.isEmpty()) {
                      return mine;
                    }
                    mine.addAll(batch);
                  }
                }));
      }
      start.countDown();
      List<Task> claimed = new ArrayList<>();
      for (int i = 0; i < claimers; i++) {
        List<Task> mine = results.get(i).get(2, TimeUnit.MINUTES);
        String node = "node-" + i;
        assertThat(mine).allSatisfy(t -> assertThat(t.leaseOwner()).isEqualTo(node));
        claimed.addAll(mine);
      }

      assertThat(claimed).extracting(Task::id).doesNotHaveDuplicates();
      assertThat(claimed)
          .extracting(Task::id)
          .containsExactlyInAnyOrderElementsOf(tasks.stream().map(NewTask::id).toList());
      assertThat(claimed).allSatisfy(t -> assertThat(t.fencingToken()).isEqualTo(1));
    } finally {
      pool.shutdownNow();
    }
  }

  // ================================================================ finishing a run

  @Test
  void aSucceededRunStoresItsResultAndFinishTimeAndEndsTheLease() {
    store.insert(aTask().build());
    Task running = claimOne();
    Instant done = clock.advance(Duration.ofSeconds(5));

    Task finished =
        store.finishRun(runOf(running), new RunOutcome.Succeeded(done, "{\"ok\": true}"));

    assertThat(finished.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(finished.finishedAt()).isEqualTo(done);
    assertThat(finished.result()).isEqualTo("{\"ok\": true}");
    assertThat(finished.progress()).isEqualTo(100);
    assertThat(finished.attempt()).isEqualTo(1);
    assertLeaseCleared(finished);
    assertThat(find(running.id())).isEqualTo(finished);
  }

  @Test
  void aRescheduledRunRecordsItsErrorsOldestFirstAndKeepsTheAttempt() {
    store.insert(aTask().build());
    Task firstRun = claimOne();
    TaskError firstError =
        new TaskError(1, clock.instant(), NODE, "connection refused", "java.net.ConnectException");
    Instant retryAt = clock.instant().plusSeconds(10);

    Task rescheduled =
        store.finishRun(runOf(firstRun), new RunOutcome.Rescheduled(retryAt, firstError, false));

    assertThat(rescheduled.state()).isEqualTo(TaskState.SCHEDULED);
    assertThat(rescheduled.runAt()).isEqualTo(retryAt);
    assertThat(rescheduled.attempt()).isEqualTo(1);
    assertThat(rescheduled.lastError()).isEqualTo("connection refused");
    assertThat(rescheduled.errors()).containsExactly(firstError);
    assertThat(rescheduled.finishedAt()).isNull();
    assertLeaseCleared(rescheduled);

    clock.set(retryAt);
    store.promoteDue(retryAt, 10);
    Task secondRun = claimOne();
    TaskError secondError = new TaskError(2, retryAt, NODE, "timed out", null);
    Task again =
        store.finishRun(
            runOf(secondRun),
            new RunOutcome.Rescheduled(retryAt.plusSeconds(20), secondError, false));

    assertThat(again.attempt()).isEqualTo(2);
    assertThat(again.errors()).containsExactly(firstError, secondError);
    assertThat(again.lastError()).isEqualTo("timed out");
    assertThat(find(again.id())).isEqualTo(again);
  }

  @Test
  void aSnoozedRunGetsItsAttemptBackAndRecordsNoError() {
    store.insert(aTask().build());
    Task firstRun = claimOne();
    TaskError error = new TaskError(1, clock.instant(), NODE, "boom", null);
    store.finishRun(runOf(firstRun), new RunOutcome.Rescheduled(clock.instant(), error, false));
    store.promoteDue(clock.instant(), 10);
    Task secondRun = claimOne();
    Instant wakeUp = clock.instant().plus(Duration.ofMinutes(1));

    Task snoozed =
        store.finishRun(runOf(secondRun), new RunOutcome.Rescheduled(wakeUp, null, true));

    assertThat(snoozed.state()).isEqualTo(TaskState.SCHEDULED);
    assertThat(snoozed.runAt()).isEqualTo(wakeUp);
    assertThat(snoozed.attempt()).isEqualTo(1);
    assertThat(snoozed.errors()).containsExactly(error);
    assertThat(snoozed.lastError()).isEqualTo("boom"); // kept from the earlier failure
    assertLeaseCleared(snoozed);
  }

  @Test
  void aFailedRunRecordsItsErrorAndFinishTime() {
    store.insert(aTask().build());
    Task running = claimOne();
    Instant done = clock.advance(Duration.ofSeconds(1));
    TaskError error = new TaskError(1, done, NODE, "invalid payload", "IllegalArgumentException");

    Task failed = store.finishRun(runOf(running), new RunOutcome.Failed(done, error));

    assertThat(failed.state()).isEqualTo(TaskState.FAILED);
    assertThat(failed.finishedAt()).isEqualTo(done);
    assertThat(failed.errors()).containsExactly(error);
    assertThat(failed.lastError()).isEqualTo("invalid payload");
    assertLeaseCleared(failed);
    assertThat(find(running.id())).isEqualTo(failed);
  }

  @Test
  void aCancelledRunEndsCancelledWithOrWithoutAnError() {
    store.insertAll(List.of(aTask().build(), aTask().build()));
    List<Task> running = claim(Fixtures.DEFAULT_QUEUE, 2);
    Instant done = clock.instant();
    TaskError error = new TaskError(1, done, NODE, "interrupted", null);

    Task withError = store.finishRun(runOf(running.get(0)), new RunOutcome.Cancelled(done, error));
    Task withoutError =
        store.finishRun(runOf(running.get(1)), new RunOutcome.Cancelled(done, null));

    assertThat(withError.state()).isEqualTo(TaskState.CANCELLED);
    assertThat(withError.finishedAt()).isEqualTo(done);
    assertThat(withError.errors()).containsExactly(error);
    assertThat(withError.lastError()).isEqualTo("interrupted");
    assertLeaseCleared(withError);
    assertThat(withoutError.state()).isEqualTo(TaskState.CANCELLED);
    assertThat(withoutError.errors()).isEmpty();
    assertThat(withoutError.lastError()).isNull();
    assertLeaseCleared(withoutError);
  }

  @Test
  void aReleasedRunPutsTheTaskBackInItsQueueAndRefundsTheAttempt() {
    store.insert(aTask().build());
    Task running = claimOne();
    Instant readyAgain = clock.instant().plusSeconds(2);

    Task released =
        store.finishRun(runOf(running), new RunOutcome.Released(readyAgain, null, true));

    assertThat(released.state()).isEqualTo(TaskState.QUEUED);
    assertThat(released.runAt()).isEqualTo(readyAgain);
    assertThat(released.attempt()).isZero();
    assertThat(released.finishedAt()).isNull();
    assertThat(released.errors()).isEmpty();
    assertLeaseCleared(released);
  }

  @Test
  void aReleasedRunCanKeepItsAttemptAndRecordWhy() {
    store.insert(aTask().build());
    Task running = claimOne();
    TaskError lost = new TaskError(1, clock.instant(), null, "lease of node-a expired", null);

    Task released =
        store.finishRun(runOf(running), new RunOutcome.Released(clock.instant(), lost, false));

    assertThat(released.state()).isEqualTo(TaskState.QUEUED);
    assertThat(released.attempt()).isEqualTo(1);
    assertThat(released.errors()).containsExactly(lost);
    assertThat(released.lastError()).isEqualTo("lease of node-a expired");
    assertLeaseCleared(released);
  }

  @Test
  void finishingARunClearsItsCancelRequest() {
    store.insert(aTask().build());
    Task running = claimOne();
    store.requestCancel(running.id(), clock.instant());

    Task finished =
        store.finishRun(runOf(running), new RunOutcome.Succeeded(clock.instant(), null));

    assertThat(finished.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(finished.cancelRequested()).isFalse();
  }

  @Test
  void aRunWithAStaleFencingTokenCannotFinishAndChangesNothing() {
    store.insert(aTask().build());
    Task lostRun = claimOne();
    clock.advance(LEASE.plusSeconds(1));
    assertThat(recoverExpiredRuns()).hasSize(1);
    Task currentRun = claimOne();
    Task before = find(currentRun.id());

    assertThatThrownBy(
            () ->
                store.finishRun(
                    runOf(lostRun), new RunOutcome.Succeeded(clock.instant(), "{\"stale\": 1}")))
        .isInstanceOfSatisfying(
            LeaseLostException.class,
            e -> {
              assertThat(e.taskId()).isEqualTo(lostRun.id());
              assertThat(e.fencingToken()).isEqualTo(lostRun.fencingToken());
            });
    assertThat(store.updateProgress(runOf(lostRun), 90)).isFalse();

    assertThat(currentRun.fencingToken()).isGreaterThan(lostRun.fencingToken());
    assertThat(find(currentRun.id())).isEqualTo(before);
  }

  @Test
  void aRunCannotFinishTwice() {
    store.insert(aTask().build());
    Task running = claimOne();
    Task done = store.finishRun(runOf(running), new RunOutcome.Succeeded(clock.instant(), null));

    for (RunOutcome outcome :
        List.<RunOutcome>of(
            new RunOutcome.Succeeded(clock.instant(), "{}"),
            new RunOutcome.Failed(
                clock.instant(), new TaskError(1, clock.instant(), NODE, "x", null)),
            new RunOutcome.Released(clock.instant(), null, true))) {
      assertThatThrownBy(() -> store.finishRun(runOf(running), outcome))
          .isInstanceOf(LeaseLostException.class);
    }
    assertThat(find(running.id())).isEqualTo(done);
  }

  @Test
  void finishingARunOfAnUnknownTaskIsALostLease() {
    RunRef ghost = new RunRef(TaskId.next(), 1);

    assertThatThrownBy(
            () -> store.finishRun(ghost, new RunOutcome.Succeeded(clock.instant(), null)))
        .isInstanceOf(LeaseLostException.class);
  }

  // ================================================================ leases and progress

  @Test
  void renewingTheLeaseOfTheCurrentRunExtendsIt() {
    store.insert(aTask().build());
    Task running = claimOne();
    Instant newExpiry = clock.advance(Duration.ofSeconds(7)).plus(LEASE.multipliedBy(2));

    Map<RunRef, LeaseStatus> statuses =
        store.renewLeases(List.of(runOf(running)), LEASE.multipliedBy(2));

    assertThat(statuses).containsExactly(Map.entry(runOf(running), LeaseStatus.RENEWED));
    assertThat(find(running.id()).leaseExpiresAt()).isEqualTo(newExpiry);
  }

  @Test
  void renewingTheLeaseOfARunWhoseCancelWasRequestedSaysSoAndStillExtendsIt() {
    store.insert(aTask().build());
    Task running = claimOne();
    store.requestCancel(running.id(), clock.instant());
    Instant newExpiry = clock.instant().plus(LEASE.multipliedBy(2));

    Map<RunRef, LeaseStatus> statuses =
        store.renewLeases(List.of(runOf(running)), LEASE.multipliedBy(2));

    assertThat(statuses).containsExactly(Map.entry(runOf(running), LeaseStatus.CANCEL_REQUESTED));
    assertThat(find(running.id()).leaseExpiresAt()).isEqualTo(newExpiry);
  }

  @Test
  void renewingLeasesReportsEachLostRunAndLeavesItsTaskAlone() {
    Instant t = clock.instant();
    store.insertAll(
        List.of(
            aTask().queue("kept").build(),
            aTask().queue("done").build(),
            aTask().queue("stale").build()));
    Task kept = claim("kept", 1).get(0);
    Task done = store.finishRun(runOf(claim("done", 1).get(0)), new RunOutcome.Succeeded(t, null));
    Task staleRun = store.claim(ClaimRequest.starting("stale", 1, NODE, t, Duration.ofSeconds(1))).get(0);
    clock.set(t.plusSeconds(2));
    store.renewLeases(List.of(runOf(kept)), LEASE); // kept's lease stays alive
    assertThat(recoverExpiredRuns()).extracting(Task::id).containsExactly(staleRun.id());
    Task newerRun = claimAt("stale", 1, OTHER_NODE, t.plusSeconds(2)).get(0);
    RunRef doneRun = new RunRef(done.id(), done.fencingToken());
    RunRef unknown = new RunRef(TaskId.next(), 1);
    Instant newExpiry = clock.instant().plus(Duration.ofMinutes(5));

    Map<RunRef, LeaseStatus> statuses =
        store.renewLeases(
            List.of(runOf(kept), doneRun, runOf(staleRun), unknown), Duration.ofMinutes(5));

    assertThat(statuses)
        .containsOnly(
            Map.entry(runOf(kept), LeaseStatus.RENEWED),
            Map.entry(doneRun, LeaseStatus.LOST),
            Map.entry(runOf(staleRun), LeaseStatus.LOST),
            Map.entry(unknown, LeaseStatus.LOST));
    assertThat(find(kept.id()).leaseExpiresAt()).isEqualTo(newExpiry);
    assertThat(find(done.id())).isEqualTo(done);
    assertThat(find(newerRun.id())).isEqualTo(newerRun);
  }

  /**
   * A node writes its runs' starts and outcomes on one thread and renews their leases on another.
   * Each call locks many rows: two at once that met their rows in opposite orders would deadlock
   * (PostgreSQL breaks it after a second by failing one of them).
   */
  @Test
  void writesAndRenewalsOfTheSameRunsAtOnceNeverFail() throws Exception {
    int n = 200;
    store.insertAll(IntStream.range(0, n).mapToObj(i -> aTask().build()).toList());
    List<RunRef> ascending =
        store.claim(new ClaimRequest(Fixtures.DEFAULT_QUEUE, n, 0, NODE, clock.instant(), LEASE)).stream()
            .map(TaskStoreContract::runOf)
            .sorted(Comparator.comparing(RunRef::taskId))
            .toList();
    List<RunRef> descending = ascending.reversed();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    CountDownLatch go = new CountDownLatch(1);
    try {
      // Starts are idempotent: each call locks and rewrites every row again.
      Future<?> starts =
          pool.submit(() -> repeat(go, () -> store.writeRuns(RunWrites.starting(ascending))));
      Future<?> renewals = pool.submit(() -> repeat(go, () -> store.renewLeases(descending, LEASE)));
      go.countDown();
      starts.get(2, TimeUnit.MINUTES);
      renewals.get(2, TimeUnit.MINUTES);
    } finally {
      pool.shutdownNow();
    }
    assertThat(ascending).allSatisfy(run -> assertThat(find(run.taskId()).attempt()).isEqualTo(1));
  }

  private static Void repeat(CountDownLatch go, Runnable write) throws InterruptedException {
    go.await();
    for (int i = 0; i < 30; i++) {
      write.run();
    }
    return null;
  }

  @Test
  void renewingNoLeasesReportsNothing() {
    assertThat(store.renewLeases(List.of(), LEASE)).isEmpty();
  }

  @Test
  void progressOfTheCurrentRunIsRecorded() {
    store.insert(aTask().build());
    Task running = claimOne();

    assertThat(store.updateProgress(runOf(running), 40)).isTrue();

    assertThat(find(running.id()).progress()).isEqualTo(40);
  }

  @Test
  void progressOfARunThatNoLongerOwnsItsTaskIsRefused() {
    store.insert(aTask().build());
    Task running = claimOne();
    store.finishRun(runOf(running), new RunOutcome.Succeeded(clock.instant(), null));

    assertThat(store.updateProgress(runOf(running), 40)).isFalse();
    assertThat(store.updateProgress(new RunRef(TaskId.next(), 1), 40)).isFalse();

    assertThat(find(running.id()).progress()).isEqualTo(100);
  }

  @Test
  void progressOutsideZeroToHundredIsRejected() {
    store.insert(aTask().build());
    Task running = claimOne();

    assertThatThrownBy(() -> store.updateProgress(runOf(running), -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.updateProgress(runOf(running), 101))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(find(running.id()).progress()).isZero();
  }

  // ================================================================ scheduled tasks

  @Test
  void promotingDueTasksQueuesOnlyScheduledTasksWhoseRunAtHasCome() {
    Instant t = clock.instant();
    NewTask inOneMinute = aTask().scheduledAt(t.plus(Duration.ofMinutes(1))).build();
    NewTask inTwoMinutes = aTask().scheduledAt(t.plus(Duration.ofMinutes(2))).build();
    NewTask inThreeMinutes = aTask().scheduledAt(t.plus(Duration.ofMinutes(3))).build();
    store.insertAll(List.of(inThreeMinutes, inOneMinute, inTwoMinutes));

    int promoted = store.promoteDue(t.plus(Duration.ofMinutes(2)), 10);

    assertThat(promoted).isEqualTo(2);
    assertThat(find(inOneMinute.id()).state()).isEqualTo(TaskState.QUEUED);
    assertThat(find(inTwoMinutes.id()).state()).isEqualTo(TaskState.QUEUED); // due at its run_at
    assertThat(find(inThreeMinutes.id()).state()).isEqualTo(TaskState.SCHEDULED);
    assertThat(find(inOneMinute.id()).runAt()).isEqualTo(t.plus(Duration.ofMinutes(1)));
  }

  @Test
  void promotingDueTasksTakesTheEarliestFirstUpToTheLimit() {
    Instant t = clock.instant();
    NewTask first = aTask().scheduledAt(t.plusSeconds(1)).build();
    NewTask second = aTask().scheduledAt(t.plusSeconds(2)).build();
    NewTask third = aTask().scheduledAt(t.plusSeconds(3)).build();
    store.insertAll(List.of(third, second, first));

    assertThat(store.promoteDue(t.plusSeconds(10), 2)).isEqualTo(2);

    assertThat(find(first.id()).state()).isEqualTo(TaskState.QUEUED);
    assertThat(find(second.id()).state()).isEqualTo(TaskState.QUEUED);
    assertThat(find(third.id()).state()).isEqualTo(TaskState.SCHEDULED);
    assertThat(store.promoteDue(t.plusSeconds(10), 0)).isZero();
  }

  @Test
  void nextScheduledAtIsTheEarliestRunAtOfAScheduledTask() {
    Instant t = clock.instant();
    assertThat(store.nextScheduledAt()).isEmpty();
    store.insertAll(
        List.of(
            aTask().scheduledAt(t.plus(Duration.ofMinutes(5))).build(),
            aTask().scheduledAt(t.plus(Duration.ofMinutes(2))).build(),
            aTask().build())); // queued: not scheduled, whatever its run_at

    assertThat(store.nextScheduledAt()).contains(t.plus(Duration.ofMinutes(2)));

    store.promoteDue(t.plus(Duration.ofMinutes(2)), 10);
    assertThat(store.nextScheduledAt()).contains(t.plus(Duration.ofMinutes(5)));
  }

  // ================================================================ cancel

  @Test
  void cancellingAScheduledTaskCancelsItAtOnce() {
    NewTask task = aTask().scheduledAt(clock.instant().plusSeconds(60)).build();
    store.insert(task);
    Instant t = clock.advance(Duration.ofSeconds(1));

    Task cancelled = store.requestCancel(task.id(), t);

    assertThat(cancelled.state()).isEqualTo(TaskState.CANCELLED);
    assertThat(cancelled.finishedAt()).isEqualTo(t);
    assertThat(cancelled.cancelRequested()).isFalse();
    assertThat(find(task.id())).isEqualTo(cancelled);
    assertThat(store.nextScheduledAt()).isEmpty();
  }

  @Test
  void cancellingAQueuedTaskCancelsItAtOnceSoItIsNeverClaimed() {
    NewTask task = aTask().build();
    store.insert(task);

    Task cancelled = store.requestCancel(task.id(), clock.instant());

    assertThat(cancelled.state()).isEqualTo(TaskState.CANCELLED);
    assertThat(cancelled.finishedAt()).isEqualTo(clock.instant());
    assertThat(claim(Fixtures.DEFAULT_QUEUE, 10)).isEmpty();
  }

  @Test
  void cancellingARunningTaskOnlyRequestsItAndLeavesTheRunToItsNode() {
    store.insert(aTask().build());
    Task running = claimOne();

    Task requested = store.requestCancel(running.id(), clock.instant());

    assertThat(requested.state()).isEqualTo(TaskState.RUNNING);
    assertThat(requested.cancelRequested()).isTrue();
    assertThat(requested.leaseOwner()).isEqualTo(NODE);
    assertThat(requested.leaseExpiresAt()).isEqualTo(running.leaseExpiresAt());
    assertThat(requested.fencingToken()).isEqualTo(running.fencingToken());
    assertThat(requested.finishedAt()).isNull();
    assertThat(find(running.id())).isEqualTo(requested);
  }

  @Test
  void cancellingAFinishedTaskIsAnIllegalTransitionAndChangesNothing() {
    for (Task finished : List.of(succeededTask(), failedTask(), cancelledTask())) {
      assertThatThrownBy(() -> store.requestCancel(finished.id(), clock.instant()))
          .isInstanceOfSatisfying(
              IllegalTransitionException.class,
              e -> {
                assertThat(e.from()).isEqualTo(finished.state());
                assertThat(e.to()).isEqualTo(TaskState.CANCELLED);
              });
      assertThat(find(finished.id())).isEqualTo(finished);
    }
  }

  @Test
  void cancellingAnUnknownTaskIsNotFound() {
    TaskId unknown = TaskId.next();

    assertThatThrownBy(() -> store.requestCancel(unknown, clock.instant()))
        .isInstanceOfSatisfying(
            TaskNotFoundException.class, e -> assertThat(e.taskId()).isEqualTo(unknown));
  }

  // ================================================================ retry

  @Test
  void retryingAFailedTaskQueuesItAgainAndKeepsItsErrors() {
    Task failed = failedTask();
    Instant t = clock.advance(Duration.ofMinutes(1));

    Task retried = store.retry(failed.id(), t);

    assertThat(retried.state()).isEqualTo(TaskState.QUEUED);
    assertThat(retried.runAt()).isEqualTo(t);
    assertThat(retried.finishedAt()).isNull();
    assertThat(retried.result()).isNull();
    assertThat(retried.progress()).isZero();
    assertThat(retried.cancelRequested()).isFalse();
    assertThat(retried.errors()).isEqualTo(failed.errors()).isNotEmpty();
    assertThat(retried.lastError()).isEqualTo(failed.lastError());
    assertThat(retried.attempt()).isEqualTo(failed.attempt());
    assertThat(retried.maxAttempts()).isEqualTo(failed.maxAttempts()); // attempts were left
    assertThat(find(failed.id())).isEqualTo(retried);
    assertThat(claim(failed.queue(), 1)).extracting(Task::id).containsExactly(failed.id());
  }

  @Test
  void retryingATaskWithNoAttemptLeftAllowsExactlyOneMoreRun() {
    store.insert(aTask().maxAttempts(1).build());
    Task running = claimOne();
    TaskError error = new TaskError(1, clock.instant(), NODE, "boom", null);
    store.finishRun(runOf(running), new RunOutcome.Failed(clock.instant(), error));

    Task retried = store.retry(running.id(), clock.instant());

    assertThat(retried.attempt()).isEqualTo(1);
    assertThat(retried.maxAttempts()).isEqualTo(2);
    Task secondRun = claimOne();
    assertThat(secondRun.attempt()).isEqualTo(2);
    assertThat(secondRun.attemptsExhausted()).isTrue();
  }

  @Test
  void retryingACancelledTaskQueuesItAgain() {
    Task cancelled = cancelledTask();

    Task retried = store.retry(cancelled.id(), clock.instant());

    assertThat(retried.state()).isEqualTo(TaskState.QUEUED);
    assertThat(retried.finishedAt()).isNull();
  }

  @Test
  void retryingATaskThatIsNotFailedOrCancelledIsAnIllegalTransitionAndChangesNothing() {
    Task scheduled =
        store.insert(aTask().scheduledAt(clock.instant().plusSeconds(60)).build()).task();
    Task queued = store.insert(aTask().queue("waiting").build()).task();
    store.insert(aTask().build());
    Task running = claimOne();
    Task succeeded = succeededTask();

    for (Task task : List.of(scheduled, queued, running, succeeded)) {
      assertThatThrownBy(() -> store.retry(task.id(), clock.instant()))
          .isInstanceOfSatisfying(
              IllegalTransitionException.class,
              e -> {
                assertThat(e.from()).isEqualTo(task.state());
                assertThat(e.to()).isEqualTo(TaskState.QUEUED);
              });
      assertThat(find(task.id())).isEqualTo(task);
    }
  }

  @Test
  void retryingAnUnknownTaskIsNotFound() {
    TaskId unknown = TaskId.next();

    assertThatThrownBy(() -> store.retry(unknown, clock.instant()))
        .isInstanceOfSatisfying(
            TaskNotFoundException.class, e -> assertThat(e.taskId()).isEqualTo(unknown));
  }

  @Test
  void finishRunsWritesEveryCurrentRunInOneGoAndSkipsStaleOnes() {
    store.insertAll(List.of(aTask().build(), aTask().build(), aTask().build()));
    List<Task> claimed = claim(Fixtures.DEFAULT_QUEUE, 3);
    assertThat(claimed).hasSize(3);
    Instant now = clock.advance(java.time.Duration.ofSeconds(1));
    RunRef first = new RunRef(claimed.get(0).id(), claimed.get(0).fencingToken());
    RunRef stale = new RunRef(claimed.get(1).id(), claimed.get(1).fencingToken() - 1);
    RunRef third = new RunRef(claimed.get(2).id(), claimed.get(2).fencingToken());
    Map<RunRef, RunOutcome> outcomes = new java.util.LinkedHashMap<>();
    outcomes.put(first, new RunOutcome.Succeeded(now, "{\"n\": 1}"));
    outcomes.put(stale, new RunOutcome.Succeeded(now, "{\"n\": 2}"));
    outcomes.put(third, new RunOutcome.Failed(now, new TaskError(1, now, NODE, "boom", null)));

    Map<RunRef, Task> written = store.writeRuns(RunWrites.finishing(outcomes)).finished();

    assertThat(written.keySet()).containsExactlyInAnyOrder(first, third);
    assertThat(find(first.taskId()).state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(find(third.taskId()).state()).isEqualTo(TaskState.FAILED);
    assertThat(find(stale.taskId())).isEqualTo(claimed.get(1));
    assertThat(store.writeRuns(RunWrites.finishing(Map.of()))).isEqualTo(RunWrites.Result.NONE);
  }

  @Test
  void finishRunsKeepsEachResultExactlyAndWritesOnlyTheCurrentRunOfATaskNamedTwice() {
    store.insertAll(Stream.generate(() -> aTask().build()).limit(5).toList());
    List<Task> claimed = claim(Fixtures.DEFAULT_QUEUE, 5);
    Instant now = clock.advance(java.time.Duration.ofSeconds(1));
    String odd = "{\"z\":1,   \"a\": \"\\u00e9\\\"\"}";
    Map<RunRef, RunOutcome> outcomes = new java.util.LinkedHashMap<>();
    Task twice = claimed.get(0);
    outcomes.put(new RunRef(twice.id(), twice.fencingToken() - 1), new RunOutcome.Succeeded(now, "{\"stale\": true}"));
    outcomes.put(new RunRef(twice.id(), twice.fencingToken()), new RunOutcome.Succeeded(now, odd));
    outcomes.put(ref(claimed.get(1)), new RunOutcome.Succeeded(now, null));
    outcomes.put(ref(claimed.get(2)), new RunOutcome.Succeeded(now, "[1, 2]"));
    outcomes.put(ref(claimed.get(3)), new RunOutcome.Released(now, null, true));
    outcomes.put(ref(claimed.get(4)), new RunOutcome.Succeeded(now, "\"text\""));

    Map<RunRef, Task> written = store.writeRuns(RunWrites.finishing(outcomes)).finished();

    assertThat(written.keySet())
        .containsExactlyInAnyOrder(
            ref(twice), ref(claimed.get(1)), ref(claimed.get(2)), ref(claimed.get(3)), ref(claimed.get(4)));
    assertThat(find(twice.id()).result()).isEqualTo(odd);
    assertThat(find(claimed.get(1).id()).result()).isNull();
    assertThat(find(claimed.get(2).id()).result()).isEqualTo("[1, 2]");
    assertThat(find(claimed.get(4).id()).result()).isEqualTo("\"text\"");
    assertThat(find(claimed.get(3).id()).state()).isEqualTo(TaskState.QUEUED);
    for (Map.Entry<RunRef, Task> e : written.entrySet()) {
      assertThat(find(e.getKey().taskId())).isEqualTo(e.getValue());
      if (e.getValue().state() == TaskState.SUCCEEDED) {
        assertThat(e.getValue().finishedAt()).isEqualTo(now.truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        assertThat(e.getValue().progress()).isEqualTo(100);
      }
    }
  }

  private static RunRef ref(Task t) {
    return new RunRef(t.id(), t.fencingToken());
  }

  // ================================================================ lease recovery

  @Test
  void expiredLeasesAreTheRunningTasksWhoseLeaseEndedByTheStoresClock() {
    Instant t = clock.instant();
    store.insertAll(List.of(aTask().queue("short").build(), aTask().queue("long").build()));
    Task shortLease =
        store.claim(ClaimRequest.starting("short", 1, NODE, t, Duration.ofSeconds(10))).get(0);
    Task longLease =
        store.claim(ClaimRequest.starting("long", 1, OTHER_NODE, t, Duration.ofSeconds(60))).get(0);

    clock.set(t.plusSeconds(10));
    assertThat(store.expiredLeases(10)).as("a lease ending exactly now has not expired").isEmpty();
    clock.set(t.plusSeconds(30));
    assertThat(store.expiredLeases(10)).containsExactly(shortLease);
    assertThat(find(shortLease.id())).as("reading changes nothing").isEqualTo(shortLease);
    assertThat(find(longLease.id())).isEqualTo(longLease);
  }

  @Test
  void expiredLeasesComeOldestExpiryFirstUpToTheLimit() {
    Instant t = clock.instant();
    store.insertAll(
        List.of(
            aTask().queue("a").build(), aTask().queue("b").build(), aTask().queue("c").build()));
    Task expiresLast = store.claim(ClaimRequest.starting("a", 1, NODE, t, Duration.ofSeconds(30))).get(0);
    Task expiresFirst = store.claim(ClaimRequest.starting("b", 1, NODE, t, Duration.ofSeconds(10))).get(0);
    Task expiresSecond = store.claim(ClaimRequest.starting("c", 1, NODE, t, Duration.ofSeconds(20))).get(0);
    clock.set(t.plusSeconds(60));

    assertThat(store.expiredLeases(2))
        .extracting(Task::id)
        .containsExactly(expiresFirst.id(), expiresSecond.id());
    assertThat(store.expiredLeases(3)).extracting(Task::id).endsWith(expiresLast.id());
    assertThat(store.expiredLeases(0)).isEmpty();
  }

  @Test
  void recoveringExpiredRunsWritesWhatTheEngineDecidedForEach() {
    store.insertAll(List.of(aTask().queue("q").build(), aTask().queue("f").build(), aTask().queue("c").build()));
    Task toQueue = claim("q", 1).get(0);
    Task toFail = claim("f", 1).get(0);
    Task toCancel = claim("c", 1).get(0);
    Instant later = clock.advance(LEASE.plusSeconds(1));
    TaskError lost = new TaskError(1, later, null, "lease of node-a expired", null);
    Map<RunRef, RunOutcome> outcomes = new java.util.LinkedHashMap<>();
    outcomes.put(runOf(toQueue), new RunOutcome.Released(later, lost, false));
    outcomes.put(runOf(toFail), new RunOutcome.Failed(later, lost));
    outcomes.put(runOf(toCancel), new RunOutcome.Cancelled(later, lost));

    Map<RunRef, Task> written = store.recoverExpired(outcomes);

    assertThat(written).containsOnlyKeys(outcomes.keySet());
    Task queued = find(toQueue.id());
    assertThat(queued.state()).isEqualTo(TaskState.QUEUED);
    assertThat(queued.attempt()).isEqualTo(1);
    assertThat(queued.errors()).containsExactly(lost);
    assertLeaseCleared(queued);
    assertThat(find(toFail.id()).state()).isEqualTo(TaskState.FAILED);
    assertThat(find(toFail.id()).finishedAt()).isEqualTo(later);
    assertThat(find(toCancel.id()).state()).isEqualTo(TaskState.CANCELLED);
    for (Task t : written.values()) {
      assertThat(find(t.id())).isEqualTo(t);
      assertLeaseCleared(t);
    }
  }

  @Test
  void aRunWhoseLeaseWasRenewedOrWhoseTaskMovedOnIsNotRecovered() {
    store.insertAll(List.of(aTask().queue("renewed").build(), aTask().queue("moved").build(), aTask().queue("expired").build()));
    Task renewed = claim("renewed", 1).get(0);
    Task moved = claim("moved", 1).get(0);
    Task expired = claim("expired", 1).get(0);
    clock.advance(LEASE.plusSeconds(1));
    List<Task> seen = store.expiredLeases(10);
    assertThat(seen).hasSize(3);
    // Between the read and the recovery: one lease is renewed, one run finishes.
    store.renewLeases(List.of(runOf(renewed)), LEASE);
    Task done = store.finishRun(runOf(moved), new RunOutcome.Succeeded(clock.instant(), null));
    Map<RunRef, RunOutcome> outcomes = new java.util.LinkedHashMap<>();
    for (Task t : seen) {
      outcomes.put(runOf(t), new RunOutcome.Released(clock.instant(), null, false));
    }

    Map<RunRef, Task> written = store.recoverExpired(outcomes);

    assertThat(written).containsOnlyKeys(runOf(expired));
    assertThat(find(renewed.id()).state()).isEqualTo(TaskState.RUNNING);
    assertThat(find(renewed.id()).fencingToken()).isEqualTo(renewed.fencingToken());
    assertThat(find(moved.id())).isEqualTo(done);
    assertThat(find(expired.id()).state()).isEqualTo(TaskState.QUEUED);
    assertThat(store.recoverExpired(Map.of())).isEmpty();
  }

  @Test
  void theLeasesOfANodeAreAllItsRunningTasksWhateverTheirExpiry() {
    Instant t = clock.instant();
    store.insertAll(
        List.of(
            aTask().queue("a").build(), aTask().queue("a").build(), aTask().queue("b").build()));
    List<Task> mine = store.claim(ClaimRequest.starting("a", 2, NODE, t, Duration.ofHours(1)));
    Task theirs = claimAt("b", 1, OTHER_NODE, t).get(0);

    assertThat(store.leasesOf(NODE)).containsExactlyInAnyOrderElementsOf(mine);
    assertThat(store.leasesOf(OTHER_NODE)).containsExactly(theirs);
    assertThat(store.leasesOf("node-without-runs")).isEmpty();
  }

  // ================================================================ listing

  @Test
  void listingReturnsTasksNewestFirst() {
    List<NewTask> tasks = IntStream.range(0, 3).mapToObj(i -> aTask().build()).toList();
    store.insertAll(tasks);

    TaskPage page = store.list(TaskQuery.all());

    assertThat(page.tasks())
        .extracting(Task::id)
        .containsExactly(tasks.get(2).id(), tasks.get(1).id(), tasks.get(0).id());
    assertThat(page.nextCursor()).isNull();
  }

  @Test
  void listingFiltersByEveryCombinationOfStateQueueAndType() {
    List<NewTask> tasks = new ArrayList<>();
    for (String queue : List.of("q1", "q2")) {
      for (String type : List.of("t1", "t2")) {
        for (int i = 0; i < 3; i++) {
          tasks.add(aTask().queue(queue).type(type).build());
        }
      }
    }
    store.insertAll(tasks);
    claim("q1", 4);
    claim("q2", 1);
    List<Task> everything = tasks.stream().map(t -> find(t.id())).toList();

    List<TaskState> states = orNoFilter(TaskState.QUEUED, TaskState.RUNNING, TaskState.SUCCEEDED);
    List<String> queues = orNoFilter("q1", "q2", "q-none");
    List<String> types = orNoFilter("t1", "t2");
    for (TaskState state : states) {
      for (String queue : queues) {
        for (String type : types) {
          TaskQuery query = new TaskQuery(state, queue, type, null, TaskQuery.MAX_LIMIT);
          List<TaskId> expected =
              everything.stream()
                  .filter(t -> state == null || t.state() == state)
                  .filter(t -> queue == null || t.queue().equals(queue))
                  .filter(t -> type == null || t.type().equals(type))
                  .map(Task::id)
                  .sorted(Comparator.reverseOrder())
                  .toList();

          assertThat(store.list(query).tasks())
              .as("list(%s)", query)
              .extracting(Task::id)
              .containsExactlyElementsOf(expected);
        }
      }
    }
  }

  @Test
  void listingPagesThroughEveryTaskWithoutDuplicatesOrGaps() {
    List<NewTask> tasks = IntStream.range(0, 23).mapToObj(i -> aTask().build()).toList();
    store.insertAll(tasks);

    List<Integer> pageSizes = new ArrayList<>();
    List<TaskId> seen = new ArrayList<>();
    TaskQuery query = TaskQuery.all().withLimit(5);
    while (true) {
      TaskPage page = store.list(query);
      pageSizes.add(page.tasks().size());
      page.tasks().forEach(t -> seen.add(t.id()));
      if (page.nextCursor() == null) {
        break;
      }
      assertThat(page.nextCursor()).isEqualTo(page.tasks().get(page.tasks().size() - 1).id());
      query = query.withAfter(page.nextCursor());
    }

    assertThat(pageSizes).containsExactly(5, 5, 5, 5, 3);
    assertThat(seen)
        .containsExactlyElementsOf(
            tasks.stream().map(NewTask::id).sorted(Comparator.reverseOrder()).toList());
  }

  @Test
  void listingPagesThroughAFilteredSelection() {
    List<NewTask> tasks =
        IntStream.range(0, 12)
            .mapToObj(i -> aTask().queue(i % 3 == 0 ? "other" : "mine").build())
            .toList();
    store.insertAll(tasks);
    claim("mine", 2);
    List<TaskId> expected =
        tasks.stream()
            .map(t -> find(t.id()))
            .filter(t -> t.queue().equals("mine") && t.state() == TaskState.QUEUED)
            .map(Task::id)
            .sorted(Comparator.reverseOrder())
            .toList();

    List<TaskId> seen = new ArrayList<>();
    TaskQuery query = TaskQuery.all().withQueue("mine").withState(TaskState.QUEUED).withLimit(4);
    TaskPage page;
    do {
      page = store.list(query);
      page.tasks().forEach(t -> seen.add(t.id()));
      query = query.withAfter(page.nextCursor());
    } while (page.nextCursor() != null);

    assertThat(expected).hasSize(6);
    assertThat(seen).containsExactlyElementsOf(expected);
  }

  @Test
  void aLastPageThatIsExactlyFullHasNoCursor() {
    store.insertAll(IntStream.range(0, 10).mapToObj(i -> aTask().build()).toList());

    TaskPage first = store.list(TaskQuery.all().withLimit(5));
    TaskPage second = store.list(TaskQuery.all().withLimit(5).withAfter(first.nextCursor()));

    assertThat(first.nextCursor()).isNotNull();
    assertThat(second.tasks()).hasSize(5);
    assertThat(second.nextCursor()).isNull();
  }

  @Test
  void listingAnEmptyStoreGivesAnEmptyLastPage() {
    TaskPage page = store.list(TaskQuery.all());

    assertThat(page.tasks()).isEmpty();
    assertThat(page.nextCursor()).isNull();
  }

  // ================================================================ counts and queues

  @Test
  void queueCountsListEveryQueueThatHasHadATaskWithZeroCountsIncluded() {
    Instant t = clock.instant();
    store.insertAll(
        List.of(
            aTask().queue("b").build(),
            aTask().queue("b").build(),
            aTask().queue("b").build(),
            aTask().queue("b").scheduledAt(t.plusSeconds(60)).build()));
    Task running = claim("b", 2).get(0);
    store.finishRun(runOf(running), new RunOutcome.Succeeded(t, null));
    Task onlyTaskOfA = store.insert(aTask().queue("a").build()).task();
    store.requestCancel(onlyTaskOfA.id(), t);

    List<QueueCounts> counts = store.queueCounts();

    assertThat(counts).extracting(QueueCounts::queue).containsExactly("a", "b");
    assertThat(counts.get(0).byState()).isEqualTo(countsOf(Map.of(TaskState.CANCELLED, 1L)));
    assertThat(counts.get(0).waiting()).isZero();
    assertThat(counts.get(1).byState())
        .isEqualTo(
            countsOf(
                Map.of(
                    TaskState.SCHEDULED, 1L,
                    TaskState.QUEUED, 1L,
                    TaskState.RUNNING, 1L,
                    TaskState.SUCCEEDED, 1L)));
    assertThat(counts.get(1).waiting()).isEqualTo(2);
  }

  @Test
  void queueCountsTellTheRunningTasksClaimedAheadFromThoseStarted() {
    Instant t = clock.instant();
    store.insertAll(List.of(aTask().build(), aTask().build(), aTask().build(), aTask().build()));

    store.claim(new ClaimRequest(Fixtures.DEFAULT_QUEUE, 3, 1, NODE, t, LEASE));

    QueueCounts counts = store.queueCounts().get(0);
    assertThat(counts.count(TaskState.RUNNING)).as("leased, started or not").isEqualTo(3);
    assertThat(counts.claimedAhead()).isEqualTo(2);
    assertThat(counts.started()).isEqualTo(1);
    assertThat(counts.count(TaskState.QUEUED)).isEqualTo(1);
  }

  @Test
  void queueCountsOfAnEmptyStoreAreEmpty() {
    assertThat(store.queueCounts()).isEmpty();
    assertThat(store.waitingCounts()).isEmpty();
    assertThat(store.queueNames()).isEmpty();
  }

  @Test
  void waitingCountsCountQueuedAndScheduledTasksPerQueue() {
    Instant t = clock.instant();
    store.insertAll(
        List.of(
            aTask().queue("a").build(),
            aTask().queue("a").scheduledAt(t.plusSeconds(60)).build(),
            aTask().queue("b").build(),
            aTask().queue("c").build()));
    claim("b", 1);
    Task cancelled = store.insert(aTask().queue("c").build()).task();
    store.requestCancel(cancelled.id(), t);

    Map<String, Long> waiting = store.waitingCounts();

    assertThat(waiting).containsEntry("a", 2L).containsEntry("c", 1L);
    assertThat(waiting.getOrDefault("b", 0L)).isZero();
  }

  @Test
  void queueNamesListEveryQueueEverUsedOrderedByName() {
    store.insertAll(
        List.of(
            aTask().queue("zeta").build(),
            aTask().queue("alpha").build(),
            aTask().queue("zeta").build()));
    store.insert(aTask().queue("mid").build());
    Task alpha = claim("alpha", 1).get(0);
    store.finishRun(runOf(alpha), new RunOutcome.Succeeded(clock.instant(), null));

    assertThat(store.queueNames()).containsExactly("alpha", "mid", "zeta");
  }

  // ================================================================ last node

  @Test
  void theNodeThatClaimedTheLatestRunIsKeptAfterTheRunEnds() {
    NewTask t = aTask().build();
    store.insert(t);
    assertThat(find(t.id()).lastNode()).isNull();

    Task claimed = claim(Fixtures.DEFAULT_QUEUE, 1).get(0);
    assertThat(claimed.lastNode()).isEqualTo(NODE);
    Task done =
        store.finishRun(new RunRef(claimed.id(), claimed.fencingToken()), new RunOutcome.Succeeded(clock.instant(), null));

    assertThat(done.leaseOwner()).isNull();
    assertThat(done.lastNode()).isEqualTo(NODE);
    assertThat(find(t.id()).lastNode()).isEqualTo(NODE);
    Task again = claimAt(Fixtures.DEFAULT_QUEUE, 1, OTHER_NODE, clock.instant()).stream().findFirst().orElse(null);
    assertThat(again).as("a succeeded task is not claimed again").isNull();
  }

  // ================================================================ run now

  @Test
  void runNowMakesAScheduledTaskReadyAndRefusesEveryOtherState() {
    Instant t = clock.instant();
    NewTask later = aTask().createdAt(t).runAt(t.plusSeconds(3600)).build();
    NewTask ready = aTask().createdAt(t).build();
    store.insertAll(List.of(later, ready));

    Task now = store.runNow(later.id(), t.plusSeconds(1));

    assertThat(now.state()).isEqualTo(TaskState.QUEUED);
    assertThat(now.runAt()).isEqualTo(t.plusSeconds(1).truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
    assertThat(now.attempt()).isZero();
    assertThat(find(later.id())).isEqualTo(now);
    assertThatThrownBy(() -> store.runNow(ready.id(), t)).isInstanceOf(dev.tasklane.IllegalTransitionException.class);
    assertThat(find(ready.id()).state()).isEqualTo(TaskState.QUEUED);
    assertThatThrownBy(() -> store.runNow(TaskId.next(), t)).isInstanceOf(dev.tasklane.TaskNotFoundException.class);
  }

  // ================================================================ explain

  @Test
  void countQueuedAheadCountsWhatAClaimWouldTakeFirst() {
    Instant t = clock.instant();
    List<TaskId> ids = Stream.generate(TaskId::next).limit(6).sorted().toList();
    NewTask urgent = aTask().id(ids.get(5)).priority(9).createdAt(t).build();
    NewTask earlier = aTask().id(ids.get(4)).priority(1).createdAt(t.minusSeconds(10)).build();
    NewTask sameTimeLowerId = aTask().id(ids.get(0)).priority(1).createdAt(t).build();
    NewTask subject = aTask().id(ids.get(1)).priority(1).createdAt(t).build();
    NewTask sameTimeHigherId = aTask().id(ids.get(2)).priority(1).createdAt(t).build();
    NewTask lower = aTask().id(ids.get(3)).priority(0).createdAt(t.minusSeconds(100)).build();
    NewTask otherQueue = aTask().queue("elsewhere").priority(9).createdAt(t.minusSeconds(100)).build();
    NewTask later = aTask().priority(9).createdAt(t).runAt(t.plusSeconds(60)).build(); // scheduled
    store.insertAll(List.of(urgent, earlier, sameTimeLowerId, subject, sameTimeHigherId, lower, otherQueue, later));
    Task running = claimAt(Fixtures.DEFAULT_QUEUE, 1, NODE, t).get(0);
    assertThat(running.id()).isEqualTo(urgent.id()); // running tasks are not in line any more

    assertThat(store.countQueuedAhead(find(subject.id()))).isEqualTo(2); // earlier, sameTimeLowerId
    assertThat(store.countQueuedAhead(find(earlier.id()))).isZero();
    assertThat(store.countQueuedAhead(find(lower.id()))).isEqualTo(4);
    assertThat(store.countQueuedAhead(find(otherQueue.id()))).isZero();
  }

  // ================================================================ paused queues

  @Test
  void aPausedQueueYieldsNoTasksToAClaimUntilItIsResumed() {
    store.insertAll(IntStream.range(0, 3).mapToObj(i -> aTask().build()).toList());
    store.insert(aTask().queue("other").build());

    store.setQueuePaused(Fixtures.DEFAULT_QUEUE, true);

    assertThat(store.pausedQueues()).containsExactly(Fixtures.DEFAULT_QUEUE);
    assertThat(claim(Fixtures.DEFAULT_QUEUE, 10)).isEmpty();
    assertThat(claim("other", 10)).hasSize(1);
    assertThat(store.waitingCounts()).containsEntry(Fixtures.DEFAULT_QUEUE, 3L);
    // Still open for submissions while paused.
    store.insert(aTask().build());

    store.setQueuePaused(Fixtures.DEFAULT_QUEUE, false);

    assertThat(store.pausedQueues()).isEmpty();
    assertThat(claim(Fixtures.DEFAULT_QUEUE, 10)).hasSize(4);
  }

  @Test
  void pausingAQueueNobodyUsedYetRegistersItPausedAndKeepsItsLimit() {
    store.setQueueLimit("fresh", 2);
    store.setQueuePaused("fresh", true);
    store.setQueuePaused("brand-new", true);

    assertThat(store.queueNames()).containsExactly("brand-new", "fresh");
    assertThat(store.pausedQueues()).containsExactly("brand-new", "fresh");
    assertThat(store.queuePauses()).containsExactly(Map.entry("brand-new", true), Map.entry("fresh", true));
    assertThat(store.queueLimits()).containsExactly(Map.entry("fresh", 2));
    store.setQueuePaused("fresh", false);
    assertThat(store.queueLimits()).containsExactly(Map.entry("fresh", 2));
    assertThat(store.pausedQueues()).containsExactly("brand-new");
    assertThat(store.queuePauses()).containsExactly(Map.entry("brand-new", true), Map.entry("fresh", false));
  }

  @Test
  void aTaskKeepsWhoSubmittedItAndASubmittersPageHoldsOnlyItsTasks() {
    NewTask mine = withSubmitter(aTask().queue("a").build(), "token:tok_1");
    NewTask theirs = withSubmitter(aTask().queue("a").build(), "user:bob");
    NewTask nobodys = aTask().queue("a").build();
    store.insert(mine);
    store.insertAll(List.of(theirs, nobodys, withSubmitter(aTask().queue("b").build(), "token:tok_1")));

    assertThat(store.find(mine.id()).orElseThrow().submittedBy()).isEqualTo("token:tok_1");
    assertThat(store.find(nobodys.id()).orElseThrow().submittedBy()).isNull();
    TaskPage page = store.list(TaskQuery.all().submittedBy("token:tok_1"));
    assertThat(page.tasks()).extracting(Task::submittedBy).containsOnly("token:tok_1").hasSize(2);
    assertThat(store.list(new TaskQuery(null, "a", null, null, 10).submittedBy("token:tok_1")).tasks())
        .extracting(Task::id)
        .containsExactly(mine.id());
    TaskPage first = store.list(new TaskQuery(null, null, null, null, 1).submittedBy("token:tok_1"));
    assertThat(first.tasks()).hasSize(1);
    assertThat(store.list(new TaskQuery(null, null, null, first.nextCursor(), 1).submittedBy("token:tok_1")).tasks())
        .extracting(Task::id)
        .containsExactly(mine.id());
  }

  private static NewTask withSubmitter(NewTask t, String submitter) {
    return new NewTask(
        t.id(), t.type(), t.queue(), t.payload(), t.priority(), t.state(), t.maxAttempts(),
        t.runAt(), t.timeout(), t.createdAt(), t.idempotencyKey(), submitter);
  }

  @Test
  void onlyAQueueHoldingNoTaskIsDeletedWithItsLimitAndPauseAndASubmissionBringsItBack() {
    store.setQueueLimit("empty", 3);
    store.setQueuePaused("empty", true);
    store.insert(aTask().queue("busy").build());

    assertThat(store.deleteQueue("empty")).isEqualTo(QueueRemoval.DELETED);
    assertThat(store.deleteQueue("busy")).isEqualTo(QueueRemoval.HOLDS_TASKS);
    assertThat(store.deleteQueue("never-named")).isEqualTo(QueueRemoval.NOT_FOUND);
    assertThat(store.deleteQueue("empty")).isEqualTo(QueueRemoval.NOT_FOUND);

    assertThat(store.queueNames()).containsExactly("busy");
    assertThat(store.queueLimits()).isEmpty();
    assertThat(store.pausedQueues()).isEmpty();

    Submission again = store.insert(aTask().queue("empty").build());
    assertThat(again.created()).isTrue();
    assertThat(store.queueNames()).containsExactly("busy", "empty");
    assertThat(store.pausedQueues()).as("a queue comes back as new: not paused").isEmpty();
  }

  // ================================================================ cluster-wide queue limits

  @Test
  void claimOfALimitedQueueTakesNoMoreThanTheLimitLessItsRunningTasks() {
    store.insertAll(IntStream.range(0, 10).mapToObj(i -> aTask().build()).toList());
    store.setQueueLimit(Fixtures.DEFAULT_QUEUE, 3);

    assertThat(claim(Fixtures.DEFAULT_QUEUE, 2)).hasSize(2);
    assertThat(claim(Fixtures.DEFAULT_QUEUE, 10)).hasSize(1);
    assertThat(claim(Fixtures.DEFAULT_QUEUE, 10)).isEmpty();
    assertThat(store.waitingCounts()).containsEntry(Fixtures.DEFAULT_QUEUE, 7L);
  }

  @Test
  void aQueueLimitCountsTheRunningTasksOfEveryNode() {
    store.insertAll(IntStream.range(0, 5).mapToObj(i -> aTask().build()).toList());
    store.setQueueLimit(Fixtures.DEFAULT_QUEUE, 2);
    claim(Fixtures.DEFAULT_QUEUE, 1);

    List<Task> theirs = claimAt(Fixtures.DEFAULT_QUEUE, 5, OTHER_NODE, clock.instant());

    assertThat(theirs).hasSize(1);
    assertThat(claim(Fixtures.DEFAULT_QUEUE, 5)).isEmpty();
  }

  @Test
  void aFinishedRunFreesItsSlotInALimitedQueue() {
    store.insertAll(IntStream.range(0, 3).mapToObj(i -> aTask().build()).toList());
    store.setQueueLimit(Fixtures.DEFAULT_QUEUE, 1);
    Task first = claimOne();
    assertThat(claim(Fixtures.DEFAULT_QUEUE, 1)).isEmpty();

    store.finishRun(runOf(first), new RunOutcome.Succeeded(clock.instant(), null));

    assertThat(claim(Fixtures.DEFAULT_QUEUE, 5)).hasSize(1);
  }

  @Test
  void aQueueLimitLeavesOtherQueuesAlone() {
    store.insertAll(
        IntStream.range(0, 4)
            .mapToObj(i -> aTask().queue(i % 2 == 0 ? "limited" : "free").build())
            .toList());
    store.setQueueLimit("limited", 1);

    assertThat(claim("limited", 5)).hasSize(1);
    assertThat(claim("free", 5)).hasSize(2);
  }

  @Test
  void loweringAQueueLimitBelowItsRunningTasksStopsClaimsUntilEnoughFinish() {
    store.insertAll(IntStream.range(0, 6).mapToObj(i -> aTask().build()).toList());
    store.setQueueLimit(Fixtures.DEFAULT_QUEUE, 3);
    List<Task> running = claim(Fixtures.DEFAULT_QUEUE, 3);

    store.setQueueLimit(Fixtures.DEFAULT_QUEUE, 1);

    assertThat(claim(Fixtures.DEFAULT_QUEUE, 5)).isEmpty();
    store.finishRun(runOf(running.get(0)), new RunOutcome.Succeeded(clock.instant(), null));
    store.finishRun(runOf(running.get(1)), new RunOutcome.Succeeded(clock.instant(), null));
    assertThat(claim(Fixtures.DEFAULT_QUEUE, 5)).isEmpty(); // one still runs: the limit is full
    store.finishRun(runOf(running.get(2)), new RunOutcome.Succeeded(clock.instant(), null));
    assertThat(claim(Fixtures.DEFAULT_QUEUE, 5)).hasSize(1);
  }

  @Test
  void removingAQueueLimitLetsClaimsTakeAsManyAsTheyAskFor() {
    store.insertAll(IntStream.range(0, 6).mapToObj(i -> aTask().build()).toList());
    store.setQueueLimit(Fixtures.DEFAULT_QUEUE, 1);
    claimOne();

    store.setQueueLimit(Fixtures.DEFAULT_QUEUE, null);

    assertThat(claim(Fixtures.DEFAULT_QUEUE, 4)).hasSize(4);
    assertThat(store.queueLimits()).isEmpty();
  }

  @Test
  void queueLimitsListTheQueuesThatHaveOneOrderedByName() {
    store.setQueueLimit("b", 2);
    store.setQueueLimit("a", 5);
    store.setQueueLimit("c", 1);

    store.setQueueLimit("a", 7);
    store.setQueueLimit("c", null);

    assertThat(store.queueLimits()).containsExactly(Map.entry("a", 7), Map.entry("b", 2));
  }

  @Test
  void settingAQueueLimitRegistersANewQueueAndRemovingOneRegistersNothing() {
    store.setQueueLimit("fresh", 4);
    store.setQueueLimit("never-used", null);

    assertThat(store.queueNames()).containsExactly("fresh");
    assertThat(store.queueCounts()).singleElement().satisfies(q -> {
      assertThat(q.queue()).isEqualTo("fresh");
      assertThat(q.byState()).isEqualTo(countsOf(Map.of()));
    });
    Task task = store.insert(aTask().queue("fresh").build()).task();
    assertThat(claim("fresh", 10)).extracting(Task::id).containsExactly(task.id());
  }

  @Test
  void aQueueLimitMustBePositive() {
    assertThatThrownBy(() -> store.setQueueLimit("q", 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.setQueueLimit("q", -1))
        .isInstanceOf(IllegalArgumentException.class);

    assertThat(store.queueLimits()).isEmpty();
    assertThat(store.queueNames()).isEmpty();
  }

  @Test
  void concurrentClaimersNeverRunMoreTasksOfALimitedQueueThanItsLimit() throws Exception {
    int limit = 3;
    int claimers = 8;
    int rounds = 5;
    store.insertAll(IntStream.range(0, 100).mapToObj(i -> aTask().build()).toList());
    store.setQueueLimit(Fixtures.DEFAULT_QUEUE, limit);
    ExecutorService pool = Executors.newFixedThreadPool(claimers);
    try {
      for (int round = 0; round < rounds; round++) {
        // Every claimer asks for two at the same moment, with nothing running: claims that were
        // not serialised would each see all three slots free and take more than three together.
        CountDownLatch start = new CountDownLatch(1);
        List<Future<List<Task>>> results = new ArrayList<>();
        for (int i = 0; i < claimers; i++) {
          String node = "node-" + i;
          results.add(
              pool.submit(
                  () -> {
                    start.await();
                    return claimAt(Fixtures.DEFAULT_QUEUE, 2, node, clock.instant());
                  }));
        }
        start.countDown();
        List<Task> claimed = new ArrayList<>();
        for (Future<List<Task>> result : results) {
          claimed.addAll(result.get(1, TimeUnit.MINUTES));
        }

        assertThat(claimed).as("round %d", round).hasSize(limit);
        assertThat(claimed).extracting(Task::id).doesNotHaveDuplicates();
        for (Task task : claimed) {
          store.finishRun(runOf(task), new RunOutcome.Succeeded(clock.instant(), null));
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ================================================================ the database's clock

  @Test
  void onTheDatabasesOwnClockStartsLeasesAndHeartbeatsAreTimedByIt() {
    try (TaskStore real = openStoreOnTheDatabasesClock()) {
      Instant before = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS).minusMillis(1);
      real.insertAll(List.of(aTask().build(), aTask().build()));
      List<Task> claimed =
          real.claim(new ClaimRequest(Fixtures.DEFAULT_QUEUE, 2, 1, NODE, Instant.now(), LEASE));
      Task started = claimed.get(0);
      Task ahead = claimed.get(1);
      Task startedLater = real.writeRuns(RunWrites.starting(List.of(runOf(ahead)))).started().get(runOf(ahead));
      NodeRecord node = real.claimNode(node(NODE, "real"), LEASE);
      Instant after = Instant.now().plusMillis(1);

      assertThat(started.startedAt()).isBetween(before, after);
      assertThat(started.leaseExpiresAt()).isBetween(before.plus(LEASE), after.plus(LEASE));
      assertThat(ahead.startedAt()).isNull();
      assertThat(startedLater.startedAt()).isBetween(before, after);
      assertThat(startedLater.attempt()).isEqualTo(1);
      assertThat(node.heartbeatAt()).isBetween(before, after);
      assertThat(node.live()).isTrue();
      // A lease of a millisecond expires by the database's clock alone.
      real.renewLeases(List.of(runOf(started)), Duration.ofMillis(1));
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> real.expiredLeases(10).stream().anyMatch(t -> t.id().equals(started.id())));
    }
  }

  // ================================================================ node registry

  private static NodeInfo node(String id, String instance) {
    return new NodeInfo(
        id, instance, "host-" + instance, 100, MutableClock.DEFAULT_START, 4, Set.of("email"));
  }

  @Test
  void announcedTypesAreRememberedOnceEachInNameOrder() {
    assertThat(store.announcedTypes()).isEmpty();
    store.announceTypes(Set.of("resize_image", "send_email"));
    store.announceTypes(Set.of("send_email", "bill"));
    store.announceTypes(Set.of());

    assertThat(store.announcedTypes()).containsExactly("bill", "resize_image", "send_email");
  }

  @Test
  void aNodesLabelsAreKeptWithItsRegistration() {
    NodeInfo worker =
        new NodeInfo(
            "py-1",
            "instance-1",
            "host-a",
            42,
            clock.instant(),
            4,
            Set.of("resize_image"),
            Map.of(NodeInfo.KIND, "remote", "language", "python"));
    assertThat(store.claimNode(worker, Duration.ofSeconds(30)).node()).isEqualTo(worker);

    assertThat(store.nodes()).singleElement().satisfies(r -> {
      assertThat(r.node().labels()).containsEntry("language", "python");
      assertThat(r.node().isRemote()).isTrue();
    });
  }

  @Test
  void aNodeClaimsAFreeIdAndItsHeartbeatsRefreshItsRegistration() {
    NodeInfo a = node("node-a", "one");
    Instant t = clock.instant();

    NodeRecord claimed = store.claimNode(a, LEASE);

    assertThat(claimed.node()).isEqualTo(a);
    assertThat(claimed.heartbeatAt()).isEqualTo(t);
    assertThat(claimed.heartbeatAge()).isZero();
    assertThat(claimed.live()).isTrue();
    clock.advance(Duration.ofSeconds(5));
    assertThat(store.heartbeatNode(a, LEASE)).isTrue();
    assertThat(store.nodes())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.node()).isEqualTo(a);
              assertThat(r.heartbeatAt()).isEqualTo(t.plusSeconds(5));
            });
  }

  @Test
  void anIdHeldByALiveInstanceIsNotTakenAndTheClaimNamesTheHolder() {
    NodeInfo first = node("node-a", "one");
    NodeInfo second = node("node-a", "two");
    store.claimNode(first, LEASE);
    clock.advance(LEASE); // its lease ends now: still live

    NodeRecord holder = store.claimNode(second, LEASE);

    assertThat(holder.node()).isEqualTo(first);
    assertThat(holder.live()).isTrue();
    assertThat(holder.heartbeatAge()).isEqualTo(LEASE);
    assertThat(store.heartbeatNode(second, LEASE)).isFalse();
    assertThat(store.nodes()).extracting(r -> r.node().instance()).containsExactly("one");
  }

  @Test
  void anIdWhoseRegistrationExpiredIsTakenOverAndItsFormerHolderCannotRenewIt() {
    NodeInfo first = node("node-a", "one");
    NodeInfo second = node("node-a", "two");
    store.claimNode(first, LEASE);
    clock.advance(LEASE.plusMillis(1));
    assertThat(store.nodes()).singleElement().satisfies(r -> assertThat(r.live()).isFalse());

    NodeRecord taken = store.claimNode(second, LEASE);

    assertThat(taken.node()).isEqualTo(second);
    assertThat(store.heartbeatNode(first, LEASE)).isFalse();
    assertThat(store.heartbeatNode(second, LEASE)).isTrue();
  }

  @Test
  void nodesAreListedByIdWithTheirProcessTypesAndMillisecondTimes() {
    Instant started = Instant.parse("2030-01-01T00:00:00.123456Z");
    NodeInfo b = new NodeInfo("b", "ib", "host-b", 2, started, 1, Set.of());
    NodeInfo a = new NodeInfo("a", "ia", "host-a", 1, started, 4, Set.of("x.y", "zoë"));
    store.claimNode(b, LEASE);
    clock.advance(Duration.ofSeconds(1));
    store.claimNode(a, LEASE);

    List<NodeRecord> nodes = store.nodes();

    Instant millis = started.truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    assertThat(nodes).extracting(NodeRecord::id).containsExactly("a", "b");
    assertThat(nodes.get(0).node()).isEqualTo(new NodeInfo("a", "ia", "host-a", 1, millis, 4, Set.of("x.y", "zoë")));
    assertThat(nodes.get(1).node()).isEqualTo(new NodeInfo("b", "ib", "host-b", 2, millis, 1, Set.of()));
    assertThat(nodes.get(1).heartbeatAge()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void removingANodeRemovesOnlyARegistrationItsOwnInstanceHolds() {
    NodeInfo a = node(NODE, "one");
    NodeInfo other = node(OTHER_NODE, "two");
    store.claimNode(a, LEASE);
    store.claimNode(other, LEASE);

    store.removeNode(node(NODE, "an-impostor"));
    store.removeNode(node("never-registered", "x"));
    assertThat(store.nodes()).hasSize(2);
    store.removeNode(a);

    assertThat(store.nodes()).extracting(r -> r.node()).containsExactly(other);
  }

  @Test
  void pruningRemovesRegistrationsSilentForLongerThanGivenAndAPrunedNodeMayRegisterAgain() {
    NodeInfo silent = node("silent", "s");
    NodeInfo atCutoff = node("at-cutoff", "c");
    NodeInfo alive = node("alive", "a");
    store.claimNode(silent, LEASE);
    clock.advance(Duration.ofSeconds(30));
    store.claimNode(atCutoff, LEASE);
    clock.advance(Duration.ofSeconds(30));
    store.claimNode(alive, LEASE);

    assertThat(store.pruneNodes(Duration.ofSeconds(30))).isEqualTo(1);

    assertThat(store.nodes()).extracting(NodeRecord::id).containsExactly("alive", "at-cutoff");
    assertThat(store.pruneNodes(Duration.ofSeconds(30))).isZero();
    assertThat(store.heartbeatNode(silent, LEASE)).as("nobody took the id").isTrue();
    assertThat(store.nodes()).extracting(NodeRecord::id).contains("silent");
  }

  @Test
  void retentionDeletesOnlyTerminalTasksThatFinishedBeforeTheCutoff() {
    Instant t = clock.instant();
    Task succeeded = succeededTask();
    clock.set(t.plusSeconds(1));
    Task failed = failedTask();
    clock.set(t.plusSeconds(2));
    Task cancelled = cancelledTask();
    Task retried = store.retry(failedTask().id(), clock.instant()); // queued again
    Instant cutoff = t.plusSeconds(10);
    clock.set(cutoff);
    Task atCutoff = succeededTask();
    clock.set(cutoff.plusSeconds(10));
    Task newer = succeededTask();
    Task scheduled =
        store.insert(aTask().queue("s").scheduledAt(t.plus(Duration.ofDays(1))).build()).task();
    Task queued = store.insert(aTask().queue("q").build()).task();
    store.insert(aTask().build());
    Task running = claimOne();
    List<String> queues = store.queueNames();

    int deleted = store.deleteFinishedBefore(cutoff, 100);

    assertThat(deleted).isEqualTo(3);
    for (Task gone : List.of(succeeded, failed, cancelled)) {
      assertThat(store.find(gone.id())).as("task %s", gone.state()).isEmpty();
    }
    for (Task kept : List.of(retried, atCutoff, newer, scheduled, queued, running)) {
      assertThat(find(kept.id())).as("task %s", kept.state()).isEqualTo(kept);
    }
    assertThat(store.queueNames()).isEqualTo(queues); // queues are never forgotten
    assertThat(store.deleteFinishedBefore(cutoff, 100)).isZero();
  }

  @Test
  void retentionDeletesInBatchesOfAtMostTheLimit() {
    for (int i = 0; i < 5; i++) {
      succeededTask();
      clock.advance(Duration.ofSeconds(1));
    }
    Instant cutoff = clock.instant();

    assertThat(store.deleteFinishedBefore(cutoff, 0)).isZero();
    assertThat(store.deleteFinishedBefore(cutoff, 2)).isEqualTo(2);
    assertThat(store.deleteFinishedBefore(cutoff, 2)).isEqualTo(2);
    assertThat(store.deleteFinishedBefore(cutoff, 2)).isEqualTo(1);
    assertThat(store.deleteFinishedBefore(cutoff, 2)).isZero();
    assertThat(allTaskIds()).isEmpty();
  }

  // ================================================================ cluster services

  @Test
  void pingingAnOpenStoreSucceeds() {
    assertThatCode(store::ping).doesNotThrowAnyException();
  }

  @Test
  void aSoleCandidateLeadsAndKeepsLeading() {
    try (LeaderElection election = store.leaderElection(NODE)) {
      assertThat(election.tryLead()).isTrue();
      assertThat(election.tryLead()).isTrue();
    }
  }

  @Test
  void aWorkSubscriptionCanBeClosed() throws Exception {
    AutoCloseable subscription = store.subscribe((queues, changed) -> {});

    assertThatCode(subscription::close).doesNotThrowAnyException();
    store.insert(aTask().build()); // the store works on without it
  }

  // ================================================================ lifecycle

  @Test
  void reopeningTheStoreKeepsItsTasksAndRunsMigrationsAgain() {
    Task waiting =
        store
            .insert(aTask().queue("kept").scheduledAt(clock.instant().plusSeconds(60)).build())
            .task();
    store.insert(aTask().queue("kept").build());
    Task running = claim("kept", 1).get(0);
    store.close();
    store = null;

    store = openStore();

    assertThat(find(waiting.id())).isEqualTo(waiting);
    assertThat(find(running.id())).isEqualTo(running);
    assertThat(store.queueNames()).containsExactly("kept");
    Task another = store.insert(aTask().queue("kept").build()).task();
    assertThat(store.find(another.id())).contains(another);
    assertThat(store.renewLeases(List.of(runOf(running)), LEASE))
        .containsEntry(runOf(running), LeaseStatus.RENEWED);
  }

  @Test
  void closingTheStoreTwiceIsHarmless() {
    store.close();
    store.close();
    store = null;
  }

  // ================================================================ helpers

  /** The end of a lease taken now. */
  protected Instant leaseEnd() {
    return clock.instant().plus(LEASE);
  }

  /** Claims up to {@code limit} tasks of {@code queue} for {@link #NODE}, now, starting them all. */
  protected List<Task> claim(String queue, int limit) {
    return claimAt(queue, limit, NODE, clock.instant());
  }

  /** Claims for {@code node} with the engine's time {@code now}, starting them all, for {@link #LEASE}. */
  protected List<Task> claimAt(String queue, int limit, String node, Instant now) {
    return store.claim(ClaimRequest.starting(queue, limit, node, now, LEASE));
  }

  /**
   * What the engine's maintenance does with expired leases, reduced to the store's part: every
   * run whose lease expired goes back to its queue, its attempt kept.
   */
  protected List<Task> recoverExpiredRuns() {
    Map<RunRef, RunOutcome> outcomes = new java.util.LinkedHashMap<>();
    for (Task t : store.expiredLeases(1000)) {
      TaskError lost =
          new TaskError(t.attempt(), clock.instant(), null, "lease of " + t.leaseOwner() + " expired", null);
      outcomes.put(runOf(t), new RunOutcome.Released(clock.instant(), lost, false));
    }
    return List.copyOf(store.recoverExpired(outcomes).values());
  }

  /** Claims the next task of the default queue for {@link #NODE}; fails if there is none. */
  protected Task claimOne() {
    List<Task> claimed = claim(Fixtures.DEFAULT_QUEUE, 1);
    assertThat(claimed).as("a ready task in the default queue").hasSize(1);
    return claimed.get(0);
  }

  /** The run a claimed task belongs to. */
  protected static RunRef runOf(Task task) {
    return new RunRef(task.id(), task.fencingToken());
  }

  /** The stored task; fails if there is none. */
  protected Task find(TaskId id) {
    return store.find(id).orElseThrow(() -> new AssertionError("no task " + id));
  }

  /** A task of its own queue, run to success. */
  protected Task succeededTask() {
    String queue = "done-" + TaskId.next();
    store.insert(aTask().queue(queue).build());
    Task running = claim(queue, 1).get(0);
    return store.finishRun(runOf(running), new RunOutcome.Succeeded(clock.instant(), "{}"));
  }

  /** A task of its own queue, failed permanently on its first run. */
  protected Task failedTask() {
    String queue = "failed-" + TaskId.next();
    store.insert(aTask().queue(queue).build());
    Task running = claim(queue, 1).get(0);
    TaskError error = new TaskError(1, clock.instant(), NODE, "permanent failure", null);
    return store.finishRun(runOf(running), new RunOutcome.Failed(clock.instant(), error));
  }

  /** A task of its own queue, cancelled while queued. */
  protected Task cancelledTask() {
    Task queued = store.insert(aTask().queue("cancelled-" + TaskId.next()).build()).task();
    return store.requestCancel(queued.id(), clock.instant());
  }

  private List<TaskId> allTaskIds() {
    return store.list(TaskQuery.all().withLimit(TaskQuery.MAX_LIMIT)).tasks().stream()
        .map(Task::id)
        .toList();
  }

  private static void assertLeaseCleared(Task task) {
    assertThat(task.leaseOwner()).as("lease owner").isNull();
    assertThat(task.leaseExpiresAt()).as("lease expiry").isNull();
    assertThat(task.cancelRequested()).as("cancel requested").isFalse();
  }

  private static Map<TaskState, Long> countsOf(Map<TaskState, Long> nonZero) {
    Map<TaskState, Long> all = new EnumMap<>(TaskState.class);
    for (TaskState s : TaskState.values()) {
      all.put(s, nonZero.getOrDefault(s, 0L));
    }
    return all;
  }

  /** The values, after a leading {@code null} that stands for "no filter". */
  @SafeVarargs
  private static <T> List<T> orNoFilter(T... values) {
    List<T> out = new ArrayList<>();
    out.add(null);
    for (T value : values) {
      out.add(value);
    }
    return out;
  }
}
