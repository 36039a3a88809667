package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tasklane.server.access.Permission;
import dev.tasklane.server.access.Role;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every route the server registers, asked by every role and by nobody, on both stores: a route
 * refuses what the role may not do (401 without a credential, 403 with the wrong role) and lets
 * through what it may. The table below is the rule book; a route the server serves without a row
 * here fails the test, so no route ships without a decision about who may use it.
 */
class RoutePermissionsTest {
  /** Who may use each route. */
  static final Map<String, Permission> RULES = new TreeMap<>();

  static {
    for (String r :
        List.of(
            "GET /", "GET /login", "GET /health", "GET /openapi.json", "GET /docs",
            "GET /docs/init.js", "GET /api/v1/session", "POST /api/v1/session",
            "DELETE /api/v1/session")) {
      RULES.put(r, Permission.PUBLIC);
    }
    for (String r :
        List.of("GET /api/v1/tasks", "GET /api/v1/tasks/{task_id}", "GET /api/v1/tasks/{task_id}/explain")) {
      RULES.put(r, Permission.READ_OWN);
    }
    for (String r :
        List.of("GET /api/v1/queues", "GET /api/v1/nodes", "GET /api/v1/stats/timeline", "GET /api/v1/events")) {
      RULES.put(r, Permission.READ);
    }
    for (String r : List.of("POST /submit-task", "POST /debug-task", "POST /api/v1/tasks")) {
      RULES.put(r, Permission.SUBMIT);
    }
    for (String r :
        List.of(
            "POST /api/v1/tasks/{task_id}/cancel", "POST /api/v1/tasks/{task_id}/retry",
            "POST /api/v1/tasks/{task_id}/run-now")) {
      RULES.put(r, Permission.CONTROL_TASKS);
    }
    for (String r :
        List.of(
            "PATCH /api/v1/queues/{queue}", "DELETE /api/v1/queues/{queue}",
            "POST /api/v1/queues/{queue}/pause",
            "POST /api/v1/queues/{queue}/resume")) {
      RULES.put(r, Permission.CONTROL_QUEUES);
    }
    RULES.put("GET /api/v1/rate-limits", Permission.READ);
    RULES.put("PUT /api/v1/rate-limits/{scope}/{target}", Permission.CONTROL_QUEUES);
    RULES.put("DELETE /api/v1/rate-limits/{scope}/{target}", Permission.CONTROL_QUEUES);
    RULES.put("GET /api/v1/schedules", Permission.READ);
    RULES.put("GET /api/v1/schedules/{name}", Permission.READ);
    for (String r :
        List.of(
            "PUT /api/v1/schedules/{name}", "DELETE /api/v1/schedules/{name}",
            "POST /api/v1/schedules/{name}/pause", "POST /api/v1/schedules/{name}/resume",
            "POST /api/v1/schedules/{name}/run")) {
      RULES.put(r, Permission.MANAGE_SCHEDULES);
    }
    RULES.put("GET /metrics", Permission.METRICS);
    for (String r :
        List.of(
            "POST /api/v1/workers",
            "POST /api/v1/workers/{worker_id}/claim",
            "POST /api/v1/workers/{worker_id}/heartbeat",
            "POST /api/v1/workers/{worker_id}/tasks/{task_id}/finish",
            "POST /api/v1/workers/{worker_id}/finish",
            "POST /api/v1/workers/{worker_id}/release",
            "DELETE /api/v1/workers/{worker_id}")) {
      RULES.put(r, Permission.WORK);
    }
    for (String r :
        List.of(
            "GET /api/v1/tokens", "POST /api/v1/tokens", "DELETE /api/v1/tokens/{token}",
            "GET /api/v1/users", "POST /api/v1/users", "DELETE /api/v1/users/{user}",
            "GET /api/v1/audit")) {
      RULES.put(r, Permission.MANAGE_ACCESS);
    }
  }

  @TempDir Path dir;
  private ServerFixture node;
  private final TestStores stores = new TestStores();

  static Stream<String> stores() {
    return TestStores.names();
  }

  private ServerFixture start(String store) {
    node = ServerFixture.start(dir, stores.opener(store, "tl_roles_"), store);
    return node;
  }

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    stores.close();
  }

  @ParameterizedTest
  @MethodSource("stores")
  void everyRouteAnswersEachRoleAsItsRuleSays(String store) throws Exception {
    start(store);
    assertThat(new TreeMap<>(RULES).keySet())
        .as("a rule for every route the server serves, and none for a route it does not")
        .containsExactlyElementsOf(new java.util.TreeSet<>(node.server.routes()));

    String taskId = node.submit("{\"type\": \"noop\"}").get("id").asText();
    Map<Role, String> tokens = new EnumMap<>(Role.class);
    for (Role role : Role.values()) {
      tokens.put(role, node.token("test-" + role.apiName(), role));
    }

    List<String> wrong = new ArrayList<>();
    for (var rule : RULES.entrySet()) {
      String[] route = rule.getKey().split(" ", 2);
      String path =
          route[1]
              .replace("{task_id}", taskId)
              .replace("{queue}", "default")
              .replace("{token}", "no-such-token")
              .replace("{user}", "no-such-user")
              .replace("{worker_id}", "no-such-worker")
              .replace("{name}", "no-such-schedule")
              .replace("{scope}", "queue")
              .replace("{target}", "no-such-queue");
      boolean body = !route[0].equals("GET") && !route[0].equals("DELETE") && !path.contains("/" + taskId + "/") && !path.endsWith("/pause") && !path.endsWith("/resume") && !path.endsWith("/run");
      int anonymous = status(route[0], path, null, body);
      if (rule.getValue() == Permission.PUBLIC) {
        // "Who am I" is public, and tells nobody that it is nobody.
        boolean whoAmI = rule.getKey().equals("GET /api/v1/session");
        check(wrong, rule.getKey(), "nobody", anonymous, whoAmI ? anonymous == 401 : anonymous != 401 && anonymous != 403);
      } else {
        check(wrong, rule.getKey(), "nobody", anonymous, anonymous == 401);
      }
      for (Role role : Role.values()) {
        int status = status(route[0], path, tokens.get(role), body);
        boolean allowed = role.may(rule.getValue());
        check(wrong, rule.getKey(), role.apiName(), status, allowed ? status != 401 && status != 403 : status == 403);
      }
    }
    assertThat(wrong).as("routes that answered a role against their rule").isEmpty();
  }

  private static void check(List<String> wrong, String route, String who, int status, boolean ok) {
    if (!ok) {
      wrong.add(route + " as " + who + " -> " + status);
    }
  }

  /** The status of one request; an event stream's is read from its headers, then it is closed. */
  private int status(String method, String path, String token, boolean body) throws Exception {
    if (path.equals("/api/v1/events")) {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(node.uri(path)).header("Accept", "text/event-stream").GET();
      if (token != null) {
        b.header("Authorization", "Bearer " + token);
      }
      HttpResponse<InputStream> r =
          HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
      r.body().close();
      return r.statusCode();
    }
    return node.send(method, path, token, body ? "{}" : null).status();
  }
}
