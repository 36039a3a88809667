package dev.tasklane.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.RetryPolicy;
import dev.tasklane.StoreException;
import dev.tasklane.Task;
import dev.tasklane.TaskId;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskState;
import dev.tasklane.TaskType;
import dev.tasklane.WorkerConfig;
import dev.tasklane.spi.ClaimRequest;
import dev.tasklane.spi.ForwardingTaskStore;
import dev.tasklane.spi.NewTask;
import dev.tasklane.spi.RunOutcome;
import dev.tasklane.spi.RunRef;
import dev.tasklane.spi.RunWrites;
import dev.tasklane.testing.InMemoryTaskStore;
import dev.tasklane.testing.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The real engine against the in-memory store, driven by hand ({@link ManualEngine}): dispatch
 * order, limits, claiming ahead, retries, lease loss, failures at the handler boundary and
 * shutdown, with no timing luck: nothing runs until the test says, and time is a test clock.
 */
class EngineTest {
  private static final Duration LEASE = Duration.ofSeconds(30);
  private final TestClock clock = TestClock.at("2030-01-01T00:00:00Z");
  private final InMemoryTaskStore store = new InMemoryTaskStore(clock);
  private final List<String> ran = Collections.synchronizedList(new ArrayList<>());
  private final List<ManualEngine> engines = new ArrayList<>();

  @AfterEach
  void stopEngines() {
    engines.forEach(ManualEngine::close);
  }

  private WorkerConfig.Builder config() {
    return WorkerConfig.builder()
        .nodeId("node-1")
        .clock(clock)
        .concurrency(2)
        .leaseDuration(LEASE)
        .shutdownTimeout(Duration.ZERO);
  }

  private ManualEngine engine(WorkerConfig config, TaskType<?>... types) {
    ManualEngine e = new ManualEngine(store, clock, config, ManualEngine.types(types));
    engines.add(e);
    return e.start();
  }

  /** A handler that records the task's payload (its name) and succeeds. */
  private TaskType<JsonNode> recording(String type) {
    return TaskType.of(
        type,
        JsonNode.class,
        (payload, ctx) -> {
          ran.add(payload.asText());
          return TaskResult.success(ctx.attempt());
        });
  }

  private static NewTask task(String name, int priority) {
    return task("t", "default", name, priority);
  }

  private static NewTask task(String type, String queue, String name, int priority) {
    Instant created = Instant.parse("2029-12-31T23:00:00Z");
    return new NewTask(
        TaskId.next(), type, queue, "\"" + name + "\"", priority, TaskState.QUEUED, 3, created,
        null, created, null);
  }

  // ------------------------------------------------------------------ dispatch order and limits

  @Test
  void aPassStartsTheHighestPriorityTasksFirstAndNoMoreThanTheNodesSlots() {
    ManualEngine e = engine(config().concurrency(2).claimAhead(0).build(), recording("t"));
    for (String[] t : new String[][] {{"low", "0"}, {"high", "9"}, {"mid", "5"}, {"mid2", "5"}}) {
      e.submit(task(t[0], Integer.parseInt(t[1])));
    }

    e.dispatch();

    assertThat(e.threads.pending()).as("handlers started").isEqualTo(2);
    e.runHandlers();
    assertThat(ran).containsExactly("high", "mid");
    e.dispatch();
    e.runHandlers();
    assertThat(ran).containsExactly("high", "mid", "mid2", "low");
  }

  @Test
  void aQueueLimitCapsItsRunsWhileOtherQueuesUseTheNodesOtherSlots() {
    ManualEngine e =
        engine(
            config().concurrency(3).claimAhead(0).queueLimit("mail", 1).build(),
            recording("t"));
    e.submit(task("t", "mail", "m1", 0));
    e.submit(task("t", "mail", "m2", 0));
    e.submit(task("t", "reports", "r1", 0));
    e.submit(task("t", "reports", "r2", 0));

    e.dispatch();

    assertThat(e.engine.inFlight("mail")).isEqualTo(1);
    assertThat(e.engine.inFlight("reports")).isEqualTo(2);
    assertThat(e.engine.inFlight()).isEqualTo(3);
  }

  // ------------------------------------------------------------------ claiming ahead

