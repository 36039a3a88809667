package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Whatever the API accepts, it gives back: a value is refused at submission (422) if it could be
 * stored but not read out again, and every value at the edge of a limit is read back as sent, by
 * the task, the task list and (for the values a handler returns) the result, on the embedded store
 * and on the real PostgreSQL server.
 */
class StoredValuesTest {
  @TempDir Path dir;
  private ServerFixture node;
  private final TestStores stores = new TestStores();

  static Stream<String> stores() {
    return TestStores.names();
  }

  private ServerFixture start(String store) {
    node = ServerFixture.start(dir, stores.opener(store, "tl_values_"), store);
    return node;
  }

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    stores.close();
  }

  private static String nested(int depth, String innermost) {
    return "[".repeat(depth) + innermost + "]".repeat(depth);
  }

  /** Submits an {@code echo} of {@code payload} and checks it is given back everywhere. */
  private JsonNode echoedBack(String payload) {
    ServerFixture.Response r = node.post("/api/v1/tasks", "{\"type\": \"echo\", \"payload\": " + payload + "}");
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    String id = r.json().get("id").asText();
    JsonNode sent = json(payload);
    node.awaitState(id, "succeeded");
    JsonNode done = json(node.get("/api/v1/tasks/" + id).body());
    assertThat(done.get("payload")).isEqualTo(sent);
    assertThat(done.get("result")).isEqualTo(sent);
    ServerFixture.Response page = node.get("/api/v1/tasks");
    assertThat(page.status()).as("the list holding it").isEqualTo(200);
    assertThat(page.json().get("tasks").findValues("id").stream().map(JsonNode::asText)).contains(id);
    return done;
  }

  @ParameterizedTest
  @MethodSource("stores")
  void aPayloadNestedAsDeepAsTheLimitIsGivenBackAndOneLevelMoreIsA422(String store) {
    start(store);
    echoedBack(nested(StorableJson.MAX_DEPTH, "1"));
    echoedBack("{\"a\": " + nested(StorableJson.MAX_DEPTH - 2, "{}") + "}");

    for (int depth : new int[] {StorableJson.MAX_DEPTH + 1, 998, 999}) {
      ServerFixture.Response r =
          node.post("/api/v1/tasks", "{\"type\": \"echo\", \"payload\": " + nested(depth, "") + "}");
      assertThat(r.status()).as("depth " + depth + ": " + r.body()).isEqualTo(422);
      JsonNode error = r.detail().get(0);
      assertThat(error.get("loc")).isEqualTo(json("[\"body\", \"payload\"]"));
      assertThat(error.get("type").asText()).isIn("value_error", "json_invalid");
    }
    assertThat(node.get("/api/v1/tasks").status()).isEqualTo(200);
    assertThat(node.worker.list(dev.tasklane.TaskQuery.all()).tasks()).hasSize(2);
  }

  @ParameterizedTest
  @MethodSource("stores")
  void numbersAtTheParsersLimitAndWithHugeExponentsAreGivenBackAsSent(String store) {
    start(store);
    String thousandDigits = "9".repeat(1000);
    JsonNode done =
        echoedBack("{\"big\": " + thousandDigits + ", \"neg\": -" + thousandDigits
            + ", \"huge\": 1e999999, \"tiny\": 1e-999999, \"exact\": 0.1000}");
    assertThat(done.get("payload").get("big").bigIntegerValue().toString()).isEqualTo(thousandDigits);

    ServerFixture.Response tooLong =
        node.post("/api/v1/tasks", "{\"type\": \"echo\", \"payload\": " + "9".repeat(1001) + "}");
    assertThat(tooLong.status()).isEqualTo(422);
    assertThat(tooLong.detail().get(0).get("type").asText()).isEqualTo("json_invalid");
  }

  @ParameterizedTest
  @MethodSource("stores")
  void textUpToTheBodyLimitAndControlCharactersAreGivenBackAsSent(String store) {
    start(store);
    String overhead = "{\"type\": \"echo\", \"payload\": \"\"}";
    long room = ServerConfig.DEFAULT_MAX_REQUEST_BYTES - overhead.length();
    echoedBack("\"" + "x".repeat((int) room) + "\"");
    echoedBack("\"nul \\u0000, newline \\n, escape \\u001b, pair \\ud83d\\ude00, bom \\ufeff\"");

    ServerFixture.Response tooLarge =
        node.post("/api/v1/tasks", "{\"type\": \"echo\", \"payload\": \"" + "x".repeat((int) room + 1) + "\"}");
    assertThat(tooLarge.status()).isEqualTo(413);
  }

  @ParameterizedTest
  @MethodSource("stores")
  void anUnpairedSurrogateIsA422OnBothRoutesAndANulIsA422InAnIdempotencyKey(String store) {
    start(store);
    ServerFixture.Response api =
        node.post("/api/v1/tasks", "{\"type\": \"echo\", \"payload\": {\"k\": \"\\ud800\"}}");
    ServerFixture.Response seed = node.post("/submit-task", "{\"data\": \"x\\udc00y\"}");
    ServerFixture.Response key =
        node.post("/api/v1/tasks", "{\"type\": \"noop\", \"idempotency_key\": \"a\\u0000b\"}");

    assertThat(api.status()).as(api.body()).isEqualTo(422);
    assertThat(api.detail().get(0).get("loc")).isEqualTo(json("[\"body\", \"payload\"]"));
    assertThat(seed.status()).as(seed.body()).isEqualTo(422);
    assertThat(seed.detail().get(0).get("loc")).isEqualTo(json("[\"body\", \"data\"]"));
    assertThat(key.status()).as(key.body()).isEqualTo(422);
    assertThat(key.detail().get(0).get("loc")).isEqualTo(json("[\"body\", \"idempotency_key\"]"));
    assertThat(node.worker.list(dev.tasklane.TaskQuery.all()).tasks()).isEmpty();
  }

  @ParameterizedTest
  @MethodSource("stores")
  void theSeedsDataWithControlCharactersIsProcessedAndGivenBack(String store) {
    start(store);
    String data = "line one\\nProcessed: FORGED\\u0000";
    ServerFixture.Response r = node.post("/submit-task", "{\"data\": \"" + data + "\", \"priority\": 2}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode done = node.awaitState(r.json().get("task_id").asText(), "succeeded");
    assertThat(done.get("payload").get("data").asText()).isEqualTo("line one\nProcessed: FORGED\u0000");
    assertThat(done.get("result").get("processed").asText()).isEqualTo("line one\nProcessed: FORGED\u0000");
  }

  @ParameterizedTest
  @MethodSource("stores")
  void aFailureWhoseMessageHoldsANulIsRecordedAndReadable(String store) {
    start(store);
    String id =
        node.submit("{\"type\": \"fail\", \"max_attempts\": 1, \"payload\": {\"message\": \"bad\\u0000byte\"}}")
            .get("id").asText();
    JsonNode failed = node.awaitState(id, "failed");
    assertThat(failed.get("last_error").asText()).contains("bad\ufffdbyte");
    assertThat(node.get("/api/v1/tasks?state=failed").status()).isEqualTo(200);
  }

  /** Numbers read exactly, as the server reads them: 0.1000 and 1e999999 compared as written. */
  private static final com.fasterxml.jackson.databind.ObjectMapper EXACT =
      com.fasterxml.jackson.databind.json.JsonMapper.builder()
          .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .disable(com.fasterxml.jackson.databind.cfg.JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
          .build();

  private static JsonNode json(String text) {
    try {
      return EXACT.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(text, e);
    }
  }
}
