package dev.tasklane.postgres;

import static dev.tasklane.postgres.PostgresTestDatabase.q;
import static dev.tasklane.testkit.Fixtures.aTask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tasklane.LeaseLostException;
import dev.tasklane.StoreException;
import dev.tasklane.Submission;
import dev.tasklane.Task;
import dev.tasklane.TaskError;
import dev.tasklane.TaskId;
import dev.tasklane.TaskQuery;
import dev.tasklane.TaskState;
import dev.tasklane.jdbc.Queries;
import dev.tasklane.jdbc.QueryName;
import dev.tasklane.jdbc.SchemaMigrator;
import dev.tasklane.spi.LeaseStatus;
import dev.tasklane.spi.NewTask;
import dev.tasklane.spi.ClaimRequest;
import dev.tasklane.spi.RunOutcome;
import dev.tasklane.spi.RunRef;
import dev.tasklane.spi.TaskStore;
import dev.tasklane.testkit.TcpProxy;
import dev.tasklane.testkit.Fixtures;
import dev.tasklane.testkit.TaskStoreContract;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The PostgreSQL store against the store contract, on a schema of its own emptied after each test,
 * plus what only PostgreSQL has: schema handling, time zones, query plans, inserts in a caller's
 * transaction, and a database that is down when the store opens. Tests with several stores at once
 * (claimers, limits, wake-ups, leaders) are in {@link PostgresClusterTest}.
 */
class PostgresTaskStoreTest extends TaskStoreContract {
  @RegisterExtension static final PostgresTestDatabase DB = new PostgresTestDatabase();

  @Override
  protected TaskStore openStore() {
    return PostgresTaskStore.open(DB.options().withClock(clock));
  }

  @Override
  protected TaskStore openStoreOnTheDatabasesClock() {
    return PostgresTaskStore.open(DB.options(DB.newSchema("own_clock")));
  }

  private PostgresTaskStore pg() {
    return (PostgresTaskStore) store;
  }

  private static String table(String name) {
    return q(DB.schema()) + "." + name;
  }

  // ================================================================ schema

  @Test
  void openingCreatesTheMissingSchemaAndRecordsItsMigrationInIt() throws SQLException {
    assertThat(
            DB.queryLong(
                "SELECT count(*) FROM pg_namespace WHERE nspname = '" + DB.schema() + "'"))
        .isEqualTo(1);
    assertThat(
            DB.queryString(
                "SELECT string_agg(coalesce(version, '-') || ' ' || type, ', '"
                    + " ORDER BY installed_rank) FROM "
                    + table(SchemaMigrator.HISTORY_TABLE)
                    + " WHERE success"))
        .as("Flyway's record of creating the schema, then the migrations")
        .isEqualTo("- SCHEMA, 001 SQL, 003 SQL, 004 SQL, 005 SQL, 006 SQL, 007 SQL, 008 SQL, 009 SQL, 010 SQL, 011 SQL, 012 SQL, 013 SQL, 014 SQL, 015 SQL, 016 SQL");
  }

  @Test
  void migratingAnUpToDateSchemaAgainAppliesNothing() {
    PGSimpleDataSource source = new PGSimpleDataSource();
    source.setUrl(DB.url());

    int applied = SchemaMigrator.migrate(source, new PostgresDialect(DB.schema()), DB.schema());

    assertThat(applied).isZero();
  }

  @Test
  void aSchemaThatAlreadyHoldsOtherTablesGetsTheTaskTablesBesideThem() throws SQLException {
    String schema = DB.newSchema("shared");
    DB.execute(
        "CREATE SCHEMA " + q(schema) + "; CREATE TABLE " + q(schema) + ".orders (id int)");
    DB.execute("INSERT INTO " + q(schema) + ".orders VALUES (42)");

    try (TaskStore shared = PostgresTaskStore.open(DB.options(schema))) {
      Task task = shared.insert(aTask().build()).task();
      assertThat(shared.find(task.id())).contains(task);
    }

    assertThat(DB.queryLong("SELECT id FROM " + q(schema) + ".orders")).isEqualTo(42);
  }

  @Test
  void storesOnDifferentSchemasOfOneDatabaseSeeOnlyTheirOwnTasks() {
    try (TaskStore other = PostgresTaskStore.open(DB.options(DB.newSchema("other")))) {
      Task mine = store.insert(aTask().build()).task();
      Task theirs = other.insert(aTask().build()).task();

      assertThat(store.find(theirs.id())).isEmpty();
      assertThat(other.find(mine.id())).isEmpty();
      assertThat(other.claim(ClaimRequest.starting(Fixtures.DEFAULT_QUEUE, 10, NODE, clock.instant(), LEASE)))
          .extracting(Task::id)
          .containsExactly(theirs.id());
    }
  }

