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
 * @param staleRejected outcomes discarded because the run had lost its lease
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
    long leaseRenewals,
    long recovered,
    int inFlight) {}
