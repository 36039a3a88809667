package dev.tasklane.server;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * Bad requests of every kind a client or an attacker sends, made from a seed so that a failure can
 * be replayed: malformed and truncated JSON, charsets no decoder knows, bodies shorter than their
 * Content-Length, broken chunking, deep nesting, huge numbers and strings, unpaired surrogates and
 * control characters, unknown paths, methods and query values, and now and then a valid request.
 */
final class HttpFuzz {
  /** One request: what kind it is (for the report) and its bytes; half-close after sending. */
  record Case(String kind, byte[] bytes, boolean halfClose) {}

  private static final List<String> SUBMIT_PATHS =
      List.of("/api/v1/tasks", "/submit-task", "/debug-task", "/api/v1/queues/default");
  private static final List<String> GET_PATHS =
      List.of(
          "/api/v1/tasks", "/api/v1/queues", "/api/v1/nodes", "/health", "/metrics", "/openapi.json",
          "/docs", "/", "/api/v1/stats/timeline", "/api/v1/events", "/ui/app.js");
  private static final List<String> TYPES =
      List.of("noop", "echo", "sleep", "fail", "process_task", "debug_task", "nope", "");
  private static final List<String> CONTENT_TYPES =
      List.of(
          "application/json", "application/json; charset=utf-8", "application/json; charset=foo",
          "application/json; charset=\u00ff", "application/json; charset=", "text/plain",
          "application/x-www-form-urlencoded", "multipart/form-data; boundary=--x",
          "application/json; charset=utf-16", "application/vnd.x+json", "application/json;;;",
          "\u00ff\u00fe", "application/json; charset=\"utf-8", "*/*");

  private static final String ODD_CHARACTERS = "{}[]\",:\\ \u0000\u00ff\ud800tfn-.eE0";

  private final Random random;

  HttpFuzz(long seed) {
    this.random = new Random(seed);
  }

  Case next() {
    return switch (random.nextInt(14)) {
      case 0 -> post("malformed-json", mutate(validBody()), contentType());
      case 1 -> post("bad-charset", validBody(), pick(CONTENT_TYPES));
      case 2 -> truncated();
      case 3 -> badChunks();
      case 4 -> post("deep-nesting", nesting(), "application/json");
      case 5 -> post("huge-number", hugeNumber(), "application/json");
      case 6 -> post("huge-string", hugeString(), "application/json");
      case 7 -> post("odd-text", oddText(), "application/json");
      case 8 -> badPath();
      case 9 -> badMethod();
      case 10 -> badQuery();
      case 11 -> taskAction();
      case 12 -> junkHead();
      default -> post("valid", validBody(), "application/json");
    };
  }

  // ---------------------------------------------------------------- bodies

  private String validBody() {
    return switch (random.nextInt(4)) {
      case 0 -> "{\"data\": \"fuzz-" + random.nextInt(1000) + "\", \"priority\": " + (random.nextInt(7) - 3) + "}";
      case 1 -> "{\"type\": \"" + pick(TYPES) + "\", \"payload\": {\"seconds\": 0, \"n\": " + random.nextInt() + "}}";
      case 2 -> "{\"limit\": " + (random.nextInt(5) - 1) + ", \"paused\": " + random.nextBoolean() + "}";
      default ->
          "{\"type\": \"noop\", \"queue\": \"q" + random.nextInt(3) + "\", \"delay\": " + random.nextInt(100)
              + ", \"idempotency_key\": \"k" + random.nextInt(50) + "\"}";
    };
  }

  private String mutate(String body) {
    StringBuilder b = new StringBuilder(body);
    int edits = 1 + random.nextInt(4);
    for (int i = 0; i < edits && b.length() > 0; i++) {
      int at = random.nextInt(b.length());
      switch (random.nextInt(4)) {
        case 0 -> b.deleteCharAt(at);
        case 1 -> b.insert(at, ODD_CHARACTERS.charAt(random.nextInt(ODD_CHARACTERS.length())));
        case 2 -> b.setLength(at);
        default -> b.insert(at, b.substring(0, Math.min(b.length(), random.nextInt(20))));
      }
    }
    return b.toString();
  }

