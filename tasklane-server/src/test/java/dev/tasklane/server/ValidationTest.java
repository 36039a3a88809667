package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 422s in pydantic v2's exact shape, for the seed's {@code POST /submit-task} and for {@code POST
 * /api/v1/tasks}, plus query and path parameters.
 */
class ValidationTest {
  private static final String SEED = "/submit-task";
  private static final String API = "/api/v1/tasks";
  private static final String TYPES =
      "'block', 'debug_task', 'echo', 'fail', 'noop', 'process_task' or 'sleep'";

  @TempDir static Path dir;
  private static ServerFixture node;

  @BeforeAll
  static void start() {
    node = ServerFixture.start(dir);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  static Stream<String> endpoints() {
    return Stream.of(SEED, API);
  }

  /** A body the endpoint accepts, with {@code priority} set to the given JSON. */
  private static String withPriority(String endpoint, String priorityJson) {
    return endpoint.equals(SEED)
        ? "{\"data\": \"x\", \"priority\": " + priorityJson + "}"
        : "{\"type\": \"noop\", \"priority\": " + priorityJson + "}";
  }

  // ---------------------------------------------------------------- the body as a whole

  @ParameterizedTest
  @MethodSource("endpoints")
  void emptyBodyIsAMissingBody(String endpoint) {
    assertErrors(
        node.post(endpoint, ""),
        "{\"type\":\"missing\",\"loc\":[\"body\"],\"msg\":\"Field required\",\"input\":null}");
  }

  @ParameterizedTest
  @MethodSource("endpoints")
  void literalNullBodyIsAMissingBody(String endpoint) {
    assertErrors(
        node.post(endpoint, "null"),
        "{\"type\":\"missing\",\"loc\":[\"body\"],\"msg\":\"Field required\",\"input\":null}");
  }

  @ParameterizedTest
  @MethodSource("endpoints")
  void malformedJsonIsReportedWithTheOffsetOfTheMistake(String endpoint) {
    ServerFixture.Response r = node.post(endpoint, "{\"data\": }");

    assertThat(r.status()).isEqualTo(422);
    JsonNode error = single(r);
    assertThat(error.get("type").asText()).isEqualTo("json_invalid");
    assertThat(error.get("loc")).isEqualTo(json("[\"body\", 9]"));
    assertThat(error.get("msg").asText()).isEqualTo("JSON decode error");
    assertThat(error.get("input")).isEqualTo(json("{}"));
    assertThat(error.get("ctx").get("error").asText()).isNotBlank();
  }

  @ParameterizedTest
  @MethodSource("endpoints")
  void trailingDataAfterTheObjectIsMalformedJson(String endpoint) {
    JsonNode error = single(node.post(endpoint, "{\"data\": \"x\"} x"));

    assertThat(error.get("type").asText()).isEqualTo("json_invalid");
    assertThat(error.get("loc")).isEqualTo(json("[\"body\", 14]"));
  }

  @ParameterizedTest
  @MethodSource("endpoints")
  void bodyThatIsNotAnObjectIsRejectedWithItsValue(String endpoint) {
    assertErrors(
        node.post(endpoint, "[1, 2]"),
        "{\"type\":\"model_attributes_type\",\"loc\":[\"body\"],"
            + "\"msg\":\"Input should be a valid dictionary or object to extract fields from\","
            + "\"input\":[1,2]}");
  }

  @ParameterizedTest
  @MethodSource("endpoints")
  void jsonMediaTypesWithOrWithoutAUtf8CharsetAreRead(String endpoint) {
    for (String type :
        List.of(
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON;charset=\"UTF-8\"",
            "application/vnd.example+json")) {
      ServerFixture.Response r = node.post(endpoint, withPriority(endpoint, "3"), type);
      assertThat(r.status()).as(type + ": " + r.body()).isBetween(200, 202);
    }
  }

  /**
   * A body must come as JSON: any other Content-Type (or none) is refused with 415 before the
   * route reads it. That is what keeps an HTML form on another site from submitting tasks:
   * browsers send JSON cross-site only after asking, and the server answers no.
   */
  @ParameterizedTest
  @MethodSource("endpoints")
  void aBodyNotSentAsJsonIs415AndQueuesNothing(String endpoint) {
    String body = withPriority(endpoint, "3");
    long before = node.worker.list(dev.tasklane.TaskQuery.all()).tasks().size();
    for (String type :
        java.util.Arrays.asList("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", null)) {
      ServerFixture.Response r = node.post(endpoint, body, type);
      assertThat(r.status()).as(String.valueOf(type)).isEqualTo(415);
      assertThat(r.json().get("detail").asText()).contains("application/json");
    }
    assertThat(node.worker.list(dev.tasklane.TaskQuery.all()).tasks()).hasSize((int) before);
  }

  @ParameterizedTest
  @MethodSource("endpoints")
  void aCharsetNoDecoderKnowsIs415InFastApisShape(String endpoint) {
    for (String type :
        List.of(
            "application/json; charset=foo",
            "application/json; charset=\u00ff",
            "application/json; charset=",
            "application/json; charset=\"\"")) {
      ServerFixture.Response r = node.postRaw(endpoint, withPriority(endpoint, "3"), type);
      assertThat(r.status()).as(type).isEqualTo(415);
      assertThat(r.json().get("detail").asText()).contains("charset").contains("UTF-8");
    }
  }

  @ParameterizedTest
  @MethodSource("endpoints")
  void aBodyInTheCharsetItNamesIsRead(String endpoint) {
    byte[] latin1 =
        withPriority(endpoint, "3").replace("\"x\"", "\"caf\u00e9\"").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    ServerFixture.Response r = node.postBytes(endpoint, latin1, "application/json; charset=ISO-8859-1");
    assertThat(r.status()).as(r.body()).isBetween(200, 202);
  }

  @ParameterizedTest
  @MethodSource("endpoints")
  void bytesThatAreNotUtf8AreMalformedJson(String endpoint) {
    byte[] body = {'{', '"', 'd', 'a', 't', 'a', '"', ':', '"', (byte) 0xff, '"', '}'};
    JsonNode error = single(node.postBytes(endpoint, body, "application/json"));
    assertThat(error.get("type").asText()).isEqualTo("json_invalid");
    assertThat(error.get("ctx").get("error").asText()).contains("UTF-8");
  }

  @ParameterizedTest
  @MethodSource("endpoints")
  void unknownFieldsAreIgnored(String endpoint) {
    String body = withPriority(endpoint, "3").replace("{", "{\"colour\": \"blue\", ");

    assertThat(node.post(endpoint, body).status()).isBetween(200, 202);
  }

  // ---------------------------------------------------------------- integer fields

  static Stream<Arguments> nonIntegerPriorities() {
    return endpoints().flatMap(e -> Stream.of("null", "{}", "[1]", "\"\"").filter(v -> !v.equals("\"\"")).map(v -> Arguments.of(e, v)));
  }

  @ParameterizedTest
  @MethodSource("nonIntegerPriorities")
  void priorityOfTheWrongJsonTypeIsIntType(String endpoint, String value) {
    assertErrors(
        node.post(endpoint, withPriority(endpoint, value)),
        "{\"type\":\"int_type\",\"loc\":[\"body\",\"priority\"],"
            + "\"msg\":\"Input should be a valid integer\",\"input\":" + value + "}");
  }

  /** pydantic's lax mode reads a JSON boolean as an integer: true is 1, false is 0. */
  @ParameterizedTest
  @MethodSource("endpoints")
  void aBooleanPriorityIsReadAsOneOrZero(String endpoint) {
    for (String value : List.of("true", "false")) {
      ServerFixture.Response r = node.post(endpoint, withPriority(endpoint, value));
      assertThat(r.status()).as(r.body()).isBetween(200, 202);
      String id = r.json().has("task_id") ? r.json().get("task_id").asText() : r.json().get("id").asText();
      assertThat(node.worker.get(new dev.tasklane.TaskId(java.util.UUID.fromString(id))).orElseThrow().priority())
          .isEqualTo(value.equals("true") ? 1 : 0);
    }
  }

  @ParameterizedTest
  @MethodSource("endpoints")
  void priorityThatIsNotANumberIsIntParsing(String endpoint) {
    assertErrors(
        node.post(endpoint, withPriority(endpoint, "\"high\"")),
        "{\"type\":\"int_parsing\",\"loc\":[\"body\",\"priority\"],"
            + "\"msg\":\"Input should be a valid integer, unable to parse string as an integer\","
            + "\"input\":\"high\"}");
  }

  @ParameterizedTest
  @MethodSource("endpoints")
  void priorityWithAFractionIsIntFromFloat(String endpoint) {
    assertErrors(
        node.post(endpoint, withPriority(endpoint, "5.5")),
        "{\"type\":\"int_from_float\",\"loc\":[\"body\",\"priority\"],"
            + "\"msg\":\"Input should be a valid integer, got a number with a fractional part\","
            + "\"input\":5.5}");
  }

  static Stream<Arguments> laxIntegers() {
    return endpoints().flatMap(e -> Stream.of("\"5\"", "5.0", "\" 5 \"").map(v -> Arguments.of(e, v)));
  }

  @ParameterizedTest
  @MethodSource("laxIntegers")
  void priorityAsNumericStringOrWholeFloatIsAcceptedAsPydanticLaxModeDoes(String endpoint, String value) {
    ServerFixture.Response r = node.post(endpoint, withPriority(endpoint, value));

    assertThat(r.status()).as(r.body()).isBetween(200, 202);
    String id = endpoint.equals(SEED) ? r.json().get("task_id").asText() : r.json().get("id").asText();
    assertThat(node.task(id).get("priority").asInt()).isEqualTo(5);
  }

  @ParameterizedTest
  @MethodSource("endpoints")
  void priorityAboveTheMaximumIsLessThanEqual(String endpoint) {
    assertErrors(
        node.post(endpoint, withPriority(endpoint, "1001")),
        "{\"type\":\"less_than_equal\",\"loc\":[\"body\",\"priority\"],"
            + "\"msg\":\"Input should be less than or equal to 1000\",\"input\":1001,"
            + "\"ctx\":{\"le\":1000}}");
  }

  @ParameterizedTest
  @MethodSource("endpoints")
  void priorityBelowTheMinimumIsGreaterThanEqual(String endpoint) {
    assertErrors(
        node.post(endpoint, withPriority(endpoint, "-1001")),
        "{\"type\":\"greater_than_equal\",\"loc\":[\"body\",\"priority\"],"
            + "\"msg\":\"Input should be greater than or equal to -1000\",\"input\":-1001,"
            + "\"ctx\":{\"ge\":-1000}}");
  }

  @ParameterizedTest
  @MethodSource("endpoints")
  void hugeIntegerIsARangeErrorNotAServerError(String endpoint) {
    JsonNode error = single(node.post(endpoint, withPriority(endpoint, "1" + "0".repeat(40))));

    assertThat(error.get("type").asText()).isEqualTo("less_than_equal");
  }

  // ---------------------------------------------------------------- the seed's model

  @Test
  void seedBodyWithoutDataIsMissingWithTheWholeBodyAsInput() {
    assertErrors(
        node.post(SEED, "{\"priority\": 2}"),
        "{\"type\":\"missing\",\"loc\":[\"body\",\"data\"],\"msg\":\"Field required\","
            + "\"input\":{\"priority\":2}}");
  }

  @Test
  void seedDataThatIsNotAStringIsStringType() {
    assertErrors(
        node.post(SEED, "{\"data\": 123}"),
        "{\"type\":\"string_type\",\"loc\":[\"body\",\"data\"],"
            + "\"msg\":\"Input should be a valid string\",\"input\":123}");
  }

  @Test
  void seedBodyReportsEveryInvalidFieldAtOnce() {
    assertErrors(
        node.post(SEED, "{\"data\": null, \"priority\": \"x\"}"),
        "{\"type\":\"string_type\",\"loc\":[\"body\",\"data\"],"
            + "\"msg\":\"Input should be a valid string\",\"input\":null}",
        "{\"type\":\"int_parsing\",\"loc\":[\"body\",\"priority\"],"
            + "\"msg\":\"Input should be a valid integer, unable to parse string as an integer\","
            + "\"input\":\"x\"}");
  }

  // ---------------------------------------------------------------- the task API's model

  @Test
  void submissionWithoutTypeIsMissing() {
    assertErrors(
        node.post(API, "{}"),
        "{\"type\":\"missing\",\"loc\":[\"body\",\"type\"],\"msg\":\"Field required\",\"input\":{}}");
  }

  @Test
  void unknownTaskTypeIsALiteralErrorListingTheRegisteredTypes() {
    assertErrors(
        node.post(API, "{\"type\": \"send_email\"}"),
        "{\"type\":\"literal_error\",\"loc\":[\"body\",\"type\"],\"msg\":\"Input should be "
            + TYPES
            + "\",\"input\":\"send_email\",\"ctx\":{\"expected\":\""
            + TYPES
            + "\"}}");
  }

  @Test
  void queueThatBreaksTheNamePatternIsAPatternMismatch() {
    String pattern = "^[A-Za-z0-9_.:-]{1,128}$";
    assertErrors(
        node.post(API, "{\"type\": \"noop\", \"queue\": \"no spaces\"}"),
        "{\"type\":\"string_pattern_mismatch\",\"loc\":[\"body\",\"queue\"],"
            + "\"msg\":\"String should match pattern '" + pattern + "'\",\"input\":\"no spaces\","
            + "\"ctx\":{\"pattern\":\"" + pattern + "\"}}");
  }

  @Test
  void queueThatIsNotAStringIsStringType() {
    JsonNode error = single(node.post(API, "{\"type\": \"noop\", \"queue\": 7}"));

    assertThat(error.get("type").asText()).isEqualTo("string_type");
    assertThat(error.get("loc")).isEqualTo(json("[\"body\",\"queue\"]"));
  }

  @Test
  void emptyIdempotencyKeyIsStringTooShort() {
    assertErrors(
        node.post(API, "{\"type\": \"noop\", \"idempotency_key\": \"\"}"),
        "{\"type\":\"string_too_short\",\"loc\":[\"body\",\"idempotency_key\"],"
            + "\"msg\":\"String should have at least 1 character\",\"input\":\"\","
            + "\"ctx\":{\"min_length\":1}}");
  }

  @Test
  void idempotencyKeyOver255CharactersIsStringTooLong() {
    String key = "k".repeat(256);
    assertErrors(
        node.post(API, "{\"type\": \"noop\", \"idempotency_key\": \"" + key + "\"}"),
        "{\"type\":\"string_too_long\",\"loc\":[\"body\",\"idempotency_key\"],"
            + "\"msg\":\"String should have at most 255 characters\",\"input\":\"" + key + "\","
            + "\"ctx\":{\"max_length\":255}}");
  }

  @Test
  void runAtThatIsNotADateTimeIsDatetimeParsing() {
    JsonNode error = single(node.post(API, "{\"type\": \"noop\", \"run_at\": \"tomorrow\"}"));

    assertThat(error.get("type").asText()).isEqualTo("datetime_parsing");
    assertThat(error.get("loc")).isEqualTo(json("[\"body\",\"run_at\"]"));
    assertThat(error.get("msg").asText()).isEqualTo("Input should be a valid datetime");
    assertThat(error.get("input").asText()).isEqualTo("tomorrow");
  }

  @Test
  void runAtOfTheWrongJsonTypeIsDatetimeType() {
    JsonNode error = single(node.post(API, "{\"type\": \"noop\", \"run_at\": true}"));

    assertThat(error.get("type").asText()).isEqualTo("datetime_type");
  }

  @Test
  void delayThatIsNotANumberIsFloatParsingOrFloatType() {
    assertErrors(
        node.post(API, "{\"type\": \"noop\", \"delay\": \"soon\"}"),
        "{\"type\":\"float_parsing\",\"loc\":[\"body\",\"delay\"],"
            + "\"msg\":\"Input should be a valid number, unable to parse string as a number\","
            + "\"input\":\"soon\"}");
    assertErrors(
        node.post(API, "{\"type\": \"noop\", \"delay\": [5]}"),
        "{\"type\":\"float_type\",\"loc\":[\"body\",\"delay\"],"
            + "\"msg\":\"Input should be a valid number\",\"input\":[5]}");
  }

  @Test
  void negativeDelayIsGreaterThanEqualZero() {
    assertErrors(
        node.post(API, "{\"type\": \"noop\", \"delay\": -1}"),
        "{\"type\":\"greater_than_equal\",\"loc\":[\"body\",\"delay\"],"
            + "\"msg\":\"Input should be greater than or equal to 0\",\"input\":-1,"
            + "\"ctx\":{\"ge\":0}}");
  }

  @Test
  void zeroTimeoutIsGreaterThanZero() {
    assertErrors(
        node.post(API, "{\"type\": \"noop\", \"timeout\": 0}"),
        "{\"type\":\"greater_than\",\"loc\":[\"body\",\"timeout\"],"
            + "\"msg\":\"Input should be greater than 0\",\"input\":0,\"ctx\":{\"gt\":0}}");
  }

  @Test
  void timeoutOverSevenDaysIsLessThanEqual() {
    assertErrors(
        node.post(API, "{\"type\": \"noop\", \"timeout\": 604801}"),
        "{\"type\":\"less_than_equal\",\"loc\":[\"body\",\"timeout\"],"
            + "\"msg\":\"Input should be less than or equal to 604800\",\"input\":604801,"
            + "\"ctx\":{\"le\":604800}}");
  }

  @Test
  void maxAttemptsOutside1To100IsARangeError() {
    assertThat(single(node.post(API, "{\"type\": \"noop\", \"max_attempts\": 0}")).get("ctx"))
        .isEqualTo(json("{\"ge\":1}"));
    assertThat(single(node.post(API, "{\"type\": \"noop\", \"max_attempts\": 101}")).get("ctx"))
        .isEqualTo(json("{\"le\":100}"));
  }

  @Test
  void runAtTogetherWithDelayIsAValueErrorOnTheBody() {
    JsonNode error =
        single(
            node.post(
                API, "{\"type\": \"noop\", \"run_at\": \"2030-01-01T00:00:00Z\", \"delay\": 5}"));

    assertThat(error.get("type").asText()).isEqualTo("value_error");
    assertThat(error.get("loc")).isEqualTo(json("[\"body\"]"));
    assertThat(error.get("msg").asText()).isEqualTo("Value error, give run_at or delay, not both");
  }

  /** A short number with a huge exponent is compared by size, never expanded into its digits. */
  @Test
  void numbersWithHugeExponentsAreAnsweredAtOnce() {
    assertThat(node.post(API, "{\"type\": \"noop\", \"delay\": 1e-1764226625}").status()).isEqualTo(202);
    assertThat(node.post(API, "{\"type\": \"noop\", \"timeout\": 1e-999999999}").status()).isEqualTo(202);
    assertThat(node.post(API, "{\"type\": \"noop\", \"run_at\": 1e-999999999}").status()).isEqualTo(202);
    for (String body :
        List.of(
            "{\"type\": \"noop\", \"delay\": 1e999999999}",
            "{\"type\": \"noop\", \"run_at\": 1e999999999}",
            "{\"type\": \"noop\", \"run_at\": -1e999999999}",
            "{\"type\": \"noop\", \"priority\": 1e999999999}",
            "{\"type\": \"noop\", \"max_attempts\": -1e999999999}")) {
      ServerFixture.Response r = node.post(API, body);
      assertThat(r.status()).as(body + ": " + r.body()).isEqualTo(422);
    }
  }

  @Test
  void submissionReportsEveryInvalidFieldAtOnceInModelOrder() {
    ServerFixture.Response r =
        node.post(
            API,
            "{\"type\": \"nope\", \"priority\": [], \"queue\": \"a b\", \"delay\": \"x\","
                + " \"max_attempts\": 0, \"timeout\": -1, \"idempotency_key\": \"\"}");

    assertThat(r.status()).isEqualTo(422);
    assertThat(r.detail().findValuesAsText("type"))
        .containsExactly(
            "literal_error",
            "int_type",
            "string_pattern_mismatch",
            "float_parsing",
            "greater_than_equal",
            "greater_than",
            "string_too_short");
  }

  // ---------------------------------------------------------------- query and path

  @Test
  void listWithUnknownStateIsALiteralErrorOnTheQuery() {
    String states = "'scheduled', 'queued', 'running', 'succeeded', 'failed' or 'cancelled'";
    assertErrors(
        node.get("/api/v1/tasks?state=done"),
        "{\"type\":\"literal_error\",\"loc\":[\"query\",\"state\"],\"msg\":\"Input should be "
            + states
            + "\",\"input\":\"done\",\"ctx\":{\"expected\":\""
            + states
            + "\"}}");
  }

  @Test
  void listReportsEveryBadQueryParameterAtOnce() {
    ServerFixture.Response r = node.get("/api/v1/tasks?limit=lots&cursor=nope");

    assertThat(r.status()).isEqualTo(422);
    assertThat(r.detail().get(0).get("type").asText()).isEqualTo("int_parsing");
    assertThat(r.detail().get(0).get("loc")).isEqualTo(json("[\"query\",\"limit\"]"));
    assertThat(r.detail().get(1).get("type").asText()).isEqualTo("uuid_parsing");
    assertThat(r.detail().get(1).get("loc")).isEqualTo(json("[\"query\",\"cursor\"]"));
  }

  @Test
  void listLimitOutside1To500IsARangeError() {
    assertThat(single(node.get("/api/v1/tasks?limit=0")).get("type").asText())
        .isEqualTo("greater_than_equal");
    assertThat(single(node.get("/api/v1/tasks?limit=501")).get("type").asText())
        .isEqualTo("less_than_equal");
  }

  @Test
  void malformedTaskIdInThePathIsUuidParsing() {
    assertErrors(
        node.get("/api/v1/tasks/not-a-uuid"),
        "{\"type\":\"uuid_parsing\",\"loc\":[\"path\",\"task_id\"],"
            + "\"msg\":\"Input should be a valid UUID, invalid character: expected an optional"
            + " prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1\","
            + "\"input\":\"not-a-uuid\",\"ctx\":{\"error\":\"invalid character: expected an"
            + " optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1\"}}");
  }

  @Test
  void truncatedTaskIdInCancelAndRetryPathsIsUuidParsing() {
    for (String action : new String[] {"cancel", "retry"}) {
      JsonNode error = single(node.post("/api/v1/tasks/0190a1b2-c3d4/" + action, ""));

      assertThat(error.get("type").asText()).isEqualTo("uuid_parsing");
      assertThat(error.get("loc")).isEqualTo(json("[\"path\",\"task_id\"]"));
      assertThat(error.get("msg").asText())
          .isEqualTo("Input should be a valid UUID, invalid group count: expected 5, found 2");
    }
  }

  // ---------------------------------------------------------------- helpers

  private static void assertErrors(ServerFixture.Response r, String... expected) {
    assertThat(r.status()).as(r.body()).isEqualTo(422);
    assertThat(r.header("Content-Type")).startsWith("application/json");
    JsonNode want = json("[" + String.join(",", expected) + "]");
    assertThat(r.detail()).isEqualTo(want);
  }

  private static JsonNode single(ServerFixture.Response r) {
    assertThat(r.status()).as(r.body()).isEqualTo(422);
    assertThat(r.detail()).hasSize(1);
    return r.detail().get(0);
  }

  private static JsonNode json(String text) {
    try {
      return ServerFixture.JSON.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(text, e);
    }
  }
}
