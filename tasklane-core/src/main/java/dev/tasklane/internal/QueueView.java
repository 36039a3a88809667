package dev.tasklane.internal;

import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the dispatcher knows of the store beyond its own writes: the queue names, which are paused,
 * and when the next scheduled task is due. Re-read at every poll interval ("a full look"), the
 * queue list also whenever a notification or a local change may have changed it, and due tasks
 * promoted whenever one is due. In between, a dispatcher pass costs only its claims.
 *
 * <p>Fields read across threads are volatile; {@link #refresh} runs on the dispatcher thread.
 */
final class QueueView {
  private final TaskStore store;
  private final Duration pollInterval;
  private final int promoteBatch;

  private volatile List<String> queues = List.of();
  private volatile Set<String> paused = Set.of();
  private volatile boolean stale = true;
  private volatile Instant nextDue;
  private volatile Instant nextFullLook = Instant.MIN;

  QueueView(TaskStore store, Duration pollInterval, int promoteBatch) {
    this.store = store;
    this.pollInterval = pollInterval;
    this.promoteBatch = promoteBatch;
  }

  /**
   * Brings the view up to date for a pass at {@code now}: re-reads the queues if due or stale, and
   * promotes due tasks if any is due (or at a full look).
   *
   * @return true if promotion filled a whole batch (more may be due at once)
   */
  boolean refresh(Instant now) {
    boolean fullLook = !now.isBefore(nextFullLook);
    if (fullLook || stale) {
      stale = false;
      Map<String, Boolean> pauses = store.queuePauses(); // one read for both
      Set<String> nowPaused = new HashSet<>();
      pauses.forEach(
          (queue, isPaused) -> {
            if (isPaused) {
              nowPaused.add(queue);
            }
          });
      queues = List.copyOf(pauses.keySet());
      paused = Set.copyOf(nowPaused);
    }
    boolean more = false;
    Instant due = nextDue;
    if (fullLook || (due != null && !due.isAfter(now))) {
      more = store.promoteDue(now, promoteBatch) == promoteBatch;
      nextDue = store.nextScheduledAt().orElse(null);
      nextFullLook = now.plus(pollInterval);
    }
    return more;
  }

  List<String> queues() {
    return queues;
  }

  Set<String> paused() {
    return paused;
  }

  /** When the dispatcher should look again on its own: the next due time or the next full look. */
  Instant nextLook() {
    Instant until = nextFullLook;
    Instant due = nextDue;
    return due != null && due.isBefore(until) ? due : until;
  }

  /** The queue list may have changed (a pause, a resume, a new queue): re-read it at once. */
  void markStale() {
    stale = true;
  }

  /** A notification named {@code named}: re-read the list only if it may have changed. */
  void notified(Set<String> named, boolean settingsChanged) {
    if (settingsChanged || named.isEmpty() || !queues.containsAll(named)) {
      stale = true;
    }
  }

  /**
   * A task was submitted here: a new queue must be read, and a scheduled task must wake the
   * dispatcher even before its next full look. (A benign race with {@link #refresh}: the worst case
   * is one extra promotion.)
   */
  void submitted(String queue, Instant runAt, boolean scheduled) {
    if (!queues.contains(queue)) {
      stale = true;
    }
    if (scheduled) {
      Instant due = nextDue;
      if (due == null || runAt.isBefore(due)) {
        nextDue = runAt;
      }
    }
  }
}
