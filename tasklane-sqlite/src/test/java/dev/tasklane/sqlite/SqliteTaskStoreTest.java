package dev.tasklane.sqlite;

import static dev.tasklane.testkit.Fixtures.aTask;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tasklane.StoreException;
import dev.tasklane.Task;
import dev.tasklane.TaskId;
import dev.tasklane.jdbc.Queries;
import dev.tasklane.jdbc.QueryName;
import dev.tasklane.jdbc.SchemaMigrator;
import dev.tasklane.spi.LeaderElection;
import dev.tasklane.spi.TaskStore;
import dev.tasklane.testkit.TaskStoreContract;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The SQLite store against the store contract, on a real database file per test, plus what only
 * SQLite has: its pragmas, its file lock, its query plans, and crash durability across processes.
 */
class SqliteTaskStoreTest extends TaskStoreContract {
  private static final Queries QUERIES = Queries.load(new SqliteDialect());

  @TempDir Path dir;

  /** In a folder that does not exist yet, so every test also checks that open creates it. */
  private Path dbFile() {
    return dir.resolve("data").resolve("tasklane.db");
  }

  @Override
  protected TaskStore openStore() {
    return SqliteTaskStore.open(dbFile(), clock);
  }

  @Override
  protected TaskStore openStoreOnTheDatabasesClock() {
    return SqliteTaskStore.open(dir.resolve("own-clock").resolve("tasklane.db"));
  }

  private SqliteTaskStore sqlite() {
    return (SqliteTaskStore) store;
  }

  // ================================================================ connection settings

  @Test
  void openingCreatesTheMissingFoldersAndTheDatabaseFile() {
    assertThat(dbFile()).isRegularFile();
    assertThat(sqlite().file()).isEqualTo(dbFile().toAbsolutePath());
  }

