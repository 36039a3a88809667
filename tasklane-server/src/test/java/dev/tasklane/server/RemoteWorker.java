package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.UUID;

/**
 * A remote worker speaking the worker protocol as raw HTTP + JSON, for tests of the protocol
 * itself: every call is one request, and what it sends and gets is plain to read.
 */
final class RemoteWorker {
  final String id;
  final String instance;
  private final ServerFixture node;
  private final String token;

  RemoteWorker(ServerFixture node, String id, String token) {
    this(node, id, token, UUID.randomUUID().toString());
  }

  /** A worker of this id and instance acting with {@code token}. */
  RemoteWorker(ServerFixture node, String id, String token, String instance) {
    this.node = node;
    this.id = id;
    this.token = token;
    this.instance = instance;
  }

  /** Announces with these types, queues (none: every queue) and concurrency; asserts 200. */
  JsonNode announce(List<String> types, List<String> queues, int concurrency) {
    ServerFixture.Response r = announceRaw(types, queues, concurrency);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  ServerFixture.Response announceRaw(List<String> types, List<String> queues, int concurrency) {
    ObjectNode body = ServerFixture.JSON.createObjectNode();
    body.put("id", id).put("instance", instance).put("language", "java-test").put("client", "raw/1");
    body.put("host", "test-host").put("pid", 4242).put("concurrency", concurrency);
    ArrayNode t = body.putArray("types");
    types.forEach(t::add);
    ArrayNode q = body.putArray("queues");
    queues.forEach(q::add);
    return node.send("POST", WorkerRoutes.WORKERS, token, body.toString());
  }

  /** Claims up to {@code max}, waiting up to {@code waitSeconds}; asserts 200 and returns the tasks. */
  List<JsonNode> claim(int max, double waitSeconds) {
    ServerFixture.Response r = claimRaw(max, waitSeconds);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return ServerFixture.JSON.convertValue(
        r.json().get("tasks"),
        ServerFixture.JSON.getTypeFactory().constructCollectionType(List.class, JsonNode.class));
  }

  ServerFixture.Response claimRaw(int max, double waitSeconds) {
    ObjectNode body =
        ServerFixture.JSON.createObjectNode().put("instance", instance).put("max", max).put("wait", waitSeconds);
    return node.send("POST", path("/claim"), token, body.toString());
  }

  /** Heartbeats the given runs ({@code progress} may be null); returns each run's status by id. */
  java.util.Map<String, String> heartbeat(List<JsonNode> runs, Integer progress) {
    ServerFixture.Response r = heartbeatRaw(runs, progress);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
    r.json().get("runs").forEach(s -> out.put(s.get("task_id").asText(), s.get("status").asText()));
    return out;
  }

  ServerFixture.Response heartbeatRaw(List<JsonNode> runs, Integer progress) {
    ObjectNode body = ServerFixture.JSON.createObjectNode().put("instance", instance);
    ArrayNode list = body.putArray("runs");
    for (JsonNode t : runs) {
      ObjectNode run = list.addObject().put("task_id", t.get("id").asText()).put("fencing_token", t.get("fencing_token").asLong());
      if (progress != null) {
        run.put("progress", progress);
      }
    }
    return node.send("POST", path("/heartbeat"), token, body.toString());
  }

  /** Finishes a run with {@code outcome} and more fields as JSON text (e.g. {@code "result": 1}). */
  ServerFixture.Response finish(JsonNode task, String outcome, String more) {
    return finish(task.get("id").asText(), task.get("fencing_token").asLong(), outcome, more);
  }

  ServerFixture.Response finish(String taskId, long fencingToken, String outcome, String more) {
    String body =
        "{\"fencing_token\": " + fencingToken + ", \"outcome\": \"" + outcome + "\""
            + (more == null || more.isEmpty() ? "" : ", " + more) + "}";
    return node.send("POST", path("/tasks/" + taskId + "/finish"), token, body);
  }

  ServerFixture.Response release(List<JsonNode> runs) {
    ObjectNode body = ServerFixture.JSON.createObjectNode();
    ArrayNode list = body.putArray("runs");
    runs.forEach(t -> list.addObject().put("task_id", t.get("id").asText()).put("fencing_token", t.get("fencing_token").asLong()));
    return node.send("POST", path("/release"), token, body.toString());
  }

  ServerFixture.Response leave() {
    return node.send("DELETE", path("?instance=" + instance), token, null);
  }

  private String path(String rest) {
    return WorkerRoutes.WORKERS + "/" + id + rest;
  }
}
