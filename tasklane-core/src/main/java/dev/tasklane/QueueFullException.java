package dev.tasklane;

import java.time.Duration;

/**
 * Back-pressure: the queue's backlog ({@code queued} + {@code scheduled}) is at its bound. Nothing
 * was written; the caller should try again after {@link #retryAfter()}.
 */
public class QueueFullException extends TasklaneException {
  /** The Retry-After a node suggests: the backlog counts refresh every second. */
  public static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(1);

  private final String queue;
  private final long limit;
  private final Duration retryAfter;

  public QueueFullException(String queue, long limit, Duration retryAfter) {
    super("queue '" + queue + "' has " + limit + " tasks waiting, its limit; try again later");
    this.queue = queue;
    this.limit = limit;
    this.retryAfter = retryAfter;
  }

  public String queue() {
    return queue;
  }

  public long limit() {
    return limit;
  }

  public Duration retryAfter() {
    return retryAfter;
  }
}