  @Test
  void theSchemaRefusesARowThatBreaksTheStateModel() {
    store.insert(aTask().build());

    // A running task without a lease, written behind the store's back.
    assertThatThrownBy(
            () ->
                DB.execute(
                    "UPDATE " + table("task") + " SET state = 'running', started_at = now()"))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("task_lease_iff_running");
  }

  // ================================================================ time and JSON

  @Test
  void storedTimesAreTheInstantsGivenWhateverTheSessionTimeZone() throws SQLException {
    Instant created = Instant.parse("2030-07-01T12:34:56.789Z");
    Task task = store.insert(aTask().createdAt(created).runAt(created).build()).task();

    try (Connection c = DB.connect();
        PreparedStatement st =
            c.prepareStatement(
                "SELECT (extract(epoch FROM created_at) * 1000)::bigint,"
                    + " extract(timezone FROM created_at)"
                    + " FROM "
                    + table("task")
                    + " WHERE id = ?")) {
      st.setObject(1, task.id().value());
      try (ResultSet rs = st.executeQuery()) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getLong(1)).isEqualTo(created.toEpochMilli());
        assertThat(rs.getInt(2)).as("the session's UTC offset").isNotZero();
      }
    }
  }

  @Test
  void payloadsAndResultsKeepTheirTextExactly() {
    String payload = "{\"b\":1,   \"a\": [ 2,3 ],\"b2\":{}}";
    store.insert(aTask().payload(payload).build());
    Task running = claimOne();
    String result = "{\"z\":true,\"a\":null}";

    Task done = store.finishRun(runOf(running), new RunOutcome.Succeeded(clock.instant(), result));

    assertThat(running.payload()).isEqualTo(payload);
    assertThat(done.result()).isEqualTo(result);
    assertThat(find(done.id()).result()).isEqualTo(result);
  }

  // ================================================================ the caller's transaction

  @Test
  void aTaskInsertedInTheCallersTransactionExistsOnceTheCallerCommits() throws SQLException {
    NewTask task = aTask().queue("tx").build();
    try (Connection c = DB.connect()) {
      c.setAutoCommit(false);

      Submission submission = pg().inTransaction(c).insert(task);

      assertThat(submission.created()).isTrue();
      assertThat(store.find(task.id())).as("before the commit").isEmpty();
      c.commit();
    }
    assertThat(store.find(task.id()))
        .hasValueSatisfying(t -> assertThat(t.state()).isEqualTo(TaskState.QUEUED));
    assertThat(store.queueNames()).containsExactly("tx");
    assertThat(claim("tx", 1)).extracting(Task::id).containsExactly(task.id());
  }

  @Test
  void aTaskInsertedInARolledBackTransactionNeverExists() throws SQLException {
    NewTask task = aTask().queue("tx").build();
    try (Connection c = DB.connect()) {
      c.setAutoCommit(false);
      pg().inTransaction(c).insertAll(List.of(task, aTask().queue("tx").build()));

      c.rollback();
    }

    assertThat(store.find(task.id())).isEmpty();
    assertThat(store.queueNames()).isEmpty();
    // Nothing of the rolled-back insert stayed behind in the store: the queue registers again.
    store.insert(aTask().queue("tx").build());
    assertThat(store.queueNames()).containsExactly("tx");
  }

  @Test
  void theCallersOwnWritesAndItsTasksCommitTogether() throws SQLException {
    String orders = DB.newSchema("orders");
    DB.execute("CREATE SCHEMA " + q(orders) + "; CREATE TABLE " + q(orders) + ".orders (id int)");
    NewTask task = aTask().idempotencyKey("order-7").build();
    try (Connection c = DB.connect()) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute("INSERT INTO " + q(orders) + ".orders VALUES (7)");
      }
      NewTask again = aTask().idempotencyKey("order-7").build();
      List<Submission> submissions = pg().inTransaction(c).insertAll(List.of(task, again));
      assertThat(submissions).extracting(Submission::created).containsExactly(true, false);
      c.commit();
    }

    assertThat(DB.queryLong("SELECT id FROM " + q(orders) + ".orders")).isEqualTo(7);
    assertThat(store.findByIdempotencyKey("order-7"))
        .hasValueSatisfying(t -> assertThat(t.id()).isEqualTo(task.id()));
  }

  @Test
  void theCallersSearchPathAndTimeZoneDoNotMatter() throws SQLException {
    Instant created = Instant.parse("2030-03-04T05:06:07.089Z");
    NewTask task = aTask().createdAt(created).build();
    try (Connection c = DB.connect()) {
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.execute("SET LOCAL search_path TO pg_catalog");
        st.execute("SET LOCAL TIME ZONE 'Pacific/Chatham'");
      }
      pg().inTransaction(c).insert(task);
      c.commit();
    }

    assertThat(find(task.id()).createdAt()).isEqualTo(created);
  }

  @Test
  void insertingOnAConnectionInAutoCommitModeIsRefused() throws SQLException {
    try (Connection c = DB.connect()) {
      assertThatThrownBy(() -> pg().inTransaction(c).insert(aTask().build()))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("auto-commit");
    }
    assertThat(store.list(TaskQuery.all()).tasks()).isEmpty();
  }

  // ================================================================ leases across stores

  @Test
  void aRunWhoseTaskAnotherStoreTookOverCannotFinishAndLeavesTheRowAlone() {
    try (TaskStore other = PostgresTaskStore.open(DB.options().withClock(clock))) {
      store.insert(aTask().build());
      Task lostRun = claimOne();
      Instant afterExpiry = clock.advance(LEASE.plusSeconds(1));
      Map<RunRef, RunOutcome> recovery = new java.util.HashMap<>();
      for (Task t : other.expiredLeases(10)) {
        recovery.put(runOf(t), new RunOutcome.Released(afterExpiry, null, false));
      }
      assertThat(other.recoverExpired(recovery)).hasSize(1);
      Task currentRun =
          other.claim(ClaimRequest.starting(Fixtures.DEFAULT_QUEUE, 1, OTHER_NODE, afterExpiry, LEASE)).get(0);

      assertThatThrownBy(
              () ->
                  store.finishRun(
                      runOf(lostRun), new RunOutcome.Succeeded(afterExpiry, "{\"stale\":true}")))
          .isInstanceOf(LeaseLostException.class);
      assertThat(store.renewLeases(List.of(runOf(lostRun)), LEASE))
          .containsEntry(runOf(lostRun), LeaseStatus.LOST);
      assertThat(store.updateProgress(runOf(lostRun), 99)).isFalse();

      assertThat(other.find(currentRun.id())).contains(currentRun);
    }
  }

  @Test
  void recoveryPassesOverARowAFrozenTransactionHoldsAndRecoversTheRest() throws SQLException {
    store.insertAll(List.of(aTask().queue("held").build(), aTask().queue("free").build()));
    Task held = claim("held", 1).get(0);
    Task free = claim("free", 1).get(0);
    clock.advance(LEASE.plusSeconds(1));
    try (Connection frozen = DB.connect()) {
      // A node frozen mid-transaction keeps its row locks.
      frozen.setAutoCommit(false);
      try (Statement st = frozen.createStatement()) {
        st.execute("SELECT 1 FROM " + table("task") + " WHERE id = '" + held.id() + "' FOR UPDATE");
      }
      Map<RunRef, RunOutcome> outcomes = new java.util.HashMap<>();
      for (Task t : store.expiredLeases(10)) {
        outcomes.put(runOf(t), new RunOutcome.Released(clock.instant(), null, false));
      }

      long before = System.nanoTime();
      Map<RunRef, Task> recovered = store.recoverExpired(outcomes);

      assertThat(java.time.Duration.ofNanos(System.nanoTime() - before)).isLessThan(java.time.Duration.ofSeconds(5));
      assertThat(recovered).containsOnlyKeys(runOf(free));
      frozen.rollback();
    }
    assertThat(recoverExpiredRuns()).extracting(Task::id).containsExactly(held.id());
  }

  @Test
  void thePoolsConnectionsEndTransactionsLeftIdleLongerThanTheTimeout() throws SQLException {
    assertThat(
            DB.queryString(
                "SELECT setting FROM pg_settings WHERE name = 'idle_in_transaction_session_timeout'"))
        .as("a plain connection's default")
        .isEqualTo("0");
    String opened = DB.queryString("SELECT clock_timestamp()::text");
    try (PostgresTaskStore s =
        PostgresTaskStore.open(DB.options().withTimeout(java.time.Duration.ofSeconds(3)).withPoolSize(4))) {
      try (Connection c = s.connectionPools().get(0).getConnection();
          Statement st = c.createStatement();
          java.sql.ResultSet rs = st.executeQuery("SHOW idle_in_transaction_session_timeout")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo("3s");
        c.rollback();
      }
      // The spare connections the pool keeps wait outside any transaction, or the server would
      // end each of them after the timeout.
      var pool = s.connectionPools().get(0).getHikariPoolMXBean();
      await().atMost(java.time.Duration.ofSeconds(30)).until(() -> pool.getIdleConnections() == 4);
      assertThat(DB.queryLong(
              "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tasklane'"
                  + " AND backend_start >= '" + opened + "'::timestamptz"
                  + " AND state = 'idle in transaction'"))
          .isZero();
    }
  }

  // ================================================================ starting together, versions

  @Test
  void fiveNodesStartingAtOnceOnAFreshSchemaAllOpenItEveryTime() throws Exception {
    // Flyway's first steps (create the schema, its history table, baseline) race between nodes
    // that migrate the same new schema at once; an advisory lock makes them take turns.
    for (int round = 0; round < 16; round++) {
      String schema = DB.newSchema("together");
      // Half the rounds on a schema that exists and is empty, as public is on a new database.
      if (round % 2 == 0) {
        DB.execute("CREATE SCHEMA " + q(schema));
      }
      CountDownLatch go = new CountDownLatch(1);
      List<java.util.concurrent.Future<TaskStore>> opened = new ArrayList<>();
      try (var nodes = java.util.concurrent.Executors.newFixedThreadPool(5)) {
        for (int i = 0; i < 5; i++) {
          // Staggered by a few milliseconds each, as processes started together are: one node
          // then finds what another has only half done.
          long stagger = i * (long) (round % 4) * 15;
          opened.add(nodes.submit(() -> {
            go.await();
            Thread.sleep(stagger);
            return PostgresTaskStore.open(DB.options(schema));
          }));
        }
        go.countDown();
        List<TaskStore> stores = new ArrayList<>();
        try {
          for (var f : opened) {
            stores.add(f.get(2, java.util.concurrent.TimeUnit.MINUTES));
          }
          Task t = stores.get(0).insert(aTask().build()).task();
          assertThat(stores.get(4).find(t.id())).as("round %d", round).contains(t);
        } finally {
          stores.forEach(TaskStore::close);
        }
      }
      assertThat(
              DB.queryLong(
                  "SELECT count(*) FROM " + q(schema) + "." + SchemaMigrator.HISTORY_TABLE + " WHERE version = '009'"))
          .as("each migration ran once, round %d", round)
          .isEqualTo(1);
    }
  }

  @Test
  void aServerOlderThanTheMinimumIsRefusedWithAMessageThatSaysWhatIsNeeded() throws Exception {
    // The real server is 15; a gate that asks for more than it has meets the same refusal an
    // older server would.
    String schema = DB.newSchema("old_server");
    PostgresOptions options = DB.options(schema);
    org.postgresql.ds.PGSimpleDataSource source = new org.postgresql.ds.PGSimpleDataSource();
    source.setUrl(options.jdbcUrl());
    MigrationGate gate = new MigrationGate(source, new PostgresDialect(schema), 990_000);

    assertThatThrownBy(gate::ensureMigrated)
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("is too old: Tasklane needs PostgreSQL 990000 or newer")
        .hasMessageContaining("idle_session_timeout");
    assertThat(DB.queryLong("SELECT count(*) FROM pg_namespace WHERE nspname = '" + schema + "'"))
        .as("nothing was created")
        .isZero();
    // The real minimum is met by the server the tests run on.
    assertThat(
            DB.queryLong("SELECT current_setting('server_version_num')::int"))
        .isGreaterThanOrEqualTo(MigrationGate.MINIMUM_VERSION);
  }

  // ================================================================ an unreachable database

  @Test
  void aStoreOpensWhileItsDatabaseIsDownFailsItsCallsAndWorksOnceTheDatabaseIsUp()
      throws Exception {
    String schema = DB.newSchema("late");
    try (TcpProxy database = TcpProxy.to(DB.host(), DB.port())) {
      PostgresOptions options = DB.options(schema).withJdbcUrl(DB.urlThroughPort(database.port()));
      try (TaskStore late = PostgresTaskStore.open(options)) {
        assertThatThrownBy(late::ping).isInstanceOf(StoreException.class);
        assertThatThrownBy(() -> late.find(TaskId.next())).isInstanceOf(StoreException.class);

        database.start();

        late.ping();
        Task task = late.insert(aTask().build()).task();
        assertThat(late.find(task.id())).contains(task);
      }
    }
  }

  @Test
  void pingFailsWithAStoreExceptionWhenNothingListensOnThePort() {
    PostgresOptions nowhere = DB.options().withJdbcUrl(DB.urlThroughPort(TcpProxy.freePort()));

    try (TaskStore unreachable = PostgresTaskStore.open(nowhere)) {
      assertThatThrownBy(unreachable::ping).isInstanceOf(StoreException.class);
    }
  }

  // ================================================================ query plans

  /** Any index scan whose condition is one id: a one-row lookup, whichever index serves it. */
  private static final String BY_ID = "Index Cond: .*\\bid = '";

  /**
   * The statements of the hot paths, each with a pattern some line of its plan must match (the
   * index it must read) and plausible binds.
   */
  static Stream<Arguments> hotQueries() {
    OffsetDateTime now = OffsetDateTime.of(2030, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
    UUID last = new UUID(-1L, -1L);
    UUID some = UUID.randomUUID();
    return Stream.of(
        Arguments.of(
            QueryName.CLAIM_QUEUED,
            "task_ready_claim_idx",
            binds("node-1", now, 30_000L, 1, "q3", now, 10)),
        Arguments.of(QueryName.PROMOTE_DUE, "task_due_run_at_idx", binds(now, 100)),
        Arguments.of(QueryName.PROMOTE_DUE, "Index Cond: .*id = ANY", binds(now, 100)),
        Arguments.of(QueryName.NEXT_SCHEDULED_AT, "task_due_run_at_idx", binds()),
        Arguments.of(QueryName.SELECT_EXPIRED_LEASES, "task_running", binds(now, 100)),
        Arguments.of(
            QueryName.SELECT_EXPIRED_LEASES,
            "task_running",
            binds(new TypedNull(Types.TIMESTAMP_WITH_TIMEZONE), 100)),
        Arguments.of(QueryName.SELECT_LEASES_OF_NODE, "task_running", binds("node-1")),
        Arguments.of(QueryName.COUNT_RUNNING_IN_QUEUE, "task_running_queue_idx", binds("q3")),
        Arguments.of(QueryName.COUNT_WAITING_BY_QUEUE, "task_ready", binds()),
        Arguments.of(QueryName.DELETE_FINISHED_TASKS, "task_done_finished_idx", binds(now, 1000)),
        Arguments.of(
            QueryName.DELETE_FINISHED_TASKS, "Index Cond: .*id = ANY", binds(now, 1000)),
        Arguments.of(
            QueryName.LIST_TASKS_BY_STATE,
            "Index Cond: \\(id = ANY",
            binds("queued", null, null, null, null, last, 51)),
        Arguments.of(
            QueryName.LIST_TASKS_BY_QUEUE, "task_queue_id_idx", binds("q3", null, null, last, 51)),
        Arguments.of(QueryName.LIST_TASKS_BY_TYPE, "task_type_id_idx", binds("t1", last, 51)),
        Arguments.of(QueryName.LIST_TASKS, "task_pkey", binds(last, 51)),
        Arguments.of(QueryName.FIND_TASK, BY_ID, binds(some)),
        Arguments.of(
            QueryName.FIND_TASK_BY_IDEMPOTENCY_KEY, "task_idempotency_key_idx", binds("k")),
        Arguments.of(
            QueryName.RENEW_LEASES,
            "Index Scan using task_pkey",
            binds("[{\"id\": \"" + some + "\", \"fencing_token\": 1}]", now, 30_000L)),
        Arguments.of(QueryName.FINISH_SUCCEEDED, BY_ID, binds(null, now, now, some, 1L)),
        // A batch of outcomes probes the primary key once per run: never a join with the whole
        // table.
        Arguments.of(
            QueryName.FINISH_SUCCEEDED_ALL,
            "Index Scan using task_pkey",
            binds("[{\"id\": \"" + some + "\", \"fencing_token\": 1, \"finished_at\": 0}]", now)),
        Arguments.of(
            QueryName.START_RUNS,
            "Index Scan using task_pkey",
            binds("[{\"id\": \"" + some + "\", \"fencing_token\": 1}]", now)),
        Arguments.of(QueryName.LOCK_EXPIRED_RUN, BY_ID, binds(some, 1L, now)));
  }

  @ParameterizedTest(name = "{0} matches {1}")
  @MethodSource("hotQueries")
  void eachHotQueryReadsItsIndexAndNeverScansTheTaskTable(
      QueryName query, String expected, List<Object> binds) throws SQLException {
    // A table shaped like a busy store's: mostly finished tasks, a few waiting and running. The
    // planner then picks the plans it would pick in production; no planner setting is changed.
    fillWithATypicalMix(20_000);

    List<String> plan = plan(query, binds);

    Pattern wanted = Pattern.compile(expected);
    assertThat(plan).as("plan of %s", query.sqlName()).anyMatch(l -> wanted.matcher(l).find());
    assertThat(plan)
        .as("plan of %s", query.sqlName())
        .noneMatch(step -> step.matches(".*Seq Scan on task( .*)?"));
  }

  @Test
  void aClaimPicksInIndexOrderWithoutSortingAndLocksOnlyWhatItPicks() throws SQLException {
    fillWithATypicalMix(20_000);

    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);

    List<String> plan = plan(QueryName.CLAIM_QUEUED, binds("n", now, 30_000L, 0, "q3", now, 10));

    assertThat(plan).anyMatch(step -> step.contains("Index Scan using task_ready_claim_idx"));
    assertThat(plan).anyMatch(step -> step.contains("LockRows"));
    assertThat(plan).noneMatch(step -> step.contains("Sort"));
  }

  @Test
  void onlyTasksWithAnIdempotencyKeyTakeAnEntryInItsUniqueIndex() throws SQLException {
    assertThat(DB.queryString("SELECT pg_get_indexdef('" + table("task_idempotency_key_idx") + "'::regclass)"))
        .contains("UNIQUE")
        .endsWith("WHERE (idempotency_key IS NOT NULL)");
  }

  @Test
  void aClaimReadsItsIndexInOrderEvenBeforeTheTableWasEverAnalysed() throws SQLException {
    // A burst of submissions into a new schema, claimed before autovacuum's first ANALYZE: the
    // planner has no statistics, and must still not sort the whole queue for each claim.
    DB.execute("INSERT INTO " + table("queue") + " (name, created_at) VALUES ('burst', now())");
    DB.execute(
        ("INSERT INTO %s (id, type, queue, payload, priority, state, max_attempts, run_at, created_at)"
                + " SELECT gen_random_uuid(), 't', 'burst', '{}', 0, 'queued', 3,"
                + " now() - interval '1 hour', now() FROM generate_series(1, 50000)")
            .formatted(table("task")));
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);

    List<String> plan = plan(QueryName.CLAIM_QUEUED, binds("n", now, 30_000L, 1, "burst", now, 256));

    assertThat(plan).anyMatch(step -> step.contains("Index Scan using task_ready_claim_idx"));
    assertThat(plan).noneMatch(step -> step.contains("Sort"));
  }

  // ================================================================ layout (V014)

  @Test
  void noIndexOfTheTaskTableNamesAColumnThatAClaimOrAnOutcomeChanges() throws SQLException {
    // Every column an index of the table names, as a key, in an expression or in a predicate:
    // a change of any of them makes an update write a new entry into every index (no HOT update).
    String columns =
        DB.queryString(
            """
            SELECT string_agg(DISTINCT a.attname, ',' ORDER BY a.attname)
              FROM pg_index i
              JOIN pg_attribute a ON a.attrelid = i.indrelid
             WHERE i.indrelid = '%s'::regclass
               AND (a.attnum = ANY (i.indkey)
                    OR pg_get_expr(i.indpred, i.indrelid) ~ ('\\m' || a.attname || '\\M')
                    OR pg_get_expr(i.indexprs, i.indrelid) ~ ('\\m' || a.attname || '\\M'))
            """
                .formatted(table("task")));

    assertThat(columns.split(","))
        .containsExactlyInAnyOrder("id", "idempotency_key", "queue", "submitted_by", "type");
  }

  @Test
  void aClaimAndItsOutcomeAreHeapOnlyUpdatesOfTheTaskRow() throws SQLException {
    Task task = store.insert(aTask().queue("hot").build()).task();
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC).plusSeconds(1);
    TypedNull databaseClock = new TypedNull(Types.TIMESTAMP_WITH_TIMEZONE);

    try (Connection c = DB.connect()) {
      c.setAutoCommit(false);
      int claimed =
          run(c, QueryName.CLAIM_QUEUED, binds("node-1", databaseClock, 30_000L, 1, "hot", now, 10));
      int finished =
          run(c, QueryName.FINISH_SUCCEEDED, binds(null, now, databaseClock, task.id().value(), 1L));
      long updated;
      long heapOnly;
      try (Statement st = c.createStatement();
          ResultSet rs =
              st.executeQuery(
                  "SELECT pg_stat_get_xact_tuples_updated('%1$s'::regclass),"
                          .formatted(table("task"))
                      + " pg_stat_get_xact_tuples_hot_updated('%1$s'::regclass)"
                          .formatted(table("task")))) {
        rs.next();
        updated = rs.getLong(1);
        heapOnly = rs.getLong(2);
      }
      c.commit();

      assertThat(claimed).isEqualTo(1);
      assertThat(finished).isEqualTo(1);
      assertThat(updated).isEqualTo(2);
      assertThat(heapOnly).as("heap-only updates of the 2").isEqualTo(2);
    }
    assertThat(store.find(task.id()).orElseThrow().state()).isEqualTo(TaskState.SUCCEEDED);
  }

  @Test
  void eachTaskIsTrackedInTheTableOfItsStateThroughEveryChange() throws SQLException {
    // The trigger's bookkeeping, watched through one task's whole life; the same invariant is
    // checked for every task after every test (PostgresTestDatabase).
    Task task =
        store.insert(aTask().queue("tracked").scheduledAt(clock.instant().plusSeconds(60)).build())
            .task();
    assertThat(trackedIn(task)).isEqualTo("task_due");

    clock.advance(java.time.Duration.ofSeconds(61));
    store.promoteDue(clock.instant(), 10);
    assertThat(trackedIn(task)).isEqualTo("task_ready");

    Task claimed = claim("tracked", 1).getFirst();
    assertThat(trackedIn(task)).isEqualTo("task_running");

    store.finishRun(
        runOf(claimed),
        new RunOutcome.Failed(clock.instant(), new TaskError(1, clock.instant(), null, "no", null)));
    assertThat(trackedIn(task)).isEqualTo("task_done failed");

    store.retry(task.id(), clock.instant());
    assertThat(trackedIn(task)).isEqualTo("task_ready");

    store.requestCancel(task.id(), clock.instant());
    assertThat(trackedIn(task)).isEqualTo("task_done cancelled");
  }

  @Test
  void aSchemaUpgradedToTheTrackingTablesTracksTheTasksItAlreadyHeldAndRunsThem() throws SQLException {
    // A schema at V013, the layout before the tracking tables, holding tasks in every state.
    String schema = DB.newSchema("upgraded");
    PGSimpleDataSource source = new PGSimpleDataSource();
    source.setUrl(DB.url());
    org.flywaydb.core.Flyway.configure(PostgresDialect.class.getClassLoader())
        .dataSource(source)
        .locations(new PostgresDialect(schema).migrationLocation())
        .table(SchemaMigrator.HISTORY_TABLE)
        .schemas(schema)
        .defaultSchema(schema)
        .createSchemas(true)
        .target("013")
        .load()
        .migrate();
    String task = q(schema) + ".task";
    DB.execute("INSERT INTO " + q(schema) + ".queue (name, created_at) VALUES ('old', now())");
    DB.execute(
        """
        INSERT INTO %s (id, type, queue, payload, priority, state, attempt, max_attempts, run_at,
                        created_at, started_at, finished_at, lease_owner, lease_expires_at)
        SELECT gen_random_uuid(), 't', 'old', '{}', i %% 3, s.state,
               CASE WHEN s.state IN ('queued', 'scheduled') THEN 0 ELSE 1 END, 3,
               now() - interval '1 hour' + CASE WHEN s.state = 'scheduled'
                                                THEN interval '2 hours' ELSE interval '0' END,
               now() - interval '1 hour',
               CASE WHEN s.state IN ('queued', 'scheduled') THEN NULL ELSE now() END,
               CASE WHEN s.state IN ('succeeded', 'failed', 'cancelled') THEN now() END,
               CASE WHEN s.state = 'running' THEN 'node-1' END,
               CASE WHEN s.state = 'running' THEN now() + interval '30 s' END
          FROM generate_series(1, 5) i,
               (VALUES ('scheduled'), ('queued'), ('running'), ('succeeded'), ('failed'),
                       ('cancelled')) AS s (state)
        """
            .formatted(task));

    try (TaskStore upgraded = PostgresTaskStore.open(DB.options(schema))) {
      // PostgresTestDatabase checks after the test that each task is tracked where its state says.
      assertThat(DB.queryLong("SELECT count(*) FROM " + q(schema) + ".task_ready")).isEqualTo(5);
      assertThat(DB.queryLong("SELECT count(*) FROM " + q(schema) + ".task_due")).isEqualTo(5);
      assertThat(DB.queryLong("SELECT count(*) FROM " + q(schema) + ".task_running")).isEqualTo(5);
      assertThat(DB.queryLong("SELECT count(*) FROM " + q(schema) + ".task_done")).isEqualTo(15);

      List<Task> claimed =
          upgraded.claim(ClaimRequest.starting("old", 10, NODE, Instant.now(), LEASE));

      assertThat(claimed).hasSize(5).allMatch(t -> t.state() == TaskState.RUNNING);
      assertThat(claimed).extracting(Task::priority).isSortedAccordingTo(java.util.Comparator.reverseOrder());
      assertThat(DB.queryLong("SELECT count(*) FROM " + q(schema) + ".task_ready")).isZero();
      assertThat(DB.queryLong("SELECT count(*) FROM " + q(schema) + ".task_running")).isEqualTo(10);
    }
  }

  /** Where the task is tracked: the tables that hold it, and in task_done its state. */
  private String trackedIn(Task task) throws SQLException {
    return DB.queryString(
        """
        SELECT string_agg(t, ', ') FROM (
            SELECT 'task_ready' AS t FROM %1$s.task_ready WHERE id = '%2$s'
            UNION ALL SELECT 'task_due' FROM %1$s.task_due WHERE id = '%2$s'
            UNION ALL SELECT 'task_running' FROM %1$s.task_running WHERE id = '%2$s'
            UNION ALL SELECT 'task_done ' || state FROM %1$s.task_done WHERE id = '%2$s') AS x
        """
            .formatted(q(DB.schema()), task.id().value()));
  }

  // ================================================================ helpers

  private static List<Object> binds(Object... values) {
    return Arrays.asList(values);
  }

  /** A bind of SQL NULL of a type other than text. */
  private record TypedNull(int sqlType) {}

  private static void bind(PreparedStatement st, List<Object> binds) throws SQLException {
    for (int i = 0; i < binds.size(); i++) {
      Object value = binds.get(i);
      if (value == null) {
        st.setNull(i + 1, Types.VARCHAR);
      } else if (value instanceof TypedNull n) {
        st.setNull(i + 1, n.sqlType());
      } else {
        st.setObject(i + 1, value);
      }
    }
  }

  /** Runs {@code query} with {@code binds} on {@code c}, returning how many rows it gave. */
  private static int run(Connection c, QueryName query, List<Object> binds) throws SQLException {
    try (PreparedStatement st =
        c.prepareStatement(Queries.load(new PostgresDialect(DB.schema())).sql(query))) {
      bind(st, binds);
      int rows = 0;
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          rows++;
        }
      }
      return rows;
    }
  }

  /** The lines of PostgreSQL's plan for {@code query} with {@code binds}. */
  private static List<String> plan(QueryName query, List<Object> binds) throws SQLException {
    String sql = Queries.load(new PostgresDialect(DB.schema())).sql(query);
    try (Connection c = DB.connect();
        PreparedStatement st = c.prepareStatement("EXPLAIN " + sql)) {
      bind(st, binds);
      List<String> lines = new ArrayList<>();
      try (ResultSet rs = st.executeQuery()) {
        while (rs.next()) {
          lines.add(rs.getString(1));
        }
      }
      return lines;
    }
  }

  /**
   * {@code count} tasks in ten queues: 90% succeeded, 4% failed, 3% queued, 2% scheduled, 1%
   * running; then ANALYZE, so the planner knows.
   */
  private static void fillWithATypicalMix(int count) throws SQLException {
    String task = table("task");
    DB.execute(
        "INSERT INTO "
            + table("queue")
            + " (name, created_at) SELECT 'q' || i, now() FROM generate_series(0, 9) i");
    DB.execute(
        """
        INSERT INTO %s (id, type, queue, payload, priority, state, attempt, max_attempts, run_at,
                        created_at, started_at, finished_at, lease_owner, lease_expires_at)
        SELECT gen_random_uuid(), 't' || (i %% 7), 'q' || (i %% 10), '{}', i %% 3, state,
               CASE WHEN state IN ('queued', 'scheduled') THEN 0 ELSE 1 END, 3,
               now() - interval '1 hour' + CASE WHEN state = 'scheduled'
                                                THEN interval '2 hours' ELSE interval '0' END,
               now() - interval '1 hour',
               CASE WHEN state IN ('queued', 'scheduled') THEN NULL ELSE now() END,
               CASE WHEN state IN ('succeeded', 'failed') THEN now() - (i || ' s')::interval END,
               CASE WHEN state = 'running' THEN 'node-' || (i %% 4) END,
               CASE WHEN state = 'running' THEN now() + interval '30 s' END
          FROM generate_series(1, %d) i,
               LATERAL (SELECT CASE WHEN i %% 100 < 90 THEN 'succeeded'
                                    WHEN i %% 100 < 94 THEN 'failed'
                                    WHEN i %% 100 < 97 THEN 'queued'
                                    WHEN i %% 100 < 99 THEN 'scheduled'
                                    ELSE 'running' END AS state) s
        """
            .formatted(task, count));
    // Autovacuum analyses the tracking tables too (V014), as it does the task table.
    DB.execute(
        "ANALYZE " + task + ", " + table("queue") + ", " + table("task_ready") + ", "
            + table("task_due") + ", " + table("task_running") + ", " + table("task_done"));
  }
}
