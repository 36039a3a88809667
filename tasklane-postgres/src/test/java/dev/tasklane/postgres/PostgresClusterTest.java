package dev.tasklane.postgres;

import static dev.tasklane.postgres.PostgresTestDatabase.q;
import static dev.tasklane.testkit.Fixtures.aTask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import dev.tasklane.Submission;
import dev.tasklane.Task;
import dev.tasklane.TaskId;
import dev.tasklane.TaskError;
import dev.tasklane.spi.LeaderElection;
import dev.tasklane.spi.NewTask;
import dev.tasklane.spi.ClaimRequest;
import dev.tasklane.spi.RunOutcome;
import dev.tasklane.spi.RunRef;
import dev.tasklane.spi.TaskStore;
import dev.tasklane.testkit.Fixtures;
import dev.tasklane.testkit.TcpProxy;
import dev.tasklane.testkit.MutableClock;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Several stores on one schema, as the nodes of a cluster hold them: each with its own pool, its
 * own listening connection and its own election. Claims that race, cluster-wide limits, wake-ups
 * by {@code NOTIFY}, and leader election, against the real server.
 */
class PostgresClusterTest {
  @RegisterExtension static final PostgresTestDatabase DB = new PostgresTestDatabase();

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final String NODE = "node-a";
  private static final String LIMITED = "limited";

  private final MutableClock clock = MutableClock.atDefaultStart();
  private final Deque<AutoCloseable> toClose = new ArrayDeque<>();

  @AfterEach
  void closeEverythingOpened() throws Exception {
    while (!toClose.isEmpty()) {
      toClose.pop().close();
    }
  }

  // ================================================================ claims

