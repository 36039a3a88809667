package dev.tasklane.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;

/**
 * A task as {@code tasklane status <id>} prints it for a person: one labelled line per fact, the
 * last error cut to one line and the result to {@value #MAX_VALUE} characters. Scripts read {@code
 * --json} instead, which is the server's answer untouched.
 */
final class TaskSummary {
  /** The longest result or error shown; the rest is in {@code --json}. */
  static final int MAX_VALUE = 200;

  private static final String NONE = "-";

  private TaskSummary() {}

  static void print(PrintWriter out, JsonNode task) {
    out.println("Task " + text(task, "id"));
    line(out, "type", text(task, "type"));
    line(out, "queue", text(task, "queue"));
    line(out, "state", state(task));
    line(out, "priority", text(task, "priority"));
    line(out, "attempts", text(task, "attempt") + " of " + text(task, "max_attempts"));
    line(out, "created", text(task, "created_at"));
    if ("scheduled".equals(text(task, "state"))) {
      line(out, "runs at", text(task, "run_at"));
    }
    line(out, "started", text(task, "started_at"));
    line(out, "finished", text(task, "finished_at"));
    JsonNode error = task.get("last_error");
    if (error != null && !error.isNull() && !error.asText().isBlank()) {
      line(out, "last error", cut(firstLine(error.asText())));
    }
    JsonNode result = task.get("result");
    if (result != null && !result.isNull()) {
      // toString() is Jackson's compact form: no spaces, one line.
      line(out, "result", cut(result.toString()));
    }
    out.flush();
  }

  /** {@code running, 40% done, on node-a} or {@code queued, cancel requested}. */
  private static String state(JsonNode task) {
    String state = text(task, "state");
    StringBuilder s = new StringBuilder(state);
    if ("running".equals(state)) {
      s.append(", ").append(task.path("progress").asInt()).append("% done");
      String owner = text(task, "lease_owner");
      if (!owner.equals(NONE)) {
        s.append(", on ").append(owner);
      }
    }
    if (task.path("cancel_requested").asBoolean(false)) {
      s.append(", cancel requested");
    }
    return s.toString();
  }

  private static void line(PrintWriter out, String label, String value) {
    out.printf("  %-11s%s%n", label, value);
  }

  /** The field as text, or {@value #NONE} when it is missing or null. */
  private static String text(JsonNode node, String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? NONE : value.asText();
  }

  private static String firstLine(String text) {
    String stripped = text.strip();
    int end = stripped.indexOf('\n');
    return end < 0 ? stripped : stripped.substring(0, end).stripTrailing() + " ...";
  }

  private static String cut(String text) {
    return text.length() <= MAX_VALUE
        ? text
        : text.substring(0, MAX_VALUE) + "... (" + text.length() + " characters; see --json)";
  }
}
