package dev.tasklane.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tasklane.Explanation;
import dev.tasklane.Explanation.Reason;
import dev.tasklane.Task;
import dev.tasklane.TaskId;
import dev.tasklane.TaskState;
import dev.tasklane.spi.NodeInfo;
import dev.tasklane.spi.NodeRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every reason {@link Explainer} gives, each from the facts that should produce it. */
class ExplainerTest {
  private static final Instant NOW = Instant.parse("2030-01-01T12:00:00Z");
  /** As the store says it: a node is live while its heartbeat is younger than its lease. */
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final NodeRecord NODE_A = node("a", 5, NOW.minusSeconds(2), "report");
  private static final NodeRecord NODE_B = node("b", 2, NOW.minusSeconds(3), "report", "email");

  private static NodeRecord node(String id, int concurrency, Instant heartbeat, String... types) {
    Duration age = Duration.between(heartbeat, NOW);
    return new NodeRecord(
        new NodeInfo(id, "i-" + id, "host", 1, NOW.minusSeconds(3600), concurrency, Set.of(types)),
        heartbeat,
        age,
        age.compareTo(LEASE) <= 0);
  }

  private static Task task(TaskState state, int attempt, Instant runAt, String lastError, String owner) {
    boolean terminal = state.isTerminal();
    return new Task(
        TaskId.next(), "report", "reports", "{}", 0, state, attempt, 3, runAt, null, NOW.minusSeconds(60),
        state == TaskState.RUNNING || terminal ? NOW.minusSeconds(10) : null,
        terminal ? NOW.minusSeconds(1) : null,
        lastError, List.of(), null, state == TaskState.RUNNING ? 40 : 0, null,
        owner, owner == null ? null : NOW.plusSeconds(20), attempt, false, owner);
  }

  private static Task queued() {
    return task(TaskState.QUEUED, 0, NOW.minusSeconds(5), null, null);
  }

  private record Given(
      boolean paused, Integer limit, long runningInQueue, List<Task> sample, List<NodeRecord> nodes,
      Map<String, Long> byNode, long ahead) {
    static Given idleCluster() {
      return new Given(false, null, 0, List.of(), List.of(NODE_A, NODE_B), Map.of(), 0);
    }
  }

  private static Explanation explain(Task t, Given g) {
    return Explainer.explain(
        new Explainer.Facts(
            t, NOW, g.paused(), g.limit(), g.runningInQueue(), g.sample(), g.nodes(), g.byNode(),
            g::ahead));
  }

  @Test
  void aDelayedTaskIsScheduledUntilItsTime() {
    Explanation e = explain(task(TaskState.SCHEDULED, 0, NOW.plusSeconds(90), null, null), Given.idleCluster());
    assertThat(e.reason()).isEqualTo(Reason.SCHEDULED);
    assertThat(e.message()).isEqualTo("Scheduled to run at 2030-01-01T12:01:30Z (in 1 min 30 s).");
    assertThat(e.details()).containsEntry("seconds_until", 90.0);
  }

  @Test
  void aFailedAttemptWithAttemptsLeftWaitsForItsRetry() {
    Explanation e =
        explain(task(TaskState.SCHEDULED, 2, NOW.plusSeconds(8), "java.io.IOException: timeout", null), Given.idleCluster());
    assertThat(e.reason()).isEqualTo(Reason.RETRY_BACKOFF);
    assertThat(e.message())
        .isEqualTo("Waiting to retry: attempt 2 of 3 failed with \"java.io.IOException: timeout\"; the next attempt is at 2030-01-01T12:00:08Z (in 8.0 s).");
    assertThat(e.details()).containsEntry("attempt", 2).containsEntry("last_error", "java.io.IOException: timeout");
  }

  @Test
  void aPausedQueueComesFirst() {
    Given g = new Given(true, 1, 1, List.of(), List.of(), Map.of(), 10);
    Explanation e = explain(queued(), g);
    assertThat(e.reason()).isEqualTo(Reason.QUEUE_PAUSED);
    assertThat(e.message()).isEqualTo("Queue reports is paused: none of its tasks starts until it is resumed.");
  }

