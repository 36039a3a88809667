package dev.tasklane;

import java.time.Duration;
import java.util.Objects;

/**
 * A registered kind of task: its name, payload class, handler and defaults. Build with {@link
 * #of(String, Class, TaskHandler)} and the {@code with*} methods.
 *
 * @param name the type's name, as submissions give it
 * @param payloadClass what the JSON payload is decoded into ({@code JsonNode}, a record, ...)
 * @param handler the code that runs it
 * @param queue the queue its tasks use when a submission names none
 * @param retryPolicy attempts and backoff; a submission may override the attempts
 * @param timeout per-run limit when a submission gives none; {@code null} for no limit
 * @param <P> the payload type
 */
public record TaskType<P>(
    String name,
    Class<P> payloadClass,
    TaskHandler<P> handler,
    String queue,
    RetryPolicy retryPolicy,
    Duration timeout) {

  public TaskType {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(payloadClass, "payloadClass");
    Objects.requireNonNull(handler, "handler");
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(retryPolicy, "retryPolicy");
    if (!TaskRequest.NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid type name '" + name + "'");
    }
    if (!TaskRequest.NAME.matcher(queue).matches()) {
      throw new IllegalArgumentException("invalid queue name '" + queue + "'");
    }
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
  }

  /** A type on the default queue with the default retry policy and no timeout. */
  public static <P> TaskType<P> of(String name, Class<P> payloadClass, TaskHandler<P> handler) {
    return new TaskType<>(
        name, payloadClass, handler, TaskRequest.DEFAULT_QUEUE, RetryPolicy.defaults(), null);
  }

  public TaskType<P> withQueue(String queueName) {
    return new TaskType<>(name, payloadClass, handler, queueName, retryPolicy, timeout);
  }

  public TaskType<P> withRetryPolicy(RetryPolicy policy) {
    return new TaskType<>(name, payloadClass, handler, queue, policy, timeout);
  }

  public TaskType<P> withTimeout(Duration perRun) {
    return new TaskType<>(name, payloadClass, handler, queue, retryPolicy, perRun);
  }
}
