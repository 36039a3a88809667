package dev.tasklane.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tasklane.TaskRequest;

/**
 * The seed article's request model, validated:
 *
 * <pre>
 * class TaskRequest(BaseModel):
 *     data: str
 *     priority: int = 1
 * </pre>
 *
 * The priority is bounded to the engine's range ({@value TaskRequest#MIN_PRIORITY} to {@value
 * TaskRequest#MAX_PRIORITY}) so that an out-of-range value is a 422, not a server error.
 *
 * @param data the text the task processes
 * @param priority higher runs first
 */
record SeedTaskForm(String data, int priority) {
  static final int DEFAULT_PRIORITY = 1;

  /**
   * @throws RequestValidationException listing every invalid field
   */
  static SeedTaskForm parse(ObjectNode body) {
    FieldReader f = FieldReader.body(body);
    String data = f.requiredString("data");
    Integer priority =
        f.integer(
            "priority", DEFAULT_PRIORITY, false, TaskRequest.MIN_PRIORITY, TaskRequest.MAX_PRIORITY);
    f.throwIfInvalid();
    return new SeedTaskForm(data, priority);
  }
}
