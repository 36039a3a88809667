package dev.tasklane;

import dev.tasklane.internal.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A submission: what to run, where, when and how often. Build with {@link #builder(String)}.
 *
 * <p>Fields left {@code null} take the registered type's defaults ({@code maxAttempts}, {@code
 * timeout}) or the engine's ({@code queue}: {@value #DEFAULT_QUEUE}, {@code runAt}: now).
 *
 * @param type registered handler type
 * @param payload the handler's input as JSON text
 * @param queue queue name, or {@code null} for the type's queue
 * @param priority from {@value #MIN_PRIORITY} to {@value #MAX_PRIORITY}, {@value
 *     #DEFAULT_PRIORITY} unless set; higher runs first
 * @param runAt earliest start, or {@code null}
 * @param delay earliest start relative to acceptance, or {@code null}; at most one of {@code
 *     runAt} and {@code delay} is set, and with neither the task runs as soon as possible
 * @param maxAttempts 1 to {@value #MAX_ATTEMPTS_LIMIT}, or {@code null} for the type's default
 * @param timeout per-run limit, positive, or {@code null} for the type's default
 * @param idempotencyKey a repeated key returns the original task instead of a new one
 * @param submittedBy who submits it, recorded on the task: a server sets its caller's identity
 *     (a token's or user's), so that a caller allowed to read only its own tasks reads these;
 *     {@code null} (the default) for nobody in particular. At most 200 characters
 */
public record TaskRequest(
    String type,
    String payload,
    String queue,
    int priority,
    Instant runAt,
    Duration delay,
    Integer maxAttempts,
    Duration timeout,
    String idempotencyKey,
    String submittedBy) {

  /** The queue used when neither the request nor the type names one. */
  public static final String DEFAULT_QUEUE = "default";

  /**
   * The priority of a task that names none, everywhere a task is submitted (this builder, {@code
   * POST /api/v1/tasks}, the seed's {@code /submit-task}, the command line): the seed's {@code
   * priority: int = 1}, so its "high lane" (2 and above) runs before ordinary tasks.
   */
  public static final int DEFAULT_PRIORITY = 1;

  public static final int MIN_PRIORITY = -1000;
  public static final int MAX_PRIORITY = 1000;
  public static final int MAX_ATTEMPTS_LIMIT = 100;
  public static final int MAX_IDEMPOTENCY_KEY_LENGTH = 255;
  /** Longest single run a timeout may allow. */
  public static final Duration MAX_TIMEOUT = Duration.ofDays(7);
  /** Longest delay a submission may ask for. */
  public static final Duration MAX_DELAY = Duration.ofDays(3650);
  /** Earliest and latest run-at a submission may ask for: what every store can represent. */
  public static final Instant MIN_RUN_AT = Instant.parse("0001-01-01T00:00:00Z");
  public static final Instant MAX_RUN_AT = Instant.parse("9999-12-31T23:59:59.999Z");

  /** Names of types and queues: letters, digits, {@code _ . : -}, 1 to 128 characters. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,128}");

  public TaskRequest {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(payload, "payload");
    checkName("type", type);
    if (queue != null) {
      checkName("queue", queue);
    }
    if (priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
      throw new IllegalArgumentException(
          "priority must be between " + MIN_PRIORITY + " and " + MAX_PRIORITY + ": " + priority);
    }
    if (maxAttempts != null && (maxAttempts < 1 || maxAttempts > MAX_ATTEMPTS_LIMIT)) {
      throw new IllegalArgumentException(
          "maxAttempts must be between 1 and " + MAX_ATTEMPTS_LIMIT + ": " + maxAttempts);
    }
    if (timeout != null && (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0)) {
      throw new IllegalArgumentException("timeout must be positive and at most " + MAX_TIMEOUT + ": " + timeout);
    }
    if (idempotencyKey != null
        && (idempotencyKey.isEmpty() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY_LENGTH)) {
      throw new IllegalArgumentException(
          "idempotencyKey must have 1 to " + MAX_IDEMPOTENCY_KEY_LENGTH + " characters");
    }
    if (submittedBy != null && (submittedBy.isEmpty() || submittedBy.length() > 200)) {
      throw new IllegalArgumentException("submittedBy must have 1 to 200 characters");
    }
    if (runAt != null && delay != null) {
      throw new IllegalArgumentException("give runAt or delay, not both");
    }
    if (delay != null && (delay.isNegative() || delay.compareTo(MAX_DELAY) > 0)) {
      throw new IllegalArgumentException("delay must be between 0 and " + MAX_DELAY + ": " + delay);
    }
    if (runAt != null && (runAt.isBefore(MIN_RUN_AT) || runAt.isAfter(MAX_RUN_AT))) {
      throw new IllegalArgumentException("runAt must be between " + MIN_RUN_AT + " and " + MAX_RUN_AT + ": " + runAt);
    }
    Json.requireValid("payload", payload);
  }

  /** When the task becomes ready if accepted at {@code now}. */
  public Instant resolveRunAt(Instant now) {
    if (runAt != null) {
      return runAt;
    }
    return delay == null ? now : now.plus(delay);
  }

  private static void checkName(String what, String value) {
    if (!NAME.matcher(value).matches()) {
      throw new IllegalArgumentException(
          what + " must be 1 to 128 letters, digits or _ . : - characters: '" + value + "'");
    }
  }

  /** Starts a request for a task of the given type with an empty object payload. */
  public static Builder builder(String type) {
    return new Builder(type);
  }

  /** A builder pre-filled with this request's values. */
  public Builder toBuilder() {
    Builder b = new Builder(type);
    b.payload = payload;
    b.queue = queue;
    b.priority = priority;
    b.runAt = runAt;
    b.delay = delay;
    b.maxAttempts = maxAttempts;
    b.timeout = timeout;
    b.idempotencyKey = idempotencyKey;
    b.submittedBy = submittedBy;
    return b;
  }

  /** Builds a {@link TaskRequest}; {@link #build()} validates. */
  public static final class Builder {
    private final String type;
    private String payload = "{}";
    private String queue;
    private int priority = DEFAULT_PRIORITY;
    private Instant runAt;
    private Duration delay;
    private Integer maxAttempts;
    private Duration timeout;
    private String idempotencyKey;
    private String submittedBy;

    private Builder(String type) {
      this.type = type;
    }

    /** The payload as an object that Jackson can write as JSON. */
    public Builder payload(Object value) {
      this.payload = Json.write(value);
      return this;
    }

    /** The payload as JSON text; validated by {@link #build()}. */
    public Builder payloadJson(String json) {
      this.payload = json;
      return this;
    }

    public Builder queue(String queue) {
      this.queue = queue;
      return this;
    }

    public Builder priority(int priority) {
      this.priority = priority;
      return this;
    }

    /** Runs no earlier than {@code runAt}. Clears a delay. */
    public Builder runAt(Instant runAt) {
      this.runAt = runAt;
      this.delay = null;
      return this;
    }

    /** Runs no earlier than {@code delay} after submission. Clears a run-at. */
    public Builder delay(Duration delay) {
      this.delay = delay;
      this.runAt = null;
      return this;
    }

    public Builder maxAttempts(Integer maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    public Builder timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    public Builder idempotencyKey(String idempotencyKey) {
      this.idempotencyKey = idempotencyKey;
      return this;
    }

    /**
     * @throws IllegalArgumentException if a value is out of range
     */
    /** Records who submits the task (see {@link TaskRequest#submittedBy()}). */
    public Builder submittedBy(String submitter) {
      this.submittedBy = submitter;
      return this;
    }

    public TaskRequest build() {
      return new TaskRequest(
          type, payload, queue, priority, runAt, delay, maxAttempts, timeout, idempotencyKey,
          submittedBy);
    }
  }
}
