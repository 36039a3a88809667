package dev.tasklane.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.Misfire;
import dev.tasklane.Recurrence;
import dev.tasklane.ScheduleStatus;
import dev.tasklane.TaskId;
import java.time.Duration;
import java.time.ZoneId;

/** A schedule as the server writes it ({@code /api/v1/schedules}), read back into the API type. */
final class ScheduleJson {
  private ScheduleJson() {}

  static ScheduleStatus read(JsonNode s) {
    Recurrence recurrence =
        s.path("cron").isTextual()
            ? Recurrence.cron(s.path("cron").asText(), ZoneId.of(s.path("zone").asText("UTC")))
            : Recurrence.every(Duration.ofSeconds(s.path("every").asLong()));
    JsonNode task = s.path("task");
    String lastTask = TaskJson.text(s.path("last_task_id"));
    return new ScheduleStatus(
        s.path("name").asText(),
        recurrence,
        task.path("type").asText(),
        task.path("queue").asText(),
        task.path("payload").toString(),
        task.path("priority").asInt(),
        task.path("max_attempts").asInt(),
        TaskJson.seconds(task.path("timeout")),
        Misfire.fromApiName(s.path("misfire").asText()).orElse(Misfire.SKIP),
        s.path("paused").asBoolean(),
        TaskJson.instant(s.path("next_run_at")),
        TaskJson.instant(s.path("last_run_at")),
        lastTask == null ? null : TaskId.parse(lastTask),
        TaskJson.text(s.path("created_by")),
        TaskJson.instant(s.path("created_at")),
        TaskJson.instant(s.path("updated_at")));
  }
}
