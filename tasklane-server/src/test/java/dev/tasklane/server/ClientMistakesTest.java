package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.tasklane.TaskQuery;
import dev.tasklane.server.builtin.BuiltinTasks;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A client's mistakes on the wire get a clear 4xx and at most one line in the log, never a stack
 * trace; text from a request reaches the log escaped and cut; the event stream says what to send.
 */
class ClientMistakesTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path dir;
  private ServerFixture node;

  @BeforeEach
  void start() {
    node = ServerFixture.start(dir);
  }

  @AfterEach
  void stop() {
    node.close();
  }

  static Stream<String> bodyRoutes() {
    return Stream.of("POST /api/v1/tasks", "POST /submit-task", "PATCH /api/v1/queues/default");
  }

  private RawHttp.Answer send(String route, String head, byte[] body, boolean halfClose) throws Exception {
    String[] methodAndPath = route.split(" ");
    return RawHttp.exchange(
        node.server.port(), RawHttp.request(methodAndPath[0], methodAndPath[1], head, body), halfClose, WAIT);
  }

  private static void assertNoTraceAndAtMostOneWarning(LogCapture log) {
    List<ILoggingEvent> events = log.events();
    assertThat(events).filteredOn(e -> e.getThrowableProxy() != null).as("stack traces").isEmpty();
    assertThat(events).filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.ERROR)).as("errors").isEmpty();
    assertThat(events).filteredOn(e -> e.getLevel() == Level.WARN).as("warnings").hasSizeLessThanOrEqualTo(1);
  }

  @ParameterizedTest
  @MethodSource("bodyRoutes")
  void aBodyShorterThanItsContentLengthIs400WithOneWarningAndNoTrace(String route) throws Exception {
    byte[] part = "{\"data\": \"hel".getBytes(StandardCharsets.UTF_8);
    try (LogCapture log = LogCapture.all()) {
      RawHttp.Answer a =
          send(route, "Content-Type: application/json\r\nContent-Length: 100", part, true);

      assertThat(a.status()).as(a.head()).isEqualTo(400);
      assertThat(a.json().get("detail").asText()).contains("ended before it was complete");
      assertNoTraceAndAtMostOneWarning(log);
      assertThat(log.messages()).anySatisfy(m -> assertThat(m).contains(route.split(" ")[1]));
    }
    assertThat(node.worker.list(TaskQuery.all()).tasks()).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("bodyRoutes")
  void aChunkedBodyWithABadChunkSizeIs400WithNoTrace(String route) throws Exception {
    for (String chunks : List.of("zz\r\n{}\r\n0\r\n\r\n", "FFFFFFFFFFFFFFFFFFFF\r\n{}", "40\r\n{\"data\": \"x\"}")) {
      try (LogCapture log = LogCapture.all()) {
        RawHttp.Answer a =
            send(
                route,
                "Content-Type: application/json\r\nTransfer-Encoding: chunked",
                chunks.getBytes(StandardCharsets.ISO_8859_1),
                true);

        assertThat(a.status()).as(chunks + " -> " + a.head()).isEqualTo(400);
        assertThat(a.json().has("detail")).isTrue();
        assertNoTraceAndAtMostOneWarning(log);
      }
    }
    assertThat(node.worker.list(TaskQuery.all()).tasks()).isEmpty();
  }

  @Test
  void textFromARequestReachesTheLogEscapedAndCut() {
    String forged = "hello\nProcessed: FORGED\r\u0000\u001b[31m";
    String long1Mb = "y".repeat(1_000_000);
    try (LogCapture log = LogCapture.of(BuiltinTasks.class)) {
      for (String data : List.of(forged, long1Mb)) {
        ServerFixture.Response r =
            node.post("/submit-task", ServerFixture.JSON.createObjectNode().put("data", data).toString());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        node.awaitState(r.json().get("task_id").asText(), "succeeded");
      }
      List<String> lines = log.messages().stream().filter(m -> m.startsWith("Processed: ")).toList();
      assertThat(lines).hasSize(2);
      assertThat(lines)
          .allSatisfy(
              line -> {
                assertThat(line.chars()).noneMatch(c -> c < 0x20 || c == 0x7f);
                assertThat(line.length()).isLessThan(LogText.DEFAULT_LIMIT + 100);
              });
      assertThat(lines.get(0)).isEqualTo("Processed: hello\\nProcessed: FORGED\\r\\u0000\\u001b[31m");
      assertThat(lines.get(1)).endsWith("... (" + (1_000_000 - LogText.DEFAULT_LIMIT) + " more characters)");
    }
  }

  @Test
  void theEventStreamAsksForItsMediaTypeAndStreamsWhenAskedProperly() throws Exception {
    for (String accept : java.util.Arrays.asList(null, "*/*", "application/json")) {
      HttpRequest.Builder b = HttpRequest.newBuilder(node.uri("/api/v1/events")).timeout(WAIT);
      if (accept != null) {
        b.header("Accept", accept);
      }
      ServerFixture.Response r = node.send(b.build());
      assertThat(r.status()).as(String.valueOf(accept)).isEqualTo(406);
      assertThat(r.json().get("detail").asText()).contains("Accept: text/event-stream");
    }

    HttpResponse<Stream<String>> stream =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(node.server.url() + "/api/v1/events"))
                    .header("Accept", "text/event-stream")
                    .timeout(WAIT)
                    .build(),
                HttpResponse.BodyHandlers.ofLines());
    assertThat(stream.statusCode()).isEqualTo(200);
    assertThat(stream.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
    try (Stream<String> lines = stream.body()) {
      assertThat(lines.filter(l -> l.startsWith("event:")).findFirst()).contains("event: overview");
    }
  }
}
