package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.WorkerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The worker protocol over real HTTP, on both stores: what a remote worker in any language relies
 * on. Each test drives a {@link RemoteWorker} (raw JSON requests) beside the server's own engine,
 * and reads the outcome back through the task API.
 */
class WorkerProtocolTest {
  @TempDir Path dir;
  private ServerFixture node;
  private final TestStores stores = new TestStores();

  static Stream<String> stores() {
    return TestStores.names();
  }

  private ServerFixture start(String store) {
    return start(store, b -> b);
  }

  private ServerFixture start(String store, UnaryOperator<WorkerConfig.Builder> config) {
    node = ServerFixture.start(dir, config, stores.opener(store, "tl_wp_"), store);
    return node;
  }

  @AfterEach
  void stop() throws Exception {
    if (node != null) {
      node.close();
    }
    stores.close();
  }

  private JsonNode submit(String type, int priority) {
    return node.submit("{\"type\": \"" + type + "\", \"priority\": " + priority + ", \"payload\": {\"n\": " + priority + "}}");
  }

  @ParameterizedTest
  @MethodSource("stores")
  void anAnnouncedWorkerIsANodeItsTypesAreAcceptedAndItClaimsInPriorityOrder(String store) {
    start(store);
    assertThat(node.post("/api/v1/tasks", "{\"type\": \"resize_image\"}").status())
        .as("a type nobody announced is refused")
        .isEqualTo(422);
    RemoteWorker py = new RemoteWorker(node, "py-1", null);
    JsonNode registration = py.announce(List.of("resize_image"), List.of(), 4);
    assertThat(registration.get("protocol").asInt()).isEqualTo(1);
    assertThat(registration.get("heartbeat_interval_seconds").asDouble()).isPositive();

    JsonNode nodes = node.get("/api/v1/nodes").json().get("nodes");
    JsonNode me = null;
    for (JsonNode n : nodes) {
      if (n.get("id").asText().equals("py-1")) {
        me = n;
      }
    }
    assertThat(me).as("the worker is listed beside the server's node: " + nodes).isNotNull();
    assertThat(me.get("kind").asText()).isEqualTo("remote");
    assertThat(me.get("language").asText()).isEqualTo("java-test");
    assertThat(me.get("types").toString()).contains("resize_image");

    String low = submit("resize_image", 1).get("id").asText();
    String high = submit("resize_image", 9).get("id").asText();
    String mid = submit("resize_image", 5).get("id").asText();

    List<JsonNode> claimed = py.claim(10, 0);
    assertThat(claimed).extracting(t -> t.get("id").asText()).containsExactly(high, mid, low);
    JsonNode first = claimed.get(0);
    assertThat(first.get("type").asText()).isEqualTo("resize_image");
    assertThat(first.get("payload").get("n").asInt()).isEqualTo(9);
    assertThat(first.get("attempt").asInt()).isEqualTo(1);
    assertThat(first.get("fencing_token").asLong()).isPositive();
    assertThat(Instant.parse(first.get("lease_expires_at").asText())).isAfter(Instant.now().minusSeconds(1));
    assertThat(node.task(high).get("state").asText()).isEqualTo("running");
    assertThat(node.task(high).get("lease_owner").asText()).isEqualTo("py-1");
  }

  @ParameterizedTest
  @MethodSource("stores")
  void theServersOwnEngineLeavesRemoteTypesToTheWorkersThatRunThem(String store) {
    start(store);
    RemoteWorker py = new RemoteWorker(node, "py-1", null);
    py.announce(List.of("resize_image"), List.of(), 2);
    String remote = submit("resize_image", 1).get("id").asText();
    String local = node.submit("{\"type\": \"noop\"}").get("id").asText();

    node.awaitState(local, "succeeded");
    // The local node ran its own task from the same queue and never touched the remote one.
    JsonNode waiting = node.task(remote);
    assertThat(waiting.get("state").asText()).isEqualTo("queued");
    assertThat(waiting.get("fencing_token").asLong()).as("never claimed").isZero();
    assertThat(py.claim(1, 0)).extracting(t -> t.get("id").asText()).containsExactly(remote);
  }

