package dev.tasklane.server;

import dev.tasklane.QueueStats;
import java.util.List;

/**
 * {@code GET /api/v1/queues}: counts by state per queue, with its limit (cluster-wide if set, else
 * this node's) and whether it is paused.
 */
record QueuesView(List<QueueView> queues) {

  /** One queue's counts. */
  record QueueView(
      String name,
      long queued,
      long scheduled,
      long running,
      int limit,
      long succeeded,
      long failed,
      long cancelled,
      boolean paused) {
    static QueueView of(QueueStats s) {
      return new QueueView(
          s.name(), s.queued(), s.scheduled(), s.running(), s.limit(), s.succeeded(), s.failed(),
          s.cancelled(), s.paused());
    }
  }

  static QueuesView of(List<QueueStats> stats) {
    return new QueuesView(stats.stream().map(QueueView::of).toList());
  }
}
