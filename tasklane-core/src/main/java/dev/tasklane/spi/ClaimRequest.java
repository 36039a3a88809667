package dev.tasklane.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * What {@link TaskStore#claim(ClaimRequest)} takes: up to {@code limit} ready tasks of {@code
 * queue}, leased to {@code nodeId} for {@code lease}.
 *
 * <p>The first {@code start} of them, in claim order, start at once: their attempt is spent and
 * {@code started_at} set. The rest are claimed ahead: leased to the node (so no other node takes
 * them, and they count against the queue's cluster-wide limit) but not started, so a node that
 * dies holding them costs them no attempt. The engine starts them later with {@link
 * TaskStore#writeRuns(RunWrites)}.
 *
 * <p>Stability: SPI.
 *
 * @param queue the queue to claim from
 * @param limit most tasks to claim; zero or more
 * @param start how many of them start at once, from 0 to {@code limit}
 * @param nodeId the claiming node, recorded as the lease owner
 * @param now the engine's time: tasks whose {@code run_at} is after it are not ready
 * @param lease how long the leases last; the store adds it to its own clock, so that every node's
 *     lease is measured against one clock
 * @param types the task types to claim, or {@code null} for any type. Tasks of other types are
 *     passed over in claim order (they stay queued, ahead of the claimed ones, for a claimer that
 *     serves them); an empty set claims nothing
 */
public record ClaimRequest(
    String queue, int limit, int start, String nodeId, Instant now, Duration lease, Set<String> types) {
  public ClaimRequest {
    types = types == null ? null : Set.copyOf(types);
    Objects.requireNonNull(queue, "queue");
    Objects.requireNonNull(nodeId, "nodeId");
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(lease, "lease");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative: " + limit);
    }
    if (start < 0 || start > limit) {
      throw new IllegalArgumentException("start must be between 0 and limit " + limit + ": " + start);
    }
    if (lease.isNegative()) {
      throw new IllegalArgumentException("lease must not be negative: " + lease);
    }
  }

  /** A claim of tasks of any type. */
  public ClaimRequest(String queue, int limit, int start, String nodeId, Instant now, Duration lease) {
    this(queue, limit, start, nodeId, now, lease, null);
  }

  /** The same claim, of tasks of {@code types} only (a claimer that serves some types). */
  public ClaimRequest ofTypes(Set<String> types) {
    return new ClaimRequest(queue, limit, start, nodeId, now, lease, types);
  }

  /** A claim of up to {@code limit} tasks that all start at once. */
  public static ClaimRequest starting(
      String queue, int limit, String nodeId, Instant now, Duration lease) {
    return new ClaimRequest(queue, limit, limit, nodeId, now, lease);
  }
}