  @Test
  void theDatabaseIsInWalMode() throws SQLException {
    assertThat(writerPragma("journal_mode")).isEqualTo("wal");
    // The journal mode is stored in the file: any connection sees it.
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dbFile())) {
      assertThat(pragma(c, "journal_mode")).isEqualTo("wal");
    }
  }

  @Test
  void everyCommitIsSyncedToDiskBeforeItReturns() {
    assertThat(writerPragma("synchronous")).isEqualTo("2"); // FULL
  }

  @Test
  void submissionsCommitSyncedWhileClaimsAndTheChangesOfRunningTasksCommitRelaxed() {
    store.insert(aTask().build());
    assertThat(writerPragma("synchronous")).as("after an insert").isEqualTo("2"); // FULL

    var run = claim(dev.tasklane.testkit.Fixtures.DEFAULT_QUEUE, 1).get(0);
    // Relaxed: only this process writes the file, so a claim is lost only with the process.
    assertThat(writerPragma("synchronous")).as("after a claim").isEqualTo("1"); // NORMAL

    store.finishRun(
        new dev.tasklane.spi.RunRef(run.id(), run.fencingToken()),
        new dev.tasklane.spi.RunOutcome.Succeeded(java.time.Instant.now(), null));
    assertThat(writerPragma("synchronous")).as("after an outcome").isEqualTo("1"); // NORMAL

    store.insert(aTask().build());
    assertThat(writerPragma("synchronous")).as("after the next insert").isEqualTo("2");
  }

  @Test
  void theWriterKeepsTemporaryTablesInMemoryAndALargerPageCache() {
    assertThat(writerPragma("temp_store")).isEqualTo("2"); // MEMORY
    assertThat(Long.parseLong(writerPragma("cache_size"))).isLessThan(-2000); // more than 2 MiB
  }

  @Test
  void foreignKeysAreEnforcedAndABusyDatabaseIsWaitedFor() {
    assertThat(writerPragma("foreign_keys")).isEqualTo("1");
    assertThat(writerPragma("busy_timeout"))
        .isEqualTo(String.valueOf(SqliteTaskStore.BUSY_TIMEOUT.toMillis()));
  }

  @Test
  void readConnectionsRefuseToWrite() {
    assertThatThrownBy(
            () ->
                sqlite()
                    .transactions()
                    .read(
                        "test",
                        c -> {
                          try (Statement st = c.createStatement()) {
                            return st.executeUpdate(
                                "INSERT INTO queue (name, created_at) VALUES ('x', 0)");
                          }
                        }))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("readonly");
    assertThat(store.queueNames()).isEmpty();
  }

  @Test
  void theSchemaRefusesARowThatBreaksTheStateModel() {
    store.insert(aTask().build());

    // A running task without a lease, written behind the store's back.
    assertThatThrownBy(
            () ->
                sqlite()
                    .transactions()
                    .write(
                        "test",
                        c -> {
                          try (Statement st = c.createStatement()) {
                            return st.executeUpdate(
                                "UPDATE task SET state = 'running', started_at = 0");
                          }
                        }))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("task_lease_iff_running");
  }

  // ================================================================ cluster services

  @Test
  void theOneProcessThatHoldsTheFileAlwaysLeads() {
    assertThat(store.leaderElection(NODE)).isSameAs(LeaderElection.SOLE);
  }

  @Test
  void aDatabaseOfTheFirstSchemaVersionIsUpgradedKeepingItsTasks() throws Exception {
    store.close();
    store = null;
    Path old = dir.resolve("v1").resolve("tasklane.db");
    Files.createDirectories(old.getParent());
    // The schema as the first release left it, with a queue and a task in it.
    Flyway.configure()
        .dataSource("jdbc:sqlite:" + old, null, null)
        .locations(new SqliteDialect().migrationLocation())
        .table(SchemaMigrator.HISTORY_TABLE)
        .target("1")
        .load()
        .migrate();
    TaskId id = TaskId.next();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + old);
        Statement st = c.createStatement()) {
      st.execute("INSERT INTO queue (name, created_at) VALUES ('kept', 0)");
      st.execute(
          "INSERT INTO task (id, type, queue, payload, state, max_attempts, run_at, created_at)"
              + " VALUES ('"
              + id
              + "', 't', 'kept', '{}', 'queued', 3, 0, 0)");
    }

    store = SqliteTaskStore.open(old);

    assertThat(store.find(id)).hasValueSatisfying(t -> assertThat(t.queue()).isEqualTo("kept"));
    assertThat(store.queueLimits()).isEmpty();
    store.setQueueLimit("kept", 1);
    assertThat(store.queueLimits()).containsExactly(Map.entry("kept", 1));
    assertThat(claim("kept", 5)).extracting(Task::id).containsExactly(id);
  }

  // ================================================================ one process per file

  @Test
  void aSecondStoreOnTheSameFileInThisProcessIsRefused() throws Exception {
    assertThatThrownBy(() -> SqliteTaskStore.open(dbFile()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(
            "database " + dbFile().toAbsolutePath() + " is in use by another Tasklane store");
    // The refusal did not disturb the lock of the open store: another process is still refused.
    Process other = StoreProcess.start("open", dbFile());
    StoreProcess.firstLine(other);
    assertThat(StoreProcess.exitCode(other)).isEqualTo(StoreProcess.REFUSED);
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void aStoreInAnotherProcessIsRefusedWhileThisOneHoldsTheFile() throws Exception {
    Process other = StoreProcess.start("open", dbFile());

    String message = StoreProcess.firstLine(other);

    assertThat(StoreProcess.exitCode(other)).isEqualTo(StoreProcess.REFUSED);
    assertThat(message)
        .isEqualTo(
            "database "
                + dbFile().toAbsolutePath()
                + " is in use by another Tasklane process (pid "
                + ProcessHandle.current().pid()
                + "); stop it, or give this one another database file");
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void closingTheStoreFreesTheFileForAnotherProcess() throws Exception {
    store.close();
    store = null;

    Process other = StoreProcess.start("open", dbFile());

    assertThat(StoreProcess.firstLine(other)).startsWith("opened");
    assertThat(StoreProcess.exitCode(other)).isZero();
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void aTaskInsertedBeforeItsProcessIsKilledSurvivesAndTheKillFreesTheFile() throws Exception {
    store.close();
    store = null;
    Process writer = StoreProcess.start("insert-and-wait", dbFile());
    String line = StoreProcess.firstLine(writer);
    assertThat(line).startsWith("inserted ");
    TaskId id = TaskId.parse(line.substring("inserted ".length()));

    writer.destroyForcibly(); // SIGKILL: no shutdown hook, no close, WAL left behind
    StoreProcess.exitCode(writer);
    store = openStore();

    assertThat(store.find(id))
        .hasValueSatisfying(t -> assertThat(t.type()).isEqualTo("crash.test"));
  }

  // ================================================================ query plans

  @Test
  void claimWalksTheReadyIndexInClaimOrderWithoutScanningOrSorting() {
    List<String> plan = plan(QueryName.CLAIM_QUEUED);

    assertThat(plan).anyMatch(step -> step.contains("INDEX task_claim_idx (state=? AND queue=?)"));
    assertThat(plan).noneMatch(step -> step.startsWith("SCAN task"));
    assertThat(plan).noneMatch(step -> step.contains("TEMP B-TREE"));
  }

  @ParameterizedTest(name = "{0} reads {1}")
  @CsvSource({
    "CLAIM_QUEUED, task_claim_idx (state=? AND queue=?",
    "PROMOTE_DUE, task_due_idx",
    "NEXT_SCHEDULED_AT, task_due_idx",
    "SELECT_EXPIRED_LEASES, task_lease_expiry_idx",
    "SELECT_LEASES_OF_NODE, task_lease_expiry_idx",
    "COUNT_WAITING_BY_QUEUE, task_claim_idx (state=? AND queue=?)",
    "COUNT_TASKS_BY_QUEUE_AND_STATE, task_claim_idx (state=? AND queue=?)",
    "LIST_TASKS_BY_STATE, task_state_id_idx",
    "LIST_TASKS_BY_QUEUE, task_queue_id_idx",
    "LIST_TASKS_BY_TYPE, task_type_id_idx",
    "FIND_TASK_BY_IDEMPOTENCY_KEY, (idempotency_key=?)",
    "FIND_TASK, (id=?)",
    "LIST_TASKS, (id<?)",
    "FINISH_SUCCEEDED, (id=?)",
    "FINISH_SUCCEEDED_ALL, sqlite_autoindex_task_1 (id=?)",
    "LOCK_EXPIRED_RUN, (id=?)",
    "START_RUNS, sqlite_autoindex_task_1 (id=?)",
    "RENEW_LEASES, sqlite_autoindex_task_1 (id=?)",
    "COUNT_RUNNING_IN_QUEUE, task_claim_idx (state=? AND queue=?)",
    "DELETE_FINISHED_TASKS, task_finished_idx (finished_at<?)",
    "LOCK_QUEUE_LIMIT, PRIMARY KEY (name=?)",
  })
  void eachHotQueryReadsItsIndex(QueryName query, String index) {
    assertThat(plan(query))
        .as("plan of %s", query.sqlName())
        .anyMatch(step -> step.contains(index));
  }

  @ParameterizedTest
  @EnumSource(QueryName.class)
  void noQueryScansTheTaskTableOrAFullIndexOfIt(QueryName query) {
    // A scan is allowed only over a partial index: it holds the rows of one state alone (and
    // nextScheduledAt stops at its first row).
    assertThat(plan(query))
        .as("plan of %s", query.sqlName())
        .noneMatch(
            step ->
                step.matches("SCAN (task|t)\\b.*")
                    && !step.matches(
                        ".*INDEX task_(due|lease_expiry)_idx\\b.*"));
  }

  @ParameterizedTest
  @EnumSource(
      value = QueryName.class,
      names = {
        "CLAIM_QUEUED",
        "PROMOTE_DUE",
        "NEXT_SCHEDULED_AT",
        "SELECT_EXPIRED_LEASES",
        // not SELECT_LEASES_OF_NODE: it sorts a node's own running rows, once, as the node starts
        "LIST_TASKS",
        "LIST_TASKS_BY_STATE",
        "LIST_TASKS_BY_QUEUE",
        "LIST_TASKS_BY_TYPE",
        "DELETE_FINISHED_TASKS"
      })
  void orderedQueriesReadRowsInIndexOrderWithoutSorting(QueryName query) {
    assertThat(plan(query))
        .as("plan of %s", query.sqlName())
        .noneMatch(s -> s.contains("TEMP B-TREE"));
  }

  // ================================================================ helpers

  private String writerPragma(String name) {
    return sqlite().transactions().onWriter("test", c -> pragma(c, name));
  }

  private static String pragma(Connection c, String name) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA " + name)) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** The detail lines of SQLite's plan for a query, as the store's writer would run it. */
  private List<String> plan(QueryName query) {
    return sqlite()
        .transactions()
        .onWriter(
            "explain",
            c -> {
              List<String> steps = new ArrayList<>();
              // Unbound parameters are NULL; the plan does not depend on their values.
              try (PreparedStatement st =
                      c.prepareStatement("EXPLAIN QUERY PLAN " + QUERIES.sql(query));
                  ResultSet rs = st.executeQuery()) {
                while (rs.next()) {
                  steps.add(rs.getString("detail"));
                }
              }
              return steps;
            });
  }
}
