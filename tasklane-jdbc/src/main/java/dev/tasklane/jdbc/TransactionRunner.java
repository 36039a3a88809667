package dev.tasklane.jdbc;

import dev.tasklane.StoreException;

/**
 * How {@link JdbcTaskStore} gets transactions, so that each database can hand out connections its
 * own way: the embedded SQLite store serialises writes on one connection behind a lock and opens
 * them with {@code BEGIN IMMEDIATE}; a server database takes connections from a pool and relies on
 * row locks.
 *
 * <p>Both methods commit when the work returns and roll back when it throws anything, so a store
 * method that throws has changed nothing. An {@link java.sql.SQLException} from the work or from
 * the transaction itself is wrapped exactly once in {@link StoreException} naming the operation;
 * any other exception (for example {@code TaskNotFoundException}) passes through unchanged after
 * the rollback.
 *
 * <p>Implementations are thread-safe.
 */
public interface TransactionRunner extends AutoCloseable {

  /**
   * Runs {@code work} in one read-write transaction and commits it.
   *
   * @param operation the store operation, named in a {@link StoreException}
   * @throws StoreException if the database fails (nothing is committed)
   * @throws IllegalStateException if the runner is closed, or when called from inside another
   *     transaction of this runner
   */
  <T> T write(String operation, SqlWork<T> work);

  /**
   * Runs read-only {@code work}; its statements see one consistent snapshot.
   *
   * @param operation the store operation, named in a {@link StoreException}
   * @throws StoreException if the database fails
   * @throws IllegalStateException if the runner is closed
   */
  <T> T read(String operation, SqlWork<T> work);

  /** Releases the connections. Idempotent; later calls of the other methods fail. */
  @Override
  void close();
}
