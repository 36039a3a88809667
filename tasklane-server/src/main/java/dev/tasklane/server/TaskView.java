package dev.tasklane.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.Task;
import dev.tasklane.TaskError;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A task as the API shows it (snake_case on the wire). The payload and result are JSON values,
 * not strings holding JSON; times are ISO-8601 UTC; the timeout is in seconds.
 */
record TaskView(
    UUID id,
    String type,
    String queue,
    String state,
    int priority,
    JsonNode payload,
    int attempt,
    int maxAttempts,
    Instant runAt,
    BigDecimal timeout,
    Instant createdAt,
    Instant startedAt,
    Instant finishedAt,
    String lastError,
    List<ErrorView> errors,
    JsonNode result,
    int progress,
    String idempotencyKey,
    String leaseOwner,
    Instant leaseExpiresAt,
    long fencingToken,
    boolean cancelRequested,
    String lastNode,
    String submittedBy) {

  /** One recorded failure of a task; its stack trace only for roles that see internals. */
  record ErrorView(int attempt, Instant at, String node, String message, String trace) {
    static ErrorView of(TaskError e, boolean internals) {
      return new ErrorView(e.attempt(), e.at(), e.node(), e.message(), internals ? e.trace() : null);
    }
  }

  /** The task as every role may see it: stack traces left out. */
  static TaskView of(Task t) {
    return of(t, false);
  }

  /**
   * The task; with {@code internals}, its failures' stack traces too (they name classes, files and
   * sometimes hosts, which only roles that operate the system see).
   */
  static TaskView of(Task t, boolean internals) {
    return new TaskView(
        t.id().value(),
        t.type(),
        t.queue(),
        t.state().apiName(),
        t.priority(),
        json(t.payload()),
        t.attempt(),
        t.maxAttempts(),
        t.runAt(),
        t.timeout() == null ? null : seconds(t.timeout()),
        t.createdAt(),
        t.startedAt(),
        t.finishedAt(),
        t.lastError(),
        t.errors().stream().map(e -> ErrorView.of(e, internals)).toList(),
        t.result() == null ? null : json(t.result()),
        t.progress(),
        t.idempotencyKey(),
        t.leaseOwner(),
        t.leaseExpiresAt(),
        t.fencingToken(),
        t.cancelRequested(),
        t.lastNode(),
        t.submittedBy());
  }

  /** {@code 30} for 30 s, {@code 1.5} for 1.5 s: exact, and never in exponent notation. */
  static BigDecimal seconds(Duration d) {
    BigDecimal s = BigDecimal.valueOf(d.toNanos(), 9).stripTrailingZeros();
    return s.scale() < 0 ? s.setScale(0) : s;
  }

  static JsonNode json(String text) {
    try {
      return ServerJson.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      // The engine validates payloads and writes results itself: bad JSON here is a store bug.
      throw new IllegalStateException("stored JSON is not valid: " + e.getOriginalMessage(), e);
    }
  }
}
