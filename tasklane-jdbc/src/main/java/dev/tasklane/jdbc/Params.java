package dev.tasklane.jdbc;

import dev.tasklane.TaskId;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;

/**
 * Binds a statement's positional parameters in order, so call sites read like the column comments
 * of the SQL they fill and no index is counted by hand.
 */
final class Params {
  private final PreparedStatement statement;
  private final SqlDialect dialect;
  private int index;

  Params(PreparedStatement statement, SqlDialect dialect) {
    this.statement = statement;
    this.dialect = dialect;
  }

  Params text(String value) throws SQLException {
    statement.setString(++index, value);
    return this;
  }

  Params integer(int value) throws SQLException {
    statement.setInt(++index, value);
    return this;
  }

  /** A flag: boolean in PostgreSQL, 0 or 1 in SQLite (its driver binds booleans as integers). */
  Params bool(boolean value) throws SQLException {
    statement.setBoolean(++index, value);
    return this;
  }

  Params bigint(long value) throws SQLException {
    statement.setLong(++index, value);
    return this;
  }

  /** A nullable BIGINT. */
  Params bigint(Long value) throws SQLException {
    if (value == null) {
      statement.setNull(++index, Types.BIGINT);
    } else {
      statement.setLong(++index, value);
    }
    return this;
  }

  Params instant(Instant value) throws SQLException {
    dialect.setInstant(statement, ++index, value);
    return this;
  }

  Params id(TaskId value) throws SQLException {
    dialect.setTaskId(statement, ++index, value);
    return this;
  }
}
