package dev.tasklane.jdbc;

import dev.tasklane.Task;
import dev.tasklane.TaskState;
import dev.tasklane.internal.Json;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

/** Reads a {@code task} row (every column, as {@code SELECT *} or {@code RETURNING *} give it). */
final class TaskRowMapper {
  private final SqlDialect dialect;

  TaskRowMapper(SqlDialect dialect) {
    this.dialect = dialect;
  }

  Task map(ResultSet row) throws SQLException {
    long timeoutMs = row.getLong("timeout_ms");
    Duration timeout = row.wasNull() ? null : Duration.ofMillis(timeoutMs);
    return new Task(
        dialect.getTaskId(row, "id"),
        row.getString("type"),
        row.getString("queue"),
        row.getString("payload"),
        row.getInt("priority"),
        TaskState.fromApiName(row.getString("state")),
        row.getInt("attempt"),
        row.getInt("max_attempts"),
        dialect.getInstant(row, "run_at"),
        timeout,
        dialect.getInstant(row, "created_at"),
        dialect.getInstant(row, "started_at"),
        dialect.getInstant(row, "finished_at"),
        row.getString("last_error"),
        Json.readErrors(row.getString("errors")),
        row.getString("result"),
        row.getInt("progress"),
        row.getString("idempotency_key"),
        row.getString("lease_owner"),
        dialect.getInstant(row, "lease_expires_at"),
        row.getLong("fencing_token"),
        row.getBoolean("cancel_requested"),
        row.getString("last_node"),
        row.getString("submitted_by"));
  }
}
