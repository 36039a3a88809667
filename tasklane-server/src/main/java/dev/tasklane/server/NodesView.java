package dev.tasklane.server;

import dev.tasklane.NodeStatus;
import dev.tasklane.Task;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * {@code GET /api/v1/nodes}: the cluster's nodes, their heartbeat age, the tasks whose handlers
 * they run, and how many they hold claimed ahead of a free slot.
 */
record NodesView(List<NodeView> nodes) {

  /** One node. */
  record NodeView(
      String id,
      Instant startedAt,
      Instant heartbeatAt,
      double heartbeatAgeSeconds,
      boolean live,
      String host,
      long pid,
      int concurrency,
      Set<String> types,
      int runningCount,
      List<RunningTask> running,
      int claimedCount,
      String kind,
      String language,
      String client,
      List<String> queues) {
    static NodeView of(NodeStatus n, boolean internals) {
      return new NodeView(
          n.id(),
          n.startedAt(),
          n.heartbeatAt(),
          n.heartbeatAge().toMillis() / 1000.0,
          n.live(),
          internals ? n.host() : null,
          n.pid(),
          n.concurrency(),
          n.types(),
          n.running().size(),
          n.running().stream().map(RunningTask::of).toList(),
          n.claimed().size(),
          n.labels().getOrDefault("kind", "engine"),
          n.labels().getOrDefault("language", "java"),
          n.labels().get("client"),
          n.labels().containsKey("queues")
              ? List.of(n.labels().get("queues").split(","))
              : List.of());
    }
  }

  /** A task a node runs now. */
  record RunningTask(UUID id, String type, String queue, int attempt, Instant startedAt, int progress) {
    static RunningTask of(Task t) {
      return new RunningTask(t.id().value(), t.type(), t.queue(), t.attempt(), t.startedAt(), t.progress());
    }
  }

  /** The same nodes without host names. */
  NodesView withoutHosts() {
    return new NodesView(
        nodes.stream()
            .map(
                n ->
                    new NodeView(
                        n.id(), n.startedAt(), n.heartbeatAt(), n.heartbeatAgeSeconds(), n.live(),
                        null, n.pid(), n.concurrency(), n.types(), n.runningCount(), n.running(),
                        n.claimedCount(), n.kind(), n.language(), n.client(), n.queues()))
            .toList());
  }

  /** The nodes; host names only with {@code internals} (roles that operate the system). */
  static NodesView of(List<NodeStatus> nodes, boolean internals) {
    return new NodesView(nodes.stream().map(n -> NodeView.of(n, internals)).toList());
  }
}
