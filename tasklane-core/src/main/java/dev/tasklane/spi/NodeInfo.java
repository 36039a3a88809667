package dev.tasklane.spi;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A node as the cluster registry records it. Nodes upsert their row on every heartbeat; the
 * leader prunes rows whose heartbeat stopped long ago.
 *
 * <p>Stability: SPI; may gain fields in minor releases.
 *
 * @param id the node id, as in task leases
 * @param startedAt when the node started
 * @param heartbeatAt the node's latest heartbeat
 * @param concurrency the node's global limit
 * @param types the task types it serves
 */
public record NodeInfo(
    String id, Instant startedAt, Instant heartbeatAt, int concurrency, Set<String> types) {
  public NodeInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(startedAt, "startedAt");
    Objects.requireNonNull(heartbeatAt, "heartbeatAt");
    types = java.util.Collections.unmodifiableSet(new TreeSet<>(types == null ? Set.of() : types));
  }

  public NodeInfo withHeartbeatAt(Instant at) {
    return new NodeInfo(id, startedAt, at, concurrency, types);
  }
}
