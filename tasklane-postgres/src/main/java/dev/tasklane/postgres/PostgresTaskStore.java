package dev.tasklane.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tasklane.StoreException;
import dev.tasklane.Submission;
import dev.tasklane.jdbc.JdbcAccessStore;
import dev.tasklane.jdbc.JdbcTaskStore;
import dev.tasklane.spi.AccessStore;
import dev.tasklane.spi.ForwardingTaskStore;
import dev.tasklane.spi.LeaderElection;
import dev.tasklane.spi.NewTask;
import dev.tasklane.spi.TaskStore;
import dev.tasklane.spi.TaskWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster task store: one PostgreSQL schema shared by every node.
 *
 * <pre>{@code
 * try (TaskStore store = PostgresTaskStore.open(PostgresOptions.of(url).withSchema("tasklane"))) {
 *   ...
 * }
 * }</pre>
 *
 * <h2>Opening</h2>
 *
 * {@link #open} creates the schema if it is missing and migrates it (Flyway, history table {@code
 * tasklane_schema_history} in the schema). A node may start while the database is down: the store
 * then opens anyway, every call fails with {@link StoreException} (so does {@link #ping()}) until
 * the database answers, and the first call after that migrates. Requires PostgreSQL 14 or
 * newer: the version is checked before migrating, and an
 * older server is refused with a message that says so. Nodes that start together migrate one at a
 * time (an advisory lock), so any number of them may start at once on a fresh database.
 *
 * <h2>Concurrency</h2>
 *
 * Calls run on a HikariCP pool of {@link PostgresOptions#poolSize()} connections, one transaction
 * each. Every wait on the database (for a pooled connection, to connect, for an answer) is bounded
 * by {@link PostgresOptions#timeout()}: past it a call fails with a {@link StoreException} that is
 * {@link StoreException#unavailable() unavailable}, so a silent network partition makes calls fail
 * rather than hang. Nodes never lock tables: a
 * claim is one statement that picks ready rows with {@code FOR UPDATE SKIP LOCKED}, so claimers on
 * any number of nodes neither wait for each other nor take the same task, and every change of a
 * running task is compare-and-set on its fencing token. Claims of a queue with a cluster-wide limit
 * are serialised on that queue's row (see {@link JdbcTaskStore}).
 *
 * <h2>Cluster</h2>
 *
 * <ul>
 *   <li>{@link #subscribe}: a trigger notifies the schema's channel whenever a task becomes ready;
 *       each subscription {@code LISTEN}s on a connection of its own (see {@link
 *       PostgresOptions#listen()}).
 *   <li>{@link #leaderElection}: a session-level advisory lock keyed by the schema, on a
 *       connection of its own.
 *   <li>{@link #inTransaction}: inserts on the caller's connection, inside the caller's own
 *       transaction.
 * </ul>
 *
 * <p>Thread-safe.
 */
public final class PostgresTaskStore extends ForwardingTaskStore
    implements dev.tasklane.jdbc.ConnectionPools {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresTaskStore.class);
  private static final String APPLICATION_NAME = "tasklane";

  private final PostgresOptions options;
  private final PGSimpleDataSource connections;
  private final MigrationGate schema;
  private final PostgresTransactionRunner transactions;
  private final JdbcTaskStore delegate;
  private final JdbcAccessStore access;

  /** Open subscriptions and elections, closed with the store. */
  private final Set<AutoCloseable> dependents = ConcurrentHashMap.newKeySet();

  private final AtomicBoolean closed = new AtomicBoolean();

  private PostgresTaskStore(
      PostgresOptions options,
      PGSimpleDataSource connections,
      MigrationGate schema,
      PostgresTransactionRunner transactions,
      JdbcTaskStore delegate,
      JdbcAccessStore access) {
    super(delegate);
    this.access = access;
    this.options = options;
    this.connections = connections;
    this.schema = schema;
    this.transactions = transactions;
    this.delegate = delegate;
  }

  /**
   * Opens the store: migrates the schema (creating it if missing) when the database answers, and
   * starts the connection pool. When the database does not answer, the store opens all the same
   * and migrates on first use.
   *
   * @throws StoreException if the database answers but the schema cannot be created or migrated
   *     (for example, it holds a migration newer than this build)
   */
  public static PostgresTaskStore open(PostgresOptions options) {
    Objects.requireNonNull(options, "options");
    PostgresDialect dialect = new PostgresDialect(options.schema());
    PGSimpleDataSource connections = dataSource(options, true);
    // Migrations may run longer than any statement of the store: their connections have no
    // socket timeout.
    MigrationGate schema = new MigrationGate(dataSource(options, false), dialect);
    schema.migrateIfReachable();
    PostgresTransactionRunner transactions =
        new PostgresTransactionRunner(pool(options, pooled(options)), schema);
    try {
      return new PostgresTaskStore(
          options,
          connections,
          schema,
          transactions,
          new JdbcTaskStore(dialect, transactions, options.clock()),
          new JdbcAccessStore(dialect, transactions));
    } catch (RuntimeException | Error e) {
      transactions.close();
      throw e;
    }
  }

  /**
   * The pool every store operation takes its connections from (the notification listener and the
   * leader election hold one connection each, outside it).
   */
  @Override
  public java.util.List<com.zaxxer.hikari.HikariDataSource> connectionPools() {
    return java.util.List.of(transactions.pool());
  }

  /**
   * The server's tokens, users, sessions and audit log, in this store's schema, shared by every
   * node (see {@link dev.tasklane.spi.AccessStore}).
   */
  public AccessStore accessStore() {
    return access;
  }

  /** The options the store was opened with. */
  public PostgresOptions options() {
    return options;
  }

  /**
   * A writer that inserts tasks on {@code callerConnection}, inside the transaction the caller has
   * open on it, without committing: the tasks exist if and only if the caller commits, and nodes
   * hear of them (and can claim them) only then. For enqueueing work atomically with the caller's
   * own writes:
   *
   * <pre>{@code
   * connection.setAutoCommit(false);
   * insertOrder(connection, order);
   * store.inTransaction(connection).insert(sendConfirmation(order));
   * connection.commit();
   * }</pre>
   *
   * <p>Inserts behave as {@link #insert} and {@link #insertAll} do (idempotency keys included; a
   * key taken by a transaction still open waits for it). The connection must reach this store's
   * database; its search path does not matter. A failed insert throws {@link StoreException} and
   * leaves the caller's transaction aborted: the caller must roll back. Use the writer on the
   * thread that owns the transaction.
   *
   * @throws IllegalStateException (at insert) if the connection is in auto-commit mode, where there
   *     is no transaction to join, or the store is closed
   */
  public TaskWriter inTransaction(Connection callerConnection) {
    Objects.requireNonNull(callerConnection, "callerConnection");
    checkOpen();
    TaskWriter writer = delegate.inTransaction(callerConnection);
    return new TaskWriter() {
      @Override
      public Submission insert(NewTask task) {
        requireTransaction();
        return writer.insert(task);
      }

      @Override
      public List<Submission> insertAll(List<NewTask> tasks) {
        requireTransaction();
        return writer.insertAll(tasks);
      }

      private void requireTransaction() {
        checkOpen();
        boolean autoCommit;
        try {
          autoCommit = callerConnection.getAutoCommit();
        } catch (SQLException e) {
          throw new StoreException("insert", e);
        }
        if (autoCommit) {
          throw new IllegalStateException(
              "the connection is in auto-commit mode: call setAutoCommit(false) to open the"
                  + " transaction the tasks should join");
        }
        // The tables must exist before the caller's transaction touches them: a failure there
        // would abort the caller's work, not only the insert.
        schema.ensureMigrated();
      }

      @Override
      public String toString() {
        return "TaskWriter[caller's transaction on " + PostgresTaskStore.this + "]";
      }
    };
  }

  // ---------------------------------------------------------------- what differs from JdbcTaskStore

  /**
   * {@inheritDoc}
   *
   * <p>Also migrates the schema, if the store opened while the database was down.
   */
  // ---------------------------------------------------------------- cluster

  /**
   * An election by a session-level advisory lock keyed by this store's schema, on a connection of
   * its own (opened at the first {@link LeaderElection#tryLead()}). Closed with the store if not
   * before.
   */
  @Override
  public LeaderElection leaderElection(String nodeId) {
    Objects.requireNonNull(nodeId, "nodeId");
    checkOpen();
    AdvisoryLockElection election =
        new AdvisoryLockElection(
            connections, options.schema(), nodeId, options.leaderTimeout(), dependents::remove);
    dependents.add(election);
    return election;
  }

  /**
   * Calls {@code onWork} on the {@value WorkListener#THREAD_NAME} thread whenever a task of this
   * store's schema becomes ready, in this process or any other (after the change commits), and
   * once after each reconnection of the listening connection. A no-op when {@link
   * PostgresOptions#listen()} is off. Closed with the store if not before.
   */
  @Override
  public AutoCloseable subscribe(dev.tasklane.spi.WorkSignal onWork) {
    Objects.requireNonNull(onWork, "onWork");
    checkOpen();
    if (!options.listen()) {
      return () -> {};
    }
    // While notifications arrive, claims may start where the previous one ended: a notification
    // (or a reconnection, which names no queue) sends them back to the head of the queues it names.
    dev.tasklane.spi.WorkSignal heard =
        (queues, settingsChanged) -> {
          delegate.tasksMayBeReady(queues);
          onWork.workMayBeReady(queues, settingsChanged);
        };
    WorkListener listener =
        WorkListener.start(
            connections,
            WorkListener.channel(options.schema()),
            heard,
            closed -> {
              delegate.stopUsingClaimFloors();
              dependents.remove(closed);
            });
    delegate.useClaimFloors();
    dependents.add(listener);
    return listener;
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Closes the subscriptions and elections still open (giving up the lead), then the pool.
   * Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (AutoCloseable dependent : List.copyOf(dependents)) {
      try {
        dependent.close();
      } catch (Exception e) {
        LOG.warn("closing {} failed", dependent, e);
      }
    }
    delegate.close();
  }

  @Override
  public String toString() {
    return "PostgresTaskStore["
        + PostgresOptions.redact(options.jdbcUrl())
        + ", schema "
        + options.schema()
        + "]";
  }

  /** Open subscriptions and elections (tests). */
  Set<AutoCloseable> dependents() {
    return Set.copyOf(dependents);
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("the PostgreSQL task store is closed");
    }
  }

  // ---------------------------------------------------------------- connections

  /**
   * Plain connections as the options describe them: for migrations, the pool, and the long-lived
   * connections of subscriptions and elections. TCP keep-alive (unless the URL says otherwise)
   * lets a long-idle connection notice a peer that vanished.
   */
  private static PGSimpleDataSource dataSource(PostgresOptions options, boolean timeouts) {
    PGSimpleDataSource source = new PGSimpleDataSource();
    try {
      source.setUrl(options.jdbcUrl());
    } catch (IllegalArgumentException e) {
      // The driver's message repeats the URL, which may carry a password.
      throw new IllegalArgumentException(
          "invalid PostgreSQL JDBC URL: " + PostgresOptions.redact(options.jdbcUrl()));
    }
    if (options.user() != null) {
      source.setUser(options.user());
    }
    if (options.password() != null) {
      source.setPassword(options.password());
    }
    if (!hasParameter(options.jdbcUrl(), "ApplicationName")) {
      source.setApplicationName(APPLICATION_NAME);
    }
    if (!hasParameter(options.jdbcUrl(), "tcpKeepAlive")) {
      source.setTcpKeepAlive(true);
    }
    if (timeouts) {
      // A silent network (packets dropped, not refused) must end in an error, not a hang: every
      // wait on the database is bounded by the store's timeout unless the URL chooses otherwise.
      int seconds = (int) Math.max(1, ceilSeconds(options.timeout()));
      if (!hasParameter(options.jdbcUrl(), "connectTimeout")) {
        source.setConnectTimeout(seconds);
      }
      if (!hasParameter(options.jdbcUrl(), "loginTimeout")) {
        source.setLoginTimeout(seconds);
      }
      if (!hasParameter(options.jdbcUrl(), "socketTimeout")) {
        source.setSocketTimeout(seconds);
      }
    }
    return source;
  }

  private static long ceilSeconds(Duration d) {
    long seconds = d.toSeconds();
    return d.minusSeconds(seconds).isZero() ? seconds : seconds + 1;
  }

  private static boolean hasParameter(String url, String name) {
    int query = url.indexOf('?');
    return query >= 0 && ("&" + url.substring(query + 1)).contains("&" + name + "=");
  }

  /**
   * Connections for the pool. A node frozen (SIGSTOP, a long pause) in the middle of a transaction
   * keeps its row locks, and with them the rows other nodes must recover. Its transactions are
   * short when it runs, so the server ends any that stays idle longer than the timeout, locks
   * included. The setting travels in the startup packet: a {@code SET} run by the pool as its
   * init SQL would open a transaction on an auto-commit-off connection and leave it idle until
   * first use, so the server would end every connection the pool kept spare.
   */
  private static PGSimpleDataSource pooled(PostgresOptions options) {
    PGSimpleDataSource source = dataSource(options, true);
    String given = source.getOptions();
    if (given != null && given.contains("idle_in_transaction_session_timeout")) {
      return source; // the URL's own choice stands, as for the other timeouts
    }
    String timeout = "-c idle_in_transaction_session_timeout=" + options.timeout().toMillis();
    source.setOptions(given == null || given.isBlank() ? timeout : given + " " + timeout);
    return source;
  }

  /**
   * The pool: auto-commit off (every call is one explicit transaction), READ COMMITTED whatever
   * the database's default, and no failure at start when the database is down
   * ({@code initializationFailTimeout = -1}): connections are made once it answers.
   */
  private static HikariDataSource pool(PostgresOptions options, PGSimpleDataSource connections) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("tasklane-postgres-" + options.schema());
    config.setDataSource(connections);
    config.setMaximumPoolSize(options.poolSize());
    config.setAutoCommit(false);
    config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    config.setInitializationFailTimeout(-1);
    config.setConnectionTimeout(options.timeout().toMillis());
    // A pooled connection idle for a while is checked before it is lent; on a silent network the
    // check itself must give up within the timeout, leaving time to try another.
    config.setValidationTimeout(Math.max(250, options.timeout().toMillis() / 2));
    return new HikariDataSource(config);
  }
}
