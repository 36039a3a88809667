package dev.tasklane.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;

/** How commands print what the server answered. */
final class Output {
  private Output() {}

  /** Indented JSON, one value, then a newline. */
  static void printJson(PrintWriter out, JsonNode value) {
    try {
      out.println(ApiClient.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(value));
    } catch (JsonProcessingException e) {
      // A tree read from JSON always writes back.
      throw new IllegalStateException(e);
    }
    out.flush();
  }
}
