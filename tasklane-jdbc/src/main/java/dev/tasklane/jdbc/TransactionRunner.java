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
   * How hard a write transaction's commit must push its changes to disk.
   *
   * <ul>
   *   <li>{@link #SYNCED}: on disk before the commit returns, through a power cut. Submissions and
   *       operator actions use it: once acknowledged, they must never be lost.
   *   <li>{@link #RELAXED}: safe through a crash of the process, and written in commit order, but
   *       a power cut (or a crash of a database server) may lose the last few. Outcomes, lease
   *       renewals, progress and promotions use it: losing one of them makes a task run again,
   *       which at-least-once delivery allows, and a later synced commit carries every relaxed one
   *       before it to disk too. Claims do on a database server (see {@link
   *       SqlDialect#claimDurability()}): a lost claim could hand its fencing token out twice.
   * </ul>
   */
  enum Durability {
    SYNCED,
    RELAXED
  }

  /**
   * {@link #write(String, SqlWork)} with the given durability. Databases without such a choice
   * treat every commit as {@link Durability#SYNCED}.
   */
  default <T> T write(String operation, Durability durability, SqlWork<T> work) {
    return write(operation, work);
  }

  /**
   * Runs {@code work} whose only write is one statement, as that statement's own transaction: a
   * database server commits it with the statement, in one round trip instead of two (the
   * statement, then COMMIT). Durable as {@link Durability#SYNCED}. Statements after the write
   * (a read of what a conflict kept, say) see it committed; a failure of the write changes
   * nothing, as with {@link #write(String, SqlWork)}.
   *
   * <p>Only for work that issues exactly one writing statement: with two, the first would commit
   * even if the second failed. Databases without the difference run it as {@link #write}.
   */
  default <T> T writeStatement(String operation, SqlWork<T> work) {
    return write(operation, work);
  }

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
