package dev.tasklane.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.Recurrence;
import dev.tasklane.ScheduleStatus;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** {@code GET /api/v1/schedules}: every schedule, by name. */
record SchedulesView(List<ScheduleView> schedules) {

  static SchedulesView of(List<ScheduleStatus> all) {
    return new SchedulesView(all.stream().map(ScheduleView::of).toList());
  }

  /**
   * One schedule: its recurrence ({@code cron} and {@code zone}, or {@code every} in seconds), its
   * task template, its misfire policy, and where it stands.
   */
  record ScheduleView(
      String name,
      String cron,
      String zone,
      Long every,
      TemplateView task,
      String misfire,
      boolean paused,
      Instant nextRunAt,
      Instant lastRunAt,
      UUID lastTaskId,
      String createdBy,
      Instant createdAt,
      Instant updatedAt) {

    static ScheduleView of(ScheduleStatus s) {
      String cron = null;
      String zone = null;
      Long every = null;
      switch (s.recurrence()) {
        case Recurrence.CronRecurrence c -> {
          cron = c.expression();
          zone = c.zone().getId();
        }
        case Recurrence.Interval i -> every = i.interval().toSeconds();
      }
      return new ScheduleView(
          s.name(),
          cron,
          zone,
          every,
          new TemplateView(
              s.type(),
              TaskView.json(s.payload()),
              s.queue(),
              s.priority(),
              s.maxAttempts(),
              s.timeout() == null ? null : TaskView.seconds(s.timeout())),
          s.misfire().apiName(),
          s.paused(),
          s.nextRunAt(),
          s.lastRunAt(),
          s.lastTaskId() == null ? null : s.lastTaskId().value(),
          s.createdBy(),
          s.createdAt(),
          s.updatedAt());
    }
  }

  /** The task each tick submits; {@code timeout} in seconds, or {@code null}. */
  record TemplateView(
      String type, JsonNode payload, String queue, int priority, int maxAttempts, BigDecimal timeout) {}
}
