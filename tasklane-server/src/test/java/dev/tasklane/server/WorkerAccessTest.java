package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.server.access.Role;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Who may act as a worker: worker tokens limited to task types and queues, and a worker that
 * belongs to the credential that announced it, on both stores.
 */
class WorkerAccessTest {
  @TempDir Path dir;
  private ServerFixture node;
  private final TestStores stores = new TestStores();
  private String admin;

  static Stream<String> stores() {
    return TestStores.names();
  }

  private void start(String store) {
    node = ServerFixture.start(dir, stores.opener(store, "tl_wa_"), store);
    admin = node.token("admin", Role.ADMIN);
  }

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    stores.close();
  }

  private String workerToken(String name, String scope) {
    ServerFixture.Response r =
        node.send("POST", "/api/v1/tokens", admin, "{\"name\": \"" + name + "\", \"role\": \"worker\"" + scope + "}");
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.json().get("token").asText();
  }

  private String submit(String type, String queue) {
    ServerFixture.Response r =
        node.send("POST", "/api/v1/tasks", admin, "{\"type\": \"" + type + "\", \"queue\": \"" + queue + "\"}");
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json().get("id").asText();
  }

  @ParameterizedTest
  @MethodSource("stores")
  void aWorkerTokenServesOnlyTheTypesAndQueuesItIsLimitedTo(String store) {
    start(store);
    String token = workerToken("resizer", ", \"types\": [\"resize_image\"], \"queues\": [\"images\"]");
    JsonNode listed = node.send("GET", "/api/v1/tokens", admin, null).json().get("tokens");
    assertThat(listed.toString()).contains("\"types\":[\"resize_image\"]").contains("\"queues\":[\"images\"]");

    RemoteWorker w = new RemoteWorker(node, "resizer-1", token);
    ServerFixture.Response moreTypes = w.announceRaw(List.of("resize_image", "send_email"), List.of("images"), 1);
    assertThat(moreTypes.status()).isEqualTo(403);
    assertThat(moreTypes.json().get("detail").asText()).contains("send_email");
    assertThat(w.announceRaw(List.of("resize_image"), List.of(), 1).status())
        .as("no queue named means every queue")
        .isEqualTo(403);
    assertThat(w.announceRaw(List.of("resize_image"), List.of("images", "billing"), 1).status()).isEqualTo(403);
    assertThat(node.get("/api/v1/nodes").status()).as("nothing was registered").isEqualTo(401);
    assertThat(node.send("GET", "/api/v1/nodes", admin, null).body()).doesNotContain("resizer-1");

    w.announce(List.of("resize_image"), List.of("images"), 2);
    String other = submit("resize_image", "other");
    String mine = submit("resize_image", "images");
    assertThat(w.claim(5, 0)).extracting(t -> t.get("id").asText()).containsExactly(mine);
    JsonNode untouched = node.send("GET", "/api/v1/tasks/" + other, admin, null).json();
    assertThat(untouched.get("state").asText()).isEqualTo("queued");
  }

  @ParameterizedTest
  @MethodSource("stores")
  void onlyTheCredentialThatAnnouncedAWorkerActsAsIt(String store) {
    start(store);
    RemoteWorker owner = new RemoteWorker(node, "py-1", workerToken("team-a", ""));
    owner.announce(List.of("resize_image"), List.of(), 1);
    String id = submit("resize_image", "default");
    JsonNode run = owner.claim(1, 0).get(0);

    RemoteWorker impostor = new ImpostorOf(owner, workerToken("team-b", "")).worker;
    assertThat(impostor.claimRaw(1, 0).json().get("code").asText()).isEqualTo("unknown_worker");
    assertThat(impostor.heartbeatRaw(List.of(run), 99).json().get("code").asText()).isEqualTo("unknown_worker");
    assertThat(impostor.finish(run, "succeeded", null).status()).isEqualTo(409);
    assertThat(impostor.release(List.of(run)).status()).isEqualTo(409);
    assertThat(impostor.leave().status()).isEqualTo(409);

    JsonNode task = node.send("GET", "/api/v1/tasks/" + id, admin, null).json();
    assertThat(task.get("state").asText()).isEqualTo("running");
    assertThat(task.get("progress").asInt()).isZero();
    assertThat(owner.finish(run, "succeeded", null).status()).isEqualTo(200);
  }

  @ParameterizedTest
  @MethodSource("stores")
  void aSecondProcessCannotTakeALiveWorkersIdAndOnlyWorkerTokensHaveAScope(String store) {
    start(store);
    String token = workerToken("team-a", "");
    new RemoteWorker(node, "py-1", token).announce(List.of("resize_image"), List.of(), 1);
    ServerFixture.Response twin = new RemoteWorker(node, "py-1", token).announceRaw(List.of("resize_image"), List.of(), 1);
    assertThat(twin.status()).isEqualTo(409);
    assertThat(twin.json().get("code").asText()).isEqualTo("worker_id_in_use");

    ServerFixture.Response scopedAdmin =
        node.send("POST", "/api/v1/tokens", admin, "{\"name\": \"x\", \"role\": \"admin\", \"types\": [\"a\"]}");
    assertThat(scopedAdmin.status()).isEqualTo(422);
  }

  /** The same worker id and instance as {@code of}, under another credential. */
  private final class ImpostorOf {
    final RemoteWorker worker;

    ImpostorOf(RemoteWorker of, String token) {
      worker = new RemoteWorker(node, of.id, token, of.instance);
    }
  }
}
