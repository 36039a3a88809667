package dev.tasklane.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A node's row in the registry as the store read it. Ages and liveness are measured by the
 * store's clock (the database's, for a store shared by many nodes), never by a reader's, so a node
 * with a skewed clock cannot take another for dead.
 *
 * <p>Stability: SPI; may gain fields in minor releases.
 *
 * @param node what the node registered
 * @param heartbeatAt its latest heartbeat, by the store's clock
 * @param heartbeatAge how long ago that was, by the store's clock
 * @param live whether its registration is still valid: its latest heartbeat is younger than the
 *     lease it announced with it. A node that is not live is provably gone or frozen; its id may
 *     be taken over
 */
public record NodeRecord(NodeInfo node, Instant heartbeatAt, Duration heartbeatAge, boolean live) {
  public NodeRecord {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(heartbeatAt, "heartbeatAt");
    Objects.requireNonNull(heartbeatAge, "heartbeatAge");
    if (heartbeatAge.isNegative()) {
      heartbeatAge = Duration.ZERO;
    }
  }

  public String id() {
    return node.id();
  }
}
