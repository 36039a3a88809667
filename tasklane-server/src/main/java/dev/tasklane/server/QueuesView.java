package dev.tasklane.server;

import dev.tasklane.QueueStats;
import java.util.List;

/**
 * {@code GET /api/v1/queues}: counts by state per queue, its cluster-wide limit (or {@code null})
 * and this node's, and whether it is paused.
 */
record QueuesView(List<QueueView> queues) {

  /**
   * One queue's counts. {@code running} counts started handlers only; {@code claimed}, the tasks
   * leased to a node ahead of a free slot, which have not started.
   */
  record QueueView(
      String name,
      long queued,
      long scheduled,
      long running,
      long claimed,
      Integer limit,
      int nodeLimit,
      long succeeded,
      long failed,
      long cancelled,
      boolean paused) {
    static QueueView of(QueueStats s) {
      return new QueueView(
          s.name(), s.queued(), s.scheduled(), s.running(), s.claimed(), s.limit(), s.nodeLimit(),
          s.succeeded(), s.failed(), s.cancelled(), s.paused());
    }
  }

  static QueuesView of(List<QueueStats> stats) {
    return new QueuesView(stats.stream().map(QueueView::of).toList());
  }
}
