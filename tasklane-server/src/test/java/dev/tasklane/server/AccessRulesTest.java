package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.server.access.Role;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a browser, a stranger on the network and each role meet at the door: the open loopback
 * server and how it closes, DNS rebinding, cross-site requests, CORS, the security headers, the
 * dashboard's session with its CSRF token, passwords, brute force, the audit log, and what each
 * role may see. Real HTTP against a real SQLite store.
 */
class AccessRulesTest {
  @TempDir Path dir;
  private ServerFixture node;

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private ServerFixture.Response request(HttpRequest.Builder b) {
    return node.send(b.build());
  }

  private HttpRequest.Builder to(String path) {
    return HttpRequest.newBuilder(node.uri(path));
  }

  // ---------------------------------------------------------------- open until configured

  @Test
  void anOpenLoopbackServerClosesOnceTheFirstTokenExists() {
    node = ServerFixture.start(dir);
    assertThat(node.get("/api/v1/tasks").status()).as("open: nothing configured").isEqualTo(200);

    String admin = node.token("admin", Role.ADMIN);

    ServerFixture.Response anonymous = node.get("/api/v1/tasks");
    assertThat(anonymous.status()).isEqualTo(401);
    assertThat(anonymous.header("WWW-Authenticate")).isEqualTo("Bearer");
    assertThat(anonymous.json().get("detail").asText()).isEqualTo("Not authenticated");
    assertThat(node.send("GET", "/api/v1/tasks", admin, null).status()).isEqualTo(200);
    assertThat(node.send("GET", "/api/v1/tasks", "tlk_not-a-token", null).status()).isEqualTo(401);
    assertThat(node.get("/health").status()).as("health stays public for load balancers").isEqualTo(200);
  }

  @Test
  void revokingTheLastTokenDoesNotOpenTheServerAgain() {
    node = ServerFixture.start(dir);
    String admin = node.token("admin", Role.ADMIN);
    assertThat(node.send("DELETE", "/api/v1/tokens/admin", admin, null).status()).isEqualTo(200);
    assertThat(node.get("/api/v1/tasks").status()).isEqualTo(401);
  }

  @Test
  void aLoopbackServerServingAnotherHostNameBehindAProxyIsNeverOpen() {
    node = ServerFixture.start(dir, c -> c.withAccess(c.access().withAllowedHosts(List.of("tasks.example.com"))));
    assertThat(node.server.access().open()).isFalse();
  }

  @Test
  void openOnTheNetworkTheHostMustStillNameTheServer() throws Exception {
    node =
        ServerFixture.start(
            dir, c -> c.withBindAddress("0.0.0.0").withAccess(c.access().withOpenOnNetwork(true)));
    int port = node.server.port();
    assertThat(raw(port, "GET", "/api/v1/queues", "attacker.example:" + port).status()).isEqualTo(400);
    assertThat(raw(port, "GET", "/api/v1/queues", "127.0.0.1:" + port).status()).isEqualTo(200);
    assertThat(raw(port, "GET", "/api/v1/queues", "0.0.0.0:" + port).status()).isEqualTo(200);
  }