  private String nesting() {
    int depth = List.of(99, 100, 101, 500, 998, 999, 1000, 1001, 5000, 100_000).get(random.nextInt(10));
    boolean arrays = random.nextBoolean();
    String inner = arrays ? "[".repeat(depth) + "]".repeat(depth) : "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
    return random.nextBoolean()
        ? "{\"type\": \"echo\", \"payload\": " + inner + "}"
        : "{\"data\": " + inner + ", \"priority\": " + inner + "}";
  }

  private String hugeNumber() {
    String n =
        switch (random.nextInt(6)) {
          case 0 -> "9".repeat(1 + random.nextInt(5000));
          case 1 -> "1e" + (random.nextBoolean() ? "" : "-") + random.nextInt(Integer.MAX_VALUE);
          case 2 -> "0." + "0".repeat(random.nextInt(3000)) + "1";
          case 3 -> "-" + "1".repeat(random.nextInt(2000)) + ".5e-99999999";
          case 4 -> String.valueOf(random.nextLong());
          default -> "1" + "0".repeat(random.nextInt(400)) + "e400";
        };
    return switch (random.nextInt(7)) {
      case 6 -> "{\"type\": \"noop\", \"run_at\": " + n + "}";
      case 0 -> "{\"data\": \"x\", \"priority\": " + n + "}";
      case 1 -> "{\"type\": \"sleep\", \"payload\": {\"seconds\": " + n + "}}";
      case 2 -> "{\"type\": \"noop\", \"delay\": " + n + "}";
      case 3 -> "{\"type\": \"noop\", \"timeout\": " + n + ", \"max_attempts\": " + n + "}";
      case 4 -> "{\"limit\": " + n + "}";
      default -> "{\"type\": \"echo\", \"payload\": [" + n + ", " + n + "]}";
    };
  }

  private String hugeString() {
    int length = List.of(1, 255, 256, 10_000, 1_048_000, 1_048_576, 1_100_000).get(random.nextInt(7));
    String s = "x".repeat(length);
    return switch (random.nextInt(4)) {
      case 0 -> "{\"data\": \"" + s + "\"}";
      case 1 -> "{\"type\": \"noop\", \"idempotency_key\": \"" + s + "\"}";
      case 2 -> "{\"type\": \"noop\", \"queue\": \"" + s + "\"}";
      default -> "{\"type\": \"" + s + "\"}";
    };
  }

  private String oddText() {
    String[] odd = {"\\u0000", "\\ud800", "\\udc00x", "\\n", "\\r\\nProcessed: FORGED", "\\u001b[31m", "\u0000", "\u2028", "\\uffff", "\\"};
    String v = "a" + odd[random.nextInt(odd.length)] + "b";
    return switch (random.nextInt(5)) {
      case 0 -> "{\"data\": \"" + v + "\"}";
      case 1 -> "{\"type\": \"noop\", \"idempotency_key\": \"" + v + "\"}";
      case 2 -> "{\"type\": \"echo\", \"payload\": {\"" + v + "\": \"" + v + "\"}}";
      case 3 -> "{\"type\": \"noop\", \"run_at\": \"" + v + "\"}";
      default -> "{\"type\": \"" + v + "\"}";
    };
  }

  private String contentType() {
    return random.nextInt(4) == 0 ? pick(CONTENT_TYPES) : "application/json";
  }

  // ---------------------------------------------------------------- whole requests

  private Case post(String kind, String body, String contentType) {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String method = random.nextInt(8) == 0 ? "PATCH" : "POST";
    return new Case(
        kind,
        RawHttp.request(
            method,
            pick(SUBMIT_PATHS),
            "Content-Type: " + contentType + "\r\nContent-Length: " + bytes.length,
            bytes),
        false);
  }

  private Case truncated() {
    byte[] body = validBody().getBytes(StandardCharsets.UTF_8);
    int sent = random.nextInt(body.length);
    byte[] part = java.util.Arrays.copyOf(body, sent);
    int announced = body.length + random.nextInt(1000);
    return new Case(
        "truncated-body",
        RawHttp.request(
            "POST",
            pick(SUBMIT_PATHS),
            "Content-Type: application/json\r\nContent-Length: " + announced,
            part),
        true);
  }

