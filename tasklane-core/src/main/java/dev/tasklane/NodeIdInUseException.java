package dev.tasklane;

import java.time.Duration;

/**
 * A worker could not start: another live process holds its node id. Node ids name the holder of a
 * lease, so two live processes must never share one (each would take the other's tasks back).
 * Give each process its own id, or leave the id unset for a unique one.
 */
public class NodeIdInUseException extends TasklaneException {
  private final String nodeId;
  private final String holder;

  public NodeIdInUseException(String nodeId, String holder, Duration heartbeatAge) {
    super(
        "node id '"
            + nodeId
            + "' is held by a live process: "
            + holder
            + ", whose latest heartbeat was "
            + heartbeatAge.toMillis()
            + " ms ago. Stop that process, or give this one another node id.");
    this.nodeId = nodeId;
    this.holder = holder;
  }

  public String nodeId() {
    return nodeId;
  }

  /** The process that holds the id, as the registry describes it. */
  public String holder() {
    return holder;
  }
}
