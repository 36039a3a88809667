package dev.tasklane.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission control: how many tasks wait in each queue ({@code queued} + {@code scheduled}),
 * against the bound {@code maxQueued}.
 *
 * <p>Counting in the store on every submission would cost a scan per insert, so this node keeps a
 * count per queue: raised by admissions, lowered by claims and cancels, and reset from the store
 * every second to absorb what other paths (retries, recovery, other processes) changed. A
 * submission is admitted only if the count stays within the bound, so a single node never lets the
 * backlog grow past it by more than what those one-second corrections lag behind.
 */
final class Backlog {
  private final long maxQueued;
  private final ConcurrentMap<String, AtomicLong> waiting = new ConcurrentHashMap<>();

  Backlog(long maxQueued) {
    this.maxQueued = maxQueued;
  }

  long maxQueued() {
    return maxQueued;
  }

  private AtomicLong count(String queue) {
    return waiting.computeIfAbsent(queue, q -> new AtomicLong());
  }

  /** Reserves room for {@code n} tasks; false (and nothing reserved) if the bound would be passed. */
  boolean tryAdmit(String queue, int n) {
    AtomicLong c = count(queue);
    while (true) {
      long current = c.get();
      if (current + n > maxQueued) {
        return false;
      }
      if (c.compareAndSet(current, current + n)) {
        return true;
      }
    }
  }

  /** {@code n} tasks left the backlog (claimed, cancelled, or an admission not used). */
  void removed(String queue, int n) {
    if (n != 0) {
      count(queue).addAndGet(-n);
    }
  }

  /** {@code n} tasks entered the backlog outside admission (retry, recovery). */
  void added(String queue, int n) {
    if (n != 0) {
      count(queue).addAndGet(n);
    }
  }

  /** Replaces the counts with the store's; queues absent from {@code counts} have none waiting. */
  void reset(Map<String, Long> counts) {
    for (Map.Entry<String, AtomicLong> e : waiting.entrySet()) {
      e.getValue().set(counts.getOrDefault(e.getKey(), 0L));
    }
    counts.forEach((q, n) -> count(q).set(n));
  }
}
