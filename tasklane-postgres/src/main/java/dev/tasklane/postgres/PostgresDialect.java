package dev.tasklane.postgres;

import dev.tasklane.TaskId;
import dev.tasklane.jdbc.BulkTaskCopy;
import dev.tasklane.jdbc.SqlDialect;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * PostgreSQL's side of {@link SqlDialect}: task ids as {@code uuid} and instants as {@code
 * timestamptz}. Its SQL lives in {@code db/postgres/queries.sql} and {@code db/postgres/migration}.
 *
 * <p>Instants travel as {@link OffsetDateTime} at UTC, which the driver sends and reads with their
 * offset: neither the JVM's time zone nor the session's {@code TimeZone} can shift them. A dialect
 * is bound to one schema, which qualifies every table its queries name.
 */
public final class PostgresDialect implements SqlDialect {

  /** The dialect's name and resource folder. */
  public static final String NAME = "postgres";

  private final String schema;

  /**
   * The dialect for the tables in {@code schema}.
   *
   * @throws IllegalArgumentException if the name is not acceptable (see {@link PostgresOptions})
   */
  public PostgresDialect(String schema) {
    this.schema = PostgresOptions.requireSchemaName(schema);
  }

  /** The dialect for the tables in {@value PostgresOptions#DEFAULT_SCHEMA}. */
  public PostgresDialect() {
    this(PostgresOptions.DEFAULT_SCHEMA);
  }

  @Override
  public String name() {
    return NAME;
  }

  /** The schema whose tables the queries name. */
  public String schema() {
    return schema;
  }

  /**
   * {@code schema}: the schema, double-quoted. The name was checked to be letters, digits and
   * underscores, so quoting it is all it takes; quoted, it keeps its case.
   */
  @Override
  public Map<String, String> queryPlaceholders() {
    return Map.of("schema", '"' + schema + '"');
  }

  /** {@code COPY ... FROM STDIN}: see {@link PostgresTaskCopy}. */
  @Override
  public Optional<BulkTaskCopy> bulkTaskCopy() {
    return Optional.of(new PostgresTaskCopy(schema));
  }

  /**
   * Below this, one multi-row {@code INSERT} is as fast: a COPY costs a round trip of its own to
   * start, and the rows' {@code RETURNING} is not needed for either.
   */
  @Override
  public int bulkCopyThreshold() {
    return 100;
  }

  @Override
  public void setInstant(PreparedStatement statement, int index, Instant value)
      throws SQLException {
    if (value == null) {
      statement.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      // timestamptz keeps microseconds: drop what SqlDialect promises to drop. Truncation floors
      // (the nanosecond field is never negative), as SQLite's epoch milliseconds do.
      statement.setObject(
          index, OffsetDateTime.ofInstant(value.truncatedTo(ChronoUnit.MILLIS), ZoneOffset.UTC));
    }
  }

  @Override
  public Instant getInstant(ResultSet row, String column) throws SQLException {
    OffsetDateTime value = row.getObject(column, OffsetDateTime.class);
    return value == null ? null : value.toInstant();
  }

  @Override
  public void setTaskId(PreparedStatement statement, int index, TaskId id) throws SQLException {
    statement.setObject(index, id.value());
  }

  @Override
  public TaskId getTaskId(ResultSet row, String column) throws SQLException {
    return new TaskId(row.getObject(column, UUID.class));
  }

  @Override
  public String toString() {
    return "PostgresDialect[" + schema + "]";
  }
}