  @Test
  void anEventStreamEndsOnceItsTokenIsRevoked() throws Exception {
    node = ServerFixture.start(dir);
    String admin = node.token("admin", Role.ADMIN);
    String reader = node.token("dash", Role.READER);
    try (java.net.Socket s = new java.net.Socket("127.0.0.1", node.server.port())) {
      s.setSoTimeout(20_000);
      s.getOutputStream()
          .write(
              ("GET /api/v1/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
                      + "Authorization: Bearer " + reader + "\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1));
      java.io.InputStream in = s.getInputStream();
      StringBuilder seen = new StringBuilder();
      while (!seen.toString().contains("event: overview")) {
        seen.append((char) in.read());
      }
      assertThat(seen.toString()).startsWith("HTTP/1.1 200");

      assertThat(node.send("DELETE", "/api/v1/tokens/dash", admin, null).status()).isEqualTo(200);

      // The stream goes on being written until the next push asks again, then ends.
      byte[] buffer = new byte[8192];
      while (in.read(buffer) >= 0) {
        // drain until the server closes the stream
      }
    }
  }

  @Test
  void anIdempotencyKeyOfAnotherSubmitterReplaysNothing() {
    node = ServerFixture.start(dir);
    String a = node.token("a", Role.SUBMITTER);
    String b = node.token("b", Role.SUBMITTER);
    assertThat(node.send("POST", "/api/v1/tasks", a, "{\"type\": \"echo\", \"payload\": \"secret\", \"idempotency_key\": \"order-1\"}").status())
        .isEqualTo(202);
    ServerFixture.Response replay =
        node.send("POST", "/api/v1/tasks", b, "{\"type\": \"echo\", \"idempotency_key\": \"order-1\"}");
    assertThat(replay.status()).isEqualTo(409);
    assertThat(replay.body()).doesNotContain("secret");
  }

  @Test
  void aServerOnTheNetworkWithNoCredentialRefusesToStart() {
    IllegalStateException refused =
        org.junit.jupiter.api.Assertions.assertThrows(
            IllegalStateException.class,
            () -> ServerFixture.start(dir, c -> c.withBindAddress("0.0.0.0")));
    assertThat(refused.getMessage())
        .contains("without authentication")
        .contains("tasklane token create")
        .contains("--insecure-open-on-network");
  }

  // ---------------------------------------------------------------- DNS rebinding

  @Test
  void aForeignHostHeaderIsRefusedSoDnsRebindingReachesNothing() throws Exception {
    node = ServerFixture.start(dir);
    int port = node.server.port();
    for (String method : List.of("GET", "POST")) {
      RawHttp.Answer foreign = raw(port, method, "/api/v1/queues/default/pause", "attacker.example:" + port);
      assertThat(foreign.status()).as(method).isEqualTo(400);
      assertThat(foreign.json().get("detail").asText()).contains("attacker.example").contains("--allowed-host");
    }
    assertThat(node.get("/api/v1/queues").json().get("queues").toString()).doesNotContain("\"paused\":true");
    assertThat(raw(port, "GET", "/api/v1/queues", "localhost:" + port).status()).isEqualTo(200);
    assertThat(raw(port, "GET", "/api/v1/queues", "127.0.0.1:" + port).status()).isEqualTo(200);
    assertThat(raw(port, "GET", "/api/v1/queues", "[::1]:" + port).status()).isEqualTo(200);
  }

  @Test
  void anAllowedHostIsServed() throws Exception {
    node = ServerFixture.start(dir, c -> c.withAccess(c.access().withAllowedHosts(List.of("tasks.example.com"))));
    int port = node.server.port();
    // Serving a public name (behind a proxy), it is never open: the answer is 401, not 400.
    assertThat(raw(port, "GET", "/api/v1/queues", "tasks.example.com:" + port).status()).isEqualTo(401);
    assertThat(raw(port, "GET", "/health", "tasks.example.com:" + port).status()).isEqualTo(200);
    assertThat(raw(port, "GET", "/api/v1/queues", "localhost:" + port).status()).isEqualTo(400);
  }

  private static RawHttp.Answer raw(int port, String method, String path, String host) throws Exception {
    String head =
        method + " " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
    return RawHttp.exchange(port, head.getBytes(StandardCharsets.ISO_8859_1), false, Duration.ofSeconds(10));
  }

  // ---------------------------------------------------------------- cross-site requests

  @Test
  void aCrossSiteRequestChangesNothingEvenOnAnOpenServer() {
    node = ServerFixture.start(dir);
    String id = node.submit("{\"type\": \"sleep\", \"payload\": {\"seconds\": 60}, \"delay\": 3600}").get("id").asText();

    for (String path : List.of("/api/v1/queues/default/pause", "/api/v1/tasks/" + id + "/cancel")) {
      ServerFixture.Response r =
          request(to(path).header("Origin", "http://evil.example").POST(HttpRequest.BodyPublishers.noBody()));
      assertThat(r.status()).as(path).isEqualTo(403);
      assertThat(r.json().get("detail").asText()).contains("Cross-origin request from http://evil.example refused");
    }
    ServerFixture.Response form =
        request(
            to("/api/v1/tasks")
                .header("Origin", "null")
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"noop\",\"x\":\"=\"}")));
    assertThat(form.status()).isEqualTo(403);

    assertThat(node.get("/api/v1/tasks/" + id).json().get("state").asText()).isEqualTo("scheduled");
    assertThat(node.get("/api/v1/queues").json().get("queues").get(0).get("paused").asBoolean()).isFalse();
    assertThat(node.get("/api/v1/tasks").json().get("tasks")).hasSize(1);

    // The dashboard's own page is same-origin: its requests pass.
    ServerFixture.Response own =
        request(to("/api/v1/queues/default/pause").header("Origin", node.server.url()).POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(own.status()).isEqualTo(200);
  }

  @Test
  void anAllowedOriginGetsCorsHeadersAndItsPreflightAnswered() {
    node =
        ServerFixture.start(
            dir, c -> c.withAccess(c.access().withAllowedOrigins(List.of("https://app.example.com"))));
    ServerFixture.Response preflight =
        request(
            to("/api/v1/tasks")
                .header("Origin", "https://app.example.com")
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
    assertThat(preflight.status()).isEqualTo(204);
    assertThat(preflight.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");
    assertThat(preflight.header("Access-Control-Allow-Methods")).contains("POST");
    assertThat(preflight.header("Access-Control-Allow-Headers")).contains("Authorization").contains("Content-Type");
    assertThat(preflight.header("Access-Control-Allow-Credentials")).as("tokens, never cookies").isNull();

    ServerFixture.Response actual =
        request(
            to("/api/v1/tasks")
                .header("Origin", "https://app.example.com")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\": \"noop\"}")));
    assertThat(actual.status()).isEqualTo(202);
    assertThat(actual.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");

    ServerFixture.Response other =
        request(to("/api/v1/tasks").header("Origin", "https://other.example.com").GET());
    assertThat(other.status()).isEqualTo(403);
    assertThat(other.header("Access-Control-Allow-Origin")).isNull();
  }

  // ---------------------------------------------------------------- headers

  @Test
  void everyAnswerForbidsFramingSniffingAndInlineScript() {
    node = ServerFixture.start(dir);
    for (String path : List.of("/", "/login", "/ui/app.js", "/api/v1/tasks", "/no-such-page", "/docs")) {
      ServerFixture.Response r = node.get(path);
      assertThat(r.header("X-Content-Type-Options")).as(path).isEqualTo("nosniff");
      assertThat(r.header("X-Frame-Options")).as(path).isEqualTo("DENY");
      assertThat(r.header("Referrer-Policy")).as(path).isEqualTo("no-referrer");
      assertThat(r.header("Content-Security-Policy"))
          .as(path)
          .contains("frame-ancestors 'none'")
          .contains("script-src 'self'")
          .doesNotContain("script-src 'self' 'unsafe-inline'");
    }
    assertThat(node.get("/ui/app.js").status()).as("the page's script needs no credential").isEqualTo(200);
  }

  // ---------------------------------------------------------------- sessions

  @Test
  void aSessionCookieActsOnlyWithItsCsrfTokenAndEndsAtSignOut() {
    node = ServerFixture.start(dir);
    String id = node.submit("{\"type\": \"noop\", \"delay\": 3600}").get("id").asText();
    String operator = node.token("ops", Role.OPERATOR);

    ServerFixture.Response signIn = node.post("/api/v1/session", "{\"token\": \"" + operator + "\"}");
    assertThat(signIn.status()).isEqualTo(200);
    String setCookie = signIn.header("Set-Cookie");
    assertThat(setCookie).startsWith("tasklane_session=").contains("HttpOnly").contains("SameSite=Strict").contains("Path=/");
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));
    String csrf = signIn.json().get("csrf_token").asText();
    assertThat(signIn.json().get("role").asText()).isEqualTo("operator");

    assertThat(request(to("/api/v1/tasks").header("Cookie", cookie).GET()).status()).isEqualTo(200);
    ServerFixture.Response noCsrf =
        request(to("/api/v1/tasks/" + id + "/cancel").header("Cookie", cookie).POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(noCsrf.status()).isEqualTo(403);
    assertThat(noCsrf.json().get("detail").asText()).contains("CSRF");
    ServerFixture.Response wrongCsrf =
        request(
            to("/api/v1/tasks/" + id + "/cancel")
                .header("Cookie", cookie)
                .header("X-CSRF-Token", csrf + "x")
                .POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(wrongCsrf.status()).isEqualTo(403);
    assertThat(node.get("/api/v1/tasks/" + id).status()).isEqualTo(401);
    assertThat(node.send("GET", "/api/v1/tasks/" + id, operator, null).json().get("state").asText()).isEqualTo("scheduled");

    ServerFixture.Response cancel =
        request(
            to("/api/v1/tasks/" + id + "/cancel")
                .header("Cookie", cookie)
                .header("X-CSRF-Token", csrf)
                .POST(HttpRequest.BodyPublishers.noBody()));
    assertThat(cancel.status()).isEqualTo(200);
    assertThat(cancel.json().get("state").asText()).isEqualTo("cancelled");

    ServerFixture.Response out =
        request(to("/api/v1/session").header("Cookie", cookie).header("X-CSRF-Token", csrf).DELETE());
    assertThat(out.status()).isEqualTo(204);
    assertThat(out.header("Set-Cookie")).contains("Max-Age=0");
    assertThat(request(to("/api/v1/tasks").header("Cookie", cookie).GET()).status()).isEqualTo(401);
  }

  @Test
  void revokingATokenEndsItsRequestsAndItsSessionsAtOnce() {
    node = ServerFixture.start(dir);
    String admin = node.token("admin", Role.ADMIN);
    String reader = node.token("dash", Role.READER);
    ServerFixture.Response signIn = node.post("/api/v1/session", "{\"token\": \"" + reader + "\"}");
    String cookie = signIn.header("Set-Cookie").split(";")[0];
    assertThat(node.send("GET", "/api/v1/tasks", reader, null).status()).isEqualTo(200);

    ServerFixture.Response revoked = node.send("DELETE", "/api/v1/tokens/dash", admin, null);
    assertThat(revoked.status()).isEqualTo(200);
    assertThat(revoked.json().get("revoked_at").isNull()).isFalse();

    assertThat(node.send("GET", "/api/v1/tasks", reader, null).status()).isEqualTo(401);
    assertThat(request(to("/api/v1/tasks").header("Cookie", cookie).GET()).status()).isEqualTo(401);
  }

  @Test
  void aUserSignsInWithAPasswordKeptOnlyAsAnArgon2Hash() {
    node = ServerFixture.start(dir);
    String admin = node.token("admin", Role.ADMIN);
    ServerFixture.Response made =
        node.send("POST", "/api/v1/users", admin, "{\"name\": \"ada\", \"role\": \"reader\", \"password\": \"correct horse battery\"}");
    assertThat(made.status()).as(made.body()).isEqualTo(201);
    assertThat(node.send("POST", "/api/v1/users", admin, "{\"name\": \"bob\", \"role\": \"reader\", \"password\": \"short\"}").status())
        .isEqualTo(422);

    assertThat(ServerFixture.accessStoreOf(node.store).findUser("ada").orElseThrow().passwordHash())
        .startsWith("$argon2id$v=19$m=19456,t=2,p=1$")
        .doesNotContain("correct horse");
    assertThat(node.post("/api/v1/session", "{\"username\": \"ada\", \"password\": \"wrong horse battery\"}").status())
        .isEqualTo(401);
    ServerFixture.Response ok =
        node.post("/api/v1/session", "{\"username\": \"ada\", \"password\": \"correct horse battery\"}");
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.json().get("name").asText()).isEqualTo("ada");
    assertThat(ok.json().get("permissions").toString()).contains("read").doesNotContain("control");
  }

  // ---------------------------------------------------------------- submitters

  @Test
  void aSubmitterReadsTheTasksItSubmittedAndNoOther() {
    node = ServerFixture.start(dir);
    String app = node.token("app", Role.SUBMITTER);
    String other = node.token("other-app", Role.SUBMITTER);
    String reader = node.token("dash", Role.READER);
    String mine = node.send("POST", "/api/v1/tasks", app, "{\"type\": \"noop\", \"idempotency_key\": \"k1\"}").json().get("id").asText();
    String seed = node.send("POST", "/submit-task", app, "{\"data\": \"x\"}").json().get("task_id").asText();
    String theirs = node.send("POST", "/api/v1/tasks", other, "{\"type\": \"noop\", \"idempotency_key\": \"k2\"}").json().get("id").asText();

    JsonNode own = node.send("GET", "/api/v1/tasks/" + mine, app, null).json();
    assertThat(own.get("submitted_by").asText()).startsWith("token:tok_");
    assertThat(node.send("GET", "/api/v1/tasks", app, null).json().get("tasks").findValuesAsText("id"))
        .containsExactlyInAnyOrder(mine, seed);
    assertThat(node.send("GET", "/api/v1/tasks/" + theirs, app, null).status()).as("not found, not forbidden").isEqualTo(404);
    assertThat(node.send("GET", "/api/v1/tasks/" + theirs + "/explain", app, null).status()).isEqualTo(404);
    assertThat(node.send("GET", "/api/v1/tasks?idempotency_key=k2", app, null).json().get("tasks")).isEmpty();
    assertThat(node.send("GET", "/api/v1/queues", app, null).status()).isEqualTo(403);

    assertThat(node.send("GET", "/api/v1/tasks", reader, null).json().get("tasks").findValuesAsText("id"))
        .contains(mine, seed, theirs);
  }

  // ---------------------------------------------------------------- brute force

  @Test
  void anAddressThatKeepsFailingIsRefusedWith429EvenWithAGoodToken() {
    node = ServerFixture.start(dir, c -> c.withAccess(c.access().withSignInFailures(3)));
    String good = node.token("good", Role.READER);
    for (int i = 0; i < 3; i++) {
      assertThat(node.send("GET", "/api/v1/tasks", "tlk_guess" + i, null).status()).isEqualTo(401);
    }
    ServerFixture.Response throttled = node.send("GET", "/api/v1/tasks", good, null);
    assertThat(throttled.status()).isEqualTo(429);
    assertThat(Integer.parseInt(throttled.header("Retry-After"))).isBetween(1, 60);
    assertThat(node.post("/api/v1/session", "{\"token\": \"" + good + "\"}").status()).isEqualTo(429);
  }

  // ---------------------------------------------------------------- audit and disclosure

  @Test
  void theAuditLogSaysWhoDidWhatToWhich() {
    node = ServerFixture.start(dir);
    String admin = node.token("admin", Role.ADMIN);
    String ops =
        node.send("POST", "/api/v1/tokens", admin, "{\"name\": \"ops\", \"role\": \"operator\"}").json().get("token").asText();
    String id = node.send("POST", "/api/v1/tasks", admin, "{\"type\": \"noop\", \"delay\": 3600}").json().get("id").asText();
    node.send("POST", "/api/v1/tasks/" + id + "/cancel", ops, null);
    node.send("POST", "/api/v1/queues/default/pause", ops, null);
    node.send("PATCH", "/api/v1/queues/default", ops, "{\"limit\": 3}");
    node.send("GET", "/api/v1/tasks", "tlk_wrong", null);

    JsonNode entries = node.send("GET", "/api/v1/audit", admin, null).json().get("entries");
    List<String> lines =
        StreamSupport.stream(entries.spliterator(), false)
            .map(e -> e.get("actor").asText() + " " + e.get("action").asText() + " " + e.get("target").asText())
            .toList();
    assertThat(lines)
        .containsSubsequence(
            "anonymous token.rejected null",
            "ops queue.limit default",
            "ops queue.pause default",
            "ops task.cancel " + id,
            "admin token.create ops")
        .doesNotContain("reader");
    assertThat(entries.get(0).get("client").asText()).isEqualTo("127.0.0.1");
    assertThat(node.send("GET", "/api/v1/audit", ops, null).status()).isEqualTo(403);
  }

  @Test
  void stackTracesAndHostNamesAreShownOnlyToRolesThatOperate() {
    node = ServerFixture.start(dir);
    String reader = node.token("reader", Role.READER);
    String ops = node.token("ops", Role.OPERATOR);
    String submitter = node.token("app", Role.SUBMITTER);
    String id =
        node.send("POST", "/api/v1/tasks", submitter, "{\"type\": \"fail\", \"max_attempts\": 1}").json().get("id").asText();
    await().atMost(Duration.ofSeconds(15)).until(() -> node.send("GET", "/api/v1/tasks/" + id, ops, null).json().get("state").asText().equals("failed"));

    JsonNode asOps = node.send("GET", "/api/v1/tasks/" + id, ops, null).json();
    JsonNode asReader = node.send("GET", "/api/v1/tasks/" + id, reader, null).json();
    assertThat(asOps.get("errors").get(0).get("trace").asText()).contains("at ");
    assertThat(asReader.get("errors").get(0).get("trace").isNull()).isTrue();
    assertThat(asReader.get("errors").get(0).get("message").asText()).isEqualTo(asOps.get("errors").get(0).get("message").asText());

    assertThat(node.send("GET", "/api/v1/nodes", ops, null).json().get("nodes").get(0).get("host").isNull()).isFalse();
    assertThat(node.send("GET", "/api/v1/nodes", reader, null).json().get("nodes").get(0).get("host").isNull()).isTrue();
  }
}
