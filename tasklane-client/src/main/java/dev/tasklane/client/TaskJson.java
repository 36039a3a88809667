package dev.tasklane.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.Task;
import dev.tasklane.TaskError;
import dev.tasklane.TaskId;
import dev.tasklane.TaskState;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** The server's JSON of a task, read into the engine's own {@link Task} record. */
final class TaskJson {
  private TaskJson() {}

  static Task read(JsonNode j) {
    List<TaskError> errors = new ArrayList<>();
    for (JsonNode e : j.path("errors")) {
      errors.add(
          new TaskError(
              e.path("attempt").asInt(),
              instant(e.path("at")),
              text(e.path("node")),
              e.path("message").asText(""),
              text(e.path("trace"))));
    }
    return new Task(
        TaskId.parse(j.path("id").asText()),
        j.path("type").asText(),
        j.path("queue").asText(),
        j.path("payload").isMissingNode() ? "{}" : j.path("payload").toString(),
        j.path("priority").asInt(),
        TaskState.fromApiName(j.path("state").asText()),
        j.path("attempt").asInt(),
        j.path("max_attempts").asInt(),
        instant(j.path("run_at")),
        seconds(j.path("timeout")),
        instant(j.path("created_at")),
        instant(j.path("started_at")),
        instant(j.path("finished_at")),
        text(j.path("last_error")),
        errors,
        j.path("result").isMissingNode() || j.path("result").isNull() ? null : j.path("result").toString(),
        j.path("progress").asInt(),
        text(j.path("idempotency_key")),
        text(j.path("lease_owner")),
        instant(j.path("lease_expires_at")),
        j.path("fencing_token").asLong(),
        j.path("cancel_requested").asBoolean(),
        text(j.path("last_node")),
        text(j.path("submitted_by")));
  }

  static String text(JsonNode n) {
    return n.isTextual() ? n.asText() : null;
  }

  static Instant instant(JsonNode n) {
    return n.isTextual() ? Instant.parse(n.asText()) : null;
  }

  static Duration seconds(JsonNode n) {
    if (!n.isNumber()) {
      return null;
    }
    return Duration.ofNanos(new BigDecimal(n.asText()).movePointRight(9).longValueExact());
  }

  /** Seconds as the API writes them: {@code 1.5}. */
  static BigDecimal seconds(Duration d) {
    return BigDecimal.valueOf(d.toNanos(), 9).stripTrailingZeros();
  }
}
