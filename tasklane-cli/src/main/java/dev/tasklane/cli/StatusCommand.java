package dev.tasklane.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code tasklane status}: one task by id, or the server's health and its queues; a summary for a
 * person, or with {@code --json} the server's JSON for a script.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Show a task (given its id), or the server's health and queues, as a summary.",
    },
    footer = {
      "",
      "Examples:",
      "  tasklane status 0199b2c4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
      "  tasklane status --json | jq '.queues[].queued'"
    })
final class StatusCommand implements Callable<Integer> {
  private static final Pattern UUID_TEXT =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  /** Column heading and the field of {@code /api/v1/queues} it shows, left to right. */
  private static final String[][] COLUMNS = {
    {"SCHEDULED", "scheduled"},
    {"QUEUED", "queued"},
    {"CLAIMED", "claimed"},
    {"RUNNING", "running"},
    {"SUCCEEDED", "succeeded"},
    {"FAILED", "failed"},
    {"CANCELLED", "cancelled"},
    {"LIMIT", "limit"},
    {"NODE LIMIT", "node_limit"},
    {"PAUSED", "paused"}
  };

  @Spec CommandSpec spec;

  @Mixin ServerOption server;

  @Parameters(arity = "0..1", paramLabel = "<task-id>", description = "The task to show.")
  String taskId;

  @Option(names = "--json", description = "Print the server's JSON instead of a summary.")
  boolean json;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (taskId != null) {
      if (!UUID_TEXT.matcher(taskId).matches()) {
        throw new ParameterException(spec.commandLine(), "<task-id> '" + taskId + "' is not a task id (a UUID)");
      }
      JsonNode task = server.client().get("/api/v1/tasks/" + taskId).body();
      if (json) {
        Output.printJson(out, task);
      } else {
        TaskSummary.print(out, task);
      }
      return ExitCodes.OK;
    }
    ApiClient api = server.client();
    JsonNode health = api.get("/health").body();
    JsonNode queues = api.get("/api/v1/queues").body().path("queues");
    if (json) {
      ObjectNode both = ApiClient.JSON.createObjectNode();
      both.set("health", health);
      both.set("queues", queues);
      Output.printJson(out, both);
    } else {
      printSummary(out, health, queues);
    }
    return ExitCodes.OK;
  }

  private void printSummary(PrintWriter out, JsonNode health, JsonNode queues) {
    out.printf(
        "Tasklane at %s: %s%n  node %s, %s, %d of %d slots busy, store %s%n",
        server.uri(),
        health.path("status").asText(),
        health.path("node_id").asText(),
        health.path("lifecycle").asText(),
        health.path("in_flight").asInt(),
        health.path("concurrency").asInt(),
        health.path("store").asText());
    if (queues.isEmpty()) {
      out.println("No queues yet: submit a task with `tasklane submit`.");
      out.flush();
      return;
    }
    List<String[]> rows = new ArrayList<>();
    String[] header = new String[COLUMNS.length + 1];
    header[0] = "QUEUE";
    for (int i = 0; i < COLUMNS.length; i++) {
      header[i + 1] = COLUMNS[i][0];
    }
    rows.add(header);
    for (JsonNode q : queues) {
      String[] row = new String[COLUMNS.length + 1];
      row[0] = q.path("name").asText();
      for (int i = 0; i < COLUMNS.length; i++) {
        row[i + 1] = cell(q.get(COLUMNS[i][1]));
      }
      rows.add(row);
    }
    int[] widths = new int[header.length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        String cell = row[i];
        // Names left-aligned, counts right-aligned.
        line.append(i == 0 ? cell + " ".repeat(widths[i] - cell.length())
            : " ".repeat(widths[i] - cell.length() + 2) + cell);
      }
      out.println(line);
    }
    out.flush();
  }

  /**
   * A count as is; {@code -} for a limit that is not set (null) or a field this server does not
   * send; {@code yes} or {@code no} for a flag.
   */
  private static String cell(JsonNode value) {
    if (value == null || value.isNull()) {
      return "-";
    }
    if (value.isBoolean()) {
      return value.booleanValue() ? "yes" : "no";
    }
    return value.asText();
  }
}
