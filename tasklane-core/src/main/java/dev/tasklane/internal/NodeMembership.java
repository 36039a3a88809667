package dev.tasklane.internal;

import dev.tasklane.NodeIdInUseException;
import dev.tasklane.spi.NodeInfo;
import dev.tasklane.spi.NodeRecord;
import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's registration in the store's node registry, which makes a node id belong to one live
 * process at a time.
 *
 * <ul>
 *   <li>{@link #join()}: at start, the node claims its id. An id held by a registration that has
 *       expired (its process died or froze for longer than a lease, by the store's clock) is taken
 *       over. An id held by a live registration is waited for: if its heartbeat moves on, a second
 *       live process holds it and the start fails with {@link NodeIdInUseException} naming it; if
 *       it expires instead (a restart after a crash), it is taken over. Only after that may the
 *       node take back the runs left under its id.
 *   <li>{@link #heartbeat()}: renews the registration; if another process took the id over
 *       meanwhile (this one was silent for longer than a lease), the node is {@link #evicted()}:
 *       it claims nothing more, and its runs' leases, taken back by the new holder, are lost.
 *   <li>{@link #leave()}: at graceful shutdown, gives the id up.
 * </ul>
 */
final class NodeMembership {
  private static final Logger log = LoggerFactory.getLogger(NodeMembership.class);

  private final TaskStore store;
  private final NodeInfo me;
  private final Duration lease;
  private final Duration heartbeatInterval;
  private final EngineThreads time;
  private volatile boolean evicted;
  private boolean left; // guarded by this

  /**
   * @param time how to measure and wait out the wait for a holder's registration to expire
   */
  NodeMembership(
      TaskStore store, NodeInfo me, Duration lease, Duration heartbeatInterval, EngineThreads time) {
    this.store = store;
    this.me = me;
    this.lease = lease;
    this.heartbeatInterval = heartbeatInterval;
    this.time = time;
  }

  NodeInfo node() {
    return me;
  }

  /**
   * Claims this node's id, waiting out a holder whose registration may be left over from a crash.
   *
   * @throws NodeIdInUseException if a live process holds the id
   */
  void join() {
    NodeRecord holder = store.claimNode(me, lease);
    if (ours(holder)) {
      return;
    }
    log.warn(
        "node id {} is held by {}, whose latest heartbeat was {} ms ago: waiting for its"
            + " registration to expire (left over from a crash) or to be renewed (a live process,"
            + " which this node will not share the id with)",
        me.id(),
        holder.node().describeProcess(),
        holder.heartbeatAge().toMillis());
    // A live holder renews within a heartbeat interval of its own; an expired one is taken over
    // at the first try after its lease ends. Look often enough for both, for at most a lease and
    // a bit beyond what it had left.
    long deadline = time.nanoTime() + lease.plus(heartbeatInterval).multipliedBy(2).toNanos();
    Duration step =
        Loops.min(Loops.max(lease.dividedBy(20), Duration.ofMillis(20)), Duration.ofSeconds(1));
    while (time.nanoTime() < deadline) {
      time.pause(step);
      NodeRecord now = store.claimNode(me, lease);
      if (ours(now)) {
        log.info("took over node id {} from {}, whose registration expired", me.id(), holder.node().describeProcess());
        return;
      }
      if (!now.node().instance().equals(holder.node().instance())
          || now.heartbeatAt().isAfter(holder.heartbeatAt())) {
        throw new NodeIdInUseException(me.id(), now.node().describeProcess(), now.heartbeatAge());
      }
    }
    NodeRecord last = store.claimNode(me, lease);
    if (!ours(last)) {
      throw new NodeIdInUseException(me.id(), last.node().describeProcess(), last.heartbeatAge());
    }
  }

  private boolean ours(NodeRecord record) {
    return record.node().instance().equals(me.instance());
  }

  /**
   * Renews the registration; notices a takeover. Never after {@link #leave()}: a heartbeat racing
   * with the shutdown must not register the node again.
   */
  synchronized void heartbeat() {
    if (evicted || left) {
      return;
    }
    if (!store.heartbeatNode(me, lease)) {
      evicted = true;
      log.error(
          "node id {} was taken over by another process while this one was silent for longer than"
              + " a lease; this node claims no more tasks and its running tasks are lost to the new"
              + " holder. Restart it (with another --node-id if both should run).",
          me.id());
    }
  }

  /** True once another process took this node's id over. */
  boolean evicted() {
    return evicted;
  }

  /** Gives the id up, if this process still holds it; no heartbeat registers it again. */
  synchronized void leave() {
    left = true;
    store.removeNode(me);
  }
}
