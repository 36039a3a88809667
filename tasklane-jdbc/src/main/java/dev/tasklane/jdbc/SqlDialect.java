package dev.tasklane.jdbc;

import dev.tasklane.TaskId;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;

/**
 * What differs between the SQL databases {@link JdbcTaskStore} runs on: where the dialect's SQL
 * lives and how ids and times travel through JDBC. Everything else (the statements themselves)
 * lives in the dialect's resource files, {@code db/<name>/queries.sql} and {@code
 * db/<name>/migration/V*.sql}, found with the class loader of the dialect class.
 *
 * <p>Times are UTC instants with millisecond precision in every dialect: a value with a finer
 * fraction is truncated when bound, so every store returns the same instant for the same input.
 *
 * <p>Implementations are immutable and thread-safe.
 */
public interface SqlDialect {

  /** The dialect's short name, also its resource folder: {@code sqlite}, {@code postgres}. */
  String name();

  /** The class-path resource of the named queries. */
  default String queriesResource() {
    return "db/" + name() + "/queries.sql";
  }

  /** The Flyway location of the migrations. */
  default String migrationLocation() {
    return "classpath:db/" + name() + "/migration";
  }

  /**
   * Values for the {@code ${name}} placeholders of {@link #queriesResource()}, replaced once when
   * the queries are loaded (see {@link Queries}). The only use is a schema qualifier for table
   * names, for a database whose statements must not depend on a connection's search path. None by
   * default.
   */
  default Map<String, String> queryPlaceholders() {
    return Map.of();
  }

  /**
   * How a claim commits. {@link TransactionRunner.Durability#SYNCED} by default: when the database
   * is a server of its own, it can crash and lose a claim while the claiming node lives on and runs
   * the task, and the next claim would hand out the same fencing token a second time. A database
   * embedded in the node's process may relax it: it can only lose a commit together with the
   * process that made it (a power cut), and then no run holding the lost token is left alive.
   */
  default TransactionRunner.Durability claimDurability() {
    return TransactionRunner.Durability.SYNCED;
  }

  /**
   * The database's bulk-load path for new tasks, if it has one worth its set-up: a batch of at
   * least {@link #bulkCopyThreshold()} tasks without idempotency keys goes through it instead of
   * multi-row inserts. None by default.
   */
  default java.util.Optional<BulkTaskCopy> bulkTaskCopy() {
    return java.util.Optional.empty();
  }

  /** The smallest batch that {@link #bulkTaskCopy()} is used for. */
  default int bulkCopyThreshold() {
    return Integer.MAX_VALUE;
  }

  /** Binds an instant (or SQL NULL), truncated to milliseconds. */
  void setInstant(PreparedStatement statement, int index, Instant value) throws SQLException;

  /** Reads an instant column; {@code null} for SQL NULL. */
  Instant getInstant(ResultSet row, String column) throws SQLException;

  /** Binds a task id (never null). */
  void setTaskId(PreparedStatement statement, int index, TaskId id) throws SQLException;

  /** Reads a task id column. */
  TaskId getTaskId(ResultSet row, String column) throws SQLException;
}
