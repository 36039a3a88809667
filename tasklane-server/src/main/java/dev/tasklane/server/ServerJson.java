package dev.tasklane.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/** The HTTP layer's JSON mapper: snake_case DTOs, ISO-8601 instants, exact numbers. */
final class ServerJson {

  /**
   * Configured once; thread-safe afterwards.
   *
   * <ul>
   *   <li>{@code USE_BIG_DECIMAL_FOR_FLOATS}: {@code 5.0} must be told apart from {@code 5.5}
   *       exactly, and a payload's {@code 0.1} must come back as written, not as a double.
   *   <li>{@code STRIP_TRAILING_BIGDECIMAL_ZEROES} off: otherwise {@code 100.0} in a payload would
   *       come back as {@code 1E+2}.
   *   <li>{@code FAIL_ON_TRAILING_TOKENS}: {@code {"a":1} x} is malformed JSON, as Python's parser
   *       says ("Extra data").
   * </ul>
   */
  static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .build();

  private ServerJson() {}
}
