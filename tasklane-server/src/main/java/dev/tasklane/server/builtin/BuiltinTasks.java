package dev.tasklane.server.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.TaskContext;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskType;
import dev.tasklane.Worker;
import dev.tasklane.server.LogText;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task types every Tasklane server offers out of the box: the seed article's two and a few
 * for trying the engine out.
 *
 * <table>
 *   <caption>Built-in types</caption>
 *   <tr><th>type</th><th>payload</th><th>does</th><th>result</th></tr>
 *   <tr><td>{@value #PROCESS_TASK}</td><td>{@code {"data": str, "priority": int}}</td>
 *       <td>waits the seed task duration, then logs {@code Processed: <data>}</td>
 *       <td>{@code {"processed": data}}</td></tr>
 *   <tr><td>{@value #DEBUG_TASK}</td><td>ignored</td><td>logs {@code Debug task executed}</td>
 *       <td>none</td></tr>
 *   <tr><td>{@value #NOOP}</td><td>ignored</td><td>nothing</td><td>none</td></tr>
 *   <tr><td>{@value #SLEEP}</td><td>{@code {"seconds": number}}</td><td>waits that long</td>
 *       <td>{@code {"slept_seconds": n, "node": id, "attempt": n, "fencing_token": n}}: which run
 *       did the work</td></tr>
 *   <tr><td>{@value #ECHO}</td><td>any</td><td>nothing</td><td>the payload</td></tr>
 *   <tr><td>{@value #FAIL}</td><td>{@code {"message": str}}</td><td>throws, so retries and
 *       failure can be watched</td><td>none</td></tr>
 * </table>
 *
 * <p>Waiting tasks report progress as they go and stop at once when interrupted (cancel, timeout,
 * shutdown).
 */
public final class BuiltinTasks {
  private static final Logger log = LoggerFactory.getLogger(BuiltinTasks.class);

  public static final String PROCESS_TASK = "process_task";
  public static final String DEBUG_TASK = "debug_task";
  public static final String NOOP = "noop";
  public static final String SLEEP = "sleep";
  public static final String ECHO = "echo";
  public static final String FAIL = "fail";

  /** How long the seed's {@code process_task} takes: the article's {@code asyncio.sleep(2)}. */
  public static final Duration DEFAULT_SEED_TASK_DURATION = Duration.ofSeconds(2);

  /** Longest {@value #SLEEP} task: its payload cannot hold a node slot for more than a day. */
  public static final Duration MAX_SLEEP = Duration.ofDays(1);

  /** Progress is written at most this often while waiting, and at most 100 times in all. */
  private static final Duration PROGRESS_STEP = Duration.ofMillis(200);

  private BuiltinTasks() {}

  /** The seed's request, as the task's payload. */
  public record ProcessTaskPayload(String data, int priority) {}

  /** A {@value #SLEEP} task's payload. */
  public record SleepPayload(BigDecimal seconds) {}

  /** A {@value #FAIL} task's payload; the message is optional. */
  public record FailPayload(String message) {}

  /** Thrown by every run of a {@value #FAIL} task. */
  public static final class DeliberateFailureException extends RuntimeException {
    public DeliberateFailureException(String message) {
      super(message);
    }
  }

  /**
   * Registers all built-in types on the default queue.
   *
   * @param seedTaskDuration how long {@value #PROCESS_TASK} waits; zero or positive
   * @return {@code builder}, for chaining
   * @throws IllegalArgumentException if the duration is negative or a type is already registered
   */
  public static Worker.Builder register(Worker.Builder builder, Duration seedTaskDuration) {
    return register(builder, seedTaskDuration, ExecutionLog.NONE);
  }

  /**
   * Registers all built-in types on the default queue, each handler writing its starts and ends to
   * {@code executionLog}.
   *
   * @throws IllegalArgumentException if the duration is negative or a type is already registered
   */
  public static Worker.Builder register(
      Worker.Builder builder, Duration seedTaskDuration, ExecutionLog executionLog) {
    Objects.requireNonNull(builder, "builder");
    Objects.requireNonNull(executionLog, "executionLog");
    ExecutionLog x = executionLog;
    Objects.requireNonNull(seedTaskDuration, "seedTaskDuration");
    if (seedTaskDuration.isNegative()) {
      throw new IllegalArgumentException("seedTaskDuration must not be negative: " + seedTaskDuration);
    }
    return builder
        .register(
            TaskType.of(
                PROCESS_TASK,
                ProcessTaskPayload.class,
                x.around(
                    (payload, ctx) -> {
                      if (payload == null || payload.data() == null) {
                        return TaskResult.fail("payload needs \"data\": a string");
                      }
                      waitWithProgress(seedTaskDuration, ctx);
                      log.info("Processed: {}", LogText.quote(payload.data()));
                      return TaskResult.success(Map.of("processed", payload.data()));
                    })))
        .register(
            TaskType.of(
                DEBUG_TASK,
                JsonNode.class,
                x.around(
                    (payload, ctx) -> {
                      log.info("Debug task executed");
                      return TaskResult.success();
                    })))
        .register(TaskType.of(NOOP, JsonNode.class, x.around((payload, ctx) -> TaskResult.success())))
        .register(TaskType.of(SLEEP, SleepPayload.class, x.around(BuiltinTasks::sleep)))
        .register(
            TaskType.of(ECHO, JsonNode.class, x.around((payload, ctx) -> TaskResult.success(payload))))
        .register(
            TaskType.of(
                FAIL,
                FailPayload.class,
                x.around(
                    (payload, ctx) -> {
                      String message = payload == null ? null : payload.message();
                      throw new DeliberateFailureException(
                          message == null || message.isBlank() ? "failed on purpose" : message);
                    })));
  }

  private static TaskResult sleep(SleepPayload payload, TaskContext ctx) throws InterruptedException {
    BigDecimal seconds = payload == null ? null : payload.seconds();
    if (seconds == null || seconds.signum() < 0) {
      // Retrying cannot fix a bad payload.
      return TaskResult.fail("payload needs \"seconds\": a number of seconds, zero or more");
    }
    if (seconds.compareTo(BigDecimal.valueOf(MAX_SLEEP.toSeconds())) > 0) {
      return TaskResult.fail("\"seconds\" must be at most " + MAX_SLEEP.toSeconds());
    }
    waitWithProgress(Duration.ofNanos(seconds.movePointRight(9).longValue()), ctx);
    return TaskResult.success(
        Map.of(
            "slept_seconds", seconds,
            "node", ctx.nodeId(),
            "attempt", ctx.attempt(),
            "fencing_token", ctx.fencingToken()));
  }

  /**
   * Waits {@code total} in steps, reporting progress after each; an interrupt (cancel, timeout,
   * shutdown) ends the wait at once by throwing.
   */
  static void waitWithProgress(Duration total, TaskContext ctx) throws InterruptedException {
    long steps = Math.clamp(total.toNanos() / PROGRESS_STEP.toNanos(), 1, 100);
    long stepNanos = total.toNanos() / steps;
    long deadline = System.nanoTime() + total.toNanos();
    for (long i = 1; i <= steps; i++) {
      // Sleep until this step's point in time rather than a fixed step, so drift does not add up.
      long wake = deadline - (steps - i) * stepNanos;
      long remaining = wake - System.nanoTime();
      if (remaining > 0) {
        Thread.sleep(Duration.ofNanos(remaining));
      }
      ctx.checkCancelled();
      ctx.progress((int) (i * 100 / steps));
    }
  }
}
