package dev.tasklane;

/**
 * Counts of one queue's tasks by state, with its concurrency limit and whether it is paused.
 *
 * @param limit the queue's cluster-wide limit if it has one, else this node's limit for it
 * @param paused whether the queue is paused (its tasks are not started, on any node)
 */
public record QueueStats(
    String name,
    long scheduled,
    long queued,
    long running,
    long succeeded,
    long failed,
    long cancelled,
    int limit,
    boolean paused) {}
