package dev.tasklane.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tasklane.Schedule;
import dev.tasklane.TaskRequest;
import dev.tasklane.server.builtin.BuiltinTasks;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * The body of {@code POST /api/v1/tasks}, validated. As a pydantic model it would read:
 *
 * <pre>
 * class SubmitTask(BaseModel):
 *     type: Literal[&lt;registered types&gt;]
 *     payload: Any = {}                 # at most 100 levels deep (StorableJson)
 *     priority: conint(ge=-1000, le=1000) = 1   # process_task: its payload's priority
 *     queue: constr(pattern=NAME) | None = None
 *     run_at: datetime | None = None
 *     delay: confloat(ge=0, le=MAX_DELAY_SECONDS) | None = None      # not with run_at
 *     max_attempts: conint(ge=1, le=100) | None = None
 *     timeout: confloat(gt=0, le=604800) | None = None
 *     idempotency_key: constr(min_length=1, max_length=255) | None = None  # not 'schedule:...'
 * </pre>
 *
 * @param request what to submit to the worker
 */
record SubmitTaskForm(TaskRequest request) {

  /**
   * Longest accepted delay: ten years. Without a bound a huge number would overflow the run time;
   * a task meant for later than that belongs in a calendar, not a queue.
   */
  static final long MAX_DELAY_SECONDS = TaskRequest.MAX_DELAY.toSeconds();

  /**
   * @param types the worker's registered task types; anything else is a {@code literal_error}
   * @throws RequestValidationException listing every invalid field
   */
  static SubmitTaskForm parse(ObjectNode body, Set<String> types) {
    FieldReader f = FieldReader.body(body);
    TaskRequest.Builder b = read(f, body, types, true);
    f.throwIfInvalid();
    return new SubmitTaskForm(b.build());
  }

  /**
   * Reads a task's fields from {@code f} (the body, or an object nested in it), recording errors
   * in {@code f}; the builder is complete only if {@code f} has none.
   *
   * @param types the types it may name, or {@code null} for any well-formed name
   * @param when whether the fields of when and how often it is submitted are taken ({@code
   *     run_at}, {@code delay}, {@code idempotency_key}); a schedule's template forbids them
   */
  static TaskRequest.Builder read(FieldReader f, ObjectNode body, Set<String> types, boolean when) {
    String type;
    if (types != null) {
      type = f.literal("type", true, types);
    } else {
      // Any well-formed name: checked against the types served when it is used.
      type = f.requiredString("type");
      if (type != null && !TaskRequest.NAME.matcher(type).matches()) {
        f.invalid("type", "a type name is 1 to 128 letters, digits or _ . : - characters");
      }
    }
    JsonNode payload = f.any("payload", JsonNodeFactory.instance.objectNode());
    f.requireStorable("payload", payload);
    Integer priority =
        f.integer("priority", null, false, TaskRequest.MIN_PRIORITY, TaskRequest.MAX_PRIORITY);
    if (BuiltinTasks.PROCESS_TASK.equals(type) && payload.isObject()) {
      // The seed's own model; its priority is the task's unless the request sets one.
      SeedTaskForm seed = SeedTaskForm.read(f.nested("payload", (ObjectNode) payload));
      if (priority == null && !body.hasNonNull("priority") && seed != null) {
        priority = seed.priority();
      }
    }
    if (priority == null) {
      priority = TaskRequest.DEFAULT_PRIORITY;
    }
    String queue = f.optionalString("queue", 0, Integer.MAX_VALUE, TaskRequest.NAME);
    Instant runAt = null;
    BigDecimal delay = null;
    if (when) {
      runAt = f.optionalDateTime("run_at");
      delay = f.optionalNumber("delay", 0, true, MAX_DELAY_SECONDS);
    } else {
      f.forbid("run_at");
      f.forbid("delay");
    }
    Integer maxAttempts = f.integer("max_attempts", null, true, 1, TaskRequest.MAX_ATTEMPTS_LIMIT);
    BigDecimal timeout = f.optionalNumber("timeout", 0, false, TaskRequest.MAX_TIMEOUT.toSeconds());
    String idempotencyKey = null;
    if (when) {
      idempotencyKey =
          f.optionalString("idempotency_key", 1, TaskRequest.MAX_IDEMPOTENCY_KEY_LENGTH, null);
      f.requireStorableText("idempotency_key", idempotencyKey);
      if (idempotencyKey != null && idempotencyKey.startsWith(Schedule.KEY_PREFIX)) {
        f.invalid("idempotency_key", "keys starting with '" + Schedule.KEY_PREFIX + "' belong to schedules' ticks");
      }
    } else {
      f.forbid("idempotency_key");
    }
    // A rule across fields is checked only once each field is valid, as a pydantic model
    // validator would be.
    if (!f.hasErrors() && runAt != null && delay != null) {
      f.modelError("give run_at or delay, not both");
    }
    if (f.hasErrors()) {
      return null;
    }
    TaskRequest.Builder b =
        TaskRequest.builder(type)
            .payloadJson(payload.toString())
            .priority(priority)
            .queue(queue)
            .maxAttempts(maxAttempts)
            .idempotencyKey(idempotencyKey);
    if (runAt != null) {
      b.runAt(runAt);
    }
    if (delay != null) {
      b.delay(seconds(delay, RoundingMode.DOWN));
    }
    if (timeout != null) {
      // Rounded up: a positive timeout below a nanosecond must not become zero.
      b.timeout(seconds(timeout, RoundingMode.UP));
    }
    return b;
  }

  /** Seconds (already bounded) as a Duration, to the nanosecond. */
  static Duration seconds(BigDecimal seconds, RoundingMode rounding) {
    BigDecimal nanos = seconds.movePointRight(9);
    if (nanos.compareTo(BigDecimal.ONE) < 0) {
      // Below a nanosecond, perhaps with a huge exponent (1e-999999999): rounding it to a whole
      // number would expand it digit by digit.
      return nanos.signum() > 0 && rounding == RoundingMode.UP ? Duration.ofNanos(1) : Duration.ZERO;
    }
    return Duration.ofNanos(nanos.setScale(0, rounding).longValueExact());
  }
}
