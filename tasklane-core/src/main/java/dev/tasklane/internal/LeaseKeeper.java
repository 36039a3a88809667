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
 * When renewals fail (the database is unreachable), a handler would otherwise run on after its
 * lease expired, while another node recovers its task and runs it again: twice at the same time.
 * So a run whose lease has not been confirmed for a whole lease, counted from when the last
 * successful renewal was <em>sent</em> (its expiry in the store is later than that), is stopped
 * here as lost, before any other node can take it over. Measured with {@link System#nanoTime()}, so
 * no clock's skew matters.
 */
final class LeaseKeeper {
  private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);

  private final TaskStore store;
  private final RunRegistry registry;
  private final Duration lease;
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
      EngineStats stats,
      SafeListener listener,
      Consumer<Run> stopped,
      LongSupplier nanoTime) {
    this.store = store;
    this.registry = registry;
    this.lease = lease;
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
      fenceExpired(runs);
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
          if (registry.holds(r) && stop(r, Run.StopReason.LEASE_LOST)) {
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

  /** Stops every run whose lease may have expired in the store (no renewal confirmed for a lease). */
  void fenceExpired(List<Run> runs) {
    long now = nanoTime.getAsLong();
    for (Run r : runs) {
      if (now - r.leaseConfirmedNanos() >= lease.toNanos()
          && registry.holds(r)
          && stop(r, Run.StopReason.LEASE_LOST)) {
        log.warn(
            "the lease of task {} could not be renewed for {} ms; stopping its run before another"
                + " node takes it over",
            r.taskId(),
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
