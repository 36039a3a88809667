package dev.tasklane.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tasklane schedule list|set|pause|resume|run|delete}: the server's schedules (recurring
 * tasks), through {@code /api/v1/schedules}.
 */
@Command(
    name = "schedule",
    mixinStandardHelpOptions = true,
    description = "List, define, pause, resume, run and delete schedules (recurring tasks).",
    subcommands = {
      ScheduleCommand.List.class,
      ScheduleCommand.Set.class,
      ScheduleCommand.Pause.class,
      ScheduleCommand.Resume.class,
      ScheduleCommand.Run.class,
      ScheduleCommand.Delete.class
    },
    footer = {
      "",
      "Examples:",
      "  tasklane schedule set nightly-report --cron '0 3 * * *' --zone Europe/Paris --type report",
      "  tasklane schedule set heartbeat --every 1m --type noop",
      "  tasklane schedule list"
    })
final class ScheduleCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return ExitCodes.USAGE;
  }

  static String path(String name) {
    return "/api/v1/schedules/" + URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List schedules with their next and last run.")
  static final class List implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ServerOption server;

    @Option(names = "--json", description = "Print the server's JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() {
      JsonNode all = server.client().get("/api/v1/schedules").body().path("schedules");
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        Output.printJson(out, all);
        return ExitCodes.OK;
      }
      if (all.isEmpty()) {
        out.println("No schedules yet: define one with `tasklane schedule set`.");
        out.flush();
        return ExitCodes.OK;
      }
      String format = "%-24s  %-28s  %-16s  %-6s  %-24s  %s%n";
      out.printf(format, "NAME", "WHEN", "TYPE", "PAUSED", "NEXT RUN", "LAST RUN");
      for (JsonNode s : all) {
        String when =
            s.path("cron").isTextual()
                ? s.path("cron").asText() + " " + s.path("zone").asText()
                : "every " + s.path("every").asLong() + "s";
        out.printf(
            format,
            s.path("name").asText(),
            when,
            s.path("task").path("type").asText(),
            s.path("paused").asBoolean() ? "yes" : "no",
            s.path("next_run_at").isTextual() ? s.path("next_run_at").asText() : "-",
            s.path("last_run_at").isTextual() ? s.path("last_run_at").asText() : "never");
      }
      out.flush();
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "set",
      mixinStandardHelpOptions = true,
      description = "Define a schedule, or redefine the one of that name (its next tick stays unless its recurrence changed).")
  static final class Set implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ServerOption server;

    @Parameters(index = "0", paramLabel = "<name>", description = "The schedule's name.")
    String name;

    @ArgGroup(exclusive = true, multiplicity = "1")
    When when;

    static final class When {
      @Option(names = "--cron", paramLabel = "<expr>", description = "5 fields (minute hour day month weekday), 6 (seconds first), or @daily, @hourly, ...")
      String cron;

      @Option(names = "--every", paramLabel = "<duration>", description = "A fixed interval in whole seconds: 30s, 5m, 1h, 1d.")
      Duration every;
    }

    @Option(names = "--zone", paramLabel = "<zone>", description = "The time zone of --cron, e.g. Europe/Paris (default UTC).")
    String zone;

    @Option(names = "--type", required = true, paramLabel = "<type>", description = "The task type each tick submits.")
    String type;

    @Option(names = "--payload", paramLabel = "<json>", description = "The tasks' payload (default {}).")
    String payload;

    @Option(names = "--queue", paramLabel = "<name>", description = "The tasks' queue (default: the type's).")
    String queue;

    @Option(names = "--priority", paramLabel = "<n>", description = "The tasks' priority (default 1).")
    Integer priority;

    @Option(names = "--max-attempts", paramLabel = "<n>", description = "Runs allowed per task, 1 to 100 (default: the type's).")
    Integer maxAttempts;

    @Option(names = "--timeout", paramLabel = "<duration>", description = "Longest a single run may take.")
    Duration timeout;

    @Option(
        names = "--misfire",
        paramLabel = "<policy>",
        description = "Ticks missed by more than a minute: skip (default) or run_once.")
    String misfire;

    @Override
    public Integer call() {
      ObjectNode body = ApiClient.JSON.createObjectNode();
      if (when.cron != null) {
        body.put("cron", when.cron);
      } else {
        if (when.every.getNano() != 0 || when.every.isNegative() || when.every.isZero()) {
          throw new ParameterException(spec.commandLine(), "--every must be a whole number of seconds, at least 1s");
        }
        body.put("every", when.every.toSeconds());
      }
      if (zone != null) {
        body.put("zone", zone);
      }
      ObjectNode task = body.putObject("task");
      task.put("type", type);
      try {
        task.set("payload", payload == null ? ApiClient.JSON.createObjectNode() : ApiClient.JSON.readTree(payload));
      } catch (JsonProcessingException e) {
        throw new ParameterException(spec.commandLine(), "--payload is not valid JSON: " + e.getOriginalMessage());
      }
      if (queue != null) {
        task.put("queue", queue);
      }
      if (priority != null) {
        task.put("priority", priority);
      }
      if (maxAttempts != null) {
        task.put("max_attempts", maxAttempts);
      }
      if (timeout != null) {
        task.put("timeout", BigDecimal.valueOf(timeout.toNanos(), 9).stripTrailingZeros());
      }
      if (misfire != null) {
        body.put("misfire", misfire);
      }
      Output.printJson(spec.commandLine().getOut(), server.client().put(path(name), body).body());
      return ExitCodes.OK;
    }
  }

  /** The actions on one schedule by name: pause, resume, run, delete. */
  abstract static class Action implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ServerOption server;

    @Parameters(index = "0", paramLabel = "<name>", description = "The schedule's name.")
    String name;

    abstract ApiClient.Answer act(ApiClient api);

    @Override
    public Integer call() {
      ApiClient.Answer answer = act(server.client());
      if (answer.body() != null && !answer.body().isMissingNode() && !answer.body().isNull()) {
        Output.printJson(spec.commandLine().getOut(), answer.body());
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true, description = "Pause a schedule on every node.")
  static final class Pause extends Action {
    @Override
    ApiClient.Answer act(ApiClient api) {
      return api.post(path(name) + "/pause", ApiClient.JSON.createObjectNode());
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume a schedule from its next tick after now.")
  static final class Resume extends Action {
    @Override
    ApiClient.Answer act(ApiClient api) {
      return api.post(path(name) + "/resume", ApiClient.JSON.createObjectNode());
    }
  }

  @Command(name = "run", mixinStandardHelpOptions = true, description = "Submit a schedule's task now; prints the task.")
  static final class Run extends Action {
    @Override
    ApiClient.Answer act(ApiClient api) {
      return api.post(path(name) + "/run", ApiClient.JSON.createObjectNode());
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a schedule (its tasks stay).")
  static final class Delete extends Action {
    @Override
    ApiClient.Answer act(ApiClient api) {
      return api.delete(path(name));
    }
  }
}
