package dev.tasklane.internal;

import dev.tasklane.Explanation;
import dev.tasklane.Explanation.Reason;
import dev.tasklane.Task;
import dev.tasklane.TaskState;
import dev.tasklane.spi.NodeInfo;
import dev.tasklane.spi.NodeRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Answers "why is this task not running?": from the task and what the store says of its queue and
 * the nodes, the one reason that holds it, checked in the order a claim would meet them (paused
 * queue, no node for the type, the queue's cluster-wide limit, busy nodes, tasks ahead in line).
 *
 * <p>A pure function of its inputs, so each reason is tested without a store; {@link
 * dev.tasklane.Worker#explain} gathers the inputs.
 */
public final class Explainer {

  /** What the store says around one task, read when it is explained. */
  public record Facts(
      Task task,
      Instant now,
      boolean queuePaused,
      Integer queueLimit,
      long runningInQueue,
      List<Task> runningSample,
      List<NodeRecord> nodes,
      Map<String, Long> runningByNode,
      LongSupplier queuedAhead) {}

  private Explainer() {}

  public static Explanation explain(Facts f) {
    Task t = f.task();
    return switch (t.state()) {
      case SCHEDULED -> scheduled(f);
      case QUEUED -> queued(f);
      case RUNNING -> running(f);
      case SUCCEEDED, FAILED, CANCELLED -> finished(f);
    };
  }

  private static Explanation scheduled(Facts f) {
    Task t = f.task();
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("run_at", t.runAt().toString());
    d.put("seconds_until", seconds(Duration.between(f.now(), t.runAt())));
    String when =
        t.runAt().isAfter(f.now())
            ? "at " + t.runAt() + " (in " + human(Duration.between(f.now(), t.runAt())) + ")"
            : "now: it is due, and the next pass of a node's dispatcher queues it";
    if (t.attempt() > 0 && t.lastError() != null) {
      d.put("attempt", t.attempt());
      d.put("max_attempts", t.maxAttempts());
      d.put("last_error", t.lastError());
      return new Explanation(
          t.id(),
          t.state(),
          Reason.RETRY_BACKOFF,
          "Waiting to retry: attempt "
              + t.attempt()
              + " of "
              + t.maxAttempts()
              + " failed with \""
              + t.lastError()
              + "\"; the next attempt is "
              + when
              + ".",
          d);
    }
    return new Explanation(t.id(), t.state(), Reason.SCHEDULED, "Scheduled to run " + when + ".", d);
  }

  private static Explanation queued(Facts f) {
    Task t = f.task();
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("queue", t.queue());
    if (f.queuePaused()) {
      return new Explanation(
          t.id(),
          t.state(),
          Reason.QUEUE_PAUSED,
          "Queue " + t.queue() + " is paused: none of its tasks starts until it is resumed.",
          d);
    }
    List<NodeInfo> live = f.nodes().stream().filter(NodeRecord::live).map(NodeRecord::node).toList();
    // A remote worker that names its queues serves only those; an engine node serves every queue.
    List<NodeInfo> serving =
        live.stream().filter(n -> n.types().contains(t.type()) && servesQueue(n, t.queue())).toList();
    if (serving.isEmpty()) {
      d.put("type", t.type());
      d.put("live_nodes", live.stream().map(NodeInfo::id).toList());
      return new Explanation(
          t.id(),
          t.state(),
          Reason.NO_NODE_FOR_TYPE,
          "No live node or worker runs tasks of type "
              + t.type()
              + " from queue "
              + t.queue()
              + (live.isEmpty()
                  ? ": no node is running."
                  : "; the " + live.size() + " live node" + (live.size() == 1 ? "" : "s")
                      + " (" + String.join(", ", live.stream().map(NodeInfo::id).toList())
                      + ") do not serve it there."),
          d);
    }
    if (f.queueLimit() != null && f.runningInQueue() >= f.queueLimit()) {
      List<String> holders = f.runningSample().stream().map(r -> r.id() + " on " + r.leaseOwner()).toList();
      d.put("limit", f.queueLimit());
      d.put("running", f.runningInQueue());
      d.put("held_by", f.runningSample().stream().map(r -> r.id().toString()).toList());
      return new Explanation(
          t.id(),
          t.state(),
          Reason.QUEUE_LIMIT_FULL,
          "Queue "
              + t.queue()
              + " has its cluster-wide limit of "
              + f.queueLimit()
              + " running ("
              + String.join(", ", holders)
              + (f.runningInQueue() > holders.size() ? ", ..." : "")
              + "); it starts when one of them ends.",
          d);
    }
    boolean allBusy =
        serving.stream().allMatch(n -> f.runningByNode().getOrDefault(n.id(), 0L) >= n.concurrency());
    if (allBusy) {
      List<String> load = new ArrayList<>();
      Map<String, Object> nodes = new LinkedHashMap<>();
      for (NodeInfo n : serving) {
        long r = f.runningByNode().getOrDefault(n.id(), 0L);
        load.add(n.id() + " " + r + "/" + n.concurrency());
        nodes.put(n.id(), Map.of("running", r, "concurrency", n.concurrency()));
      }
      d.put("nodes", nodes);
      return new Explanation(
          t.id(),
          t.state(),
          Reason.NODES_BUSY,
          "Every node that runs type " + t.type() + " has all its slots taken (" + String.join(", ", load)
              + "); it starts when a slot frees.",
          d);
    }
    long ahead = f.queuedAhead().getAsLong();
    d.put("ahead", ahead);
    if (ahead > 0) {
      return new Explanation(
          t.id(),
          t.state(),
          Reason.QUEUED_BEHIND,
          ahead + " task" + (ahead == 1 ? "" : "s") + " of queue " + t.queue()
              + " come before it (higher priority, or the same priority and earlier).",
          d);
    }
    return new Explanation(
        t.id(),
        t.state(),
        Reason.NEXT_IN_LINE,
        "It is first in line in queue " + t.queue() + ": the next node with a free slot starts it.",
        d);
  }

  private static Explanation running(Facts f) {
    Task t = f.task();
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("node", t.leaseOwner());
    d.put("attempt", t.attempt());
    d.put("max_attempts", t.maxAttempts());
    d.put("started_at", t.startedAt() == null ? null : t.startedAt().toString());
    d.put("lease_expires_at", t.leaseExpiresAt() == null ? null : t.leaseExpiresAt().toString());
    d.put("progress", t.progress());
    NodeRecord node =
        f.nodes().stream().filter(n -> n.id().equals(t.leaseOwner())).findFirst().orElse(null);
    Duration age = node == null ? null : node.heartbeatAge();
    d.put("heartbeat_age_seconds", age == null ? null : seconds(age));
    if (node == null || !node.live()) {
      return new Explanation(
          t.id(),
          t.state(),
          Reason.NODE_SILENT,
          "Node "
              + t.leaseOwner()
              + " holds its lease but "
              + (node == null ? "is not registered any more" : "has sent no heartbeat for " + human(age))
              + "; when the lease expires at "
              + t.leaseExpiresAt()
              + ", a live node returns the task to its queue.",
          d);
    }
    if (t.startedAt() == null) {
      return new Explanation(
          t.id(),
          t.state(),
          Reason.CLAIMED_AHEAD,
          "Claimed ahead by node "
              + t.leaseOwner()
              + ", whose heartbeat was "
              + human(age)
              + " ago: it starts there as soon as one of that node's slots frees. No attempt is"
              + " spent until it starts; should the node die first, it returns to its queue as it"
              + " was.",
          d);
    }
    return new Explanation(
        t.id(),
        t.state(),
        Reason.RUNNING,
        "Running on node "
            + t.leaseOwner()
            + " (attempt "
            + t.attempt()
            + " of "
            + t.maxAttempts()
            + ", "
            + t.progress()
            + "% done), whose heartbeat was "
            + human(age)
            + " ago; its lease runs until "
            + t.leaseExpiresAt()
            + ".",
        d);
  }

  private static Explanation finished(Facts f) {
    Task t = f.task();
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("finished_at", t.finishedAt() == null ? null : t.finishedAt().toString());
    d.put("attempt", t.attempt());
    if (t.lastError() != null) {
      d.put("last_error", t.lastError());
    }
    String message =
        "It finished: "
            + t.state().apiName()
            + " at "
            + t.finishedAt()
            + (t.state() == TaskState.FAILED ? ", after attempt " + t.attempt() + ": \"" + t.lastError() + "\"" : "")
            + (t.state() == TaskState.SUCCEEDED ? "" : "; it runs again only if retried")
            + ".";
    return new Explanation(t.id(), t.state(), Reason.FINISHED, message, d);
  }

  private static double seconds(Duration d) {
    return Math.round(d.toMillis() / 100.0) / 10.0;
  }

  /** 3.2 s, 4 min 10 s, 2 h 5 min. */
  static String human(Duration d) {
    long ms = Math.max(0, d.toMillis());
    if (ms < 60_000) {
      return String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
    }
    long s = ms / 1000;
    if (s < 3600) {
      return (s / 60) + " min " + (s % 60) + " s";
    }
    return (s / 3600) + " h " + (s % 3600 / 60) + " min";
  }

  private static boolean servesQueue(NodeInfo node, String queue) {
    String queues = node.labels().get("queues");
    return queues == null || queues.isEmpty() || List.of(queues.split(",")).contains(queue);
  }
}
