package dev.tasklane.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code tasklane submit}: posts a task to {@code /api/v1/tasks} and prints it. */
@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Submit a task to a running server and print it as JSON.",
    footer = {
      "",
      "Examples:",
      "  tasklane submit process_task '{\"data\": \"hello\", \"priority\": 3}'",
      "  tasklane submit sleep '{\"seconds\": 5}' --priority 10 --timeout 1m",
      "  tasklane submit noop --delay 30s --idempotency-key nightly-2030-01-01"
    })
final class SubmitCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Mixin ServerOption server;

  @Parameters(index = "0", paramLabel = "<type>", description = "Task type, e.g. process_task, sleep, echo.")
  String type;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "<payload-json>",
      description = "The task's input as JSON (default {}).")
  String payload;

  /** No default here: left out of the request, the server's default applies. */
  @Option(
      names = "--priority",
      paramLabel = "<n>",
      description =
          "-1000 to 1000, higher runs first (default: the server's, 1; for process_task the"
              + " payload's own \"priority\").")
  Integer priority;

  @Option(names = "--queue", paramLabel = "<name>", description = "Queue to run in (default: the type's).")
  String queue;

  @Option(
      names = "--delay",
      paramLabel = "<duration>",
      description = "Run no earlier than this from now: 30s, 5m, PT1H, or seconds.")
  Duration delay;

  @Option(names = "--max-attempts", paramLabel = "<n>", description = "Runs allowed, 1 to 100 (default: the type's).")
  Integer maxAttempts;

  @Option(names = "--timeout", paramLabel = "<duration>", description = "Longest a single run may take.")
  Duration timeout;

  @Option(
      names = "--idempotency-key",
      paramLabel = "<key>",
      description = "Submitting the same key again returns the first task instead of a new one.")
  String idempotencyKey;

  @Override
  public Integer call() {
    ObjectNode body = ApiClient.JSON.createObjectNode();
    body.put("type", type);
    body.set("payload", payload());
    if (priority != null) {
      body.put("priority", priority);
    }
    if (queue != null) {
      body.put("queue", queue);
    }
    if (delay != null) {
      body.put("delay", seconds(delay));
    }
    if (maxAttempts != null) {
      body.put("max_attempts", maxAttempts);
    }
    if (timeout != null) {
      body.put("timeout", seconds(timeout));
    }
    if (idempotencyKey != null) {
      body.put("idempotency_key", idempotencyKey);
    }
    ApiClient.Answer answer = server.client().post("/api/v1/tasks", body);
    if (answer.replayed()) {
      spec.commandLine()
          .getErr()
          .println("(a task with this idempotency key already existed; here it is)");
    }
    Output.printJson(spec.commandLine().getOut(), answer.body());
    return ExitCodes.OK;
  }

  private JsonNode payload() {
    if (payload == null) {
      return ApiClient.JSON.createObjectNode();
    }
    try {
      return ApiClient.JSON.readTree(payload);
    } catch (JsonProcessingException e) {
      throw new ParameterException(
          spec.commandLine(), "<payload-json> is not valid JSON: " + e.getOriginalMessage());
    }
  }

  /** Seconds, exactly: 1.5 for 1500 ms. */
  private static BigDecimal seconds(Duration d) {
    BigDecimal s = BigDecimal.valueOf(d.toNanos(), 9).stripTrailingZeros();
    return s.scale() < 0 ? s.setScale(0) : s;
  }
}
