package dev.tasklane.testkit;

import dev.tasklane.TaskId;
import dev.tasklane.TaskState;
import dev.tasklane.spi.NewTask;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Fixtures for {@link NewTask}: {@code aTask().type("email").queue("mail").priority(2).build()}.
 *
 * <p>Defaults: a fresh {@link TaskId}, type {@value #DEFAULT_TYPE}, queue {@value #DEFAULT_QUEUE},
 * payload {@code {}}, priority 0, {@value #DEFAULT_MAX_ATTEMPTS} attempts, no timeout, no
 * idempotency key, created and ready at {@link #DEFAULT_CREATED_AT}. The state follows {@link
 * NewTask}'s rule ({@code scheduled} when {@code runAt} is after {@code createdAt}, else {@code
 * queued}) unless set explicitly.
 */
public final class Fixtures {
  public static final String DEFAULT_TYPE = "test.task";
  public static final String DEFAULT_QUEUE = "default";
  public static final int DEFAULT_MAX_ATTEMPTS = 3;

  /**
   * 2020-01-01T00:00:00Z: before both the real clock and {@link MutableClock#DEFAULT_START}, so a
   * default task is ready to claim whichever clock a test runs on.
   */
  public static final Instant DEFAULT_CREATED_AT = Instant.parse("2020-01-01T00:00:00Z");

  private Fixtures() {}

  /** A builder with the defaults above. */
  public static Builder aTask() {
    return new Builder();
  }

  /** Builds a {@link NewTask}; every setter returns the builder. Not thread-safe. */
  public static final class Builder {
    private TaskId id;
    private String type = DEFAULT_TYPE;
    private String queue = DEFAULT_QUEUE;
    private String payload = "{}";
    private int priority;
    private TaskState state;
    private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
    private Instant createdAt = DEFAULT_CREATED_AT;
    private Instant runAt;
    private Duration timeout;
    private String idempotencyKey;
    private String submittedBy;

    private Builder() {}

    /** Default: a fresh {@link TaskId#next()} at {@link #build()}. */
    public Builder id(TaskId value) {
      this.id = value;
      return this;
    }

    public Builder type(String value) {
      this.type = value;
      return this;
    }

    public Builder queue(String value) {
      this.queue = value;
      return this;
    }

    /** The payload as JSON text. */
    public Builder payload(String json) {
      this.payload = json;
      return this;
    }

    public Builder priority(int value) {
      this.priority = value;
      return this;
    }

    public Builder maxAttempts(int value) {
      this.maxAttempts = value;
      return this;
    }

    public Builder timeout(Duration value) {
      this.timeout = value;
      return this;
    }

    public Builder idempotencyKey(String value) {
      this.idempotencyKey = value;
      return this;
    }

    /** Who submitted it; default: nobody in particular. */
    public Builder submittedBy(String value) {
      this.submittedBy = value;
      return this;
    }

    /** Created at {@code now}, and ready at {@code now} unless {@link #runAt} says otherwise. */
    public Builder createdAt(Instant now) {
      this.createdAt = now;
      return this;
    }

    /** Ready at {@code instant}; default: the creation time. */
    public Builder runAt(Instant instant) {
      this.runAt = instant;
      return this;
    }

    /** Forces the state, whatever the times say ({@code queued} or {@code scheduled}). */
    public Builder state(TaskState value) {
      this.state = value;
      return this;
    }

    /** Queued, whatever the times say. */
    public Builder queued() {
      return state(TaskState.QUEUED);
    }

    /** Scheduled at {@code instant}. */
    public Builder scheduledAt(Instant instant) {
      return runAt(instant).state(TaskState.SCHEDULED);
    }

    /** The task; {@link NewTask} validates it. */
    public NewTask build() {
      Instant ready = runAt != null ? runAt : createdAt;
      TaskState resolved =
          state != null
              ? state
              : ready.isAfter(Objects.requireNonNull(createdAt, "createdAt"))
                  ? TaskState.SCHEDULED
                  : TaskState.QUEUED;
      return new NewTask(
          id != null ? id : TaskId.next(),
          type,
          queue,
          payload,
          priority,
          resolved,
          maxAttempts,
          ready,
          timeout,
          createdAt,
          idempotencyKey,
          submittedBy);
    }
  }
}