  @Test
  void tasksClaimedAheadSpendTheirAttemptOnlyWhenTheirHandlerStarts() {
    ManualEngine e = engine(config().concurrency(1).claimAhead(8).build(), recording("t"));
    List<TaskId> ids = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      ids.add(e.submit(task("task-" + i, 0)).id());
    }
    // Handlers that finish fast, 20 in a tenth of a second, earn the node an allowance.
    for (int i = 0; i < 20; i++) {
      e.dispatch();
      e.runHandlers();
      clock.advance(Duration.ofMillis(5));
    }
    e.dispatch();

    List<Task> leased =
        ids.stream().map(e::task).filter(t -> t.state() == TaskState.RUNNING).toList();
    assertThat(leased).as("one started, the rest claimed ahead").hasSizeGreaterThan(1);
    List<Task> ahead = leased.stream().filter(t -> t.startedAt() == null).toList();
    assertThat(ahead).isNotEmpty().allSatisfy(t -> assertThat(t.attempt()).isZero());

    e.runHandlers(); // the one started; then each claimed-ahead task as its slot frees
    for (int i = 0; i < 60 && e.threads.pending() + pendingAhead(e, ids) > 0; i++) {
      e.dispatch();
      e.runHandlers();
    }
    assertThat(ids).allSatisfy(id -> {
      Task t = e.task(id);
      assertThat(t.state()).isEqualTo(TaskState.SUCCEEDED);
      assertThat(t.attempt()).as("one attempt, spent when it started").isEqualTo(1);
      assertThat(t.result()).isEqualTo("1");
    });
  }

  private static long pendingAhead(ManualEngine e, List<TaskId> ids) {
    return ids.stream().filter(id -> e.state(id) != TaskState.SUCCEEDED).count();
  }

  /**
   * Runs 20 quick tasks, 5 ms apart on the clock: the handlers finish fast enough to earn the node
   * a claim-ahead allowance.
   */
  private void earnAnAllowance(ManualEngine e) {
    for (int i = 0; i < 20; i++) {
      e.submit(task("warm-up-" + i, 9));
      e.dispatch();
      e.runHandlers();
      clock.advance(Duration.ofMillis(5));
    }
    ran.clear();
  }

  @Test
  void shutdownGivesTasksClaimedAheadBackWithTheirAttemptsIntactAndRefundsAStartedRun() {
    ManualEngine e = engine(config().concurrency(1).claimAhead(8).build(), recording("t"));
    earnAnAllowance(e);
    List<TaskId> ids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      ids.add(e.submit(task("task-" + i, 0)).id());
    }
    e.dispatch(); // one started in the node's slot, the rest claimed ahead
    List<Task> ahead = ids.stream().map(e::task).filter(t -> t.state() == TaskState.RUNNING && t.startedAt() == null).toList();
    assertThat(ahead).hasSizeGreaterThan(1);

    e.close(); // the started run's handler never ran: it is given back too

    assertThat(ids).allSatisfy(id -> {
      Task t = e.task(id);
      assertThat(t.state()).isEqualTo(TaskState.QUEUED);
      assertThat(t.attempt()).as("no attempt spent by a run that never ran").isZero();
      assertThat(t.errors()).isEmpty();
    });
    assertThat(ran).isEmpty();
  }

  @Test
  void aQueueWhoseHandlersAreSlowGetsNothingClaimedAheadHoweverFastAnotherQueueIs() {
    ManualEngine e =
        engine(config().concurrency(4).claimAhead(64).queueLimit("slow", 1).build(), recording("t"));
    earnAnAllowance(e); // the default queue's handlers are fast
    for (int i = 0; i < 50; i++) {
      e.submit(task("t", "slow", "slow-" + i, 0));
    }

    e.dispatch();

    assertThat(e.engine.inFlight("slow")).isEqualTo(1);
    assertThat(store.list(dev.tasklane.TaskQuery.all().withQueue("slow").withState(TaskState.RUNNING)).tasks())
        .as("only the run in its one slot")
        .hasSize(1);
  }

  @Test
  void aStartWhoseCommitWentUnansweredIsSentAgainAndTheTaskRunsOnce() {
    FailingStore failing = new FailingStore(store);
    failing.loseTheAnswerOfTheNextStart = true;
    ManualEngine e =
        new ManualEngine(failing, clock, config().concurrency(1).claimAhead(8).build(), ManualEngine.types(recording("t")));
    engines.add(e);
    e.start();
    earnAnAllowance(e);
    List<TaskId> ids = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      ids.add(e.submit(task("task-" + i, 0)).id());
    }
    for (int i = 0; i < 40 && ids.stream().anyMatch(id -> e.state(id) != TaskState.SUCCEEDED); i++) {
      e.dispatch();
      e.runHandlers();
    }

    assertThat(failing.startAnswersLost.get()).as("a start's answer was lost").isEqualTo(1);
    assertThat(ids).allSatisfy(id -> {
      assertThat(e.state(id)).isEqualTo(TaskState.SUCCEEDED);
      assertThat(e.task(id).attempt()).isEqualTo(1);
    });
    assertThat(ran).hasSize(10).doesNotHaveDuplicates();
  }

  @Test
  void aRunClaimedAheadWhoseTaskWasTakenMeanwhileNeverHasItsOutcomeWritten() {
    ManualEngine e = engine(config().concurrency(1).claimAhead(8).build(), recording("t"));
    earnAnAllowance(e);
    List<TaskId> ids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      ids.add(e.submit(task("task-" + i, 0)).id());
    }
    e.dispatch(); // one started, the rest claimed ahead
    Task ahead = ids.stream().map(e::task).filter(t -> t.startedAt() == null && t.state() == TaskState.RUNNING).findFirst().orElseThrow();
    // Another node takes it (this one was silent past its lease, say).
    store.finishRun(new RunRef(ahead.id(), ahead.fencingToken()), new RunOutcome.Released(clock.instant(), null, false));
    Task theirs = store.claim(ClaimRequest.starting("default", 10, "node-2", clock.instant(), LEASE)).stream()
        .filter(t -> t.id().equals(ahead.id())).findFirst().orElseThrow();

    for (int i = 0; i < 20; i++) {
      e.dispatch();
      e.runHandlers();
    }

    assertThat(e.task(ahead.id())).isEqualTo(theirs);
    assertThat(e.engine.stats().staleRefusedByStore.sum()).isEqualTo(1);
  }

  @Test
  void tasksClaimedWhileShutdownBeganAreGivenBackNotStarted() throws Exception {
    CountDownLatch claimSent = new CountDownLatch(1);
    CountDownLatch answer = new CountDownLatch(1);
    ForwardingTaskStore slowClaims =
        new ForwardingTaskStore(store) {
          @Override
          public List<Task> claim(ClaimRequest request) {
            claimSent.countDown();
            try {
              answer.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return super.claim(request);
          }

          @Override
          public void close() {}
        };
    ManualEngine e = new ManualEngine(slowClaims, clock, config().claimAhead(0).build(), ManualEngine.types(recording("t")));
    engines.add(e);
    e.start();
    TaskId id = e.submit(task("x", 0)).id();
    Thread pass = Thread.ofVirtual().start(e::dispatch);
    assertThat(claimSent.await(10, TimeUnit.SECONDS)).isTrue();

    e.engine.dispatcher().stopClaiming();
    answer.countDown();
    pass.join(10_000);
    e.runHandlers(); // only the give-back runs

    assertThat(ran).isEmpty();
    Task back = e.task(id);
    assertThat(back.state()).isEqualTo(TaskState.QUEUED);
    assertThat(back.attempt()).isZero();
  }

  @Test
  void aClaimHeldBackByOutcomesStillBeingWrittenIsWokenAsSoonAsTheyAreWritten() throws Exception {
    CountDownLatch writesMayGo = new CountDownLatch(1);
    ForwardingTaskStore slowWrites =
        new ForwardingTaskStore(store) {
          @Override
          public RunWrites.Result writeRuns(RunWrites writes) {
            awaitQuietly(writesMayGo);
            return super.writeRuns(writes);
          }

          @Override
          public Task finishRun(RunRef run, RunOutcome outcome) {
            awaitQuietly(writesMayGo);
            return super.finishRun(run, outcome);
          }

          @Override
          public void close() {}
        };
    // One slot, nothing claimed ahead: the node holds at most 4 leases, counting runs whose
    // outcome is still being written.
    ManualEngine e =
        new ManualEngine(
            slowWrites, clock, config().concurrency(1).claimAhead(0).build(), ManualEngine.types(recording("t")));
    engines.add(e);
    e.start();
    for (int i = 0; i < 6; i++) {
      e.submit(task("t" + i, 0));
    }
    await().atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              e.dispatch();
              e.threads.startAllOnThreads();
              return ran.size() == 4 && e.engine.inFlight() == 0;
            });
    e.dispatch();
    assertThat(e.threads.pending()).as("no room for a fifth lease").isZero();
    e.engine.wakeup().await(Duration.ZERO, () -> true); // forget the wakes so far

    writesMayGo.countDown();

    // The outcomes written, the held-back claim is woken: it does not wait out a poll interval.
    await().atMost(Duration.ofSeconds(30)).until(() -> e.engine.wakeup().await(Duration.ZERO, () -> true));
    await().atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              e.dispatch();
              e.threads.startAllOnThreads();
              return ran.size() == 6;
            });
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ------------------------------------------------------------------ retries

  @Test
  void aFailedAttemptWaitsOutItsBackoffOnTheClockThenRunsAgain() {
    AtomicInteger calls = new AtomicInteger();
    TaskType<JsonNode> flaky =
        TaskType.of("t", JsonNode.class, (p, c) -> {
              if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("first time fails");
              }
              return TaskResult.success();
            })
            .withRetryPolicy(new RetryPolicy(3, Duration.ofSeconds(10), Duration.ofSeconds(10), 1.0, 0));
    ManualEngine e = engine(config().claimAhead(0).build(), flaky);
    TaskId id = e.submit(task("x", 0)).id();
    e.dispatch();
    e.runHandlers();
    assertThat(e.state(id)).isEqualTo(TaskState.SCHEDULED);

    clock.advance(Duration.ofSeconds(9));
    e.dispatch();
    assertThat(e.threads.pending()).as("not due yet").isZero();
    clock.advance(Duration.ofSeconds(1));
    e.dispatch();
    e.runHandlers();

    Task done = e.task(id);
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.attempt()).isEqualTo(2);
    assertThat(done.errors()).singleElement().satisfies(err -> assertThat(err.message()).contains("first time fails"));
  }

  // ------------------------------------------------------------------ leases

  @Test
  void aRunWhoseLeaseIsLostIsStoppedAndItsOutcomeIsNeverWritten() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ManualEngine e =
        engine(
            config().claimAhead(0).build(),
            TaskType.of("t", JsonNode.class, (p, c) -> {
              running.countDown();
              release.await(); // interrupted when the run is stopped
              return TaskResult.success("stale");
            }));
    TaskId id = e.submit(task("x", 0)).id();
    e.dispatch();
    Thread handler = e.threads.startAllOnThreads().get(0);
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
    // Another node took the task over (its node was silent past its lease).
    Task mine = e.task(id);
    store.finishRun(new RunRef(id, mine.fencingToken()), new RunOutcome.Released(clock.instant(), null, false));
    Task theirs = store.claim(ClaimRequest.starting("default", 1, "node-2", clock.instant(), LEASE)).get(0);

    e.renewLeases();
    handler.join(10_000);

    assertThat(handler.isAlive()).isFalse();
    assertThat(e.engine.stats().staleDiscarded.sum()).isEqualTo(1);
    assertThat(e.engine.stats().staleRefusedByStore.sum()).isZero();
    assertThat(e.task(id)).isEqualTo(theirs);
    assertThat(e.engine.inFlight()).isZero();
  }

  @Test
  void aNodeWhoseRenewalsFailOrHangForMostOfALeaseStopsItsRunsBeforeAnotherNodeCanTakeThem()
      throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    AtomicInteger interrupted = new AtomicInteger();
    FailingStore failing = new FailingStore(store);
    ManualEngine e =
        new ManualEngine(
            failing,
            clock,
            config().claimAhead(0).build(), // lease 30 s, heartbeats every 10 s
            ManualEngine.types(
                TaskType.of("t", JsonNode.class, (p, c) -> {
                  running.countDown();
                  try {
                    new CountDownLatch(1).await();
                  } catch (InterruptedException stopped) {
                    interrupted.incrementAndGet();
                    throw stopped;
                  }
                  return TaskResult.success();
                })));
    engines.add(e);
    e.start();
    TaskId id = e.submit(task("x", 0)).id();
    e.dispatch();
    Thread handler = e.threads.startAllOnThreads().get(0);
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
    failing.failRenewals = true;

    clock.advance(Duration.ofSeconds(10));
    try {
      e.renewLeases();
    } catch (StoreException expected) {
      // the database is unreachable
    }
    clock.advance(Duration.ofSeconds(14)); // 24 s without a renewal: the lease still holds
    e.engine.leaseKeeper().fenceOverdue(); // the guard's timer, as while a renewal hangs
    assertThat(interrupted.get()).as("the lease is still valid for a while").isZero();
    clock.advance(Duration.ofSeconds(1)); // 25 s: a lease less half a heartbeat interval
    e.engine.leaseKeeper().fenceOverdue();
    handler.join(10_000);

    assertThat(interrupted.get()).isEqualTo(1);
    assertThat(e.engine.stats().staleDiscarded.sum()).isEqualTo(1);
    assertThat(e.task(id).state()).as("nothing written; its lease will expire").isEqualTo(TaskState.RUNNING);
  }

  @Test
  void aNodeWhoseClockRunsAheadDoesNotRecoverAnotherNodesLiveLease() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ManualEngine a =
        engine(
            config().claimAhead(0).build(),
            TaskType.of("t", JsonNode.class, (p, c) -> {
              running.countDown();
              release.await();
              return TaskResult.success(c.fencingToken());
            }));
    // Node 2 believes it is two leases later than it is. It leads maintenance (the in-memory
    // store, like SQLite, lets every node lead).
    ManualEngine b =
        engine(
            config().nodeId("node-2").clock(clock.skewedBy(LEASE.multipliedBy(2))).build(),
            recording("t"));
    TaskId id = a.submit(task("x", 0)).id();
    a.dispatch();
    Thread handler = a.threads.startAllOnThreads().get(0);
    assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();

    b.maintain();
    clock.advance(LEASE.dividedBy(2));
    a.renewLeases();
    clock.advance(LEASE.dividedBy(2));
    b.maintain();

    assertThat(b.engine.stats().recovered.sum()).isZero();
    release.countDown();
    handler.join(10_000);
    Task done = a.task(id);
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.result()).as("the first and only run wrote it").isEqualTo("1");
    assertThat(done.errors()).isEmpty();
  }

  // ------------------------------------------------------------------ the handler boundary

  @Test
  void anErrorStartingTheHandlersThreadFreesTheSlotAndGivesTheTaskBack() {
    ManualEngine e = engine(config().claimAhead(0).build(), recording("t"));
    TaskId id = e.submit(task("x", 0)).id();
    e.threads.failNextHandlerStart.set(new OutOfMemoryError("unable to create native thread"));

    e.dispatch();
    e.runHandlers(); // the give-back, on a thread of its own

    assertThat(e.engine.inFlight()).as("the slot is free again").isZero();
    assertThat(e.engine.registry().size()).as("no lease left to renew").isZero();
    Task back = e.task(id);
    assertThat(back.state()).isEqualTo(TaskState.QUEUED);
    assertThat(back.attempt()).as("its start was refunded").isZero();
    e.dispatch();
    e.runHandlers();
    assertThat(e.state(id)).isEqualTo(TaskState.SUCCEEDED);
    assertThat(ran).containsExactly("x");
  }

  @Test
  void anInterruptThatComesAfterTheHandlerReturnedCannotDropItsOutcome() throws Exception {
    // The outcome write fails once (the database blinks) and is retried after a backoff; a
    // cancel arrives for the run during that backoff. The outcome must still be written.
    FailingStore failing = new FailingStore(store);
    CountDownLatch firstWriteFailed = new CountDownLatch(1);
    failing.onFailedWrite = firstWriteFailed::countDown;
    failing.failWritesRemaining.set(1);
    ManualEngine e =
        new ManualEngine(failing, clock, config().claimAhead(0).build(), ManualEngine.types(recording("t")));
    engines.add(e);
    e.start();
    TaskId id = e.submit(task("x", 0)).id();
    e.dispatch();
    Thread handler = e.threads.startAllOnThreads().get(0);
    assertThat(firstWriteFailed.await(10, TimeUnit.SECONDS)).isTrue();

    e.engine.cancelLocal(id); // would interrupt the thread, were the handler still running

    handler.join(10_000);
    assertThat(handler.isAlive()).isFalse();
    assertThat(e.state(id)).isEqualTo(TaskState.SUCCEEDED);
    assertThat(ran).containsExactly("x");
  }

  @Test
  void aTimeoutOfARunThatEndedLeavesNothingBehindInTheTimer() {
    ManualEngine e =
        engine(
            config().claimAhead(0).concurrency(4).build(),
            recording("t").withTimeout(Duration.ofHours(1)));
    for (int i = 0; i < 20; i++) {
      e.submit(task("x" + i, 0));
    }
    for (int i = 0; i < 10; i++) {
      e.dispatch();
      e.runHandlers();
    }
    assertThat(ran).hasSize(20);
    assertThat(e.timeouts.pending()).isZero();
  }

  @Test
  void progressReportsNeverMakeTheHandlerWaitForTheStore() throws Exception {
    CountDownLatch storeAnswers = new CountDownLatch(1);
    AtomicInteger writes = new AtomicInteger();
    ForwardingTaskStore hanging =
        new ForwardingTaskStore(store) {
          @Override
          public boolean updateProgress(RunRef run, int percent) {
            writes.incrementAndGet();
            try {
              storeAnswers.await(); // a database that does not answer
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            return super.updateProgress(run, percent);
          }

          @Override
          public void close() {}
        };
    ManualEngine e =
        new ManualEngine(
            hanging,
            clock,
            config().claimAhead(0).build(),
            ManualEngine.types(
                TaskType.of("t", JsonNode.class, (p, c) -> {
                  for (int i = 1; i <= 100; i++) {
                    c.progress(i);
                  }
                  return TaskResult.success();
                })));
    engines.add(e);
    e.start();
    TaskId id = e.submit(task("x", 0)).id();
    e.dispatch();

    e.runHandlers(); // returns although no progress write was ever answered

    assertThat(e.state(id)).isEqualTo(TaskState.SUCCEEDED);
    // One write went out and hangs; the other reports wait behind it, collapsed into the latest.
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> writes.get() == 1);
    storeAnswers.countDown();
  }

  // ------------------------------------------------------------------ helpers

  /** Store faults on demand: renewals failing, or the next outcome writes failing. */
  static final class FailingStore extends ForwardingTaskStore {
    volatile boolean failRenewals;
    /** The next write with a start commits, and then fails as if its answer were lost. */
    volatile boolean loseTheAnswerOfTheNextStart;
    final AtomicInteger startAnswersLost = new AtomicInteger();
    final AtomicInteger failWritesRemaining = new AtomicInteger();
    volatile Runnable onFailedWrite = () -> {};

    FailingStore(InMemoryTaskStore delegate) {
      super(delegate);
    }

    @Override
    public java.util.Map<RunRef, dev.tasklane.spi.LeaseStatus> renewLeases(
        java.util.Collection<RunRef> runs, Duration lease) {
      if (failRenewals) {
        throw new StoreException("renewLeases", new java.io.IOException("unreachable"), true);
      }
      return super.renewLeases(runs, lease);
    }

    @Override
    public RunWrites.Result writeRuns(RunWrites writes) {
      if (!writes.starts().isEmpty() && loseTheAnswerOfTheNextStart) {
        loseTheAnswerOfTheNextStart = false;
        super.writeRuns(writes);
        startAnswersLost.incrementAndGet();
        throw new StoreException("writeRuns", new java.net.SocketTimeoutException("Read timed out"), true);
      }
      if (!writes.outcomes().isEmpty() && failWritesRemaining.getAndDecrement() > 0) {
        onFailedWrite.run();
        throw new StoreException("writeRuns", new java.io.IOException("blink"), true);
      }
      return super.writeRuns(writes);
    }

    @Override
    public Task finishRun(RunRef run, RunOutcome outcome) {
      if (failWritesRemaining.getAndDecrement() > 0) {
        onFailedWrite.run();
        throw new StoreException("finishRun", new java.io.IOException("blink"), true);
      }
      return super.finishRun(run, outcome);
    }

    @Override
    public void close() {}
  }
}
