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

  /**
   * @throws RequestValidationException listing every invalid field
   */
  static SeedTaskForm parse(ObjectNode body) {
    FieldReader f = FieldReader.body(body);
    SeedTaskForm form = read(f);
    f.throwIfInvalid();
    return form;
  }

  /**
   * Reads the model's fields, recording their errors in {@code f}: the form, or {@code null} if a
   * field is invalid. Also how {@code POST /api/v1/tasks} checks a {@code process_task}'s payload.
   */
  static SeedTaskForm read(FieldReader f) {
    String data = f.requiredString("data");
    f.requireUtf8("data", data);
    Integer priority =
        f.integer(
            "priority",
            TaskRequest.DEFAULT_PRIORITY,
            false,
            TaskRequest.MIN_PRIORITY,
            TaskRequest.MAX_PRIORITY);
    return data == null || priority == null || StorableJson.textProblem(data) != null
        ? null
        : new SeedTaskForm(data, priority);
  }
}