  @Test
  void noLiveNodeServingTheTypeIsSaidWithTheNodesThatAreLive() {
    NodeRecord emailOnly = node("mailer", 4, NOW.minusSeconds(1), "email");
    NodeRecord silent = node("old", 4, NOW.minusSeconds(300), "report");
    Explanation e = explain(queued(), new Given(false, null, 0, List.of(), List.of(emailOnly, silent), Map.of(), 0));
    assertThat(e.reason()).isEqualTo(Reason.NO_NODE_FOR_TYPE);
    assertThat(e.message())
        .isEqualTo("No live node or worker runs tasks of type report from queue reports; the 1 live node (mailer) do not serve it there.");
    assertThat(e.details()).containsEntry("live_nodes", List.of("mailer"));

    Explanation none = explain(queued(), new Given(false, null, 0, List.of(), List.of(), Map.of(), 0));
    assertThat(none.message())
        .isEqualTo("No live node or worker runs tasks of type report from queue reports: no node is running.");
  }

  @Test
  void aRemoteWorkerServesOnlyTheQueuesItNames() {
    NodeRecord elsewhere =
        new NodeRecord(
            new NodeInfo(
                "py-1", "i", "host", 1, NOW.minusSeconds(60), 4, Set.of("report"),
                Map.of(NodeInfo.KIND, "remote", "queues", "mail,billing")),
            NOW.minusSeconds(1),
            Duration.ofSeconds(1),
            true);
    Explanation e = explain(queued(), new Given(false, null, 0, List.of(), List.of(elsewhere), Map.of(), 0));
    assertThat(e.reason()).isEqualTo(Reason.NO_NODE_FOR_TYPE);

    NodeRecord here =
        new NodeRecord(
            new NodeInfo(
                "py-2", "i", "host", 1, NOW.minusSeconds(60), 4, Set.of("report"),
                Map.of(NodeInfo.KIND, "remote", "queues", "reports")),
            NOW.minusSeconds(1),
            Duration.ofSeconds(1),
            true);
    Explanation served = explain(queued(), new Given(false, null, 0, List.of(), List.of(elsewhere, here), Map.of(), 0));
    assertThat(served.reason()).isNotEqualTo(Reason.NO_NODE_FOR_TYPE);
  }

  @Test
  void aFullQueueLimitNamesTheTasksHoldingIt() {
    Task holder = task(TaskState.RUNNING, 1, NOW.minusSeconds(30), null, "a");
    Explanation e = explain(queued(), new Given(false, 1, 1, List.of(holder), List.of(NODE_A), Map.of("a", 1L), 3));
    assertThat(e.reason()).isEqualTo(Reason.QUEUE_LIMIT_FULL);
    assertThat(e.message())
        .isEqualTo("Queue reports has its cluster-wide limit of 1 running (" + holder.id() + " on a); it starts when one of them ends.");
    assertThat(e.details()).containsEntry("held_by", List.of(holder.id().toString()));
  }

  @Test
  void everyServingNodeFullIsSaidWithEachNodesLoad() {
    Explanation e = explain(queued(), new Given(false, null, 0, List.of(), List.of(NODE_A, NODE_B), Map.of("a", 5L, "b", 2L), 7));
    assertThat(e.reason()).isEqualTo(Reason.NODES_BUSY);
    assertThat(e.message()).isEqualTo("Every node that runs type report has all its slots taken (a 5/5, b 2/2); it starts when a slot frees.");
  }

  @Test
  void aTaskBehindOthersSaysHowManyComeFirst() {
    Explanation e = explain(queued(), new Given(false, null, 0, List.of(), List.of(NODE_A), Map.of("a", 4L), 12));
    assertThat(e.reason()).isEqualTo(Reason.QUEUED_BEHIND);
    assertThat(e.message()).isEqualTo("12 tasks of queue reports come before it (higher priority, or the same priority and earlier).");
    assertThat(e.details()).containsEntry("ahead", 12L);
  }

