package dev.tasklane.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tasklane.Schedule;
import dev.tasklane.TaskRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A file of schedules given to {@code tasklane serve --schedules}: a JSON object whose {@code
 * schedules} array holds definitions as {@code PUT /api/v1/schedules/{name}} takes them, each with
 * its {@code name}:
 *
 * <pre>{@code
 * {"schedules": [
 *   {"name": "nightly-report", "cron": "0 3 * * *", "zone": "Europe/Paris",
 *    "task": {"type": "report", "payload": {"kind": "daily"}}, "misfire": "run_once"},
 *   {"name": "heartbeat", "every": 60, "task": {"type": "noop"}}
 * ]}
 * }</pre>
 *
 * Types are checked when the node starts and defines them, against the types it serves.
 */
public final class ScheduleFile {
  private ScheduleFile() {}

  /**
   * Reads and validates every definition in the file.
   *
   * @throws IllegalArgumentException naming the file, the entry and each invalid field
   */
  public static List<Schedule> read(Path file) {
    JsonNode root;
    try {
      root = ServerJson.MAPPER.readTree(Files.readString(file));
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("schedules file " + file + " is not JSON: " + e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read schedules file " + file + ": " + e.getMessage(), e);
    }
    if (root == null || !root.path("schedules").isArray()) {
      throw new IllegalArgumentException(
          "schedules file " + file + " must be a JSON object with a \"schedules\" array");
    }
    List<Schedule> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    int i = 0;
    for (JsonNode entry : root.path("schedules")) {
      String where = "schedules file " + file + ", entry " + i++;
      if (!entry.isObject()) {
        throw new IllegalArgumentException(where + ": must be an object");
      }
      String name = entry.path("name").asText(null);
      if (name == null || !TaskRequest.NAME.matcher(name).matches()) {
        throw new IllegalArgumentException(where + ": name must be 1 to 128 letters, digits or _ . : - characters");
      }
      if (!names.add(name)) {
        throw new IllegalArgumentException(where + ": schedule '" + name + "' is defined twice");
      }
      ObjectNode definition = ((ObjectNode) entry).deepCopy();
      definition.remove("name");
      try {
        out.add(ScheduleForm.parse(name, definition, null).schedule());
      } catch (RequestValidationException e) {
        StringBuilder why = new StringBuilder(where + " ('" + name + "'):");
        for (FieldError error : e.errors()) {
          List<Object> loc = error.loc().subList(1, error.loc().size());
          why.append(' ')
              .append(loc.isEmpty() ? "" : String.join(".", loc.stream().map(String::valueOf).toList()) + ": ")
              .append(error.msg())
              .append(';');
        }
        throw new IllegalArgumentException(why.substring(0, why.length() - 1), e);
      }
    }
    return out;
  }
}
