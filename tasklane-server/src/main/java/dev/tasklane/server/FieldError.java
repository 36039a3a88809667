package dev.tasklane.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * One entry of a 422 response's {@code detail} list, in pydantic v2's shape, so clients written
 * against FastAPI read Tasklane's errors unchanged.
 *
 * @param type pydantic's error type, e.g. {@code "missing"} or {@code "int_parsing"}
 * @param loc where: {@code ["body", "priority"]}, {@code ["query", "limit"]}, {@code ["path",
 *     "task_id"]}, or {@code ["body", 12]} (a character offset) for malformed JSON
 * @param msg pydantic's human-readable message
 * @param input the offending value; always present, {@code null} included
 * @param ctx the constraint that failed, e.g. {@code {"ge": 1}}; omitted when pydantic has none
 */
record FieldError(
    String type,
    List<Object> loc,
    String msg,
    @JsonInclude(JsonInclude.Include.ALWAYS) JsonNode input,
    @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> ctx) {

  public FieldError {
    loc = List.copyOf(loc);
    input = FieldReader.echoable(input);
  }
}
