package dev.tasklane.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads a request body as one JSON object, whatever the {@code Content-Type} says, and turns
 * every way it can fail into the 422 FastAPI would send.
 */
final class JsonBody {
  /** Jackson appends where an unclosed array or object started; the offset already says where. */
  private static final Pattern START_MARKER = Pattern.compile("\\s*\\(start marker at .*\\)\\s*$");

  private JsonBody() {}

  /**
   * The body as a JSON object.
   *
   * @throws RequestValidationException {@code missing} for an empty body or {@code null}, {@code
   *     json_invalid} with the character offset for malformed JSON, {@code model_attributes_type}
   *     for any other JSON value
   * @throws io.javalin.http.HttpResponseException 413 when the body passes the configured limit
   */
  static ObjectNode readObject(Context ctx) {
    String text = ctx.body();
    if (text.isBlank()) {
      throw missingBody();
    }
    JsonNode node;
    try {
      node = ServerJson.MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw new RequestValidationException(invalidJson(e));
    }
    if (node == null || node.isMissingNode() || node.isNull()) {
      throw missingBody();
    }
    if (!node.isObject()) {
      throw new RequestValidationException(
          new FieldError(
              "model_attributes_type",
              List.of("body"),
              "Input should be a valid dictionary or object to extract fields from",
              node,
              null));
    }
    return (ObjectNode) node;
  }

  private static RequestValidationException missingBody() {
    return new RequestValidationException(
        new FieldError("missing", List.of("body"), "Field required", null, null));
  }

  private static FieldError invalidJson(JsonProcessingException e) {
    long offset = e.getLocation() == null ? 0 : Math.max(0, e.getLocation().getCharOffset());
    String reason = e.getOriginalMessage();
    reason = reason == null ? "malformed JSON" : START_MARKER.matcher(reason).replaceAll("");
    Map<String, Object> ctx = new LinkedHashMap<>();
    ctx.put("error", reason);
    // FastAPI reports the offending position as the second loc element and an empty input.
    return new FieldError(
        "json_invalid",
        List.of("body", offset),
        "JSON decode error",
        JsonNodeFactory.instance.objectNode(),
        ctx);
  }
}
