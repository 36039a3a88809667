package dev.tasklane.sqlite;

import com.zaxxer.hikari.HikariDataSource;
import dev.tasklane.StoreException;
import dev.tasklane.jdbc.SqlFailures;
import dev.tasklane.jdbc.SqlWork;
import dev.tasklane.jdbc.TransactionRunner;
import dev.tasklane.jdbc.TransactionRunner.Durability;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.PreparedStatement;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Transactions on one SQLite file: every write on a single connection, one at a time; reads on a
 * small pool of read-only connections.
 *
 * <p>Why one writer: SQLite lets one connection write at a time anyway. Funnelling the writes of
 * this process through one connection behind a fair lock turns what would be {@code SQLITE_BUSY}
 * retries between connections into an orderly queue in the JVM, where no claim or lease renewal can
 * starve. Each write transaction starts with {@code BEGIN IMMEDIATE}, which takes the database's
 * write lock up front: a read-then-write (a cancel reading the task's state) can never fail
 * half-way on upgrading a read lock, and what it read cannot change before it writes.
 *
 * <p>Why separate readers: in WAL mode readers and the writer do not block each other, so listing
 * and counting never wait for claims. Each read runs in a deferred {@code BEGIN} ... {@code
 * COMMIT}, so its statements share one snapshot, which is released at once afterwards (an open read
 * transaction would hold back WAL checkpoints).
 *
 * <p>The transaction statements are issued as SQL on connections left in auto-commit mode, rather
 * than through {@link Connection#setAutoCommit(boolean)}, so that the exact SQLite semantics
 * (immediate vs deferred) do not depend on the driver's emulation.
 */
final class SqliteTransactionRunner implements TransactionRunner {
  private static final Logger LOG = LoggerFactory.getLogger(SqliteTransactionRunner.class);

  /** Opens a writer connection, configured and ready. */
  @FunctionalInterface
  interface ConnectionFactory {
    Connection open() throws SQLException;
  }

  /** Fair, so that a burst of submissions cannot starve the lease renewals of the heartbeat. */
  private final ReentrantLock writeLock = new ReentrantLock(true);

  private final ConnectionFactory writerFactory;
  private final HikariDataSource readers;
  private final AtomicBoolean closed = new AtomicBoolean();

  /** The writer connection; null after a failure left it in doubt, reopened on next use. */
  private Connection writer; // guarded by writeLock

  /** The writer's current synchronous setting; a new connection opens with FULL. */
  private Durability writerDurability = Durability.SYNCED; // guarded by writeLock

  SqliteTransactionRunner(ConnectionFactory writerFactory, HikariDataSource readers)
      throws SQLException {
    this.writerFactory = Objects.requireNonNull(writerFactory, "writerFactory");
    this.readers = Objects.requireNonNull(readers, "readers");
    this.writer = StatementCache.wrap(writerFactory.open());
  }

  /** The pool of read-only connections. */
  HikariDataSource readers() {
    return readers;
  }

  @Override
  public <T> T write(String operation, SqlWork<T> work) {
    return write(operation, Durability.SYNCED, work);
  }

  /**
   * {@inheritDoc}
   *
   * <p>SQLite in WAL mode: {@link Durability#SYNCED} commits with {@code synchronous=FULL} (the WAL
   * is fsynced at every commit); {@link Durability#RELAXED} with {@code synchronous=NORMAL} (no
   * fsync at commit: the commit is in the OS's hands, safe from a process crash, and the next
   * synced commit or checkpoint carries it to disk, in order).
   */
  @Override
  public <T> T write(String operation, Durability durability, SqlWork<T> work) {
    Objects.requireNonNull(work, "work");
    Objects.requireNonNull(durability, "durability");
    if (writeLock.isHeldByCurrentThread()) {
      // SQLite has no nested transactions, and the work would run outside the outer one's rules.
      throw new IllegalStateException(
          "store operation '" + operation + "' was called inside another write transaction");
    }
    writeLock.lock();
    try {
      checkOpen();
      Connection c = writer();
      if (durability != writerDurability) {
        // A connection setting, outside any transaction; changed only when it differs.
        execute(c, durability == Durability.SYNCED ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
        writerDurability = durability;
      }
      execute(c, "BEGIN IMMEDIATE");
      try {
        T result = work.execute(c);
        execute(c, "COMMIT");
        return result;
      } catch (Throwable failure) {
        rollbackWriter(c, failure);
        throw failure;
      }
    } catch (SQLException e) {
      throw SqlFailures.storeException(operation, e);
    } finally {
      writeLock.unlock();
    }
  }

  @Override
  public <T> T read(String operation, SqlWork<T> work) {
    Objects.requireNonNull(work, "work");
    checkOpen();
    try (Connection c = readers.getConnection()) {
      execute(c, "BEGIN"); // deferred: the snapshot starts at the first read
      try {
        T result = work.execute(c);
        execute(c, "COMMIT");
        return result;
      } catch (Throwable failure) {
        try {
          execute(c, "ROLLBACK");
        } catch (SQLException e) {
          // A connection in an unknown transaction state must not go back to the pool.
          failure.addSuppressed(e);
          readers.evictConnection(c);
        }
        throw failure;
      }
    } catch (SQLException e) {
      throw SqlFailures.storeException(operation, e);
    }
  }

  /**
   * Runs {@code work} on the writer connection outside any transaction, holding the write lock: for
   * diagnostics such as {@code PRAGMA} reads, which must see the writer's own settings.
   */
  <T> T onWriter(String operation, SqlWork<T> work) {
    writeLock.lock();
    try {
      checkOpen();
      return work.execute(writer());
    } catch (SQLException e) {
      throw SqlFailures.storeException(operation, e);
    } finally {
      writeLock.unlock();
    }
  }

  /** Closes the readers, then the writer once no write is in flight. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    readers.close();
    writeLock.lock();
    try {
      // Closing the last connection checkpoints the WAL into the database file.
      discardWriter();
    } finally {
      writeLock.unlock();
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("the SQLite task store is closed");
    }
  }

  private Connection writer() throws SQLException {
    if (writer == null) {
      writer = StatementCache.wrap(writerFactory.open());
      writerDurability = Durability.SYNCED; // the factory opens every writer with FULL
    }
    return writer;
  }

  /**
   * Rolls the writer's transaction back. If even that fails, the connection's state is unknown (a
   * failed COMMIT may or may not have ended the transaction): it is closed, which discards any open
   * transaction, and reopened by the next write.
   */
  private void rollbackWriter(Connection c, Throwable failure) {
    try {
      execute(c, "ROLLBACK");
    } catch (SQLException e) {
      failure.addSuppressed(e);
      discardWriter();
    }
  }

  private void discardWriter() {
    if (writer == null) {
      return;
    }
    try {
      writer.close();
    } catch (SQLException e) {
      LOG.warn("closing the SQLite writer connection failed", e);
    } finally {
      writer = null;
    }
  }

  /** Prepared, not a plain Statement: on the writer, BEGIN and COMMIT come from its cache. */
  private static void execute(Connection c, String sql) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(sql)) {
      st.execute();
    }
  }
}
