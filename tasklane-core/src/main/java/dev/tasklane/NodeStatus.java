package dev.tasklane;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * A node of the cluster as the store last saw it, with the tasks it runs now.
 *
 * @param id the node id, as in task leases
 * @param startedAt when it started
 * @param heartbeatAt its latest heartbeat
 * @param concurrency its global limit
 * @param types the task types it serves
 * @param running the tasks it holds leases on
 */
public record NodeStatus(
    String id,
    Instant startedAt,
    Instant heartbeatAt,
    int concurrency,
    Set<String> types,
    List<Task> running) {
  public NodeStatus {
    types = Set.copyOf(types);
    running = List.copyOf(running);
  }
}