  @ParameterizedTest
  @MethodSource("stores")
  void aWaitingClaimIsWokenByASubmissionWithoutWaitingOutItsPoll(String store) throws Exception {
    // The engine's poll is far longer than the claim's wait: only a wake-up can end it early.
    start(store, b -> b.pollInterval(Duration.ofSeconds(60)));
    RemoteWorker py = new RemoteWorker(node, "py-1", null);
    py.announce(List.of("resize_image"), List.of(), 1);
    long began = System.nanoTime();
    CompletableFuture<List<JsonNode>> waiting = CompletableFuture.supplyAsync(() -> py.claim(1, 40));
    // Give the claim a moment to find nothing and wait. Were it slower, it would find the task at
    // once instead: the test would pass without testing the wake-up, never fail by chance.
    Thread.sleep(300);
    assertThat(waiting).as("nothing to claim yet").isNotDone();
    String id = submit("resize_image", 1).get("id").asText();

    List<JsonNode> got = waiting.get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(got).extracting(t -> t.get("id").asText()).containsExactly(id);
    assertThat(Duration.ofNanos(System.nanoTime() - began))
        .as("woken by the submission, not by the end of its 40 s wait")
        .isLessThan(Duration.ofSeconds(35));
  }

  @ParameterizedTest
  @MethodSource("stores")
  void aClaimStillWaitingForAWorkerThatWentSilentTakesNothingForIt(String store) throws Exception {
    // A worker killed while its long poll waits leaves the request behind on the server. Work
    // that becomes ready after the worker's registration lapsed must not be leased to it.
    start(store, b -> b.leaseDuration(Duration.ofSeconds(2)).heartbeatInterval(Duration.ofMillis(500)));
    RemoteWorker gone = new RemoteWorker(node, "py-gone", null);
    gone.announce(List.of("resize_image"), List.of(), 1);
    CompletableFuture<ServerFixture.Response> orphan = CompletableFuture.supplyAsync(() -> gone.claimRaw(1, 30));
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
      for (JsonNode n : node.get("/api/v1/nodes").json().get("nodes")) {
        if (n.get("id").asText().equals("py-gone")) {
          return !n.get("live").asBoolean();
        }
      }
      return true;
    });
    String id = submit("resize_image", 1).get("id").asText();

    ServerFixture.Response answer = orphan.get(40, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(answer.status()).as(answer.body()).isEqualTo(409);
    assertThat(answer.json().get("code").asText()).isEqualTo("unknown_worker");
    JsonNode task = node.task(id);
    assertThat(task.get("state").asText()).isEqualTo("queued");
    assertThat(task.get("fencing_token").asLong()).as("never leased").isZero();
  }

  @ParameterizedTest
  @MethodSource("stores")
  void heartbeatsRenewLeasesRecordProgressAndCarryACancelWhichTheWorkerConfirms(String store) {
    start(store);
    RemoteWorker py = new RemoteWorker(node, "py-1", null);
    py.announce(List.of("resize_image"), List.of(), 1);
    String id = submit("resize_image", 1).get("id").asText();
    JsonNode run = py.claim(1, 0).get(0);
    Instant leaseBefore = Instant.parse(node.task(id).get("lease_expires_at").asText());

    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
      assertThat(py.heartbeat(List.of(run), 40)).containsEntry(id, "running");
      return Instant.parse(node.task(id).get("lease_expires_at").asText()).isAfter(leaseBefore);
    });
    assertThat(node.task(id).get("progress").asInt()).isEqualTo(40);

    assertThat(node.post("/api/v1/tasks/" + id + "/cancel", "").status()).isEqualTo(200);
    assertThat(py.heartbeat(List.of(run), null)).containsEntry(id, "cancel_requested");
    ServerFixture.Response r = py.finish(run, "cancelled", null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(node.task(id).get("state").asText()).isEqualTo("cancelled");
  }

  @ParameterizedTest
  @MethodSource("stores")
  void aSuccessKeepsItsResultAndAStaleFencingTokenIsRefusedWithoutAChange(String store) {
    start(store);
    RemoteWorker py = new RemoteWorker(node, "py-1", null);
    py.announce(List.of("resize_image"), List.of(), 1);
    String id = submit("resize_image", 1).get("id").asText();
    JsonNode run = py.claim(1, 0).get(0);
    long token = run.get("fencing_token").asLong();

    ServerFixture.Response stale = py.finish(id, token - 1, "succeeded", "\"result\": {\"stale\": true}");
    assertThat(stale.status()).isEqualTo(409);
    assertThat(stale.json().get("code").asText()).isEqualTo("stale_run");
    assertThat(node.task(id).get("state").asText()).isEqualTo("running");

    ServerFixture.Response ok = py.finish(run, "succeeded", "\"result\": {\"url\": \"/thumbs/1.png\"}");
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    JsonNode done = node.task(id);
    assertThat(done.get("state").asText()).isEqualTo("succeeded");
    assertThat(done.get("result").get("url").asText()).isEqualTo("/thumbs/1.png");

    ServerFixture.Response again = py.finish(run, "failed", "\"error\": \"late\"");
    assertThat(again.status()).as("a run that ended writes nothing more").isEqualTo(409);
    assertThat(node.task(id).get("state").asText()).isEqualTo("succeeded");
  }

  @ParameterizedTest
  @MethodSource("stores")
  void manyOutcomesGoInOneRequestAndEachIsAnsweredOnItsOwn(String store) {
    start(store);
    RemoteWorker py = new RemoteWorker(node, "py-1", null);
    py.announce(List.of("resize_image"), List.of(), 10);
    for (int i = 0; i < 4; i++) {
      submit("resize_image", i);
    }
    List<JsonNode> runs = py.claim(4, 0);
    String ok = runs.get(0).get("id").asText();
    String failed = runs.get(1).get("id").asText();
    String stale = runs.get(2).get("id").asText();
    String absent = java.util.UUID.randomUUID().toString();
    String body =
        "{\"runs\": ["
            + "{\"task_id\": \"" + ok + "\", \"fencing_token\": " + runs.get(0).get("fencing_token") + ", \"outcome\": \"succeeded\", \"result\": 1},"
            + "{\"task_id\": \"" + failed + "\", \"fencing_token\": " + runs.get(1).get("fencing_token") + ", \"outcome\": \"failed\", \"error\": \"boom\", \"permanent\": true},"
            + "{\"task_id\": \"" + stale + "\", \"fencing_token\": 999, \"outcome\": \"succeeded\"},"
            + "{\"task_id\": \"" + absent + "\", \"fencing_token\": 1, \"outcome\": \"failed\", \"error\": \"x\"}]}";
    ServerFixture.Response r = node.send("POST", WorkerRoutes.WORKERS + "/py-1/finish", null, body);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    Map<String, String> status = new java.util.HashMap<>();
    r.json().get("runs").forEach(s -> status.put(s.get("task_id").asText(), s.get("status").asText()));
    assertThat(status).containsEntry(ok, "written").containsEntry(failed, "written")
        .containsEntry(stale, "stale").containsEntry(absent, "not_found");
    assertThat(node.task(ok).get("state").asText()).isEqualTo("succeeded");
    assertThat(node.task(ok).get("result").asInt()).isEqualTo(1);
    assertThat(node.task(failed).get("state").asText()).isEqualTo("failed");
    assertThat(node.task(stale).get("state").asText()).as("a stale token wrote nothing").isEqualTo("running");

    ServerFixture.Response invalid =
        node.send("POST", WorkerRoutes.WORKERS + "/py-1/finish", null, "{\"runs\": [{\"task_id\": \"" + stale + "\", \"outcome\": \"failed\"}]}");
    assertThat(invalid.status()).isEqualTo(422);
    assertThat(node.task(stale).get("state").asText()).isEqualTo("running");
  }

  @ParameterizedTest
  @MethodSource("stores")
  void failuresRetryByPolicyPermanentOnesFailAndRetriesAndSnoozesWaitTheirDelay(String store) {
    start(store);
    RemoteWorker py = new RemoteWorker(node, "py-1", null);
    py.announce(List.of("resize_image"), List.of(), 4);
    String failing = submit("resize_image", 4).get("id").asText();
    String permanent = submit("resize_image", 3).get("id").asText();
    String retried = submit("resize_image", 2).get("id").asText();
    String snoozed = submit("resize_image", 1).get("id").asText();
    List<JsonNode> runs = py.claim(4, 0);
    assertThat(runs).hasSize(4);

    assertThat(py.finish(runs.get(0), "failed", "\"error\": \"disk full\", \"stack_trace\": \"at resize()\"").status()).isEqualTo(200);
    assertThat(py.finish(runs.get(1), "failed", "\"error\": \"not an image\", \"permanent\": true").status()).isEqualTo(200);
    assertThat(py.finish(runs.get(2), "retry", "\"delay\": 3600, \"reason\": \"partner busy\"").status()).isEqualTo(200);
    assertThat(py.finish(runs.get(3), "snoozed", "\"delay\": 3600").status()).isEqualTo(200);

    JsonNode f = node.task(failing);
    assertThat(f.get("state").asText()).isEqualTo("scheduled");
    assertThat(f.get("last_error").asText()).isEqualTo("disk full");
    assertThat(node.task(permanent).get("state").asText()).isEqualTo("failed");
    JsonNode r = node.task(retried);
    assertThat(r.get("state").asText()).isEqualTo("scheduled");
    assertThat(Instant.parse(r.get("run_at").asText())).isAfter(Instant.now().plusSeconds(3000));
    assertThat(r.get("last_error").asText()).isEqualTo("partner busy");
    JsonNode s = node.task(snoozed);
    assertThat(s.get("state").asText()).isEqualTo("scheduled");
    assertThat(s.get("attempt").asInt()).as("a snooze gives its attempt back").isZero();
  }

  @ParameterizedTest
  @MethodSource("stores")
  void releasedRunsAreQueuedAgainAtOnceWithTheirAttemptsAndLeavingHandsBackTheRest(String store) {
    start(store);
    RemoteWorker py = new RemoteWorker(node, "py-1", null);
    py.announce(List.of("resize_image"), List.of(), 3);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(submit("resize_image", 1).get("id").asText());
    }
    List<JsonNode> runs = py.claim(3, 0);
    ServerFixture.Response released = py.release(List.of(runs.get(0)));
    assertThat(released.status()).as(released.body()).isEqualTo(200);
    assertThat(released.json().get("released").get(0).asText()).isEqualTo(runs.get(0).get("id").asText());
    JsonNode back = node.task(runs.get(0).get("id").asText());
    assertThat(back.get("state").asText()).isEqualTo("queued");
    assertThat(back.get("attempt").asInt()).isZero();

    ServerFixture.Response left = py.leave();
    assertThat(left.status()).as(left.body()).isEqualTo(200);
    assertThat(left.json().get("released")).hasSize(2);
    for (String id : ids) {
      assertThat(node.task(id).get("state").asText()).isEqualTo("queued");
    }
    assertThat(node.get("/api/v1/nodes").body()).doesNotContain("py-1");
    assertThat(py.claimRaw(1, 0).json().get("code").asText()).isEqualTo("unknown_worker");
  }

  @ParameterizedTest
  @MethodSource("stores")
  void aQueueLimitHoldsAcrossTheEnginesHandlersAndRemoteWorkersTogether(String store) {
    start(store);
    assertThat(node.patch("/api/v1/queues/shared", "{\"limit\": 2}").status()).isEqualTo(200);
    // One of the two slots is taken by the server's own handler (block runs until released).
    String local = node.submit("{\"type\": \"block\", \"queue\": \"shared\"}").get("id").asText();
    node.awaitState(local, "running");
    RemoteWorker py = new RemoteWorker(node, "py-1", null);
    py.announce(List.of("resize_image"), List.of("shared"), 10);
    for (int i = 0; i < 5; i++) {
      node.submit("{\"type\": \"resize_image\", \"queue\": \"shared\"}");
    }
    List<JsonNode> first = py.claim(10, 0);
    assertThat(first).as("one slot of two is free").hasSize(1);
    assertThat(py.claim(10, 0)).as("none while both are taken").isEmpty();
    assertThat(py.finish(first.get(0), "succeeded", null).status()).isEqualTo(200);
    assertThat(py.claim(10, 0)).as("the freed slot only").hasSize(1);
  }

  @ParameterizedTest
  @MethodSource("stores")
  void aPausedQueueYieldsNothingToAWorkerAndNeverMoreThanItsConcurrency(String store) {
    start(store);
    RemoteWorker py = new RemoteWorker(node, "py-1", null);
    py.announce(List.of("resize_image"), List.of("images"), 2);
    for (int i = 0; i < 5; i++) {
      node.submit("{\"type\": \"resize_image\", \"queue\": \"images\"}");
    }
    assertThat(node.post("/api/v1/queues/images/pause", "").status()).isEqualTo(200);
    assertThat(py.claim(5, 0)).isEmpty();
    assertThat(node.post("/api/v1/queues/images/resume", "").status()).isEqualTo(200);
    assertThat(py.claim(5, 0)).as("its concurrency, not what it asked for").hasSize(2);
    assertThat(py.claim(5, 0)).as("it holds two already").isEmpty();
  }

  @ParameterizedTest
  @MethodSource("stores")
  void aWorkerThatDiesLosesItsLeasesItsTasksRunElsewhereAndItsLateWritesAreRefused(String store) {
    start(store, b -> b.leaseDuration(Duration.ofSeconds(2)).heartbeatInterval(Duration.ofMillis(500)).reapInterval(Duration.ofMillis(200)));
    RemoteWorker dead = new RemoteWorker(node, "py-dead", null);
    dead.announce(List.of("resize_image"), List.of(), 1);
    String id = submit("resize_image", 1).get("id").asText();
    JsonNode lost = dead.claim(1, 0).get(0);
    RemoteWorker alive = new RemoteWorker(node, "py-alive", null);
    alive.announce(List.of("resize_image"), List.of(), 1);

    // The dead worker never heartbeats again: its lease expires, the task is queued again (the
    // attempt spent), and the live worker gets it under a new fencing token. The live worker
    // keeps its own registration up by heartbeating while it waits.
    List<JsonNode> again =
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> {
          alive.heartbeat(List.of(), null);
          return alive.claim(1, 0);
        }, l -> !l.isEmpty());
    JsonNode second = again.get(0);
    assertThat(second.get("id").asText()).isEqualTo(id);
    assertThat(second.get("attempt").asInt()).isEqualTo(2);
    assertThat(second.get("fencing_token").asLong()).isGreaterThan(lost.get("fencing_token").asLong());
    assertThat(node.task(id).get("errors").toString()).contains("lease of node py-dead expired");

    ServerFixture.Response late = dead.finish(lost, "succeeded", "\"result\": \"late\"");
    assertThat(late.status()).isEqualTo(409);
    assertThat(alive.finish(second, "succeeded", "\"result\": \"fresh\"").status()).isEqualTo(200);
    assertThat(node.task(id).get("result").asText()).isEqualTo("fresh");
    assertThat(dead.heartbeatRaw(List.of(lost), null).json().get("code").asText())
        .as("a worker silent past its lease must announce itself again")
        .isEqualTo("unknown_worker");
  }

  @ParameterizedTest
  @MethodSource("stores")
  void aRunPastItsTimeoutIsEndedByTheServerAtTheNextHeartbeat(String store) {
    start(store);
    RemoteWorker py = new RemoteWorker(node, "py-1", null);
    py.announce(List.of("resize_image"), List.of(), 1);
    String id = node.submit("{\"type\": \"resize_image\", \"timeout\": 0.2, \"max_attempts\": 1}").get("id").asText();
    JsonNode run = py.claim(1, 0).get(0);
    assertThat(run.get("timeout").asDouble()).isEqualTo(0.2);

    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
        .until(() -> py.heartbeat(List.of(run), null).get(id), "timed_out"::equals);
    JsonNode failed = node.task(id);
    assertThat(failed.get("state").asText()).isEqualTo("failed");
    assertThat(failed.get("last_error").asText()).isEqualTo("timed out after 200ms");
    assertThat(py.finish(run, "succeeded", null).status()).isEqualTo(409);
  }

  @ParameterizedTest
  @MethodSource("stores")
  void explainSaysWhenNoLiveWorkerServesATasksType(String store) {
    start(store, b -> b.leaseDuration(Duration.ofSeconds(2)).heartbeatInterval(Duration.ofMillis(500)));
    RemoteWorker py = new RemoteWorker(node, "py-1", null);
    py.announce(List.of("resize_image"), List.of("images"), 1);
    String elsewhere = node.submit("{\"type\": \"resize_image\", \"queue\": \"other\"}").get("id").asText();
    JsonNode e = node.get("/api/v1/tasks/" + elsewhere + "/explain").json();
    assertThat(e.get("code").asText()).isEqualTo("no_node_for_type");
    assertThat(e.get("message").asText()).contains("resize_image").contains("other");

    // Once the worker goes silent past its lease, no live worker serves the type at all.
    String here = node.submit("{\"type\": \"resize_image\", \"queue\": \"images\"}").get("id").asText();
    await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
        .until(() -> node.get("/api/v1/tasks/" + here + "/explain").json().get("code").asText(), "no_node_for_type"::equals);
  }

  @ParameterizedTest
  @MethodSource("stores")
  void badRequestsGetAClear4xxAndChangeNothing(String store) {
    start(store);
    RemoteWorker py = new RemoteWorker(node, "py-1", null);
    assertThat(py.announceRaw(List.of(), List.of(), 1).status()).as("no type").isEqualTo(422);
    assertThat(py.announceRaw(List.of("bad name!"), List.of(), 1).status()).isEqualTo(422);
    assertThat(py.announceRaw(List.of("a"), List.of(), 0).status()).as("no concurrency").isEqualTo(422);
    assertThat(node.send("POST", WorkerRoutes.WORKERS, null, "{\"id\": \"x\", \"types\": [\"a\"], \"protocol\": 2}").status())
        .as("another protocol version")
        .isEqualTo(400);
    assertThat(py.claimRaw(1, 0).json().get("code").asText()).as("not announced").isEqualTo("unknown_worker");
    py.announce(List.of("resize_image"), List.of(), 1);
    assertThat(py.claimRaw(0, 0).status()).isEqualTo(422);
    assertThat(py.claimRaw(1, 61).status()).isEqualTo(422);
    String id = submit("resize_image", 1).get("id").asText();
    JsonNode run = py.claim(1, 0).get(0);
    assertThat(py.finish(run, "exploded", null).status()).isEqualTo(422);
    assertThat(py.finish(run, "failed", null).status()).as("a failure needs its error").isEqualTo(422);
    assertThat(py.finish(run, "retry", null).status()).as("a retry needs its delay").isEqualTo(422);
    assertThat(node.send("POST", WorkerRoutes.WORKERS + "/py-1/tasks/not-a-uuid/finish", null, "{}").status()).isEqualTo(422);
    assertThat(py.finish(java.util.UUID.randomUUID().toString(), 1, "succeeded", null).status()).isEqualTo(404);
    assertThat(node.task(id).get("state").asText()).as("nothing changed").isEqualTo("running");
    assertThat(node.task(id).get("fencing_token").asLong()).isEqualTo(run.get("fencing_token").asLong());
    Map<String, String> still = py.heartbeat(List.of(run), null);
    assertThat(still).containsEntry(id, "running");
  }
}
