package dev.tasklane.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.tasklane.TaskError;
import java.util.List;

/** The engine's one JSON mapper: payloads in, results and error lists out. */
public final class Json {
  /**
   * Shared, configured once; ObjectMapper is thread-safe after configuration. A payload read as a
   * tree ({@code JsonNode}, {@code Object}) keeps its numbers exact: {@code 0.1000} stays {@code
   * 0.1000} and {@code 1e999999} stays finite, so a handler that gives back what it got (an echo)
   * gives back what was sent. Typed fields ({@code double}, {@code int}) read as they always do.
   */
  public static final ObjectMapper MAPPER =
      new ObjectMapper()
          .registerModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .configure(com.fasterxml.jackson.databind.cfg.JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false);

  private static final com.fasterxml.jackson.core.type.TypeReference<List<TaskError>> ERRORS =
      new com.fasterxml.jackson.core.type.TypeReference<>() {};

  private Json() {}

  /** Writes any Jackson-serialisable value as JSON text. */
  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("value cannot be written as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** Parses JSON text into a tree. */
  public static JsonNode tree(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("invalid JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** Decodes JSON text into {@code type}. */
  public static <T> T read(String json, Class<T> type) throws JsonProcessingException {
    return MAPPER.readValue(json, type);
  }

  public static <T> T read(String json, com.fasterxml.jackson.core.type.TypeReference<T> type)
      throws JsonProcessingException {
    return MAPPER.readValue(json, type);
  }

  /**
   * @throws IllegalArgumentException naming {@code field} if {@code json} is not one JSON value
   */
  public static void requireValid(String field, String json) {
    try {
      JsonNode node = MAPPER.readTree(json);
      if (node == null || node.isMissingNode()) {
        throw new IllegalArgumentException(field + " must be a JSON value");
      }
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(field + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  public static String writeErrors(List<TaskError> errors) {
    return write(errors);
  }

  public static List<TaskError> readErrors(String json) {
    if (json == null || json.isEmpty()) {
      return List.of();
    }
    try {
      return MAPPER.readValue(json, ERRORS);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored error list is not valid JSON", e);
    }
  }
}
