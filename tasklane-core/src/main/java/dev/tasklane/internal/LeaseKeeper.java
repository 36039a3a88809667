package dev.tasklane.internal;

import dev.tasklane.spi.LeaseStatus;
import dev.tasklane.spi.RunRef;
import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's leases: every heartbeat interval ({@code tasklane-heartbeat} thread) it renews
 * the lease of every run in the {@link RunRegistry}, and learns from the answers which runs had a
 * cancel requested and which lost their task; it stops those runs.
 *
 * <h2>Self-fencing</h2>
 *
 * When renewals fail or hang (the database is unreachable, or silent), a handler would otherwise
 * run on after its lease expired, while another node recovers its task and runs it again: twice
 * at the same time. So a run whose lease has not been confirmed for {@code fenceAfter} (most of a
 * lease: a lease less half a heartbeat interval), counted from when the last successful renewal
 * was <em>sent</em> (its expiry in the store is later than that), is stopped here as lost, before
 * any other node can take it over. {@link #fenceOverdue()} checks this on a timer of its own, so
 * a renewal that hangs does not delay it. Measured with the engine's monotonic time, so no clock's
 * skew matters.
 */
final class LeaseKeeper {
  private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);

  private final TaskStore store;
  private final RunRegistry registry;
  private final Duration lease;
  private final Duration fenceAfter;
  private final EngineStats stats;
  private final SafeListener listener;
  private final Consumer<Run> stopped;
  private final LongSupplier nanoTime;

  /**
   * @param stopped told of every run this keeper stopped (a run in line must be swept out of it)
   */
  LeaseKeeper(
      TaskStore store,
      RunRegistry registry,
      Duration lease,
      Duration heartbeatInterval,
      EngineStats stats,
      SafeListener listener,
      Consumer<Run> stopped,
      LongSupplier nanoTime) {
    this.store = store;
    this.registry = registry;
    this.lease = lease;
    this.fenceAfter = lease.minus(heartbeatInterval.dividedBy(2));
    this.stats = stats;
    this.listener = listener;
    this.stopped = stopped;
    this.nanoTime = nanoTime;
  }

  /** One round of renewals; a store failure is logged by the loop, after self-fencing. */
  void renew() {
    List<Run> runs = registry.snapshot();
    if (runs.isEmpty()) {
      return;
    }
    List<RunRef> refs = new ArrayList<>(runs.size());
    for (Run r : runs) {
      refs.add(r.ref());
    }
    long sent = nanoTime.getAsLong();
    Map<RunRef, LeaseStatus> statuses;
    try {
      statuses = store.renewLeases(refs, lease);
    } catch (RuntimeException e) {
      fenceOverdue();
      throw e;
    }
    int renewed = 0;
    for (Run r : runs) {
      LeaseStatus status = statuses.getOrDefault(r.ref(), LeaseStatus.LOST);
      switch (status) {
        case RENEWED -> {
          renewed++;
          r.leaseConfirmed(sent);
        }
        case CANCEL_REQUESTED -> {
          renewed++;
          r.leaseConfirmed(sent);
          stop(r, Run.StopReason.CANCELLED);
        }
        case LOST -> {
          // A run whose handler returned meanwhile may have just written its outcome: the task
          // left running because it finished, not because its lease was lost.
          if (registry.holds(r) && !r.handlerReturned() && stop(r, Run.StopReason.LEASE_LOST)) {
            log.warn("lease of task {} was lost; stopping its run", r.taskId());
          }
        }
      }
    }
    stats.leaseRenewals.add(renewed);
    if (renewed > 0) {
      int n = renewed;
      listener.tell(l -> l.onLeasesRenewed(n));
    }
  }

  /**
   * Stops every run whose lease may be about to expire in the store: none of its renewals was
   * confirmed for {@code fenceAfter}.
   */
  void fenceOverdue() {
    long now = nanoTime.getAsLong();
    for (Run r : registry.view()) {
      if (now - r.leaseConfirmedNanos() >= fenceAfter.toNanos()
          && registry.holds(r)
          && stop(r, Run.StopReason.LEASE_LOST)) {
        log.warn(
            "the lease of task {} could not be renewed for {} ms of its {} ms; stopping its run"
                + " before another node can take it over",
            r.taskId(),
            fenceAfter.toMillis(),
            lease.toMillis());
      }
    }
  }

  /** A cancel request for a run of {@code id} on this node, if it has one. */
  void cancel(dev.tasklane.TaskId id) {
    Run run = registry.get(id);
    if (run != null) {
      stop(run, Run.StopReason.CANCELLED);
    }
  }

  private boolean stop(Run run, Run.StopReason reason) {
    boolean first = run.stop(reason);
    if (first) {
      stopped.accept(run);
    }
    return first;
  }
}
