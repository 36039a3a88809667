package dev.tasklane;

/**
 * Counts of one queue's tasks by state, with its concurrency limits and whether it is paused.
 *
 * @param running tasks whose handler started and has not ended (on every node)
 * @param claimed tasks leased to a node ahead of a free slot: they start there the moment one
 *     frees, and have not started (nor spent an attempt) yet
 * @param limit the queue's cluster-wide limit, or {@code null} if it has none
 * @param nodeLimit the most of its tasks this node runs at once: its own limit for the queue, or
 *     its concurrency
 * @param paused whether the queue is paused (its tasks are not started, on any node)
 */
public record QueueStats(
    String name,
    long scheduled,
    long queued,
    long running,
    long claimed,
    long succeeded,
    long failed,
    long cancelled,
    Integer limit,
    int nodeLimit,
    boolean paused) {

  /** Every task of the queue the store holds, in whatever state. */
  public long total() {
    return scheduled + queued + running + claimed + succeeded + failed + cancelled;
  }
}
