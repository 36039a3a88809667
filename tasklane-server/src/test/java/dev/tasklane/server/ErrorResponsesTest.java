package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every failure is JSON with a {@code detail}, the right status, and no stack trace. */
class ErrorResponsesTest {
  @TempDir Path dir;
  private ServerFixture node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void unknownRouteIs404Json() {
    node = ServerFixture.start(dir);

    ServerFixture.Response r = node.get("/nope");

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.header("Content-Type")).startsWith("application/json");
    assertThat(r.json()).isEqualTo(json("{\"detail\":\"Not Found\"}"));
  }

  @Test
  void wrongMethodIs405JsonNamingTheAllowedMethod() {
    node = ServerFixture.start(dir);

    ServerFixture.Response r =
        node.send(HttpRequest.newBuilder(node.uri("/api/v1/tasks/x/cancel")).DELETE().build());

    assertThat(r.status()).isEqualTo(405);
    assertThat(r.json()).isEqualTo(json("{\"detail\":\"Method Not Allowed\"}"));
    assertThat(r.header("Allow")).isEqualTo("POST");
  }

  @Test
  void bodyOverTheLimitIs413Json() {
    node = ServerFixture.start(dir, c -> c.withMaxRequestBytes(1024));
    String big = "{\"data\": \"" + "x".repeat(2048) + "\"}";

    ServerFixture.Response r = node.post("/submit-task", big);

    assertThat(r.status()).isEqualTo(413);
    assertThat(r.json().get("detail").asText()).isEqualTo("Request body too large: at most 1024 bytes");
  }

  @Test
  void submissionToAFullBacklogIs429WithRetryAfter() {
    node = ServerFixture.start(dir, b -> b.concurrency(1).maxQueued(2), Duration.ZERO);
    node.submit("{\"type\": \"block\"}");
    node.awaitBlockStarted();
    node.submit("{\"type\": \"noop\"}");
    node.submit("{\"type\": \"noop\"}");

    ServerFixture.Response api = node.post("/api/v1/tasks", "{\"type\": \"noop\"}");
    ServerFixture.Response named =
        node.post("/api/v1/tasks", "{\"type\": \"noop\", \"queue\": \"default\"}");
    ServerFixture.Response seed = node.post("/submit-task", "{\"data\": \"x\"}");

    for (ServerFixture.Response r : List.of(api, named, seed)) {
      assertThat(r.status()).isEqualTo(429);
      assertThat(Integer.parseInt(r.header("Retry-After"))).isPositive();
      JsonNode error = r.detail().get(0);
      assertThat(error.get("type").asText()).isEqualTo("queue_full");
      // The error points at the queue field only where the body has one.
      assertThat(error.get("loc"))
          .isEqualTo(json(r == named ? "[\"body\",\"queue\"]" : "[\"body\"]"));
      assertThat(error.get("input").asText()).isEqualTo("default");
      assertThat(error.get("ctx")).isEqualTo(json("{\"queue\":\"default\",\"limit\":2}"));
      assertThat(error.get("msg").asText()).contains("default");
    }
    node.release();
    // Once the backlog drains, the queue accepts work again.
    org.awaitility.Awaitility.await()
        .until(() -> node.post("/api/v1/tasks", "{\"type\": \"noop\"}").status() == 202);
  }

  @Test
  void requestJettyRejectsBeforeRoutingIsAnsweredInJsonToo() throws IOException {
    node = ServerFixture.start(dir);

    String response = rawRequest("GET /api/v1/tasks/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

    assertThat(response).startsWith("HTTP/1.1 400");
    assertThat(response).contains("application/json");
    assertThat(response).contains("{\"detail\":\"Bad Request\"}");
  }

  @Test
  void noErrorResponseCarriesAStackTrace() throws IOException {
    node = ServerFixture.start(dir, c -> c.withMaxRequestBytes(4096));
    List<String> bodies = new ArrayList<>();
    bodies.add(node.get("/nope").body());
    bodies.add(node.get("/submit-task").body());
    bodies.add(node.post("/submit-task", "{").body());
    bodies.add(node.post("/submit-task", "[").body());
    bodies.add(node.post("/submit-task", "{\"data\": " + "[".repeat(2000) + "}").body());
    bodies.add(node.post("/api/v1/tasks", "{\"type\": \"x\", \"priority\": 1e999999}").body());
    bodies.add(node.post("/api/v1/tasks", "{\"type\": \"noop\", \"run_at\": 1e300}").body());
    bodies.add(node.post("/api/v1/tasks", "{\"type\": \"noop\", \"delay\": 1e300}").body());
    bodies.add(node.post("/api/v1/tasks", "{\"type\": \"noop\", \"timeout\": 1e-300}").body());
    bodies.add(node.post("/api/v1/tasks", "x".repeat(5000)).body());
    bodies.add(node.get("/api/v1/tasks/" + "f".repeat(5000)).body());
    bodies.add(node.get("/api/v1/tasks?cursor=%00").body());
    bodies.add(node.post("/api/v1/tasks/00000000-0000-0000-0000-000000000000/retry", "").body());
    bodies.add(rawRequest("GARBAGE\r\n\r\n"));

    for (String body : bodies) {
      assertThat(body).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain(".java:");
    }
  }

  @Test
  void clientMistakesNeverAnswer500() {
    node = ServerFixture.start(dir);
    List<String> bodies =
        List.of(
            "{\"type\": \"noop\", \"run_at\": 1e300}",
            "{\"type\": \"noop\", \"run_at\": \"+999999999-12-31T23:59:59Z\"}",
            "{\"type\": \"noop\", \"delay\": 1e300}",
            "{\"type\": \"noop\", \"delay\": \"NaN\"}",
            "{\"type\": \"noop\", \"timeout\": 1e-300}",
            "{\"type\": \"noop\", \"timeout\": \"inf\"}",
            "{\"type\": \"noop\", \"priority\": -1e999999}",
            "{\"type\": \"noop\", \"payload\": null}",
            "{\"type\": \"noop\", \"max_attempts\": \"1e5\"}",
            "{\"type\": \"noop\", \"delay\": \"1e99999999999\"}",
            "{\"type\": \"noop\", \"priority\": 1e999999}",
            "{\"type\": \"noop\", \"priority\": \"" + "9".repeat(5000) + "\"}",
            "{\"type\": \"noop\", \"run_at\": \"2030-02-30T00:00:00Z\"}",
            "{\"type\": \"noop\", \"queue\": \"" + "q".repeat(200) + "\"}");

    for (String body : bodies) {
      ServerFixture.Response r = node.post("/api/v1/tasks", body);
      assertThat(r.status()).as(body + " -> " + r.body()).isIn(202, 422);
    }
  }

  private String rawRequest(String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", node.server.port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static JsonNode json(String text) {
    try {
      return ServerFixture.JSON.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(text, e);
    }
  }
}
