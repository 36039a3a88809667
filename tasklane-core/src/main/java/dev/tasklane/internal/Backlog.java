package dev.tasklane.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission control: how many tasks wait in each queue ({@code queued} + {@code scheduled}),
 * against the bound {@code maxQueued}, so that a node never accepts a task that would take a
 * queue's backlog past it.
 *
 * <h2>How the count stays exact</h2>
 *
 * Counting in the store on every submission would cost a scan per insert, so the node keeps a
 * count per queue: {@code committed} (tasks known to wait) plus {@code inFlight} (admitted, their
 * insert not yet answered). Admission reserves room in {@code inFlight} under the queue's lock,
 * so concurrent submitters can never together pass the bound. Claims and cancels lower {@code
 * committed}; retries, recoveries and reschedules raise it.
 *
 * <p>Other processes change the backlog too, so the count is refreshed from the store every second
 * ({@link #beginRefresh()}, read, {@link #endRead()}, {@link #applyRefresh(Map)}). A read races
 * with this node's own changes: a change that commits while the read runs may or may not be in
 * what it read. The refresh settles every such doubt towards the higher count, never the lower:
 *
 * <ul>
 *   <li>additions made after the read began are added on top of what it read (admissions still in
 *       flight are counted in {@code inFlight} as always), even if the read saw some of them;
 *   <li>removals are subtracted only if their operation began after the read ended (so the read
 *       cannot have seen them); a removal whose operation began earlier is taken as seen, and one
 *       recorded after the refresh is applied only if it began after the read ended.
 * </ul>
 *
 * A doubt so settled may count a task twice until the next refresh (a submission then gets 429 a
 * second early); it never lets the backlog pass the bound.
 *
 * <p>Thread-safe. Removals carry the {@link #epoch()} at which their operation began.
 */
final class Backlog {
  private final long maxQueued;
  private final ConcurrentMap<String, QueueCount> queues = new ConcurrentHashMap<>();

  /** Moves on when a refresh's read begins and when it ends. */
  private final AtomicLong epoch = new AtomicLong();

  /** The epoch at which the read of the refresh in progress ended; -1 while none has. */
  private volatile long readEnd = -1;

  Backlog(long maxQueued) {
    this.maxQueued = maxQueued;
  }

  long maxQueued() {
    return maxQueued;
  }

  private QueueCount queue(String name) {
    return queues.computeIfAbsent(name, q -> new QueueCount());
  }

  /** The current epoch, read by an operation that will remove tasks, before it begins. */
  long epoch() {
    return epoch.get();
  }

  /** Reserves room for {@code n} tasks; false (and nothing reserved) if the bound would be passed. */
  boolean tryAdmit(String queue, int n) {
    QueueCount c = queue(queue);
    synchronized (c) {
      if (c.committed + c.inFlight + n > maxQueued) {
        return false;
      }
      c.inFlight += n;
      return true;
    }
  }

  /**
   * An admission of {@code admitted} tasks was answered: {@code created} of them are now in the
   * store (the rest were de-duplicated or not written at all).
   */
  void admitted(String queue, int admitted, int created) {
    QueueCount c = queue(queue);
    synchronized (c) {
      c.inFlight -= admitted;
      c.committed += created;
      c.addedSinceReadStart += created;
    }
  }

  /** {@code n} tasks entered the backlog outside admission (retry, recovery, reschedule). */
  void added(String queue, int n) {
    if (n == 0) {
      return;
    }
    QueueCount c = queue(queue);
    synchronized (c) {
      c.committed += n;
      c.addedSinceReadStart += n;
    }
  }

  /**
   * {@code n} tasks left the backlog (claimed, cancelled), by an operation that began at {@code
   * beganAt} (its {@link #epoch()}).
   */
  void removed(String queue, int n, long beganAt) {
    if (n == 0) {
      return;
    }
    QueueCount c = queue(queue);
    synchronized (c) {
      long end = readEnd;
      if (end >= 0 && beganAt >= end) {
        c.removedSinceReadEnd += n; // the refresh under way read before it began: not seen
      }
      if (beganAt >= c.appliedReadEnd) {
        c.committed -= n;
      }
      // else: it began before the read of the latest applied refresh ended, so that read may have
      // seen it already: taken as seen.
    }
  }

  /** Refreshes the counts from {@code read}, the store's waiting counts per queue. */
  void refresh(java.util.function.Supplier<Map<String, Long>> read) {
    beginRefresh();
    Map<String, Long> counts = read.get();
    endRead();
    applyRefresh(counts);
  }

  /** Starts a refresh: call before reading the store's counts. */
  void beginRefresh() {
    for (QueueCount c : queues.values()) {
      synchronized (c) {
        c.addedSinceReadStart = 0;
        c.removedSinceReadEnd = 0;
      }
    }
    epoch.incrementAndGet();
  }

  /** The store's counts have been read. */
  void endRead() {
    readEnd = epoch.incrementAndGet();
  }

  /**
   * Replaces the counts with the store's, read between {@link #beginRefresh()} and {@link
   * #endRead()}, settling every doubt towards the higher count. Queues absent from {@code counts}
   * had none waiting.
   */
  void applyRefresh(Map<String, Long> counts) {
    counts.keySet().forEach(this::queue);
    long end = readEnd;
    for (Map.Entry<String, QueueCount> e : queues.entrySet()) {
      QueueCount c = e.getValue();
      synchronized (c) {
        c.committed =
            counts.getOrDefault(e.getKey(), 0L) + c.addedSinceReadStart - c.removedSinceReadEnd;
        // Under the same lock: a removal recorded from now on is judged against this read.
        c.appliedReadEnd = end;
      }
    }
    readEnd = -1;
  }

  /** Tasks counted as waiting in {@code queue}, admissions in flight included. */
  long count(String queue) {
    QueueCount c = queue(queue);
    synchronized (c) {
      return c.committed + c.inFlight;
    }
  }

  /** One queue's count; every field guarded by the object's monitor. */
  private static final class QueueCount {
    long committed;
    long inFlight;
    long addedSinceReadStart;
    long removedSinceReadEnd;
    /** The epoch at which the read of the refresh last applied to this queue ended. */
    long appliedReadEnd;
  }
}
