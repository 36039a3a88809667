package dev.tasklane;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A node of the cluster as the store last saw it, with the tasks it runs now. Ages and liveness
 * are measured by the store's clock (the database's, in a cluster).
 *
 * @param id the node id, as in task leases
 * @param host the host its process runs on
 * @param pid its process id there
 * @param startedAt when it started
 * @param heartbeatAt its latest heartbeat
 * @param heartbeatAge how long ago that was
 * @param live whether its latest heartbeat is younger than its lease: a node that is not live has
 *     died or frozen, and its tasks are recovered as their leases expire
 * @param concurrency its global limit
 * @param types the task types it serves
 * @param running the tasks whose handlers it runs now (started; never more than its concurrency)
 * @param claimed the tasks it holds leases on ahead of a free slot: they start there the moment one
 *     frees, and have not started yet
 * @param labels what it says of itself beyond that: a remote worker's {@code kind} ({@code
 *     remote}), {@code language}, {@code client} and {@code queues}; empty for an engine node
 */
public record NodeStatus(
    String id,
    String host,
    long pid,
    Instant startedAt,
    Instant heartbeatAt,
    Duration heartbeatAge,
    boolean live,
    int concurrency,
    Set<String> types,
    List<Task> running,
    List<Task> claimed,
    Map<String, String> labels) {
  public NodeStatus {
    labels = Map.copyOf(labels);
    types = Set.copyOf(types);
    running = List.copyOf(running);
    claimed = List.copyOf(claimed);
  }
}
