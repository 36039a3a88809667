package dev.tasklane;

/**
 * Counts of one queue's tasks by state, with this node's concurrency limit for it.
 *
 * @param limit this node's concurrency limit for the queue
 */
public record QueueStats(
    String name,
    long scheduled,
    long queued,
    long running,
    long succeeded,
    long failed,
    long cancelled,
    int limit) {}
