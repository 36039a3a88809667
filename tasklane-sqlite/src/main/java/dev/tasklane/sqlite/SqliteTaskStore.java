package dev.tasklane.sqlite;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.tasklane.StoreException;
import dev.tasklane.jdbc.ConnectionPools;
import dev.tasklane.jdbc.JdbcAccessStore;
import dev.tasklane.jdbc.JdbcTaskStore;
import dev.tasklane.spi.AccessStore;
import dev.tasklane.jdbc.SchemaMigrator;
import dev.tasklane.spi.ForwardingTaskStore;
import dev.tasklane.spi.LeaderElection;
import dev.tasklane.spi.TaskStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Locale;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The embedded task store: one SQLite file, used by one process.
 *
 * <pre>{@code
 * try (TaskStore store = SqliteTaskStore.open(Path.of("data/tasklane.db"))) {
 *   ...
 * }
 * }</pre>
 *
 * <h2>Durability</h2>
 *
 * The database runs in WAL mode. Submissions and operator actions commit with {@code
 * synchronous=FULL}: the write-ahead log is fsynced before the store method returns, so a task is
 * durable when {@link #insert} returns, through a {@code kill -9} or a power cut. Claims and the
 * later changes of running tasks (outcomes, lease renewals, progress) commit with {@code
 * synchronous=NORMAL}:
 * safe through a crash of the process, in commit order, and carried to disk by the next synced
 * commit or checkpoint; a power cut may lose the last few, and those tasks run again, as
 * at-least-once delivery allows. Foreign keys are enforced and a busy database is waited for up to
 * {@link #BUSY_TIMEOUT}.
 *
 * <h2>Concurrency</h2>
 *
 * All writes of the store go through one connection, one transaction at a time, each opened with
 * {@code BEGIN IMMEDIATE}; reads ({@link #find}, {@link #list} and the counts) use a pool of
 * {@value #READ_CONNECTIONS} read-only connections and never wait for writes. The store is
 * thread-safe.
 *
 * <h2>One process per file</h2>
 *
 * While open, the store holds an exclusive OS lock on the sibling file {@code <db>.lock}. Opening
 * the same file again, from another process or from this one, fails until the store is closed or
 * its process has exited (the OS drops the lock even after {@code kill -9}).
 */
public final class SqliteTaskStore extends ForwardingTaskStore implements ConnectionPools {

  /** How long a statement waits for a database locked by someone else (an sqlite3 shell). */
  public static final Duration BUSY_TIMEOUT = Duration.ofSeconds(5);

  /** Connections in the read pool. */
  public static final int READ_CONNECTIONS = 4;

  private static final SqliteDialect DIALECT = new SqliteDialect();

  /** The writer connection's page cache, in KiB (native memory, outside the Java heap). */
  private static final int WRITER_CACHE_KIB = 32 * 1024;

  private final Path file;
  private final DatabaseLock lock;
  private final SqliteTransactionRunner transactions;
  private final JdbcTaskStore delegate;
  private final JdbcAccessStore access;

  private SqliteTaskStore(
      Path file, DatabaseLock lock, SqliteTransactionRunner transactions, JdbcTaskStore delegate) {
    super(delegate);
    this.file = file;
    this.lock = lock;
    this.transactions = transactions;
    this.delegate = delegate;
    // One process owns the file, so every change that makes a task ready passes through this
    // store, which keeps claim floors exact without notifications.
    delegate.useClaimFloors();
    this.access = new JdbcAccessStore(DIALECT, transactions);
  }

  /**
   * Opens (creating if needed) the database at {@code dbFile}: creates missing parent folders,
   * locks the file for this process, brings the schema up to date, and returns a ready store.
   *
   * @throws IllegalStateException if another Tasklane store, in this process or another, has the
   *     file open
   * @throws StoreException if the folder cannot be created, the database cannot be opened, does not
   *     support WAL mode, or cannot be migrated
   */
  public static SqliteTaskStore open(Path dbFile) {
    return open(dbFile, null);
  }

  /**
   * {@link #open(Path)}, with the store's clock for leases and node heartbeats replaced by {@code
   * clock}: for tests that move time. {@code null} uses SQLite's own clock (the system's).
   */
  public static SqliteTaskStore open(Path dbFile, InstantSource clock) {
    Path file = dbFile.toAbsolutePath().normalize();
    try {
      Files.createDirectories(file.getParent());
    } catch (IOException e) {
      throw new StoreException("open", e);
    }
    DatabaseLock lock = DatabaseLock.acquire(file);
    HikariDataSource readers = null;
    SqliteTransactionRunner transactions = null;
    try {
      String url = "jdbc:sqlite:" + file;
      // Migrate first, on a connection of its own that Flyway closes: the pool's connections and
      // the writer then only ever see the current schema.
      SQLiteDataSource migrations = dataSource(url, writerConfig());
      SchemaMigrator.migrate(migrations, DIALECT);
      forgetNodesOfEarlierProcesses(migrations);
      readers = readerPool(url);
      SQLiteDataSource writerSource = dataSource(url, writerConfig());
      transactions = new SqliteTransactionRunner(() -> openWriter(writerSource, file), readers);
      return new SqliteTaskStore(
          file, lock, transactions, new JdbcTaskStore(DIALECT, transactions, clock));
    } catch (SQLException e) {
      closeAll(readers, transactions, lock);
      throw new StoreException("open", e);
    } catch (RuntimeException | Error e) {
      closeAll(readers, transactions, lock);
      throw e;
    }
  }

  /**
   * Node registrations left in the file by a process that held it before (and died, or it would
   * have removed them) are gone for good: this process holds the file's lock, so no other can be
   * running. Clearing them lets a restarted node take its id back at once.
   */
  private static void forgetNodesOfEarlierProcesses(SQLiteDataSource source) throws SQLException {
    try (Connection c = source.getConnection();
        Statement st = c.createStatement()) {
      st.executeUpdate("DELETE FROM node");
    }
  }

  /** The pool of read connections (writes use one connection of their own, outside any pool). */
  @Override
  public java.util.List<HikariDataSource> connectionPools() {
    return java.util.List.of(transactions.readers());
  }

  /**
   * The server's tokens, users, sessions and audit log, in this same file (see {@link
   * dev.tasklane.spi.AccessStore}).
   */
  public AccessStore accessStore() {
    return access;
  }

  /** The database file, as an absolute path. */
  public Path file() {
    return file;
  }

  // ---------------------------------------------------------------- what differs from JdbcTaskStore

  /** {@link LeaderElection#SOLE}: the one process that may open the file always leads. */
  @Override
  public LeaderElection leaderElection(String nodeId) {
    return LeaderElection.SOLE;
  }

  /**
   * A no-op: only this process writes the file, and its engine wakes itself after its own writes.
   */
  @Override
  public AutoCloseable subscribe(dev.tasklane.spi.WorkSignal onWork) {
    return () -> {};
  }

  /**
   * Closes the connections (checkpointing the WAL into the database file) and releases the file
   * lock. Idempotent.
   */
  @Override
  public void close() {
    try {
      delegate.close();
    } finally {
      lock.close();
    }
  }

  @Override
  public String toString() {
    return "SqliteTaskStore[" + file + "]";
  }

  /** The store's transactions, for tests that inspect the writer connection. */
  SqliteTransactionRunner transactions() {
    return transactions;
  }

  // ---------------------------------------------------------------- connections

  /** The writer's settings; the journal mode is persistent, the others are per connection. */
  private static SQLiteConfig writerConfig() {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    // FULL, not WAL mode's usual NORMAL: NORMAL may lose the last commits on power loss, and a
    // submitted task must survive once insert() has returned.
    config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    config.enforceForeignKeys(true);
    config.setBusyTimeout((int) BUSY_TIMEOUT.toMillis());
    // UPDATE ... RETURNING gathers its rows in a temporary table before handing out the first;
    // in a temporary file (the default) that tripled the cost of writing an outcome.
    config.setTempStore(SQLiteConfig.TempStore.MEMORY);
    // The pages of the hot indexes stay cached between transactions (the default is 2 MiB).
    config.setCacheSize(-WRITER_CACHE_KIB);
    return config;
  }

  private static SQLiteDataSource dataSource(String url, SQLiteConfig config) {
    SQLiteDataSource source = new SQLiteDataSource(config);
    source.setUrl(url);
    return source;
  }

  /**
   * Opens the writer and checks that SQLite accepted WAL mode: on file systems without shared
   * memory support it silently keeps its rollback journal, where readers would block the writer.
   */
  private static Connection openWriter(SQLiteDataSource source, Path file) throws SQLException {
    Connection c = source.getConnection();
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("PRAGMA journal_mode")) {
      String mode = rs.next() ? rs.getString(1) : "unknown";
      if (!"wal".equals(mode.toLowerCase(Locale.ROOT))) {
        throw new SQLException(
            "SQLite kept journal mode '"
                + mode
                + "' for "
                + file
                + "; Tasklane needs WAL mode"
                + " (is the file on a network file system?)");
      }
      return c;
    } catch (SQLException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  /** Read-only connections: {@code query_only} makes any write on them an error. */
  private static HikariDataSource readerPool(String url) {
    SQLiteConfig config = new SQLiteConfig();
    config.setBusyTimeout((int) BUSY_TIMEOUT.toMillis());
    config.setTempStore(SQLiteConfig.TempStore.MEMORY);
    HikariConfig pool = new HikariConfig();
    pool.setPoolName("tasklane-sqlite-readers");
    pool.setDataSource(dataSource(url, config));
    pool.setConnectionInitSql("PRAGMA query_only = ON");
    pool.setMaximumPoolSize(READ_CONNECTIONS);
    pool.setMinimumIdle(1);
    return new HikariDataSource(pool);
  }

  private static void closeAll(
      HikariDataSource readers, SqliteTransactionRunner transactions, DatabaseLock lock) {
    try {
      if (transactions != null) {
        transactions.close();
      } else if (readers != null) {
        readers.close();
      }
    } finally {
      lock.close();
    }
  }
}
