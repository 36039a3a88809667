package dev.tasklane.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The CLI's HTTP client for a Tasklane server ({@code java.net.http}). Turns transport failures
 * into {@link CommandFailedException}s with exit code {@link ExitCodes#UNREACHABLE} and a hint on
 * how to start a server, and non-2xx answers into exit code {@link ExitCodes#FAILED} with the
 * server's {@code detail}.
 */
final class ApiClient {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  private final URI base;
  private final HttpClient http;

  ApiClient(URI base) {
    this.base = base;
    // HTTP/1.1: the server speaks it, and an h2c upgrade attempt would only add a round trip.
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT)
            .build();
  }

  /** A 2xx answer: its status, body and whether it replayed an earlier submission. */
  record Answer(int status, JsonNode body, boolean replayed) {}

  Answer get(String path) {
    return send(request(path).GET().build());
  }

  Answer post(String path, JsonNode body) {
    return send(
        request(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
            .build());
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path))
        .timeout(REQUEST_TIMEOUT)
        .header("Accept", "application/json");
  }

  private Answer send(HttpRequest request) {
    HttpResponse<String> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new CommandFailedException(
          ExitCodes.UNREACHABLE,
          "cannot reach a Tasklane server at "
              + base
              + " ("
              + describe(e)
              + ").\nStart one with:  ./tasklane serve   (or point --server / TASKLANE_SERVER at"
              + " a running one)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CommandFailedException(ExitCodes.FAILED, "interrupted");
    }
    JsonNode body = parse(response);
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      boolean replayed =
          response.headers().firstValue("Idempotent-Replayed").map("true"::equals).orElse(false);
      return new Answer(status, body, replayed);
    }
    throw new CommandFailedException(ExitCodes.FAILED, refusal(status, body));
  }

  private JsonNode parse(HttpResponse<String> response) {
    try {
      return JSON.readTree(response.body());
    } catch (JsonProcessingException e) {
      throw new CommandFailedException(
          ExitCodes.FAILED,
          base + " answered " + response.statusCode() + " without JSON; is it a Tasklane server?");
    }
  }

  /** {@code server refused (422): body.priority: Input should be ... (got "x")}, one per line. */
  static String refusal(int status, JsonNode body) {
    StringBuilder s = new StringBuilder("server refused (").append(status).append(")");
    JsonNode detail = body == null ? null : body.get("detail");
    if (detail == null) {
      return s.toString();
    }
    if (detail.isTextual()) {
      return s.append(": ").append(detail.textValue()).toString();
    }
    for (JsonNode error : detail) {
      s.append("\n  ");
      JsonNode loc = error.get("loc");
      if (loc != null && loc.isArray()) {
        StringBuilder where = new StringBuilder();
        loc.forEach(part -> where.append(where.isEmpty() ? "" : ".").append(part.asText()));
        s.append(where).append(": ");
      }
      s.append(error.path("msg").asText());
      JsonNode input = error.get("input");
      if (input != null && !input.isNull() && !input.isContainerNode()) {
        s.append(" (got ").append(input).append(")");
      }
    }
    return s.toString();
  }

  private static String describe(IOException e) {
    String name = e.getClass().getSimpleName();
    if (e instanceof java.net.ConnectException) {
      return "connection refused";
    }
    if (e instanceof java.net.http.HttpConnectTimeoutException) {
      return "connection timed out";
    }
    return e.getMessage() == null ? name : e.getMessage();
  }
}