  @Test
  void claimersOnSeparateStoresNeverReceiveTheSameTask() throws Exception {
    List<PostgresTaskStore> stores = List.of(open(), open());
    List<NewTask> tasks =
        IntStream.range(0, 3_000).mapToObj(i -> aTask().priority(i % 5).build()).toList();
    stores.get(0).insertAll(tasks);
    int threadsPerStore = 4;
    ExecutorService pool = Executors.newFixedThreadPool(stores.size() * threadsPerStore);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<List<Task>>> results = new ArrayList<>();
      for (int s = 0; s < stores.size(); s++) {
        for (int t = 0; t < threadsPerStore; t++) {
          TaskStore store = stores.get(s);
          String node = "node-" + s + "-" + t;
          results.add(
              pool.submit(
                  () -> {
                    start.await();
                    List<Task> mine = new ArrayList<>();
                    List<Task> batch;
                    while (!(batch = claim(store, "default", 5, node)).isEmpty()) {
                      mine.addAll(batch);
                    }
                    return mine;
                  }));
        }
      }
      start.countDown();
      List<Task> claimed = new ArrayList<>();
      for (Future<List<Task>> result : results) {
        claimed.addAll(result.get(2, TimeUnit.MINUTES));
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

  @Test
  void aClusterWideLimitOfThreeAdmitsExactlyThreeWhenThreeStoresClaimAtOnce() throws Exception {
    List<PostgresTaskStore> stores = List.of(open(), open(), open());
    stores.get(0).insertAll(limitedTasks(100));
    stores.get(1).setQueueLimit(LIMITED, 3);
    int claimers = 9;
    ExecutorService pool = Executors.newFixedThreadPool(claimers);
    try {
      for (int round = 0; round < 5; round++) {
        // Nine claimers on three stores ask for two each at the same moment, nothing running: only
        // claims serialised across the stores' separate pools keep them from taking 18.
        CountDownLatch start = new CountDownLatch(1);
        List<Future<List<Task>>> results = new ArrayList<>();
        for (int i = 0; i < claimers; i++) {
          TaskStore store = stores.get(i % stores.size());
          String node = "node-" + i;
          results.add(
              pool.submit(
                  () -> {
                    start.await();
                    return claim(store, LIMITED, 2, node);
                  }));
        }
        start.countDown();
        List<Task> claimed = new ArrayList<>();
        for (Future<List<Task>> result : results) {
          claimed.addAll(result.get(1, TimeUnit.MINUTES));
        }

        assertThat(claimed).as("round %d", round).hasSize(3);
        for (Task task : claimed) {
          stores.get(2).finishRun(ref(task), new RunOutcome.Succeeded(clock.instant(), null));
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aClusterWideLimitOfThreeHoldsWhileThreeStoresClaimAndFinishAllTheTime() throws Exception {
    int taskCount = 300;
    List<PostgresTaskStore> stores = List.of(open(), open(), open());
    stores.get(0).insertAll(limitedTasks(taskCount));
    stores.get(0).setQueueLimit(LIMITED, 3);
    AtomicInteger finished = new AtomicInteger();
    AtomicInteger mostRunning = new AtomicInteger();
    AtomicBoolean done = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(7);
    try {
      // The database's own count, read over and over while the nodes work: at no moment may it
      // exceed the limit (each read is one snapshot of the committed claims and finishes).
      Future<?> watcher =
          pool.submit(
              () -> {
                try (Connection c = DB.connect();
                    PreparedStatement st =
                        c.prepareStatement(
                            "SELECT count(*) FROM "
                                + q(DB.schema())
                                + ".task WHERE state = 'running' AND queue = ?")) {
                  st.setString(1, LIMITED);
                  while (!done.get()) {
                    try (ResultSet rs = st.executeQuery()) {
                      rs.next();
                      mostRunning.accumulateAndGet(rs.getInt(1), Math::max);
                    }
                  }
                }
                return null;
              });
      List<Future<?>> nodes = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        TaskStore store = stores.get(i % stores.size());
        String node = "node-" + i;
        nodes.add(
            pool.submit(
                () -> {
                  while (finished.get() < taskCount) {
                    List<Task> batch = claim(store, LIMITED, 2, node);
                    for (Task task : batch) {
                      store.finishRun(ref(task), new RunOutcome.Succeeded(Instant.now(), null));
                      finished.incrementAndGet();
                    }
                    if (batch.isEmpty()) {
                      Thread.onSpinWait();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> node : nodes) {
        node.get(2, TimeUnit.MINUTES);
      }
      done.set(true);
      watcher.get(1, TimeUnit.MINUTES);
    } finally {
      done.set(true);
      pool.shutdownNow();
    }

    assertThat(finished.get()).isEqualTo(taskCount);
    assertThat(mostRunning.get()).isBetween(1, 3);
  }

  // ================================================================ wake-ups

  @Test
  void everyChangeThatMakesATaskReadyNotifiesItsQueueAndNoOtherChangeDoes() throws Exception {
    PostgresTaskStore store = open();
    TaskError error = new TaskError(1, clock.instant(), NODE, "boom", null);
    try (Connection listener = listen(WorkListener.channel(DB.schema()))) {
      Instant t = clock.instant();
      store.insert(aTask().queue("a").maxAttempts(10).build()); // ready: "a"
      store.insert(aTask().queue("b").scheduledAt(t.plusSeconds(600)).build());
      Task run = claimAt(store, "a", t, LEASE);
      store.renewLeases(List.of(ref(run)), LEASE);
      store.updateProgress(ref(run), 50);
      store.finishRun(ref(run), new RunOutcome.Released(t, null, true)); // ready: "a"
      run = claimAt(store, "a", t, LEASE);
      store.finishRun(ref(run), new RunOutcome.Rescheduled(t.plusSeconds(1), error, false));
      store.promoteDue(t.plusSeconds(1), 10); // ready: "a" ("b" is not due)
      run = claimAt(store, "a", t.plusSeconds(1), LEASE);
      store.finishRun(ref(run), new RunOutcome.Failed(t.plusSeconds(1), error));
      store.retry(run.id(), t.plusSeconds(2)); // ready: "a"
      run = claimAt(store, "a", t.plusSeconds(2), Duration.ofSeconds(1));
      clock.advance(Duration.ofSeconds(4));
      store.recoverExpired( // ready: "a"
          Map.of(ref(run), new RunOutcome.Released(clock.instant(), error, false)));
      store.insert(aTask().queue("marker").build());

      // Notifications arrive in commit order: anything the other changes had sent would come
      // before the marker.
      assertThat(payloadsUntil(listener, "marker"))
          .containsExactly("a", "a", "a", "a", "a", "marker");
    }
  }

  @Test
  void promotingManyTasksOfAQueueInOneTransactionNotifiesTheQueueOnce() throws Exception {
    PostgresTaskStore store = open();
    Instant due = clock.instant().plusSeconds(60);
    List<NewTask> scheduled = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      scheduled.add(aTask().queue("many").scheduledAt(due).build());
    }
    scheduled.add(aTask().queue("other").scheduledAt(due).build());
    store.insertAll(scheduled);
    try (Connection listener = listen(WorkListener.channel(DB.schema()))) {
      assertThat(store.promoteDue(due, 100)).isEqualTo(6);
      store.insert(aTask().queue("marker").build());

      List<String> payloads = payloadsUntil(listener, "marker");

      assertThat(payloads.subList(0, payloads.size() - 1))
          .containsExactlyInAnyOrder("many", "other");
    }
  }

  @Test
  void aStoreOnAnotherSchemaNotifiesItsOwnChannelOnly() throws Exception {
    PostgresTaskStore mine = open();
    PostgresTaskStore theirs = open(DB.options(DB.newSchema("theirs")));
    try (Connection listener = listen(WorkListener.channel(DB.schema()))) {
      theirs.insert(aTask().queue("theirs").build());
      mine.insert(aTask().queue("marker").build());

      assertThat(payloadsUntil(listener, "marker")).containsExactly("marker");
    }
  }

  /**
   * While subscribed, a store's claims start where its previous claim of the queue ended (claim
   * floors), so they skip the index entries claimed rows leave behind until vacuum; a notification
   * from another store sends them back to the head of the queue.
   */
  @Test
  void whileSubscribedAClaimStartsWhereTheLastEndedAndANotificationSendsItBackToTheHead() throws Exception {
    PostgresTaskStore listening = open();
    PostgresTaskStore other = open();
    java.util.concurrent.atomic.AtomicInteger heard = new java.util.concurrent.atomic.AtomicInteger();
    closing(listening.subscribe((queues, changed) -> heard.incrementAndGet()));
    Instant t = clock.instant();
    List<NewTask> tasks =
        IntStream.range(0, 10).mapToObj(i -> aTask().createdAt(t.minusSeconds(100 - i)).build()).toList();
    listening.insertAll(tasks);
    await().atMost(WAIT).until(() -> heard.get() > 0); // the insert's own notification
    int heardBefore = heard.get();
    assertThat(claim(listening, "default", 3, NODE)).extracting(Task::id)
        .containsExactly(tasks.get(0).id(), tasks.get(1).id(), tasks.get(2).id());

    // A task ahead of the floor that nobody announces (triggers off for this session): the next
    // claim starts at the floor and does not see it, which shows the floor was used.
    TaskId silent = TaskId.next();
    try (Connection c = DB.connect();
        Statement st = c.createStatement()) {
      st.execute("SET session_replication_role = replica");
      st.execute(
          "INSERT INTO " + q(DB.schema()) + ".task (id, type, queue, payload, priority, state, max_attempts, run_at,"
              + " created_at) VALUES ('" + silent.value() + "', 'test.task', 'default', '{}', 0, 'queued', 3,"
              + " timestamptz '" + t.minusSeconds(3600) + "', timestamptz '" + t.minusSeconds(3600) + "')");
      // With triggers off, the task enters its tracking table by hand, as the trigger would.
      st.execute(
          "INSERT INTO " + q(DB.schema()) + ".task_ready (id, queue, type, priority, run_at) VALUES ('"
              + silent.value() + "', 'default', 'test.task', 0, timestamptz '" + t.minusSeconds(3600) + "')");
    }
    assertThat(heard.get()).isEqualTo(heardBefore);
    assertThat(claim(listening, "default", 1, NODE)).extracting(Task::id).containsExactly(tasks.get(3).id());

    // Another store's insert notifies: the claims of the queue start from the head again.
    NewTask urgent = aTask().priority(9).build();
    other.insert(urgent);
    await().atMost(WAIT).until(() -> heard.get() > heardBefore);
    assertThat(claim(listening, "default", 2, NODE)).extracting(Task::id).containsExactly(urgent.id(), silent);
    assertThat(claim(listening, "default", 10, NODE)).extracting(Task::id)
        .containsExactlyElementsOf(tasks.subList(4, 10).stream().map(NewTask::id).toList());
  }

  @Test
  void aSubscriberIsWokenByAnInsertThroughAnotherStore() throws Exception {
    PostgresTaskStore listening = open();
    PostgresTaskStore other = open();
    CountDownLatch woken = new CountDownLatch(1);
    closing(listening.subscribe((queues, changed) -> woken.countDown()));

    other.insert(aTask().build());

    assertThat(woken.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aSubscriberIsWokenWhenAnotherStorePromotesADueTask() throws Exception {
    PostgresTaskStore listening = open();
    PostgresTaskStore other = open();
    Instant due = clock.instant().plusSeconds(60);
    other.insert(aTask().scheduledAt(due).build());
    CountDownLatch woken = new CountDownLatch(1);
    closing(listening.subscribe((queues, changed) -> woken.countDown()));

    other.promoteDue(due, 10);

    assertThat(woken.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aSubscriberHearsWhichQueuesHaveWorkAndWhichWerePausedOrResumed() throws Exception {
    PostgresTaskStore listening = open();
    PostgresTaskStore other = open();
    java.util.concurrent.BlockingQueue<String> heard = new java.util.concurrent.LinkedBlockingQueue<>();
    closing(listening.subscribe((queues, changed) -> queues.forEach(q -> heard.add((changed ? "settings " : "work ") + q))));

    other.insert(aTask().queue("reports").build());
    assertThat(heard.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("work reports");

    other.setQueuePaused("reports", true);
    assertThat(heard.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("settings reports");
    other.setQueuePaused("reports", false);
    assertThat(heard.poll(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("settings reports");
  }

  @Test
  void aSchemaWithALongNameHasAChannelWithinPostgresLimits() throws Exception {
    String schema = DB.newSchema("a_rather_long_schema_name_for_a_cluster_of_nodes");
    String channel = WorkListener.channel(schema);
    assertThat(("tasklane_work_" + schema).length()).isGreaterThan(63);
    assertThat(channel).hasSizeLessThanOrEqualTo(63);
    PostgresTaskStore listening = open(DB.options(schema));
    PostgresTaskStore other = open(DB.options(schema));
    CountDownLatch woken = new CountDownLatch(1);
    closing(listening.subscribe((queues, changed) -> woken.countDown()));

    other.insert(aTask().build());

    assertThat(woken.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void theListenerReconnectsAfterItsConnectionIsKilledWakesTheSubscriberOnceAndHearsAgain()
      throws Exception {
    PostgresTaskStore listening = open();
    PostgresTaskStore other = open();
    AtomicInteger wakes = new AtomicInteger();
    WorkListener subscription = (WorkListener) closing(listening.subscribe((queues, changed) -> wakes.incrementAndGet()));
    int killed = subscription.backendPid();
    assertThat(killed).isPositive();

    terminate(killed);

    // Work may have been submitted while it was away: one wake-up, once it listens again.
    await().atMost(WAIT).until(() -> wakes.get() == 1);
    assertThat(subscription.backendPid()).isPositive().isNotEqualTo(killed);
    other.insert(aTask().build());
    await().atMost(WAIT).until(() -> wakes.get() == 2);
  }

  @Test
  void closingASubscriptionEndsItsThreadAndItsConnection() throws Exception {
    PostgresTaskStore store = open();
    long threadsBefore = listenThreads();
    WorkListener subscription = (WorkListener) store.subscribe((queues, changed) -> {});
    int pid = subscription.backendPid();
    assertThat(listenThreads()).isEqualTo(threadsBefore + 1);

    subscription.close();

    assertThat(listenThreads()).isEqualTo(threadsBefore);
    assertThat(store.dependents()).isEmpty();
    await()
        .atMost(WAIT)
        .until(() -> DB.queryLong("SELECT count(*) FROM pg_stat_activity WHERE pid = " + pid) == 0);
  }

  @Test
  void withListenOffASubscriptionHoldsNoThreadAndNoConnection() throws Exception {
    PostgresTaskStore store = open(DB.options().withListen(false));
    long threadsBefore = listenThreads();

    AutoCloseable subscription = store.subscribe((queues, changed) -> {});

    assertThat(listenThreads()).isEqualTo(threadsBefore);
    assertThat(store.dependents()).isEmpty();
    subscription.close();
  }

  // ================================================================ leader election

  @Test
  void onlyOneOfTwoCandidatesLeads() {
    LeaderElection a = closing(open().leaderElection("a"));
    LeaderElection b = closing(open().leaderElection("b"));

    assertThat(a.tryLead()).isTrue();
    assertThat(b.tryLead()).isFalse();
    assertThat(a.tryLead()).isTrue();
    assertThat(b.tryLead()).isFalse();
  }

  @Test
  void whenTheLeaderClosesItsElectionTheOtherCandidateTakesOver() {
    LeaderElection a = open().leaderElection("a");
    LeaderElection b = closing(open().leaderElection("b"));
    assertThat(a.tryLead()).isTrue();
    assertThat(b.tryLead()).isFalse();

    a.close();

    assertThat(b.tryLead()).isTrue();
    assertThat(a.tryLead()).isFalse(); // a closed election never leads again
  }

  @Test
  void whenTheLeadersSessionDiesTheOtherCandidateTakesOverAndTheOldLeaderStepsDown()
      throws Exception {
    LeaderElection a = closing(open().leaderElection("a"));
    LeaderElection b = closing(open().leaderElection("b"));
    assertThat(a.tryLead()).isTrue();

    terminate(leaderPid(DB.schema()));

    await().atMost(WAIT).until(b::tryLead);
    assertThat(a.tryLead()).isFalse();
    assertThat(b.tryLead()).isTrue();
  }

  @Test
  void aLeaderThatStopsConfirmingItsLeadLosesItWhenItsSessionTimesOut() {
    // A frozen leader: its process stops, its socket stays open, it never calls tryLead again.
    PostgresOptions quick = DB.options().withLeaderTimeout(Duration.ofSeconds(1));
    LeaderElection frozen = closing(open(quick).leaderElection("frozen"));
    LeaderElection other = closing(open(quick).leaderElection("other"));
    assertThat(frozen.tryLead()).isTrue();
    assertThat(other.tryLead()).isFalse();

    await().atMost(WAIT).until(other::tryLead);

    // When it wakes, it finds its session gone and does not lead.
    assertThat(frozen.tryLead()).isFalse();
    assertThat(other.tryLead()).isTrue();
  }

  @Test
  void candidatesOfDifferentSchemasEachLeadTheirOwnCluster() {
    LeaderElection mine = closing(open().leaderElection("a"));
    LeaderElection theirs = closing(open(DB.options(DB.newSchema("theirs"))).leaderElection("a"));

    assertThat(mine.tryLead()).isTrue();
    assertThat(theirs.tryLead()).isTrue();
  }

  @Test
  void aCandidateThatCannotReachTheDatabaseDoesNotLead() {
    PostgresOptions down =
        DB.options(DB.newSchema("down")).withJdbcUrl(DB.urlThroughPort(TcpProxy.freePort()));

    LeaderElection election = closing(open(down).leaderElection("a"));

    assertThat(election.tryLead()).isFalse();
  }

  @Test
  void closingTheStoreEndsItsSubscriptionsAndGivesUpItsLead() throws Exception {
    PostgresTaskStore leaving = open();
    long threadsBefore = listenThreads();
    leaving.subscribe((queues, changed) -> {});
    LeaderElection a = leaving.leaderElection("a");
    LeaderElection b = closing(open().leaderElection("b"));
    assertThat(a.tryLead()).isTrue();

    leaving.close();

    assertThat(listenThreads()).isEqualTo(threadsBefore);
    assertThat(b.tryLead()).isTrue();
    assertThat(a.tryLead()).isFalse();
  }

  // ================================================================ helpers

  @Test
  void aNodeSubmittingToAQueueAnotherNodeDeletedRegistersItAgain() {
    PostgresTaskStore a = open();
    PostgresTaskStore b = open();
    a.setQueueLimit("reports", 2); // a now takes "reports" for registered
    assertThat(b.deleteQueue("reports")).isEqualTo(dev.tasklane.spi.QueueRemoval.DELETED);

    Submission s = a.insert(Fixtures.aTask().queue("reports").build());
    List<Submission> batch =
        a.insertAll(List.of(Fixtures.aTask().queue("reports").build(), Fixtures.aTask().queue("reports").build()));

    assertThat(s.created()).isTrue();
    assertThat(batch).allMatch(Submission::created);
    assertThat(b.queueNames()).contains("reports");
    assertThat(b.find(s.task().id())).isPresent();
  }

  private PostgresTaskStore open() {
    return open(DB.options().withClock(clock));
  }

  private PostgresTaskStore open(PostgresOptions options) {
    return closing(PostgresTaskStore.open(options));
  }

  /** Closes {@code resource} after the test, before what was opened earlier. */
  private <T extends AutoCloseable> T closing(T resource) {
    toClose.push(resource);
    return resource;
  }

  private List<Task> claim(TaskStore store, String queue, int limit, String node) {
    return store.claim(ClaimRequest.starting(queue, limit, node, clock.instant(), LEASE));
  }

  private static List<NewTask> limitedTasks(int count) {
    return IntStream.range(0, count).mapToObj(i -> aTask().queue(LIMITED).build()).toList();
  }

  private static Task claimAt(TaskStore store, String queue, Instant now, Duration lease) {
    List<Task> claimed = store.claim(ClaimRequest.starting(queue, 1, NODE, now, lease));
    assertThat(claimed).as("a ready task in %s", queue).hasSize(1);
    return claimed.get(0);
  }

  private static RunRef ref(Task task) {
    return new RunRef(task.id(), task.fencingToken());
  }

  /** A plain connection listening on {@code channel}. */
  private static Connection listen(String channel) throws SQLException {
    Connection c = DB.connect();
    try (Statement st = c.createStatement()) {
      st.execute("LISTEN \"" + channel + "\"");
    }
    return c;
  }

  /** The payloads {@code listener} receives, in order, up to and including {@code last}. */
  private static List<String> payloadsUntil(Connection listener, String last) throws SQLException {
    List<String> payloads = new ArrayList<>();
    long deadline = System.nanoTime() + WAIT.toNanos();
    PGConnection pg = listener.unwrap(PGConnection.class);
    while (!payloads.contains(last)) {
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left <= 0) {
        fail("no notification '" + last + "' within " + WAIT + "; received " + payloads);
      }
      PGNotification[] received = pg.getNotifications((int) left);
      if (received != null) {
        for (PGNotification n : received) {
          payloads.add(n.getParameter());
        }
      }
    }
    return payloads;
  }

  private static void terminate(int pid) throws SQLException {
    assertThat(DB.queryString("SELECT pg_terminate_backend(" + pid + ")::text")).isEqualTo("true");
  }

  /** The backend holding the leader lock of {@code schema}. */
  private static int leaderPid(String schema) throws SQLException {
    long key = AdvisoryLockElection.lockKey(schema);
    // A bigint advisory key shows in pg_locks as its high half (classid) and low half (objid).
    return (int)
        DB.queryLong(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
                + " AND classid::bigint = "
                + (key >>> 32)
                + " AND objid::bigint = "
                + (key & 0xFFFF_FFFFL));
  }

  private static long listenThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().equals(WorkListener.THREAD_NAME))
        .count();
  }
}
