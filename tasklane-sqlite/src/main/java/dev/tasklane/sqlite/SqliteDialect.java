package dev.tasklane.sqlite;

import dev.tasklane.TaskId;
import dev.tasklane.jdbc.SqlDialect;
import dev.tasklane.jdbc.TransactionRunner.Durability;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;

/**
 * SQLite's side of {@link SqlDialect}: task ids as canonical UUID text (which sorts like the ids
 * themselves, lowercase hex of a UUIDv7) and instants as epoch milliseconds in INTEGER columns. Its
 * SQL lives in {@code db/sqlite/queries.sql} and {@code db/sqlite/migration}.
 */
public final class SqliteDialect implements SqlDialect {

  /** The dialect's name and resource folder. */
  public static final String NAME = "sqlite";

  @Override
  public String name() {
    return NAME;
  }

  /**
   * {@link Durability#RELAXED}: one process owns the file (see {@link SqliteTaskStore}), so a claim
   * can be lost only in a power cut that also ends every run of that process; on restart the node
   * recovers its own leases anyway. A later synced commit (a submission) carries the claim to disk,
   * since the write-ahead log is written in commit order.
   */
  @Override
  public Durability claimDurability() {
    return Durability.RELAXED;
  }

  @Override
  public void setInstant(PreparedStatement statement, int index, Instant value)
      throws SQLException {
    if (value == null) {
      statement.setNull(index, Types.INTEGER);
    } else {
      // toEpochMilli floors, so sub-millisecond fractions are truncated as SqlDialect promises.
      statement.setLong(index, value.toEpochMilli());
    }
  }

  @Override
  public Instant getInstant(ResultSet row, String column) throws SQLException {
    long millis = row.getLong(column);
    return row.wasNull() ? null : Instant.ofEpochMilli(millis);
  }

  @Override
  public void setTaskId(PreparedStatement statement, int index, TaskId id) throws SQLException {
    statement.setString(index, id.toString());
  }

  @Override
  public TaskId getTaskId(ResultSet row, String column) throws SQLException {
    return TaskId.parse(row.getString(column));
  }
}
