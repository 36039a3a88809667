package dev.tasklane.internal;

import dev.tasklane.TaskId;
import dev.tasklane.spi.RateStore.Bucket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which claimed tasks may start now under their rate limits, and when the others may: the generic
 * cell rate algorithm (GCRA), a pure function of the buckets' theoretical arrival times (TATs),
 * the tasks in claim order, their reserved starts, and the time (all in microseconds).
 *
 * <p>A bucket with emission interval {@code T} (the window over the limit) and tolerance {@code
 * tau} ({@code (burst - 1) * T}) lets a start through at {@code now} if {@code max(tat, now) - tau
 * <= now}; every start, now or reserved for later, moves its TAT to {@code max(tat, now) + T}. So
 * in any stretch {@code t} at most {@code burst + t / T} starts happen, counting reserved ones at
 * their reserved time. A task that cannot start now gets the earliest start its buckets allow,
 * reserved: when it comes back then, it starts without taking another token. Tasks take their
 * slots in claim order, so within a bucket priority order and FIFO hold.
 */
final class RatePlan {
  private RatePlan() {}

  /** One bucket a task draws on, with its limit's emission interval and tolerance. */
  record Draw(Bucket bucket, long intervalMicros, long toleranceMicros) {}

  /** A claimed task and the buckets it draws on (one per limit that applies). */
  record Claimed(TaskId id, List<Draw> draws) {}

  /**
   * The decision.
   *
   * @param startNow the tasks that may start now, in claim order
   * @param reserved the others, each with its reserved start
   * @param tats the buckets' new TATs
   */
  record Decision(List<TaskId> startNow, Map<TaskId, Long> reserved, Map<Bucket, Long> tats) {}

  static Decision decide(
      List<Claimed> tasks, Map<Bucket, Long> tats, Map<TaskId, Long> reservations, long now) {
    Map<Bucket, Long> next = new HashMap<>(tats);
    List<TaskId> startNow = new ArrayList<>();
    Map<TaskId, Long> reserved = new LinkedHashMap<>();
    for (Claimed task : tasks) {
      Long held = reservations.get(task.id());
      long start;
      if (held != null) {
        start = held; // its token was taken when the start was reserved
      } else {
        start = now;
        for (Draw d : task.draws()) {
          long tat = Math.max(next.getOrDefault(d.bucket(), 0L), now);
          start = Math.max(start, tat - d.toleranceMicros());
          next.put(d.bucket(), tat + d.intervalMicros());
        }
      }
      if (start <= now) {
        startNow.add(task.id());
      } else {
        reserved.put(task.id(), start);
      }
    }
    Map<Bucket, Long> changed = new HashMap<>();
    next.forEach((b, t) -> {
      if (!t.equals(tats.get(b))) {
        changed.put(b, t);
      }
    });
    return new Decision(startNow, reserved, changed);
  }

  /**
   * Holds every start of {@code draws}' buckets until {@code untilMicros} (a handler reported the
   * limited system asked to slow down): each TAT moves to at least {@code until + tau}, the TAT at
   * which the next start is due at {@code until}.
   */
  static Map<Bucket, Long> hold(List<Draw> draws, Map<Bucket, Long> tats, long untilMicros) {
    Map<Bucket, Long> out = new HashMap<>();
    for (Draw d : draws) {
      long held = untilMicros + d.toleranceMicros();
      if (held > tats.getOrDefault(d.bucket(), 0L)) {
        out.put(d.bucket(), held);
      }
    }
    return out;
  }
}
