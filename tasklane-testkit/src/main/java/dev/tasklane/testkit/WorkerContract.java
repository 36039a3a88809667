package dev.tasklane.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.Explanation;
import dev.tasklane.QueueFullException;
import dev.tasklane.RetryPolicy;
import dev.tasklane.Submission;
import dev.tasklane.Task;
import dev.tasklane.TaskError;
import dev.tasklane.TaskId;
import dev.tasklane.TaskRequest;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskState;
import dev.tasklane.TaskType;
import dev.tasklane.Worker;
import dev.tasklane.WorkerConfig;
import dev.tasklane.spi.ClaimRequest;
import dev.tasklane.spi.NewTask;
import dev.tasklane.spi.NodeInfo;
import dev.tasklane.spi.NodeRecord;
import dev.tasklane.spi.RunWrites;
import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The engine's behaviour against a real store: every store module runs this suite unchanged by
 * supplying {@link #openStore()}. Time is real (leases, heartbeats and timeouts run on real
 * schedulers), so durations are short and every wait is an Awaitility condition or a latch.
 */
public abstract class WorkerContract {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final RetryPolicy FAST_RETRY =
      new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(50), 2.0, 0);

  /** A new, empty store; closed by the suite. */
  protected abstract TaskStore openStore() throws Exception;

  /**
   * Another handle on the database of {@link #store}, as a second node would open it. Stores that
   * one process may open once (SQLite) share the one handle; server databases open a new one with
   * its own connections. Closed by the suite.
   */
  protected TaskStore openAnotherHandle() throws Exception {
    return store;
  }

  private final List<TaskStore> otherHandles = new ArrayList<>();

  private TaskStore anotherHandle() throws Exception {
    TaskStore s = openAnotherHandle();
    if (s != store) {
      otherHandles.add(s);
    }
    return s;
  }

  protected TaskStore store;
  private final List<Worker> workers = new ArrayList<>();
  private final List<CountDownLatch> gates = Collections.synchronizedList(new ArrayList<>());

  @BeforeEach
  void openTheStore() throws Exception {
    store = openStore();
  }

  @AfterEach
  void closeEverything() {
    gates.forEach(g -> {
      while (g.getCount() > 0) {
        g.countDown();
      }
    });
    for (Worker w : workers) {
      w.close();
    }
    otherHandles.forEach(TaskStore::close);
    store.close();
  }

  private CountDownLatch gate() {
    CountDownLatch g = new CountDownLatch(1);
    gates.add(g);
    return g;
  }

  private WorkerConfig.Builder fastConfig() {
    return WorkerConfig.builder()
        .nodeId("node-" + System.nanoTime())
        .pollInterval(Duration.ofMillis(50))
        .reapInterval(Duration.ofMillis(100))
        .leaseDuration(Duration.ofSeconds(5))
        .shutdownTimeout(Duration.ofSeconds(5));
  }

  private Worker worker(WorkerConfig config, TaskType<?>... types) {
    return worker(store, config, types);
  }

  private Worker worker(TaskStore on, WorkerConfig config, TaskType<?>... types) {
    Worker.Builder b = Worker.builder(on).config(config);
    for (TaskType<?> t : types) {
      b.register(t);
    }
    Worker w = b.build();
    workers.add(w);
    return w;
  }

  private Worker started(WorkerConfig config, TaskType<?>... types) {
    Worker w = worker(config, types);
    w.start();
    return w;
  }

  private static TaskType<JsonNode> type(String name, ThrowingHandler body) {
    return TaskType.of(name, JsonNode.class, (payload, ctx) -> body.run(payload, ctx));
  }

  @FunctionalInterface
  private interface ThrowingHandler {
    TaskResult run(JsonNode payload, dev.tasklane.TaskContext ctx) throws Exception;
  }

  /**
   * Until {@code target} handlers have once run at the same time, holds each handler until they
   * do (or briefly, if they never can), so that the limit tests see the limit reached whenever the
   * engine allows it; after that, handlers run freely and any run beyond the limit shows in the
   * recorded maximum. A bounded wait for a condition, not a sleep: it ends as soon as it holds.
   */
  private static void overlap(AtomicInteger inFlight, AtomicInteger maxSeen, int target) {
    long deadline = System.nanoTime() + Duration.ofMillis(200).toNanos();
    while (maxSeen.get() < target && inFlight.get() < target && System.nanoTime() < deadline) {
      Thread.yield();
    }
    maxSeen.accumulateAndGet(inFlight.get(), Math::max);
  }

  /** JSON compared as values: stores may normalise the text (PostgreSQL's jsonb does). */
  private static JsonNode json(String text) {
    return dev.tasklane.internal.Json.tree(text);
  }

  private Task awaitState(TaskId id, TaskState state) {
    await().atMost(WAIT).until(() -> store.find(id).orElseThrow().state() == state);
    return store.find(id).orElseThrow();
  }

  private static TaskRequest request(String type, Consumer<TaskRequest.Builder> more) {
    TaskRequest.Builder b = TaskRequest.builder(type);
    more.accept(b);
    return b.build();
  }

  // ------------------------------------------------------------------ ordering and limits

  @Test
  void higherPriorityRunsFirstAndEqualPrioritiesRunInSubmissionOrder() throws Exception {
    CountDownLatch blocker = gate();
    CountDownLatch blockerRunning = new CountDownLatch(1);
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    Worker w = started(
        fastConfig().concurrency(1).build(),
        type("block", (p, c) -> {
          blockerRunning.countDown();
          blocker.await();
          return TaskResult.success();
        }),
        type("record", (p, c) -> {
          order.add(p.get("name").asText());
          return TaskResult.success();
        }));
    w.submit(TaskRequest.builder("block").build());
    assertThat(blockerRunning.await(20, TimeUnit.SECONDS)).isTrue();
    List<TaskId> ids = new ArrayList<>();
    for (String[] t : new String[][] {{"low-1", "1"}, {"high-1", "2"}, {"low-2", "1"}, {"lowest", "0"}, {"high-2", "2"}}) {
      ids.add(w.submit(request("record", b -> b.priority(Integer.parseInt(t[1])).payload(Map.of("name", t[0])))).task().id());
    }
    blocker.countDown();
    ids.forEach(id -> awaitState(id, TaskState.SUCCEEDED));
    assertThat(order).containsExactly("high-1", "high-2", "low-1", "low-2", "lowest");
  }

  @Test
  void globalLimitHoldsUnderContentionWith200TasksAndLimit5() {
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    Worker w = started(
        fastConfig().concurrency(5).build(),
        type("work", (p, c) -> {
          int now = inFlight.incrementAndGet();
          maxInFlight.accumulateAndGet(now, Math::max);
          overlap(inFlight, maxInFlight, 5);
          inFlight.decrementAndGet();
          return TaskResult.success();
        }));
    List<TaskRequest> batch = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      batch.add(TaskRequest.builder("work").build());
    }
    w.submitAll(batch);
    await().atMost(WAIT).until(() -> w.stats().succeeded() == 200);
    assertThat(maxInFlight.get()).isEqualTo(5);
    assertThat(w.stats().inFlight()).isZero();
  }

  @Test
  void queueLimitHoldsWhileOtherQueuesUseTheRestOfTheNode() {
    Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    Map<String, AtomicInteger> max = new ConcurrentHashMap<>();
    AtomicInteger total = new AtomicInteger();
    AtomicInteger maxTotal = new AtomicInteger();
    Worker w = started(
        fastConfig().concurrency(6).queueLimit("narrow", 2).build(),
        type("work", (p, c) -> {
          AtomicInteger q = inFlight.computeIfAbsent(c.queue(), k -> new AtomicInteger());
          max.computeIfAbsent(c.queue(), k -> new AtomicInteger()).accumulateAndGet(q.incrementAndGet(), Math::max);
          maxTotal.accumulateAndGet(total.incrementAndGet(), Math::max);
          overlap(total, maxTotal, 6);
          q.decrementAndGet();
          total.decrementAndGet();
          return TaskResult.success();
        }));
    List<TaskRequest> batch = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      String queue = i % 2 == 0 ? "narrow" : "wide";
      batch.add(TaskRequest.builder("work").queue(queue).build());
    }
    w.submitAll(batch);
    await().atMost(WAIT).until(() -> w.stats().succeeded() == 60);
    assertThat(max.get("narrow").get()).isEqualTo(2);
    assertThat(maxTotal.get()).isLessThanOrEqualTo(6);
    assertThat(max.get("wide").get()).isGreaterThan(2);
  }

  @Test
  void slotsAreReleasedOnEveryExitPath() {
    Worker w = started(
        fastConfig().concurrency(2).build(),
        type("throws", (p, c) -> {
          throw new IllegalStateException("boom");
        }),
        type("error", (p, c) -> {
          throw new StackOverflowError("deep");
        }),
        type("fails", (p, c) -> TaskResult.fail("no")),
        type("ok", (p, c) -> TaskResult.success()));
    List<TaskRequest> batch = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      batch.add(TaskRequest.builder("throws").maxAttempts(1).build());
      batch.add(TaskRequest.builder("error").maxAttempts(1).build());
      batch.add(TaskRequest.builder("fails").build());
    }
    w.submitAll(batch);
    await().atMost(WAIT).until(() -> w.stats().failed() == 30);
    TaskId last = w.submit(TaskRequest.builder("ok").build()).task().id();
    awaitState(last, TaskState.SUCCEEDED);
    assertThat(w.stats().inFlight()).isZero();
  }

  // ------------------------------------------------------------------ retries and failure

  @Test
  void failedAttemptsAreRetriedWithBackoffUntilSuccess() {
    AtomicInteger calls = new AtomicInteger();
    Worker w = started(
        fastConfig().build(),
        type("flaky", (p, c) -> {
          if (calls.incrementAndGet() < 3) {
            throw new java.io.IOException("downstream said 503 (call " + calls.get() + ")");
          }
          return TaskResult.success(Map.of("calls", calls.get()));
        }).withRetryPolicy(FAST_RETRY));
    TaskId id = w.submit(TaskRequest.builder("flaky").build()).task().id();
    Task done = awaitState(id, TaskState.SUCCEEDED);
    assertThat(done.attempt()).isEqualTo(3);
    assertThat(json(done.result())).isEqualTo(json("{\"calls\":3}"));
    assertThat(done.errors()).extracting(TaskError::attempt).containsExactly(1, 2);
    assertThat(done.errors().get(0).message()).isEqualTo("java.io.IOException: downstream said 503 (call 1)");
    assertThat(done.errors().get(0).trace()).contains("IOException");
    assertThat(done.errors().get(1).at()).isAfterOrEqualTo(done.errors().get(0).at().plusMillis(10));
    assertThat(w.stats().retried()).isEqualTo(2);
  }

  @Test
  void afterTheLastAttemptTheTaskIsFailedAndCanBeRetriedByHand() {
    AtomicBoolean healthy = new AtomicBoolean(false);
    Worker w = started(
        fastConfig().build(),
        type("broken", (p, c) -> {
          if (!healthy.get()) {
            throw new IllegalStateException("still broken");
          }
          return TaskResult.success();
        }).withRetryPolicy(FAST_RETRY));
    TaskId id = w.submit(request("broken", b -> b.maxAttempts(2))).task().id();
    Task failed = awaitState(id, TaskState.FAILED);
    assertThat(failed.attempt()).isEqualTo(2);
    assertThat(failed.finishedAt()).isNotNull();
    assertThat(failed.lastError()).isEqualTo("java.lang.IllegalStateException: still broken");
    assertThat(failed.errors()).hasSize(2);

    healthy.set(true);
    Task retried = w.retry(id);
    assertThat(retried.state()).isIn(TaskState.QUEUED, TaskState.RUNNING, TaskState.SUCCEEDED);
    Task done = awaitState(id, TaskState.SUCCEEDED);
    assertThat(done.attempt()).isEqualTo(3);
    assertThat(done.errors()).hasSize(2);
  }

  @Test
  void perTaskMaxAttemptsOverridesTheTypeDefault() {
    Worker w = started(
        fastConfig().build(),
        type("broken", (p, c) -> {
          throw new IllegalStateException("x");
        }).withRetryPolicy(FAST_RETRY.withMaxAttempts(5)));
    TaskId once = w.submit(request("broken", b -> b.maxAttempts(1))).task().id();
    TaskId byType = w.submit(TaskRequest.builder("broken").build()).task().id();
    assertThat(awaitState(once, TaskState.FAILED).attempt()).isEqualTo(1);
    assertThat(awaitState(byType, TaskState.FAILED).attempt()).isEqualTo(5);
  }

  @Test
  void aFailResultEndsTheTaskAtOnce() {
    Worker w = started(fastConfig().build(), type("reject", (p, c) -> TaskResult.fail("invalid address")));
    Task failed = awaitState(w.submit(TaskRequest.builder("reject").build()).task().id(), TaskState.FAILED);
    assertThat(failed.attempt()).isEqualTo(1);
    assertThat(failed.lastError()).isEqualTo("invalid address");
  }

  @Test
  void aPayloadTheHandlerCannotDecodeFailsWithoutRetrying() {
    record Email(String to) {}
    AtomicInteger calls = new AtomicInteger();
    Worker w = started(
        fastConfig().build(),
        TaskType.of("email", Email.class, (e, c) -> {
          calls.incrementAndGet();
          return TaskResult.success();
        }));
    Task failed = awaitState(
        w.submit(request("email", b -> b.payloadJson("[1,2]"))).task().id(), TaskState.FAILED);
    assertThat(failed.lastError()).startsWith("payload cannot be decoded");
    assertThat(calls.get()).isZero();
  }

  // ------------------------------------------------------------------ timeouts and cancellation

  @Test
  void aRunLongerThanItsTimeoutIsInterruptedAndCountsAsAFailedAttempt() {
    AtomicBoolean interrupted = new AtomicBoolean();
    CountDownLatch never = gate();
    Worker w = started(
        fastConfig().build(),
        type("hang", (p, c) -> {
          try {
            never.await();
          } catch (InterruptedException e) {
            interrupted.set(true);
            throw e;
          }
          return TaskResult.success();
        }).withRetryPolicy(FAST_RETRY));
    TaskId id = w.submit(request("hang", b -> b.timeout(Duration.ofMillis(200)).maxAttempts(2))).task().id();
    Task failed = awaitState(id, TaskState.FAILED);
    assertThat(interrupted).isTrue();
    assertThat(failed.attempt()).isEqualTo(2);
    assertThat(failed.errors()).extracting(TaskError::message).containsOnly("timed out after 200ms");
    assertThat(Duration.between(failed.startedAt(), failed.finishedAt())).isGreaterThanOrEqualTo(Duration.ofMillis(200));
  }

  @Test
  void aQueuedTaskCancelledBeforeItRunsNeverRuns() {
    AtomicInteger calls = new AtomicInteger();
    Worker w = started(fastConfig().build(), type("t", (p, c) -> {
      calls.incrementAndGet();
      return TaskResult.success();
    }));
    TaskId later = w.submit(request("t", b -> b.delay(Duration.ofMillis(500)))).task().id();
    assertThat(store.find(later).orElseThrow().state()).isEqualTo(TaskState.SCHEDULED);
    Task cancelled = w.cancel(later);
    assertThat(cancelled.state()).isEqualTo(TaskState.CANCELLED);
    assertThat(cancelled.finishedAt()).isNotNull();
    // A task submitted after it, due later, proves the dispatcher went past the cancelled one's time.
    TaskId after = w.submit(request("t", b -> b.delay(Duration.ofMillis(700)))).task().id();
    awaitState(after, TaskState.SUCCEEDED);
    assertThat(calls.get()).isEqualTo(1);
    assertThat(store.find(later).orElseThrow().state()).isEqualTo(TaskState.CANCELLED);
    assertThatThrownBy(() -> w.cancel(later)).isInstanceOf(dev.tasklane.IllegalTransitionException.class);
  }

  @Test
  void cancellingARunningTaskInterruptsItsHandlerAndEndsCancelled() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    CountDownLatch never = gate();
    Worker w = started(fastConfig().build(), type("long", (p, c) -> {
      running.countDown();
      try {
        never.await();
      } catch (InterruptedException e) {
        interrupted.set(true);
        throw e;
      }
      return TaskResult.success();
    }));
    TaskId id = w.submit(TaskRequest.builder("long").build()).task().id();
    assertThat(running.await(20, TimeUnit.SECONDS)).isTrue();
    Task requested = w.cancel(id);
    assertThat(requested.state()).isIn(TaskState.RUNNING, TaskState.CANCELLED);
    Task cancelled = awaitState(id, TaskState.CANCELLED);
    assertThat(interrupted).isTrue();
    assertThat(cancelled.finishedAt()).isNotNull();
    assertThat(cancelled.leaseOwner()).isNull();
    assertThat(w.stats().cancelled()).isEqualTo(1);
  }

  // ------------------------------------------------------------------ leases and recovery

  @Test
  void aTaskRunningLongerThanItsLeaseKeepsItByHeartbeatsAndRunsOnce() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    CountDownLatch release = gate();
    Duration lease = Duration.ofMillis(600);
    Worker w = started(
        fastConfig().leaseDuration(lease).heartbeatInterval(Duration.ofMillis(150)).build(),
        type("long", (p, c) -> {
          runs.incrementAndGet();
          release.await();
          return TaskResult.success();
        }));
    TaskId id = w.submit(TaskRequest.builder("long").build()).task().id();
    Task first = awaitState(id, TaskState.RUNNING);
    Instant firstExpiry = first.leaseExpiresAt();
    // Wait until three leases' worth of time has passed and the lease was pushed past it.
    Instant threeLeasesLater = first.startedAt().plus(lease.multipliedBy(3));
    await().atMost(WAIT).until(() -> Instant.now().isAfter(threeLeasesLater)
        && store.find(id).orElseThrow().leaseExpiresAt().isAfter(threeLeasesLater));
    Task stillRunning = store.find(id).orElseThrow();
    assertThat(stillRunning.state()).isEqualTo(TaskState.RUNNING);
    assertThat(stillRunning.fencingToken()).isEqualTo(first.fencingToken());
    assertThat(stillRunning.leaseExpiresAt()).isAfter(firstExpiry);
    release.countDown();
    Task done = awaitState(id, TaskState.SUCCEEDED);
    assertThat(runs.get()).isEqualTo(1);
    assertThat(done.attempt()).isEqualTo(1);
    assertThat(w.stats().leaseRenewals()).isGreaterThanOrEqualTo(3);
  }

  @Test
  void aRestartedNodeReclaimsItsOwnLeasesAtOnce() {
    // An unclean stop: node-x claimed the task with a long lease, then died.
    Instant now = Instant.now();
    TaskId id = store.insert(Fixtures.aTask().type("t").build()).task().id();
    store.claim(ClaimRequest.starting("default", 1, "node-x", now, Duration.ofHours(1)));
    assertThat(store.find(id).orElseThrow().state()).isEqualTo(TaskState.RUNNING);

    Worker w = started(fastConfig().nodeId("node-x").build(), type("t", (p, c) -> TaskResult.success(c.attempt())));
    Task done = awaitState(id, TaskState.SUCCEEDED);
    assertThat(done.attempt()).isEqualTo(2);
    assertThat(done.result()).isEqualTo("2");
    assertThat(done.errors()).hasSize(1);
    assertThat(done.errors().get(0).message()).contains("node-x");
    assertThat(w.stats().recovered()).isEqualTo(1);
  }

  @Test
  void aRestartedNodeWaitsForTheRegistrationItsPreviousProcessLeftToExpireThenReclaimsItsLeases() {
    // node-x's previous process registered, claimed, and died: its registration looks live for
    // one more second, so the new process may not assume it gone before then.
    Instant now = Instant.now();
    TaskId id = store.insert(Fixtures.aTask().type("t").build()).task().id();
    store.claimNode(
        new NodeInfo("node-x", "dead-instance", "elsewhere", 4242, now, 1, Set.of("t")),
        Duration.ofSeconds(1));
    store.claim(ClaimRequest.starting("default", 1, "node-x", now, Duration.ofHours(1)));

    long before = System.nanoTime();
    Worker w = started(fastConfig().nodeId("node-x").build(), type("t", (p, c) -> TaskResult.success(c.attempt())));
    long waitedMillis = (System.nanoTime() - before) / 1_000_000;

    assertThat(waitedMillis).as("start waited for the old registration to expire").isGreaterThanOrEqualTo(500);
    Task done = awaitState(id, TaskState.SUCCEEDED);
    assertThat(done.attempt()).isEqualTo(2);
    assertThat(w.stats().recovered()).isEqualTo(1);
    assertThat(store.nodes()).singleElement().satisfies(r -> assertThat(r.node().instance()).isNotEqualTo("dead-instance"));
  }

  @Test
  void aSecondLiveWorkerAskingForAHeldNodeIdFailsToStartNamingTheHolderAndLeavesNoThread() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch release = gate();
    AtomicInteger starts = new AtomicInteger();
    Worker first =
        started(
            fastConfig().nodeId("node-shared").leaseDuration(Duration.ofSeconds(2)).build(),
            type("t", (p, c) -> {
              starts.incrementAndGet();
              running.countDown();
              release.await();
              return TaskResult.success();
            }));
    TaskId id = first.submit(TaskRequest.builder("t").build()).task().id();
    assertThat(running.await(20, TimeUnit.SECONDS)).isTrue();
    Worker second =
        worker(
            anotherHandle(),
            fastConfig().nodeId("node-shared").leaseDuration(Duration.ofSeconds(2)).build(),
            type("t", (p, c) -> TaskResult.success()));
    Set<Thread> before = Thread.getAllStackTraces().keySet();

    assertThatThrownBy(second::start)
        .isInstanceOfSatisfying(
            dev.tasklane.NodeIdInUseException.class,
            e -> {
              assertThat(e.nodeId()).isEqualTo("node-shared");
              assertThat(e.getMessage()).contains("process " + ProcessHandle.current().pid());
            });
    assertThat(second.lifecycle()).isEqualTo(Worker.Lifecycle.STOPPED);
    await().atMost(WAIT).until(() -> tasklaneThreadsNotIn(before).isEmpty());
    // The first worker's run was never taken from it.
    Task task = store.find(id).orElseThrow();
    assertThat(task.state()).isEqualTo(TaskState.RUNNING);
    assertThat(task.fencingToken()).isEqualTo(1);
    release.countDown();
    assertThat(awaitState(id, TaskState.SUCCEEDED).attempt()).isEqualTo(1);
    assertThat(starts.get()).isEqualTo(1);
  }

  @Test
  void workersWithDefaultConfigurationsNeverShareANodeId() {
    Worker a = worker(WorkerConfig.defaults(), type("t", (p, c) -> TaskResult.success()));
    Worker b = worker(WorkerConfig.defaults(), type("t", (p, c) -> TaskResult.success()));
    assertThat(a.config().nodeId()).isNotEqualTo(b.config().nodeId());
    a.start();
    b.start();
    assertThat(store.nodes()).extracting(NodeRecord::id).contains(a.config().nodeId(), b.config().nodeId());
  }

  private static Set<Thread> tasklaneThreadsNotIn(Set<Thread> before) {
    Set<Thread> now = new java.util.HashSet<>(Thread.getAllStackTraces().keySet());
    now.removeAll(before);
    now.removeIf(t -> !t.getName().startsWith("tasklane-") || !t.isAlive());
    return now;
  }

  @Test
  void aTaskClaimedAheadByANodeThatDiedKeepsItsAttemptsAndRuns() {
    Instant now = Instant.now();
    TaskId id = store.insert(Fixtures.aTask().type("t").maxAttempts(1).build()).task().id();
    // The dead node claimed it ahead of a free slot: leased, never started.
    Task ahead =
        store.claim(new ClaimRequest("default", 1, 0, "dead-node", now, Duration.ofMillis(200))).get(0);
    assertThat(ahead.attempt()).isZero();

    started(fastConfig().build(), type("t", (p, c) -> TaskResult.success(c.attempt())));

    Task done = awaitState(id, TaskState.SUCCEEDED);
    assertThat(done.attempt()).isEqualTo(1);
    assertThat(done.result()).isEqualTo("1");
    assertThat(done.errors())
        .singleElement()
        .satisfies(
            e -> assertThat(e.message()).contains("dead-node").contains("before its handler started"));
  }

  @Test
  void anotherNodesExpiredLeaseReturnsTheTaskToTheQueueAsAnAttempt() {
    Instant now = Instant.now();
    TaskId id = store.insert(Fixtures.aTask().type("t").build()).task().id();
    store.claim(ClaimRequest.starting("default", 1, "dead-node", now, Duration.ofMillis(300)));

    started(fastConfig().build(), type("t", (p, c) -> TaskResult.success(c.attempt())));
    Task done = awaitState(id, TaskState.SUCCEEDED);
    assertThat(done.attempt()).isEqualTo(2);
    assertThat(done.errors()).singleElement().satisfies(e -> assertThat(e.message()).contains("dead-node"));
  }

  @Test
  void anExpiredLeaseOnTheLastAttemptFailsTheTask() {
    Instant now = Instant.now();
    TaskId id = store.insert(Fixtures.aTask().type("t").maxAttempts(1).build()).task().id();
    store.claim(ClaimRequest.starting("default", 1, "dead-node", now, Duration.ofMillis(100)));
    started(fastConfig().build(), type("t", (p, c) -> TaskResult.success()));
    Task failed = awaitState(id, TaskState.FAILED);
    assertThat(failed.attempt()).isEqualTo(1);
  }

  /**
   * Takes a run's task away from it as another node would after the run's node froze past its
   * lease: the run is recovered (compare-and-set on its token) and claimed by {@code other-node}.
   */
  private Task takeOver(TaskId id) {
    Task current = store.find(id).orElseThrow();
    store.finishRun(
        new dev.tasklane.spi.RunRef(id, current.fencingToken()),
        new dev.tasklane.spi.RunOutcome.Released(Instant.now(), null, false));
    return store.claim(ClaimRequest.starting("default", 1, "other-node", Instant.now(), Duration.ofSeconds(60))).get(0);
  }

  /** Counts writes of runs to {@code store} that concern {@code task} (starts and outcomes). */
  private static final class WriteCounter extends dev.tasklane.spi.ForwardingTaskStore {
    final AtomicInteger outcomeWrites = new AtomicInteger();

    WriteCounter(TaskStore delegate) {
      super(delegate);
    }

    @Override
    public Task finishRun(dev.tasklane.spi.RunRef run, dev.tasklane.spi.RunOutcome outcome) {
      outcomeWrites.incrementAndGet();
      return super.finishRun(run, outcome);
    }

    @Override
    public RunWrites.Result writeRuns(RunWrites writes) {
      outcomeWrites.addAndGet(writes.outcomes().size());
      return super.writeRuns(writes);
    }

    @Override
    public void close() {
      // the suite closes the real store
    }
  }

  @Test
  void aStaleRunsOutcomeIsRefusedByTheStoresCompareAndSetAndChangesNothing() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch finish = gate();
    WriteCounter counting = new WriteCounter(store);
    // A long lease: no renewal comes between the takeover and the handler's return, so the run
    // still believes it holds its task when it writes, and only the store can refuse it.
    Worker w =
        worker(
            counting,
            fastConfig().concurrency(1).leaseDuration(Duration.ofSeconds(60)).build(),
            type("t", (p, c) -> {
              running.countDown();
              finish.await();
              return TaskResult.success("stale");
            }));
    w.start();
    TaskId id = w.submit(TaskRequest.builder("t").build()).task().id();
    assertThat(running.await(20, TimeUnit.SECONDS)).isTrue();
    long staleToken = store.find(id).orElseThrow().fencingToken();
    Task takenOver = takeOver(id);
    assertThat(takenOver.fencingToken()).isGreaterThan(staleToken);

    finish.countDown();

    await().atMost(WAIT).until(() -> w.stats().staleRefusedByStore() == 1);
    assertThat(w.stats().staleDiscarded()).isZero();
    assertThat(counting.outcomeWrites.get()).as("the stale outcome was sent to the store").isEqualTo(1);
    assertThat(store.find(id).orElseThrow()).isEqualTo(takenOver);
  }

  @Test
  void aRunThatLearnsItLostItsLeaseDiscardsItsOutcomeWithoutWritingIt() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch interrupted = new CountDownLatch(1);
    CountDownLatch finish = gate();
    AtomicBoolean sawLoss = new AtomicBoolean();
    WriteCounter counting = new WriteCounter(store);
    Worker w =
        worker(
            counting,
            fastConfig().concurrency(1).leaseDuration(Duration.ofMillis(600)).build(),
            type("t", (p, c) -> {
              running.countDown();
              // Ignore interrupts, as a handler stuck in uninterruptible I/O would, until the
              // test lets it return.
              while (finish.getCount() > 0) {
                try {
                  finish.await();
                } catch (InterruptedException stopped) {
                  interrupted.countDown(); // and keep waiting
                }
              }
              sawLoss.set(c.isCancelled());
              return TaskResult.success("stale");
            }));
    w.start();
    TaskId id = w.submit(TaskRequest.builder("t").build()).task().id();
    assertThat(running.await(20, TimeUnit.SECONDS)).isTrue();
    Task takenOver = takeOver(id);
    // The next renewal finds the run's token moved on and stops (interrupts) the run.
    assertThat(interrupted.await(20, TimeUnit.SECONDS)).isTrue();

    finish.countDown();

    await().atMost(WAIT).until(() -> w.stats().staleDiscarded() == 1);
    assertThat(sawLoss).as("the handler saw its run stopped").isTrue();
    assertThat(w.stats().staleRefusedByStore()).isZero();
    assertThat(counting.outcomeWrites.get()).as("nothing was sent to the store").isZero();
    assertThat(store.find(id).orElseThrow()).isEqualTo(takenOver);
  }

  // ------------------------------------------------------------------ scheduling, progress, shutdown

  @Test
  void aDelayedTaskWaitsScheduledUntilItsTime() {
    Worker w = started(fastConfig().build(), type("t", (p, c) -> TaskResult.success()));
    Submission s = w.submit(request("t", b -> b.delay(Duration.ofMillis(400))));
    assertThat(s.task().state()).isEqualTo(TaskState.SCHEDULED);
    Task done = awaitState(s.task().id(), TaskState.SUCCEEDED);
    assertThat(done.startedAt()).isAfterOrEqualTo(s.task().runAt());
    assertThat(s.task().runAt()).isEqualTo(s.task().createdAt().plusMillis(400));
  }

  @Test
  void aTaskAtAFixedTimeRunsAtThatTime() {
    Worker w = started(fastConfig().build(), type("t", (p, c) -> TaskResult.success()));
    Instant at = Instant.now().plusMillis(300);
    Submission s = w.submit(request("t", b -> b.runAt(at)));
    Task done = awaitState(s.task().id(), TaskState.SUCCEEDED);
    assertThat(done.runAt()).isEqualTo(at.truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
    assertThat(done.startedAt()).isAfterOrEqualTo(done.runAt());
  }

  @Test
  void progressReportedByTheHandlerIsVisibleWhileItRuns() throws Exception {
    CountDownLatch reported = new CountDownLatch(1);
    CountDownLatch finish = gate();
    Worker w = started(fastConfig().build(), type("t", (p, c) -> {
      c.progress(40);
      reported.countDown();
      finish.await();
      return TaskResult.success();
    }));
    TaskId id = w.submit(TaskRequest.builder("t").build()).task().id();
    assertThat(reported.await(20, TimeUnit.SECONDS)).isTrue();
    // Written off the handler's thread, so soon after the report rather than within it.
    await().atMost(WAIT).until(() -> store.find(id).orElseThrow().progress() == 40);
    finish.countDown();
    assertThat(awaitState(id, TaskState.SUCCEEDED).progress()).isEqualTo(100);
  }

  @Test
  void gracefulShutdownFinishesQuickTasksAndReturnsTheRestToTheQueue() throws Exception {
    CountDownLatch bothRunning = new CountDownLatch(2);
    CountDownLatch quickMayFinish = gate();
    CountDownLatch never = gate();
    Worker w = started(
        fastConfig().concurrency(2).shutdownTimeout(Duration.ofMillis(300)).build(),
        type("quick", (p, c) -> {
          bothRunning.countDown();
          quickMayFinish.await();
          return TaskResult.success();
        }),
        type("slow", (p, c) -> {
          bothRunning.countDown();
          never.await();
          return TaskResult.success();
        }));
    TaskId quick = w.submit(TaskRequest.builder("quick").build()).task().id();
    TaskId slow = w.submit(TaskRequest.builder("slow").build()).task().id();
    assertThat(bothRunning.await(20, TimeUnit.SECONDS)).isTrue();
    Thread closer = Thread.ofPlatform().start(w::close);
    await().atMost(WAIT).until(() -> w.lifecycle() == Worker.Lifecycle.STOPPING || w.lifecycle() == Worker.Lifecycle.STOPPED);
    quickMayFinish.countDown();
    closer.join(20_000);
    assertThat(w.lifecycle()).isEqualTo(Worker.Lifecycle.STOPPED);
    assertThat(store.find(quick).orElseThrow().state()).isEqualTo(TaskState.SUCCEEDED);
    Task returned = store.find(slow).orElseThrow();
    assertThat(returned.state()).isEqualTo(TaskState.QUEUED);
    assertThat(returned.attempt()).as("shutdown does not use up an attempt").isZero();
    assertThat(returned.leaseOwner()).isNull();
  }

  // ------------------------------------------------------------------ claiming ahead

  /**
   * A node with two slots held for good by blockers, and five victims it has claimed ahead: the
   * victims are running in the store, leased to the node, and no handler runs them.
   */
  private record ClaimedAhead(Worker worker, List<TaskId> victims, AtomicInteger victimsRan) {}

  private ClaimedAhead claimedAhead(WorkerConfig.Builder config) throws InterruptedException {
    CountDownLatch blockersRunning = new CountDownLatch(2);
    CountDownLatch never = gate();
    AtomicInteger victimsRan = new AtomicInteger();
    Worker w =
        worker(
            config.concurrency(2).claimAhead(64).build(),
            type("fast", (p, c) -> TaskResult.success()),
            type("block", (p, c) -> {
              blockersRunning.countDown();
              never.await();
              return TaskResult.success();
            }),
            type("victim", (p, c) -> {
              victimsRan.incrementAndGet();
              return TaskResult.success();
            }));
    // Claim order, one queue: the fast tasks (their quick finishes earn the node a claim-ahead
    // allowance), then two blockers that take both slots for good, then the victims.
    List<TaskRequest> batch = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      batch.add(request("fast", b -> b.priority(2)));
    }
    batch.add(request("block", b -> b.priority(1)));
    batch.add(request("block", b -> b.priority(1)));
    for (int i = 0; i < 5; i++) {
      batch.add(request("victim", b -> b.priority(0)));
    }
    List<TaskId> victims =
        w.submitAll(batch).stream().map(Submission::task).filter(t -> t.type().equals("victim")).map(Task::id).toList();
    w.start();
    assertThat(blockersRunning.await(20, TimeUnit.SECONDS)).isTrue();
    await().atMost(WAIT).until(() -> victims.stream().allMatch(id -> store.find(id).orElseThrow().state() == TaskState.RUNNING));
    assertThat(victimsRan).hasValue(0);
    return new ClaimedAhead(w, victims, victimsRan);
  }

  @Test
  void tasksClaimedAheadWaitForASlotKeepTheirLeaseAndLeaveByCancelOrShutdownWithoutRunning()
      throws Exception {
    ClaimedAhead scene =
        claimedAhead(fastConfig().leaseDuration(Duration.ofSeconds(1)).shutdownTimeout(Duration.ofMillis(300)));
    Worker w = scene.worker();
    List<TaskId> victims = scene.victims();
    AtomicInteger victimsRan = scene.victimsRan();

    assertThat(w.stats().inFlight()).as("handlers running: tasks claimed ahead are not counted").isEqualTo(2);
    Task waiting = store.find(victims.get(1)).orElseThrow();
    assertThat(waiting.leaseOwner()).isEqualTo(w.config().nodeId());
    // Their leases are renewed like those of running handlers.
    await().atMost(WAIT).until(() -> store.find(waiting.id()).orElseThrow().leaseExpiresAt().isAfter(waiting.leaseExpiresAt()));

    w.cancel(victims.get(0));
    Task cancelled = awaitState(victims.get(0), TaskState.CANCELLED);
    assertThat(cancelled.lastError()).contains("cancelled before it started");

    w.close();
    for (TaskId id : victims.subList(1, victims.size())) {
      Task returned = store.find(id).orElseThrow();
      assertThat(returned.state()).isEqualTo(TaskState.QUEUED);
      assertThat(returned.attempt()).as("a task that never started keeps its attempts").isZero();
      assertThat(returned.leaseOwner()).isNull();
    }
    assertThat(victimsRan).hasValue(0);
  }

  @Test
  void aNodeWhoseHandlersFinishSlowlyClaimsNothingAheadOfItsSlots() throws Exception {
    CountDownLatch blockerRunning = new CountDownLatch(1);
    CountDownLatch never = gate();
    Worker w =
        started(
            fastConfig().concurrency(1).claimAhead(64).build(),
            type("block", (p, c) -> {
              blockerRunning.countDown();
              never.await();
              return TaskResult.success();
            }),
            type("t", (p, c) -> TaskResult.success()));
    w.submit(TaskRequest.builder("block").priority(1).build());
    assertThat(blockerRunning.await(20, TimeUnit.SECONDS)).isTrue();
    List<TaskId> others =
        w.submitAll(List.of(TaskRequest.builder("t").build(), TaskRequest.builder("t").build()))
            .stream().map(s -> s.task().id()).toList();

    // Several poll intervals pass: the others stay queued, free for any other node to take.
    await()
        .during(Duration.ofMillis(300))
        .atMost(WAIT)
        .until(() -> others.stream().allMatch(id -> store.find(id).orElseThrow().state() == TaskState.QUEUED));
  }

  @Test
  void aStoppedWorkerClaimsNothingMore() {
    Worker w = started(fastConfig().build(), type("t", (p, c) -> TaskResult.success()));
    w.close();
    TaskId id = w.submit(TaskRequest.builder("t").build()).task().id();
    assertThat(store.find(id).orElseThrow().state()).isEqualTo(TaskState.QUEUED);
    assertThat(w.stats().started()).isZero();
  }

  // ------------------------------------------------------------------ cluster

  @Test
  void pausingAQueueStopsItsTasksFromStartingOnEveryNodeWhileOtherQueuesRun() throws Exception {
    Set<TaskId> ran = ConcurrentHashMap.newKeySet();
    TaskType<JsonNode> inPaused = type("p", (p, c) -> {
      ran.add(c.taskId());
      return TaskResult.success();
    }).withQueue("reports");
    TaskType<JsonNode> elsewhere = type("e", (p, c) -> TaskResult.success());
    Worker here = started(fastConfig().build(), inPaused, elsewhere);
    Worker there = worker(anotherHandle(), fastConfig().build(), inPaused, elsewhere);
    there.start();

    here.pauseQueue("reports");
    List<TaskId> held =
        here.submitAll(List.of(TaskRequest.builder("p").build(), TaskRequest.builder("p").build()))
            .stream().map(s -> s.task().id()).toList();
    TaskId other = there.submit(TaskRequest.builder("e").build()).task().id();

    awaitState(other, TaskState.SUCCEEDED);
    assertThat(here.queues()).filteredOn(q -> q.name().equals("reports"))
        .singleElement().satisfies(q -> assertThat(q.paused()).isTrue());
    // Both nodes keep polling: the paused queue's tasks stay queued on either.
    await().during(Duration.ofMillis(300)).atMost(WAIT)
        .until(() -> held.stream().allMatch(id -> store.find(id).orElseThrow().state() == TaskState.QUEUED));
    assertThat(ran).isEmpty();

    there.resumeQueue("reports");

    for (TaskId id : held) {
      awaitState(id, TaskState.SUCCEEDED);
    }
    assertThat(ran).containsExactlyInAnyOrderElementsOf(held);
  }

  @Test
  void tasksClaimedAheadGoBackToTheirQueueWhenItIsPaused() throws Exception {
    ClaimedAhead scene = claimedAhead(fastConfig().shutdownTimeout(Duration.ofMillis(300)));
    Worker w = scene.worker();
    List<TaskId> victims = scene.victims();
    AtomicInteger victimsRan = scene.victimsRan();

    w.pauseQueue(TaskRequest.DEFAULT_QUEUE);

    await().atMost(WAIT).until(() -> victims.stream().allMatch(id -> store.find(id).orElseThrow().state() == TaskState.QUEUED));
    for (TaskId id : victims) {
      assertThat(store.find(id).orElseThrow().attempt()).as("a task that never started keeps its attempts").isZero();
    }
    assertThat(victimsRan).hasValue(0);
  }

  @Test
  void explainGivesTheReasonATaskWaitsFromWhatTheStoreSays() throws Exception {
    CountDownLatch never = gate();
    CountDownLatch blockRunning = new CountDownLatch(1);
    TaskType<JsonNode> block = type("block", (p, c) -> {
      blockRunning.countDown();
      never.await();
      return TaskResult.success();
    });
    TaskType<JsonNode> flaky = type("flaky", (p, c) -> {
      throw new IllegalStateException("downstream said no");
    }).withQueue("flaky").withRetryPolicy(RetryPolicy.defaults().withBackoff(Duration.ofHours(1), Duration.ofHours(1)).withJitter(0));
    Worker w = worker(fastConfig().concurrency(1).build(), block, flaky);

    TaskId failing = w.submit(TaskRequest.builder("flaky").build()).task().id();
    assertThat(w.explain(failing).reason()).isEqualTo(Explanation.Reason.NO_NODE_FOR_TYPE);

    w.start();
    await().atMost(WAIT).until(() -> w.explain(failing).reason() == Explanation.Reason.RETRY_BACKOFF);
    assertThat(w.explain(failing).message()).contains("downstream said no").contains("attempt 1 of");

    TaskId first = w.submit(TaskRequest.builder("block").build()).task().id();
    assertThat(blockRunning.await(20, TimeUnit.SECONDS)).isTrue();
    Explanation running = w.explain(first);
    assertThat(running.reason()).isEqualTo(Explanation.Reason.RUNNING);
    assertThat(running.details()).containsEntry("node", w.config().nodeId());

    TaskId second = w.submit(TaskRequest.builder("block").build()).task().id();
    assertThat(w.explain(second).reason()).isEqualTo(Explanation.Reason.NODES_BUSY);

    w.setQueueLimit(TaskRequest.DEFAULT_QUEUE, 1);
    Explanation limited = w.explain(second);
    assertThat(limited.reason()).isEqualTo(Explanation.Reason.QUEUE_LIMIT_FULL);
    assertThat(limited.message()).contains(first.toString());

    w.pauseQueue(TaskRequest.DEFAULT_QUEUE);
    assertThat(w.explain(second).reason()).isEqualTo(Explanation.Reason.QUEUE_PAUSED);

    assertThatThrownBy(() -> w.explain(TaskId.next())).isInstanceOf(dev.tasklane.TaskNotFoundException.class);
  }

  @Test
  void aClusterWideQueueLimitHoldsAcrossThreeNodes() throws Exception {
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    TaskType<JsonNode> work = type("work", (p, c) -> {
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      try {
        overlap(inFlight, maxInFlight, 3);
      } finally {
        inFlight.decrementAndGet();
      }
      return TaskResult.success();
    });
    List<Worker> nodes = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      // Each node alone would run 4 at once; together they must stay at the queue's 3.
      Worker w = worker(anotherHandle(), fastConfig().nodeId("limit-node-" + i).concurrency(4).build(), work);
      nodes.add(w);
    }
    nodes.get(0).setQueueLimit("limited", 3);
    List<TaskRequest> batch = new ArrayList<>();
    for (int i = 0; i < 120; i++) {
      batch.add(TaskRequest.builder("work").queue("limited").build());
    }
    nodes.get(0).submitAll(batch);
    nodes.forEach(Worker::start);
    await().atMost(WAIT).until(() -> nodes.stream().mapToLong(w -> w.stats().succeeded()).sum() == 120);
    assertThat(maxInFlight.get()).isEqualTo(3);
    assertThat(nodes.get(1).queues()).filteredOn(q -> q.name().equals("limited"))
        .singleElement().satisfies(q -> assertThat(q.limit()).isEqualTo(3));
  }

  @Test
  void aStartedNodeIsRegisteredWithItsTypesAndLeavesTheRegistryWhenItStops() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch finish = gate();
    Worker w = started(fastConfig().nodeId("registered-node").build(), type("t", (p, c) -> {
      running.countDown();
      finish.await();
      return TaskResult.success();
    }));
    TaskId id = w.submit(TaskRequest.builder("t").build()).task().id();
    assertThat(running.await(20, TimeUnit.SECONDS)).isTrue();
    assertThat(w.nodes()).singleElement().satisfies(n -> {
      assertThat(n.id()).isEqualTo("registered-node");
      assertThat(n.types()).containsExactly("t");
      assertThat(n.running()).extracting(Task::id).containsExactly(id);
      assertThat(n.heartbeatAt()).isAfterOrEqualTo(n.startedAt());
    });
    finish.countDown();
    awaitState(id, TaskState.SUCCEEDED);
    w.close();
    assertThat(w.nodes()).isEmpty();
  }

  @Test
  void finishedTasksPastRetentionAreDeletedAndWaitingOnesAreKept() {
    Worker w = started(
        fastConfig().retention(Duration.ofMillis(1)).build(),
        type("t", (p, c) -> TaskResult.success()));
    TaskId done = w.submit(TaskRequest.builder("t").build()).task().id();
    TaskId later = w.submit(request("t", b -> b.delay(Duration.ofHours(1)))).task().id();
    await().atMost(WAIT).until(() -> store.find(done).isEmpty());
    assertThat(store.find(later)).isPresent();
  }

  // ------------------------------------------------------------------ group commit

  @ParameterizedTest(name = "claimAhead={0}")
  @ValueSource(ints = {0, 256})
  void theStoreNeverShowsMoreRunsStartedOnANodeThanItHasSlots(int claimAhead) throws Exception {
    // A run gives its slot back as soon as its outcome is on its way, so the next task starts
    // while that outcome commits. Checked after every write that can start or end a run: the
    // tasks the store holds as started on this node (running, with a start time) never outnumber
    // its slots, as a user reading the API must see (--concurrency 3 shows at most 3 running).
    int concurrency = 3;
    String node = "node-slots-" + System.nanoTime();
    AtomicInteger mostStarted = new AtomicInteger();
    AtomicInteger checks = new AtomicInteger();
    TaskStore checked =
        new dev.tasklane.spi.ForwardingTaskStore(store) {
          private void check() {
            long started =
                super.list(
                        dev.tasklane.TaskQuery.all()
                            .withState(TaskState.RUNNING)
                            .withLimit(dev.tasklane.TaskQuery.MAX_LIMIT))
                    .tasks().stream()
                    .filter(t -> node.equals(t.leaseOwner()) && t.startedAt() != null)
                    .count();
            mostStarted.accumulateAndGet((int) started, Math::max);
            checks.incrementAndGet();
          }

          @Override
          public List<Task> claim(dev.tasklane.spi.ClaimRequest request) {
            List<Task> claimed = super.claim(request);
            check();
            return claimed;
          }

          @Override
          public RunWrites.Result writeRuns(RunWrites writes) {
            RunWrites.Result written = super.writeRuns(writes);
            check();
            return written;
          }

          @Override
          public Task finishRun(dev.tasklane.spi.RunRef run, dev.tasklane.spi.RunOutcome outcome) {
            Task after = super.finishRun(run, outcome);
            check();
            return after;
          }

          @Override
          public void close() {
            // the suite closes the real store
          }
        };
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger mostInFlight = new AtomicInteger();
    Worker w =
        worker(
            checked,
            fastConfig().nodeId(node).concurrency(concurrency).claimAhead(claimAhead).build(),
            type(
                "t",
                (p, c) -> {
                  mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                  try {
                    Thread.sleep(2); // long enough for outcomes and claims to overlap
                  } finally {
                    inFlight.decrementAndGet();
                  }
                  return TaskResult.success();
                }));
    List<TaskRequest> batch = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      batch.add(TaskRequest.builder("t").build());
    }
    w.submitAll(batch);
    w.start();
    await().atMost(WAIT).until(() -> w.stats().succeeded() == 300);
    assertThat(mostInFlight.get()).isLessThanOrEqualTo(concurrency);
    // How many writes there were depends on how outcomes batched (fewer, larger batches on a slow
    // machine); that the checks saw runs in progress is what the lower bound below shows.
    assertThat(checks.get()).as("checks made while the queue drained").isPositive();
    assertThat(mostStarted.get())
        .as("most tasks the store showed started on a node with %d slots", concurrency)
        .isBetween(1, concurrency);
  }

  @Test
  void whenBatchedWritesFailEveryTaskIsStillAcceptedOnceAndFinished() throws Exception {
    // Every multi-row transaction fails (as a constraint violation or a lost connection would):
    // the engine must fall back to one write per task, losing and duplicating nothing.
    java.util.concurrent.atomic.AtomicInteger failedBatches = new java.util.concurrent.atomic.AtomicInteger();
    TaskStore faulty = new dev.tasklane.spi.ForwardingTaskStore(store) {
      @Override
      public List<Submission> insertAll(List<NewTask> tasks) {
        failedBatches.incrementAndGet();
        throw new dev.tasklane.StoreException("insertAll", new java.sql.SQLException("injected"));
      }

      @Override
      public RunWrites.Result writeRuns(RunWrites writes) {
        if (writes.starts().size() + writes.outcomes().size() < 2) {
          return super.writeRuns(writes);
        }
        failedBatches.incrementAndGet();
        throw new dev.tasklane.StoreException("writeRuns", new java.sql.SQLException("injected"));
      }

      @Override
      public void close() {
        // the suite closes the real store
      }
    };
    Worker w = worker(faulty, fastConfig().concurrency(8).build(), type("t", (p, c) -> TaskResult.success()));
    w.start();
    Set<TaskId> accepted = ConcurrentHashMap.newKeySet();
    try (var callers = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 200; i++) {
        callers.submit(() -> accepted.add(w.submit(TaskRequest.builder("t").build()).task().id()));
      }
    }
    assertThat(accepted).hasSize(200);
    await().atMost(WAIT).until(() -> w.stats().succeeded() == 200);
    assertThat(store.list(dev.tasklane.TaskQuery.all().withLimit(500)).tasks())
        .hasSize(200)
        .allSatisfy(t -> assertThat(t.state()).isEqualTo(TaskState.SUCCEEDED));
    assertThat(failedBatches.get()).isPositive();
  }

  // ------------------------------------------------------------------ admission

  @Test
  void submissionsPastTheBacklogBoundAreRefusedAndNothingIsWritten() {
    Worker w = worker(fastConfig().maxQueued(3).build(), type("t", (p, c) -> TaskResult.success()));
    for (int i = 0; i < 3; i++) {
      w.submit(TaskRequest.builder("t").build());
    }
    assertThatThrownBy(() -> w.submit(TaskRequest.builder("t").build()))
        .isInstanceOfSatisfying(QueueFullException.class, e -> {
          assertThat(e.queue()).isEqualTo("default");
          assertThat(e.limit()).isEqualTo(3);
          assertThat(e.retryAfter()).isPositive();
        });
    assertThat(store.list(dev.tasklane.TaskQuery.all()).tasks()).hasSize(3);
    // Another queue has its own bound.
    assertThat(w.submit(request("t", b -> b.queue("other"))).created()).isTrue();
    // Once the worker drains the queue, submissions are accepted again.
    w.start();
    await().atMost(WAIT).until(() -> w.stats().succeeded() == 4);
    await().atMost(WAIT).untilAsserted(() -> assertThat(w.submit(TaskRequest.builder("t").build()).created()).isTrue());
  }

  @Test
  void aBulkSubmissionIsWrittenWholeCountedAndRun() {
    List<String> bulkEvents = Collections.synchronizedList(new ArrayList<>());
    Worker w =
        Worker.builder(store)
            .config(fastConfig().build())
            .register(type("t", (p, c) -> TaskResult.success()))
            .listener(
                new dev.tasklane.TaskListener() {
                  @Override
                  public void onSubmittedInBulk(String queue, String type, long count) {
                    bulkEvents.add(queue + "/" + type + "=" + count);
                  }
                })
            .build();
    workers.add(w);
    w.submit(request("t", b -> b.idempotencyKey("seen")));

    dev.tasklane.BulkSubmission result =
        w.submitBulk(
            java.util.stream.Stream.concat(
                java.util.stream.IntStream.range(0, 3_000)
                    .mapToObj(i -> request("t", b -> b.queue(i % 3 == 0 ? "bulk-a" : "bulk-b"))),
                java.util.stream.Stream.of(request("t", b -> b.idempotencyKey("seen")))));

    assertThat(result.submitted()).isEqualTo(3_001);
    assertThat(result.created()).isEqualTo(3_000);
    assertThat(result.existing()).isEqualTo(1);
    assertThat(bulkEvents).containsExactlyInAnyOrder("bulk-a/t=1000", "bulk-b/t=2000");
    assertThat(w.stats().submitted()).isEqualTo(3_001);
    w.start();
    await().atMost(WAIT).until(() -> w.stats().succeeded() == 3_001);
  }

  @Test
  void aBulkSubmissionPastTheBacklogBoundWritesNothingAndGivesItsRoomBack() {
    Worker w = worker(fastConfig().maxQueued(1_000).build(), type("t", (p, c) -> TaskResult.success()));
    w.submit(TaskRequest.builder("t").build());

    assertThatThrownBy(
            () ->
                w.submitBulk(
                    java.util.stream.Stream.generate(() -> TaskRequest.builder("t").build()).limit(1_000)))
        .isInstanceOfSatisfying(QueueFullException.class, e -> assertThat(e.limit()).isEqualTo(1_000));

    assertThat(store.list(dev.tasklane.TaskQuery.all()).tasks()).hasSize(1);
    // The 999 tasks admitted before the refusal gave their room back: exactly 999 more fit.
    assertThat(w.submitBulk(java.util.stream.Stream.generate(() -> TaskRequest.builder("t").build()).limit(999)).created())
        .isEqualTo(999);
    assertThatThrownBy(() -> w.submit(TaskRequest.builder("t").build())).isInstanceOf(QueueFullException.class);
  }

  @Test
  void theBacklogBoundHoldsExactlyWhileSubmittersCancellersAndRefreshesRace() throws Exception {
    // 8 submitters keep the queue full while a canceller keeps making room, so admissions are in
    // flight whenever the backlog counts are refreshed from the store (every 100 ms here).
    Worker w = started(fastConfig().maxQueued(100).build(), type("t", (p, c) -> TaskResult.success()));
    w.pauseQueue("default"); // nothing is claimed: only submissions and cancels change the backlog
    AtomicBoolean go = new AtomicBoolean(true);
    AtomicInteger accepted = new AtomicInteger();
    AtomicInteger cancelled = new AtomicInteger();
    AtomicLong mostWaiting = new AtomicLong();
    try (var threads = java.util.concurrent.Executors.newFixedThreadPool(10)) {
      List<java.util.concurrent.Future<?>> running = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        running.add(threads.submit(() -> {
          while (go.get()) {
            try {
              w.submit(TaskRequest.builder("t").build());
              accepted.incrementAndGet();
            } catch (QueueFullException full) {
              Thread.onSpinWait();
            }
          }
          return null;
        }));
      }
      running.add(threads.submit(() -> {
        while (go.get()) {
          for (Task t : store.list(dev.tasklane.TaskQuery.all().withState(TaskState.QUEUED).withLimit(3)).tasks()) {
            w.cancel(t.id());
            cancelled.incrementAndGet();
          }
        }
        return null;
      }));
      running.add(threads.submit(() -> {
        while (go.get()) {
          mostWaiting.accumulateAndGet(store.waitingCounts().getOrDefault("default", 0L), Math::max);
        }
        return null;
      }));
      long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
      while (System.nanoTime() < until) {
        mostWaiting.accumulateAndGet(store.waitingCounts().getOrDefault("default", 0L), Math::max);
      }
      go.set(false);
      for (var f : running) {
        f.get();
      }
    }
    assertThat(cancelled.get()).as("room was made again and again").isGreaterThan(100);
    assertThat(mostWaiting.get()).as("most tasks ever waiting").isLessThanOrEqualTo(100);
    // Once the races end the bound is reached exactly, not short of it.
    await().atMost(WAIT).untilAsserted(() -> {
      try {
        w.submit(TaskRequest.builder("t").build());
      } catch (QueueFullException full) {
        // full, as expected once it holds 100
      }
      assertThat(store.waitingCounts().get("default")).isEqualTo(100);
    });
  }

  @Test
  void aNodeWhoseClockRunsAheadByMoreThanALeaseLeavesAnotherNodesLiveLeaseAlone() throws Exception {
    Duration lease = Duration.ofSeconds(5);
    CountDownLatch running = new CountDownLatch(1);
    CountDownLatch release = gate();
    AtomicInteger interrupts = new AtomicInteger();
    // The honest node never leads (its election always declines) and runs the task; the skewed
    // node, started once the task runs, leads maintenance.
    TaskStore neverLeads =
        new dev.tasklane.spi.ForwardingTaskStore(anotherHandle()) {
          @Override
          public dev.tasklane.spi.LeaderElection leaderElection(String nodeId) {
            return new dev.tasklane.spi.LeaderElection() {
              @Override
              public boolean tryLead() {
                return false;
              }

              @Override
              public void close() {}
            };
          }

          @Override
          public void close() {
            // the suite closes the handle
          }
        };
    Worker honest =
        worker(
            neverLeads,
            fastConfig().leaseDuration(lease).build(),
            type("t", (p, c) -> {
              running.countDown();
              while (release.getCount() > 0) {
                try {
                  release.await();
                } catch (InterruptedException e) {
                  interrupts.incrementAndGet();
                }
              }
              return TaskResult.success(c.fencingToken());
            }));
    honest.start();
    TaskId id = honest.submit(TaskRequest.builder("t").build()).task().id();
    assertThat(running.await(20, TimeUnit.SECONDS)).isTrue();
    java.time.InstantSource ahead = () -> Instant.now().plus(lease.multipliedBy(2));
    Worker skewed =
        worker(
            anotherHandle(),
            fastConfig().leaseDuration(lease).clock(ahead).build(),
            type("other", (p, c) -> TaskResult.success()));
    skewed.start();
    await().atMost(WAIT).until(skewed::isLeader);

    // Witness that the skewed node recovers expired leases meanwhile: a dead node's run whose
    // lease really expired is recovered by it.
    await().atMost(WAIT).until(() -> {
      TaskId ghost = store.insert(Fixtures.aTask().type("other").build()).task().id();
      store.claim(ClaimRequest.starting("default", 1, "dead-node", Instant.now(), Duration.ofMillis(1)));
      await().atMost(WAIT).until(() -> store.find(ghost).orElseThrow().state() != TaskState.RUNNING);
      return skewed.stats().recovered() >= 1;
    });

    Task live = store.find(id).orElseThrow();
    assertThat(live.state()).isEqualTo(TaskState.RUNNING);
    assertThat(live.fencingToken()).isEqualTo(1);
    assertThat(live.errors()).isEmpty();
    assertThat(interrupts.get()).isZero();
    release.countDown();
    Task done = awaitState(id, TaskState.SUCCEEDED);
    assertThat(done.result()).isEqualTo("1");
  }

  @Test
  void aRepeatedIdempotencyKeyReturnsTheOriginalTask() {
    Worker w = worker(fastConfig().build(), type("t", (p, c) -> TaskResult.success()));
    Submission first = w.submit(request("t", b -> b.idempotencyKey("order-42").payload(Map.of("n", 1))));
    Submission again = w.submit(request("t", b -> b.idempotencyKey("order-42").payload(Map.of("n", 2))));
    assertThat(first.created()).isTrue();
    assertThat(again.created()).isFalse();
    assertThat(again.task().id()).isEqualTo(first.task().id());
    assertThat(json(again.task().payload())).isEqualTo(json("{\"n\":1}"));
    assertThat(store.list(dev.tasklane.TaskQuery.all()).tasks()).hasSize(1);
  }

  @Test
  void aRepeatedIdempotencyKeyIsAnsweredEvenWhenTheQueueIsFull() {
    Worker w = worker(fastConfig().maxQueued(1).build(), type("t", (p, c) -> TaskResult.success()));
    Submission first = w.submit(request("t", b -> b.idempotencyKey("invoice-7")));
    assertThatThrownBy(() -> w.submit(TaskRequest.builder("t").build())).isInstanceOf(QueueFullException.class);
    Submission again = w.submit(request("t", b -> b.idempotencyKey("invoice-7")));
    assertThat(again.created()).isFalse();
    assertThat(again.task().id()).isEqualTo(first.task().id());
    assertThatThrownBy(() -> w.submit(request("t", b -> b.idempotencyKey("invoice-8"))))
        .isInstanceOf(QueueFullException.class);
  }

  @Test
  void anUnknownTypeIsRefusedBeforeAnythingIsWritten() {
    Worker w = worker(fastConfig().build(), type("t", (p, c) -> TaskResult.success()));
    assertThatThrownBy(() -> w.submit(TaskRequest.builder("nope").build()))
        .isInstanceOf(dev.tasklane.UnknownTaskTypeException.class)
        .hasMessageContaining("nope");
    assertThat(store.list(dev.tasklane.TaskQuery.all()).tasks()).isEmpty();
  }


  // ------------------------------------------------------------------ schedules

  @Test
  void twoNodesFiringOneScheduleRunEachTickOnceWithNoTickLeftOut() throws Exception {
    // What the handlers ran, written by the handlers: one entry per run, its tick's key.
    List<String> ran = Collections.synchronizedList(new ArrayList<>());
    dev.tasklane.Schedule everySecond =
        dev.tasklane.Schedule.of(
            "heartbeat",
            dev.tasklane.Recurrence.every(Duration.ofSeconds(1)),
            TaskRequest.builder("beat").payload(Map.of("from", "schedule")).build());
    List<Worker> nodes = new ArrayList<>();
    for (TaskStore on : List.of(store, anotherHandle())) {
      Worker.Builder b =
          Worker.builder(on)
              .config(fastConfig().build())
              .register(type("beat", (p, c) -> {
                ran.add(on.find(c.taskId()).orElseThrow().idempotencyKey());
                return TaskResult.success();
              }))
              .schedule(everySecond);
      Worker w = b.build();
      workers.add(w);
      nodes.add(w);
      w.start();
    }

    await().atMost(WAIT).until(() -> ran.size() >= 4);
    nodes.forEach(Worker::close);

    List<String> keys = List.copyOf(ran);
    assertThat(keys).doesNotHaveDuplicates().allMatch(k -> k.startsWith("schedule:heartbeat:"));
    List<Instant> ticks =
        keys.stream().map(k -> Instant.parse(k.substring("schedule:heartbeat:".length()))).sorted().toList();
    for (int i = 1; i < ticks.size(); i++) {
      assertThat(Duration.between(ticks.get(i - 1), ticks.get(i))).isEqualTo(Duration.ofSeconds(1));
    }
    dev.tasklane.ScheduleStatus status = nodes.get(0).schedules().get("heartbeat").orElseThrow();
    assertThat(status.lastRunAt()).isEqualTo(ticks.get(ticks.size() - 1));
    assertThat(store.list(dev.tasklane.TaskQuery.all().withType("beat")).tasks())
        .allSatisfy(t -> assertThat(t.payload()).contains("schedule"));
  }

  @Test
  void runningAScheduleNowRunsItsTaskAndLeavesItsTicksAlone() {
    List<TaskId> ran = Collections.synchronizedList(new ArrayList<>());
    Worker w = started(fastConfig().build(), type("report", (p, c) -> {
      ran.add(c.taskId());
      return TaskResult.success();
    }));
    dev.tasklane.ScheduleStatus defined =
        w.schedules().define(dev.tasklane.Schedule.of(
            "yearly", dev.tasklane.Recurrence.cron("@yearly"), TaskRequest.builder("report").build()));
    w.schedules().pause("yearly");

    Submission now = w.schedules().runNow("yearly");

    await().atMost(WAIT).until(() -> ran.contains(now.task().id()));
    dev.tasklane.ScheduleStatus after = w.schedules().get("yearly").orElseThrow();
    assertThat(after.lastTaskId()).isEqualTo(now.task().id());
    assertThat(after.nextRunAt()).isEqualTo(defined.nextRunAt());
    assertThat(after.paused()).isTrue();
    assertThatThrownBy(() -> w.schedules().runNow("nope")).isInstanceOf(dev.tasklane.ScheduleNotFoundException.class);
    assertThatThrownBy(() -> w.schedules().define(dev.tasklane.Schedule.of(
            "bad", dev.tasklane.Recurrence.cron("@daily"), TaskRequest.builder("nobody-runs-this").build())))
        .isInstanceOf(dev.tasklane.UnknownTaskTypeException.class);
    assertThat(w.schedules().get("bad")).isEmpty();
  }

  // ------------------------------------------------------------------ rate limits

  @Test
  void aRateLimitSpacesTheStartsOfTwoNodesAndHoldsTasksWithoutASlot() throws Exception {
    // What the handlers saw, written by the handlers: when each task of the limited queue started.
    List<Instant> starts = Collections.synchronizedList(new ArrayList<>());
    TaskType<JsonNode> call = type("call", (p, c) -> {
      if (c.queue().equals("partner")) {
        starts.add(Instant.now());
      }
      return TaskResult.success();
    });
    Worker a = started(fastConfig().concurrency(8).build(), call);
    Worker b = worker(anotherHandle(), fastConfig().concurrency(8).build(), call);
    b.start();
    // A first run on each node, so that no start below waits for classes to load.
    TaskId warmA = a.submit(request("call", r -> r.queue("warm"))).task().id();
    TaskId warmB = b.submit(request("call", r -> r.queue("warm"))).task().id();
    awaitState(warmA, TaskState.SUCCEEDED);
    awaitState(warmB, TaskState.SUCCEEDED);
    // 10 per 3 s with a burst of 1: a start every 300 ms.
    a.setRateLimit(new dev.tasklane.RateLimit(
        dev.tasklane.RateLimit.Scope.QUEUE, "partner", 10, Duration.ofSeconds(3), 1, null));
    await().atMost(WAIT).until(() -> !b.rateLimits().isEmpty());
    int n = 10;
    for (int i = 0; i < n; i++) {
      (i % 2 == 0 ? a : b).submit(request("call", r -> r.queue("partner")));
    }

    await().atMost(WAIT).until(() -> starts.size() >= n);
    List<Instant> sorted = starts.stream().sorted().toList();
    long interval = 300;
    // At most 1 + stretch / interval starts in any stretch (burst 1), allowing one interval for
    // the time between a start's decision and its handler's first line.
    for (int i = 0; i < sorted.size(); i++) {
      for (int j = i; j < sorted.size(); j++) {
        long stretch = Duration.between(sorted.get(i), sorted.get(j)).toMillis();
        assertThat(j - i + 1L)
            .as("starts within %d ms: %s; tasks: %s", stretch, sorted,
                store.list(dev.tasklane.TaskQuery.all().withQueue("partner")).tasks().stream()
                    .map(t -> t.createdAt() + " run_at " + t.runAt() + " started " + t.startedAt()).toList())
            .isLessThanOrEqualTo(2 + stretch / interval);
      }
    }
    assertThat(Duration.between(sorted.get(0), sorted.get(n - 1)).toMillis()).isGreaterThanOrEqualTo(interval * (n - 2));
    // The limit held tasks back: they waited as scheduled tasks, their run-at moved to their turn.
    assertThat(store.list(dev.tasklane.TaskQuery.all().withQueue("partner")).tasks())
        .filteredOn(t -> t.runAt().isAfter(t.createdAt().plusMillis(250)))
        .hasSizeGreaterThanOrEqualTo(n / 2);
  }

  @Test
  void aHandlerReportingThrottledHoldsEveryStartUnderItsLimitsUntilThen() throws Exception {
    List<Instant> starts = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<Instant> throttledAt = new AtomicReference<>();
    Worker w = started(fastConfig().concurrency(4).build(), type("call", (p, c) -> {
      if (p.path("first").asBoolean() && throttledAt.get() == null) {
        throttledAt.set(Instant.now());
        return TaskResult.throttle(Duration.ofMillis(800), "the partner answered 429");
      }
      starts.add(Instant.now());
      return TaskResult.success();
    }));
    w.setRateLimit(dev.tasklane.RateLimit.perType("call", 1000, Duration.ofSeconds(1)));

    TaskId first = w.submit(request("call", r -> r.payload(Map.of("first", true)))).task().id();
    await().atMost(WAIT).until(() -> throttledAt.get() != null);
    for (int i = 0; i < 3; i++) {
      w.submit(request("call", r -> r.payload(Map.of("first", false))));
    }

    await().atMost(WAIT).until(() -> starts.size() >= 4);
    Instant until = throttledAt.get().plusMillis(800);
    assertThat(starts).allSatisfy(s -> assertThat(s).isAfterOrEqualTo(until.minusMillis(5)));
    Task again = awaitState(first, TaskState.SUCCEEDED);
    assertThat(again.attempt()).as("the throttled run's attempt was refunded").isEqualTo(1);
  }

  @Test
  void aKeyedLimitHoldsEachKeyApartAndExplainSaysWhichLimitAndUntilWhen() {
    List<String> ran = Collections.synchronizedList(new ArrayList<>());
    Worker w = started(fastConfig().build(), type("sync", (p, c) -> {
      ran.add(p.path("account").asText() + "-" + p.path("n").asInt());
      return TaskResult.success();
    }));
    w.setRateLimit(new dev.tasklane.RateLimit(
        dev.tasklane.RateLimit.Scope.TYPE, "sync", 1, Duration.ofMinutes(1), 1, "account"));

    w.submit(request("sync", r -> r.payload(Map.of("account", "a", "n", 1))));
    await().atMost(WAIT).until(() -> ran.contains("a-1"));
    TaskId held = w.submit(request("sync", r -> r.payload(Map.of("account", "a", "n", 2)))).task().id();
    w.submit(request("sync", r -> r.payload(Map.of("account", "b", "n", 1))));

    await().atMost(WAIT).until(() -> ran.contains("b-1"));
    awaitState(held, TaskState.SCHEDULED);
    Explanation why = w.explain(held);
    assertThat(why.reason()).isEqualTo(Explanation.Reason.RATE_LIMITED);
    assertThat(why.message()).contains("type:sync").contains("key a").contains("reserved for");
    assertThat(Instant.parse((String) why.details().get("starts_at"))).isAfter(Instant.now().plusSeconds(30));
    assertThat(ran).doesNotContain("a-2");
  }
}
