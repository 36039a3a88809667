package dev.tasklane.jdbc;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Database work run inside a transaction by a {@link TransactionRunner}. It may throw {@link
 * SQLException} freely: the runner rolls back and wraps it, once, in a {@code StoreException}.
 *
 * @param <T> what the work returns
 */
@FunctionalInterface
public interface SqlWork<T> {
  /**
   * Runs the work. The connection belongs to the runner: do not commit, roll back, change its
   * auto-commit mode or close it.
   */
  T execute(Connection connection) throws SQLException;
}
