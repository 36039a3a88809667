package dev.tasklane.server;

import dev.tasklane.Explanation;
import java.util.Map;
import java.util.UUID;

/**
 * {@code GET /api/v1/tasks/{id}/explain}: why the task is where it is, as a code to act on
 * ({@code queue_paused}, {@code queue_limit_full}, ...), a sentence, and the facts behind it.
 */
record ExplanationView(UUID taskId, String state, String code, String message, Map<String, Object> details) {
  static ExplanationView of(Explanation e) {
    return new ExplanationView(
        e.taskId().value(), e.state().apiName(), e.reason().apiName(), e.message(), e.details());
  }
}