  @Test
  void aTaskFirstInLineIsNext() {
    Explanation e = explain(queued(), Given.idleCluster());
    assertThat(e.reason()).isEqualTo(Reason.NEXT_IN_LINE);
  }

  @Test
  void aRunningTaskNamesItsNodeAndTheAgeOfItsHeartbeat() {
    Explanation e = explain(task(TaskState.RUNNING, 1, NOW.minusSeconds(30), null, "a"), Given.idleCluster());
    assertThat(e.reason()).isEqualTo(Reason.RUNNING);
    assertThat(e.message())
        .isEqualTo("Running on node a (attempt 1 of 3, 40% done), whose heartbeat was 2.0 s ago; its lease runs until 2030-01-01T12:00:20Z.");
    assertThat(e.details()).containsEntry("heartbeat_age_seconds", 2.0).containsEntry("node", "a");
  }

  @Test
  void aTaskClaimedAheadSaysItStartsWhenASlotFreesAndHasSpentNoAttempt() {
    Task t = task(TaskState.RUNNING, 0, NOW.minusSeconds(30), null, "a");
    Task ahead =
        new Task(
            t.id(), t.type(), t.queue(), t.payload(), t.priority(), t.state(), 0, t.maxAttempts(),
            t.runAt(), t.timeout(), t.createdAt(), null, null, null, List.of(), null, 0, null, "a",
            t.leaseExpiresAt(), 1, false, "a");
    Explanation e = explain(ahead, Given.idleCluster());
    assertThat(e.reason()).isEqualTo(Reason.CLAIMED_AHEAD);
    assertThat(e.message())
        .isEqualTo(
            "Claimed ahead by node a, whose heartbeat was 2.0 s ago: it starts there as soon as one"
                + " of that node's slots frees. No attempt is spent until it starts; should the node"
                + " die first, it returns to its queue as it was.");
    assertThat(e.details()).containsEntry("started_at", null).containsEntry("attempt", 0);
  }

  @Test
  void aRunningTaskOnASilentOrVanishedNodeSaysItsLeaseWillExpire() {
    NodeRecord silent = node("a", 5, NOW.minusSeconds(95), "report");
    Explanation e = explain(task(TaskState.RUNNING, 1, NOW.minusSeconds(30), null, "a"),
        new Given(false, null, 0, List.of(), List.of(silent), Map.of(), 0));
    assertThat(e.reason()).isEqualTo(Reason.NODE_SILENT);
    assertThat(e.message())
        .isEqualTo("Node a holds its lease but has sent no heartbeat for 1 min 35 s; when the lease expires at 2030-01-01T12:00:20Z, a live node returns the task to its queue.");

    Explanation gone = explain(task(TaskState.RUNNING, 1, NOW.minusSeconds(30), null, "x"), Given.idleCluster());
    assertThat(gone.reason()).isEqualTo(Reason.NODE_SILENT);
    assertThat(gone.message()).contains("is not registered any more");
  }

  @Test
  void aFinishedTaskSaysHowItEnded() {
    Explanation failed = explain(task(TaskState.FAILED, 3, NOW.minusSeconds(30), "boom", null), Given.idleCluster());
    assertThat(failed.reason()).isEqualTo(Reason.FINISHED);
    assertThat(failed.message())
        .isEqualTo("It finished: failed at 2030-01-01T11:59:59Z, after attempt 3: \"boom\"; it runs again only if retried.");
    Explanation ok = explain(task(TaskState.SUCCEEDED, 1, NOW.minusSeconds(30), null, null), Given.idleCluster());
    assertThat(ok.message()).isEqualTo("It finished: succeeded at 2030-01-01T11:59:59Z.");
  }

  @Test
  void everyReasonHasATest() {
    // The reasons exercised above, and RATE_LIMITED, which Worker.explain gives from the store's
    // reservation (WorkerContract's keyed rate limit test); a new reason without a test fails this.
    assertThat(Reason.values()).hasSize(13);
  }
}
