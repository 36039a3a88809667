package dev.tasklane.jdbc;

import dev.tasklane.spi.NewTask;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Iterator;

/**
 * A database's bulk-load path for new tasks (PostgreSQL's {@code COPY}), for batches too large to
 * pay a statement's parsing of their rows: rows stream to the database as they are encoded, so the
 * client's memory stays flat in the batch's size.
 *
 * <p>{@link JdbcTaskStore} uses it only for rows without an idempotency key (a bulk load cannot
 * skip a taken key), inside the batch's own transaction: a failure anywhere writes nothing.
 * Triggers and constraints apply as for any insert.
 */
public interface BulkTaskCopy {

  /**
   * Whether {@code task} travels through the bulk path exactly: the store answers with the task
   * as it sent it, so a value the path would alter (text it cannot encode) must take the other
   * path, which reads back what was stored.
   */
  default boolean copiesExactly(NewTask task) {
    return true;
  }

  /**
   * Writes every task of {@code tasks} into the task table on {@code c}, in the transaction open
   * on it; {@code each} sees every task as it is sent.
   *
   * @return how many rows were written
   */
  long copy(Connection c, Iterator<NewTask> tasks, java.util.function.Consumer<NewTask> each) throws SQLException;
}
