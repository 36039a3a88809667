package dev.tasklane.jdbc;

import static dev.tasklane.jdbc.QueryName.DELETE_SCHEDULE;
import static dev.tasklane.jdbc.QueryName.DUE_SCHEDULES;
import static dev.tasklane.jdbc.QueryName.FIND_SCHEDULE;
import static dev.tasklane.jdbc.QueryName.FIRE_SCHEDULE;
import static dev.tasklane.jdbc.QueryName.LIST_SCHEDULES;
import static dev.tasklane.jdbc.QueryName.NEXT_SCHEDULE_AT;
import static dev.tasklane.jdbc.QueryName.PAUSE_SCHEDULE;
import static dev.tasklane.jdbc.QueryName.RECORD_SCHEDULE_RUN;
import static dev.tasklane.jdbc.QueryName.RESUME_SCHEDULE;
import static dev.tasklane.jdbc.QueryName.SAVE_SCHEDULE;

import dev.tasklane.Misfire;
import dev.tasklane.Recurrence;
import dev.tasklane.ScheduleStatus;
import dev.tasklane.Submission;
import dev.tasklane.TaskId;
import dev.tasklane.spi.NewTask;
import dev.tasklane.spi.ScheduleStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@link ScheduleStore} on the database and transactions of a {@link JdbcTaskStore}: the
 * statements are the dialect's ({@link QueryName#SAVE_SCHEDULE} onwards), the table that of the
 * {@code V015__schedules} migration. A firing's compare-and-set and its tasks' insert share one
 * transaction, through {@link JdbcTaskStore#insertWithin}. Every write commits synced: a firing
 * creates tasks, and a definition is an operator's action.
 *
 * <p>Thread-safe.
 */
final class JdbcScheduleStore implements ScheduleStore {

  private final SqlDialect dialect;
  private final TransactionRunner transactions;
  private final Queries queries;
  private final JdbcTaskStore tasks;

  JdbcScheduleStore(SqlDialect dialect, TransactionRunner transactions, Queries queries, JdbcTaskStore tasks) {
    this.dialect = dialect;
    this.transactions = transactions;
    this.queries = queries;
    this.tasks = tasks;
  }

  @Override
  public ScheduleStatus saveSchedule(ScheduleStatus s) {
    Objects.requireNonNull(s, "schedule");
    String cron = null;
    String zone = null;
    Long intervalMs = null;
    switch (s.recurrence()) {
      case Recurrence.CronRecurrence c -> {
        cron = c.expression();
        zone = c.zone().getId();
      }
      case Recurrence.Interval i -> intervalMs = i.interval().toMillis();
    }
    String cronValue = cron;
    String zoneValue = zone;
    Long intervalValue = intervalMs;
    return transactions.write(
        "save schedule",
        c ->
            querySchedules(
                    c,
                    SAVE_SCHEDULE,
                    p ->
                        p.text(s.name())
                            .text(cronValue)
                            .text(zoneValue)
                            .bigint(intervalValue)
                            .text(s.type())
                            .text(s.queue())
                            .text(s.payload())
                            .integer(s.priority())
                            .integer(s.maxAttempts())
                            .bigint(s.timeout() == null ? null : ceilMillis(s.timeout()))
                            .text(s.misfire().apiName())
                            .bool(s.paused())
                            .instant(s.nextRunAt())
                            .text(s.createdBy())
                            .instant(s.createdAt())
                            .instant(s.updatedAt()))
                .get(0));
  }

  @Override
  public Optional<ScheduleStatus> findSchedule(String name) {
    return transactions.read("find schedule", c -> find(c, name));
  }

  @Override
  public List<ScheduleStatus> listSchedules() {
    return transactions.read("list schedules", c -> querySchedules(c, LIST_SCHEDULES, p -> {}));
  }

  @Override
  public boolean deleteSchedule(String name) {
    return transactions.write("delete schedule", c -> update(c, DELETE_SCHEDULE, p -> p.text(name)) > 0);
  }

  @Override
  public Optional<ScheduleStatus> pauseSchedule(String name, Instant now) {
    return transactions.write(
        "pause schedule",
        c -> {
          update(c, PAUSE_SCHEDULE, p -> p.instant(now).text(name));
          return find(c, name);
        });
  }

  @Override
  public Optional<ScheduleStatus> resumeSchedule(String name, Instant nextRunAt, Instant now) {
    return transactions.write(
        "resume schedule",
        c -> {
          update(c, RESUME_SCHEDULE, p -> p.instant(nextRunAt).instant(now).text(name));
          return find(c, name);
        });
  }

  @Override
  public List<ScheduleStatus> dueSchedules(Instant now, int limit) {
    return transactions.read(
        "due schedules", c -> querySchedules(c, DUE_SCHEDULES, p -> p.instant(now).integer(limit)));
  }

  @Override
  public Optional<Instant> nextScheduleAt() {
    return transactions.read(
        "next schedule",
        c -> {
          try (PreparedStatement st = c.prepareStatement(queries.sql(NEXT_SCHEDULE_AT));
              ResultSet rs = st.executeQuery()) {
            return rs.next() ? Optional.ofNullable(dialect.getInstant(rs, "next_run_at")) : Optional.empty();
          }
        });
  }

  @Override
  public Optional<List<Submission>> fireSchedule(
      String name, Instant expectedNextRunAt, Instant nextRunAt, List<NewTask> fired) {
    Objects.requireNonNull(expectedNextRunAt, "expectedNextRunAt");
    List<NewTask> batch = List.copyOf(fired);
    NewTask last = batch.isEmpty() ? null : batch.get(batch.size() - 1);
    Optional<List<Submission>> out =
        transactions.write(
            "fire schedule",
            c -> {
              int moved =
                  update(
                      c,
                      FIRE_SCHEDULE,
                      p ->
                          p.instant(nextRunAt)
                              .instant(last == null ? null : last.runAt())
                              .text(last == null ? null : last.id().toString())
                              .text(name)
                              .instant(expectedNextRunAt));
              if (moved == 0) {
                return Optional.empty();
              }
              List<Submission> inserted = tasks.insertWithin(c, batch);
              Submission lastOne = inserted.isEmpty() ? null : inserted.get(inserted.size() - 1);
              if (lastOne != null && !lastOne.created()) {
                // The tick's key was taken already: the task holding it is the tick's task.
                recordRun(c, name, last.runAt(), lastOne.task().id());
              }
              return Optional.of(inserted);
            });
    out.ifPresent(tasks::insertedWithin);
    return out;
  }

  @Override
  public Optional<Submission> runSchedule(String name, NewTask task) {
    Optional<Submission> out =
        transactions.write(
            "run schedule",
            c -> {
              if (recordRun(c, name, task.createdAt(), task.id()) == 0) {
                return Optional.empty();
              }
              return Optional.of(tasks.insertWithin(c, List.of(task)).get(0));
            });
    out.ifPresent(s -> tasks.insertedWithin(List.of(s)));
    return out;
  }

  private int recordRun(Connection c, String name, Instant at, TaskId taskId) throws SQLException {
    return update(c, RECORD_SCHEDULE_RUN, p -> p.instant(at).text(taskId.toString()).text(name));
  }

  // ---------------------------------------------------------------- helpers

  @FunctionalInterface
  private interface Binder {
    void bind(Params params) throws SQLException;
  }

  private Optional<ScheduleStatus> find(Connection c, String name) throws SQLException {
    return querySchedules(c, FIND_SCHEDULE, p -> p.text(name)).stream().findFirst();
  }

  private List<ScheduleStatus> querySchedules(Connection c, QueryName query, Binder binder)
      throws SQLException {
    try (PreparedStatement st = c.prepareStatement(queries.sql(query))) {
      binder.bind(new Params(st, dialect));
      try (ResultSet rs = st.executeQuery()) {
        List<ScheduleStatus> out = new ArrayList<>();
        while (rs.next()) {
          out.add(map(rs));
        }
        return out;
      }
    }
  }

  private int update(Connection c, QueryName query, Binder binder) throws SQLException {
    try (PreparedStatement st = c.prepareStatement(queries.sql(query))) {
      binder.bind(new Params(st, dialect));
      return st.executeUpdate();
    }
  }

  private ScheduleStatus map(ResultSet rs) throws SQLException {
    String name = rs.getString("name");
    String cron = rs.getString("cron");
    Recurrence recurrence;
    try {
      recurrence =
          cron != null
              ? Recurrence.cron(cron, ZoneId.of(rs.getString("zone")))
              : Recurrence.every(Duration.ofMillis(rs.getLong("interval_ms")));
    } catch (RuntimeException e) {
      throw new SQLException("schedule '" + name + "' has a recurrence this version cannot read", e);
    }
    long timeoutMs = rs.getLong("timeout_ms");
    Duration timeout = rs.wasNull() ? null : Duration.ofMillis(timeoutMs);
    String lastTask = rs.getString("last_task_id");
    return new ScheduleStatus(
        name,
        recurrence,
        rs.getString("type"),
        rs.getString("queue"),
        rs.getString("payload"),
        rs.getInt("priority"),
        rs.getInt("max_attempts"),
        timeout,
        Misfire.fromApiName(rs.getString("misfire"))
            .orElseThrow(() -> new SQLException("schedule '" + name + "' has an unknown misfire policy")),
        rs.getBoolean("paused"),
        dialect.getInstant(rs, "next_run_at"),
        dialect.getInstant(rs, "last_run_at"),
        lastTask == null ? null : TaskId.parse(lastTask),
        rs.getString("created_by"),
        dialect.getInstant(rs, "created_at"),
        dialect.getInstant(rs, "updated_at"));
  }

  private static long ceilMillis(Duration d) {
    long millis = d.toMillis();
    return d.minusMillis(millis).isZero() ? millis : millis + 1;
  }
}
