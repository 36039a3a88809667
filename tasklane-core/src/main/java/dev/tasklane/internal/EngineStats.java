package dev.tasklane.internal;

import dev.tasklane.WorkerStats;
import java.util.concurrent.atomic.LongAdder;

/** Counters of what this node did since it started. */
public final class EngineStats {
  final LongAdder submitted = new LongAdder();
  final LongAdder started = new LongAdder();
  final LongAdder succeeded = new LongAdder();
  final LongAdder failed = new LongAdder();
  final LongAdder retried = new LongAdder();
  final LongAdder cancelled = new LongAdder();
  /** Writes of stale runs the store refused: its compare-and-set found the token moved on. */
  final LongAdder staleRefusedByStore = new LongAdder();
  /** Outcomes this node discarded itself: the run knew it had lost its lease and wrote nothing. */
  final LongAdder staleDiscarded = new LongAdder();
  final LongAdder leaseRenewals = new LongAdder();
  final LongAdder recovered = new LongAdder();

  public WorkerStats snapshot(int inFlight) {
    return new WorkerStats(
        submitted.sum(),
        started.sum(),
        succeeded.sum(),
        failed.sum(),
        retried.sum(),
        cancelled.sum(),
        staleRefusedByStore.sum() + staleDiscarded.sum(),
        staleRefusedByStore.sum(),
        staleDiscarded.sum(),
        leaseRenewals.sum(),
        recovered.sum(),
        inFlight);
  }
}
