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
 * {@code tasklane status}: one task by id, or the server's health and its queues.
 */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = {
      "Show a task (given its id), or the server's health and queues.",
    })
final class StatusCommand implements Callable<Integer> {
  private static final Pattern UUID_TEXT =
      Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
  private static final String[] COLUMNS = {
    "scheduled", "queued", "running", "succeeded", "failed", "cancelled", "limit"
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
    ApiClient api = new ApiClient(server.uri());
    if (taskId != null) {
      if (!UUID_TEXT.matcher(taskId).matches()) {
        throw new ParameterException(spec.commandLine(), "<task-id> '" + taskId + "' is not a task id (a UUID)");
      }
      Output.printJson(out, api.get("/api/v1/tasks/" + taskId).body());
      return ExitCodes.OK;
    }
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
      header[i + 1] = COLUMNS[i].toUpperCase(java.util.Locale.ROOT);
    }
    rows.add(header);
    for (JsonNode q : queues) {
      String[] row = new String[COLUMNS.length + 1];
      row[0] = q.path("name").asText();
      for (int i = 0; i < COLUMNS.length; i++) {
        row[i + 1] = q.path(COLUMNS[i]).asText();
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
}
