package dev.tasklane;

/**
 * What one worker did since it started.
 *
 * @param submitted tasks this worker accepted (not counting idempotent repeats)
 * @param started runs started on this node
 * @param succeeded runs that ended {@code succeeded}
 * @param failed runs that ended {@code failed}
 * @param retried failed runs rescheduled for another attempt
 * @param cancelled runs that ended {@code cancelled}
 * @param staleRejected writes of runs that had lost their lease, refused or discarded: the sum of
 *     the next two
 * @param staleRefusedByStore writes the store refused: the run still believed it held its task,
 *     and the store's compare-and-set on the fencing token found it moved on (a frozen node's late
 *     outcome, say)
 * @param staleDiscarded outcomes this node discarded without writing: the run had learnt it lost
 *     its lease (a renewal said so) before its outcome was ready
 * @param leaseRenewals lease renewals written
 * @param recovered tasks recovered from expired or orphaned leases
 * @param inFlight handlers running now
 */
public record WorkerStats(
    long submitted,
    long started,
    long succeeded,
    long failed,
    long retried,
    long cancelled,
    long staleRejected,
    long staleRefusedByStore,
    long staleDiscarded,
    long leaseRenewals,
    long recovered,
    int inFlight) {}
