package dev.tasklane.postgres;

import com.zaxxer.hikari.HikariDataSource;
import dev.tasklane.StoreException;
import dev.tasklane.jdbc.SqlFailures;
import dev.tasklane.jdbc.SqlWork;
import dev.tasklane.jdbc.TransactionRunner;
import dev.tasklane.jdbc.TransactionRunner.Durability;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Transactions on a pool of PostgreSQL connections: each call borrows a connection, runs one
 * transaction on it and gives it back.
 *
 * <p>Writes run at READ COMMITTED (the pool sets it should the database default differ): each
 * statement sees every commit made before it started, which the claim of a limited queue relies on
 * (it counts running tasks after the lock on the queue was granted). Concurrent writers are kept
 * apart by the row locks the statements take, not by this class.
 *
 * <p>Reads run as {@code REPEATABLE READ, READ ONLY} transactions: their statements share one
 * snapshot, and a write slipped into a read fails.
 *
 * <p>Every call first makes sure the schema is migrated (see {@link MigrationGate}). Thread-safe.
 */
final class PostgresTransactionRunner implements TransactionRunner {
  private static final String READ_SNAPSHOT =
      "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";

  private final HikariDataSource pool;
  private final MigrationGate schema;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * Set while this thread runs a write: a nested write would take a second connection and could
   * wait forever for a row lock its own outer transaction holds.
   */
  private final ThreadLocal<Boolean> writing = new ThreadLocal<>();

  /**
   * @param pool connections with auto-commit off; this runner closes the pool in {@link #close()}
   */
  HikariDataSource pool() {
    return pool;
  }

  PostgresTransactionRunner(HikariDataSource pool, MigrationGate schema) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.schema = Objects.requireNonNull(schema, "schema");
  }

  @Override
  public <T> T write(String operation, SqlWork<T> work) {
    return write(operation, Durability.SYNCED, work);
  }

  /**
   * {@inheritDoc}
   *
   * <p>PostgreSQL: {@link Durability#RELAXED} commits with {@code synchronous_commit = off} for
   * that transaction only: the commit returns before its WAL is flushed, which the WAL writer does
   * within a fraction of a second. A crash of the database server may lose the last of them, never
   * a part of one, and never reorders them.
   */
  @Override
  public <T> T write(String operation, Durability durability, SqlWork<T> work) {
    Objects.requireNonNull(work, "work");
    Objects.requireNonNull(durability, "durability");
    enterWrite(operation);
    try (Connection c = pool.getConnection()) {
      try {
        if (durability == Durability.RELAXED) {
          try (Statement st = c.createStatement()) {
            st.execute("SET LOCAL synchronous_commit = off");
          }
        }
        T result = work.execute(c);
        c.commit();
        return result;
      } catch (Throwable failure) {
        rollback(c, failure);
        throw failure;
      }
    } catch (SQLException e) {
      throw SqlFailures.storeException(operation, e);
    } finally {
      writing.remove();
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>PostgreSQL: the connection is put in auto-commit mode for the work and back afterwards;
   * neither switch costs a round trip while no transaction is open (pgjdbc only sets a flag, and
   * begins a transaction with the next statement once auto-commit is off again).
   */
  @Override
  public <T> T writeStatement(String operation, SqlWork<T> work) {
    Objects.requireNonNull(work, "work");
    enterWrite(operation);
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(true);
      try {
        return work.execute(c);
      } finally {
        c.setAutoCommit(false);
      }
    } catch (SQLException e) {
      throw SqlFailures.storeException(operation, e);
    } finally {
      writing.remove();
    }
  }

  /**
   * What every write does first: the store is open, this thread is not inside a write already (a
   * nested write would take a second connection and could wait forever for a row lock its own
   * outer transaction holds), and the schema is migrated. The caller clears {@link #writing}.
   */
  private void enterWrite(String operation) {
    checkOpen();
    if (writing.get() != null) {
      throw new IllegalStateException(
          "store operation '" + operation + "' was called inside another write transaction");
    }
    schema.ensureMigrated();
    writing.set(Boolean.TRUE);
  }

  @Override
  public <T> T read(String operation, SqlWork<T> work) {
    Objects.requireNonNull(work, "work");
    checkOpen();
    schema.ensureMigrated();
    try (Connection c = pool.getConnection()) {
      try {
        try (Statement st = c.createStatement()) {
          st.execute(READ_SNAPSHOT);
        }
        T result = work.execute(c);
        c.commit();
        return result;
      } catch (Throwable failure) {
        rollback(c, failure);
        throw failure;
      }
    } catch (SQLException e) {
      throw SqlFailures.storeException(operation, e);
    }
  }

  /** Closes the pool. Idempotent; later calls of the other methods fail. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      pool.close();
    }
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new IllegalStateException("the PostgreSQL task store is closed");
    }
  }

  /**
   * Rolls back. If even that fails, the connection's state is unknown (a failed COMMIT may or may
   * not have ended the transaction): the pool discards it rather than lend it out again.
   */
  private void rollback(Connection c, Throwable failure) {
    try {
      c.rollback();
    } catch (SQLException e) {
      failure.addSuppressed(e);
      pool.evictConnection(c);
    }
  }
}
