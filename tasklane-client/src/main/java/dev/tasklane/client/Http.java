package dev.tasklane.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tasklane.QueueFullException;
import dev.tasklane.StoreException;
import dev.tasklane.TaskId;
import dev.tasklane.TaskNotFoundException;
import dev.tasklane.UnknownTaskTypeException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * JSON over {@code java.net.http} to one server with one token: the one place for headers, the
 * mapping of error answers to exceptions, and timeouts. Thread-safe.
 */
final class Http {
  static final ObjectMapper JSON = new ObjectMapper().findAndRegisterModules();
  private static final String USER_AGENT = "tasklane-java/" + Version.VERSION;

  private final URI base;
  private final String token;
  private final HttpClient client;
  private final Duration timeout;

  Http(URI base, String token, Duration timeout, HttpClient client) {
    String url = Objects.requireNonNull(base, "base").toString();
    if (!url.startsWith("http://") && !url.startsWith("https://")) {
      throw new IllegalArgumentException("not an http(s) URL: " + url);
    }
    this.base = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
    this.token = token == null || token.isEmpty() ? null : token;
    this.timeout = timeout;
    this.client = client;
  }

  URI base() {
    return base;
  }

  /** A successful answer: its status and JSON body. */
  record Answer(int status, JsonNode json) {}

  JsonNode get(String path) {
    return send("GET", path, null, timeout).json();
  }

  JsonNode post(String path, Object body) {
    return send("POST", path, body, timeout).json();
  }

  JsonNode put(String path, Object body) {
    return send("PUT", path, body, timeout).json();
  }

  void delete(String path) {
    send("DELETE", path, null, timeout);
  }

  Answer postForAnswer(String path, Object body) {
    return send("POST", path, body, timeout);
  }

  /**
   * Sends a request and returns its JSON answer.
   *
   * @throws TaskNotFoundException on 404 of a task path
   * @throws UnknownTaskTypeException on 422 about the task's type
   * @throws IllegalArgumentException on any other 422 (the server's field errors as the message)
   * @throws QueueFullException on 429
   * @throws StoreException on 503 (the server's database is unavailable)
   * @throws TasklaneHttpException on any other refusal, or when the server cannot be reached
   */
  Answer send(String method, String path, Object body, Duration requestTimeout) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(requestTimeout)
            .header("Accept", "application/json")
            .header("User-Agent", USER_AGENT);
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      try {
        b.header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("cannot write the request as JSON: " + e.getOriginalMessage(), e);
      }
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<byte[]> r;
    try {
      r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new TasklaneHttpException(method + " " + base + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TasklaneHttpException(method + " " + base + path + ": interrupted", e);
    }
    JsonNode json = parse(r.body());
    if (r.statusCode() / 100 == 2) {
      return new Answer(r.statusCode(), json);
    }
    throw error(r, json, path);
  }

  private static JsonNode parse(byte[] body) {
    if (body.length == 0) {
      return JSON.nullNode();
    }
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return JSON.getNodeFactory().objectNode().put("detail", new String(body, java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  private static RuntimeException error(HttpResponse<byte[]> r, JsonNode json, String path) {
    JsonNode detail = json.path("detail");
    String text = detail.isTextual() ? detail.asText() : detail.toString();
    String code = json.path("code").isTextual() ? json.path("code").asText() : null;
    int status = r.statusCode();
    switch (status) {
      case 404 -> {
        String[] parts = path.split("/");
        if (path.startsWith("/api/v1/tasks/") && parts.length > 4) {
          try {
            return new TaskNotFoundException(TaskId.parse(parts[4]));
          } catch (IllegalArgumentException notAnId) {
            // fall through to the generic answer
          }
        }
        if (path.startsWith("/api/v1/schedules/") && parts.length > 4) {
          return new dev.tasklane.ScheduleNotFoundException(
              java.net.URLDecoder.decode(parts[4], java.nio.charset.StandardCharsets.UTF_8));
        }
      }
      case 409 -> {
        java.util.regex.Matcher m =
            java.util.regex.Pattern.compile("a task cannot move from (\\w+) to (\\w+)").matcher(text);
        if (code == null && m.find()) {
          return new dev.tasklane.IllegalTransitionException(
              dev.tasklane.TaskState.fromApiName(m.group(1)), dev.tasklane.TaskState.fromApiName(m.group(2)));
        }
      }
      case 422 -> {
        if (detail.isArray() && detail.size() > 0
            && detail.get(0).path("loc").toString().equals("[\"body\",\"type\"]")
            && detail.get(0).path("type").asText().equals("literal_error")) {
          Set<String> known = new TreeSet<>();
          for (String t : detail.get(0).path("ctx").path("expected").asText().split("', '|' or '")) {
            known.add(t.replace("'", ""));
          }
          return new UnknownTaskTypeException(detail.get(0).path("input").asText(), known);
        }
        return new IllegalArgumentException(text);
      }
      case 429 -> {
        JsonNode d = detail.isArray() && detail.size() > 0 ? detail.get(0).path("ctx") : JSON.missingNode();
        return new QueueFullException(
            d.path("queue").asText("?"), d.path("limit").asLong(0), retryAfter(r));
      }
      case 503 -> {
        return new StoreException("server " + path, new TasklaneHttpException(status, text, code), true);
      }
      default -> {}
    }
    return new TasklaneHttpException(status, text, code);
  }

  private static Duration retryAfter(HttpResponse<?> r) {
    return r.headers().firstValue("Retry-After").map(v -> {
      try {
        return Duration.ofSeconds(Long.parseLong(v.trim()));
      } catch (NumberFormatException e) {
        return null;
      }
    }).orElse(QueueFullException.DEFAULT_RETRY_AFTER);
  }
}