  private Case badChunks() {
    byte[] body = validBody().getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    String size =
        switch (random.nextInt(6)) {
          case 0 -> "zz";
          case 1 -> "-1";
          case 2 -> "FFFFFFFFFFFFFFFFFFFF";
          case 3 -> Integer.toHexString(body.length + 50);
          case 4 -> Integer.toHexString(body.length) + ";ext=\"unterminated";
          default -> "";
        };
    out.writeBytes((size + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
    out.writeBytes(body);
    if (random.nextBoolean()) {
      out.writeBytes("\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
    return new Case(
        "bad-chunks",
        RawHttp.request(
            "POST",
            pick(SUBMIT_PATHS),
            "Content-Type: application/json\r\nTransfer-Encoding: chunked",
            out.toByteArray()),
        true);
  }

  private Case badPath() {
    String path =
        switch (random.nextInt(10)) {
          case 0 -> "/api/v1/tasks/" + "x".repeat(random.nextInt(300));
          case 1 -> "/api/v1/tasks/%00";
          case 2 -> "/api/v1/../../etc/passwd";
          case 3 -> "/ui/..%2f..%2fpom.xml";
          case 4 -> "/api/v1/queues/" + "%ff%fe";
          case 5 -> "/" + "a/".repeat(random.nextInt(2000));
          case 6 -> "/api/v1/tasks/" + UUID.randomUUID() + "/" + "explain/x";
          case 7 -> "/api/v1/queues/%0aProcessed:%20FORGED/pause";
          case 8 -> "//api//v1//tasks";
          default -> "/api/v1/tasks/%zz";
        };
    String method = random.nextBoolean() ? "GET" : "POST";
    return new Case("bad-path", RawHttp.request(method, path, "Content-Length: 0", new byte[0]), false);
  }

  private Case badMethod() {
    String method = List.of("PUT", "DELETE", "TRACE", "OPTIONS", "HEAD", "CONNECT", "get", "FOO", "PATCH").get(random.nextInt(9));
    String path = random.nextBoolean() ? pick(SUBMIT_PATHS) : pick(GET_PATHS);
    if (path.equals("/api/v1/events")) {
      path = "/api/v1/tasks"; // a stream never ends: not for a fuzz that waits for answers
    }
    return new Case("bad-method", RawHttp.request(method, path, "Content-Length: 0", new byte[0]), false);
  }

  private Case badQuery() {
    String[] values = {"", "-1", "0", "1", "999999999999", "abc", "%00", "%ff", UUID.randomUUID().toString(), "running", "1e9", "x".repeat(5000)};
    String[] names = {"state", "queue", "type", "limit", "cursor", "idempotency_key"};
    StringBuilder q = new StringBuilder("/api/v1/tasks?");
    for (int i = 0; i < 1 + random.nextInt(4); i++) {
      q.append(names[random.nextInt(names.length)]).append('=').append(values[random.nextInt(values.length)]).append('&');
    }
    String accept = random.nextBoolean() ? "Accept: application/json" : "Accept: */*";
    String path = random.nextInt(6) == 0 ? "/api/v1/events" : q.toString();
    return new Case("bad-query", RawHttp.request("GET", path, accept, new byte[0]), false);
  }

  private Case taskAction() {
    String id = random.nextBoolean() ? UUID.randomUUID().toString() : pick(List.of("x", "00000000-0000-0000-0000-000000000000", "1-2-3-4-5", "%20"));
    String action = pick(List.of("cancel", "retry", "run-now", "explain", ""));
    String method = action.equals("explain") || action.isEmpty() ? "GET" : "POST";
    return new Case(
        "task-action",
        RawHttp.request(method, "/api/v1/tasks/" + id + (action.isEmpty() ? "" : "/" + action), "Content-Length: 0", new byte[0]),
        false);
  }

  private Case junkHead() {
    String[] heads = {
      "Content-Length: -5", "Content-Length: abc", "Content-Length: 1, 2", "Content-Length: 99999999999999",
      "Transfer-Encoding: gzip", "Transfer-Encoding: chunked\r\nContent-Length: 5", "X-" + "a".repeat(20_000) + ": b",
      "Host: " + "h".repeat(300), "Expect: 100-continue", "Content-Type: application/json\r\nContent-Type: text/plain",
    };
    byte[] body = validBody().getBytes(StandardCharsets.UTF_8);
    return new Case("junk-head", RawHttp.request("POST", pick(SUBMIT_PATHS), heads[random.nextInt(heads.length)], body), true);
  }

  private <T> T pick(List<T> from) {
    return from.get(random.nextInt(from.size()));
  }
}
