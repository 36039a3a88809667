package dev.tasklane.internal;

import dev.tasklane.TaskId;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The runs this node holds leases for: claimed ahead, running, or finished with their outcome on
 * its way to the store. A run enters at its claim and leaves once its outcome is written (or given
 * up on); while it is here, its lease is renewed. Shutdown waits here for runs to end.
 */
final class RunRegistry {
  private final ConcurrentMap<TaskId, Run> runs = new ConcurrentHashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition left = lock.newCondition();
  private final Runnable onLeft;

  RunRegistry() {
    this(() -> {});
  }

  /** @param onLeft told after a run left (the dispatcher may be waiting for room) */
  RunRegistry(Runnable onLeft) {
    this.onLeft = onLeft;
  }

  void add(Run run) {
    runs.put(run.taskId(), run);
  }

  /** The run's lease is no longer this node's concern. */
  void remove(Run run) {
    runs.remove(run.taskId(), run);
    lock.lock();
    try {
      left.signalAll();
    } finally {
      lock.unlock();
    }
    onLeft.run();
  }

  Run get(TaskId id) {
    return runs.get(id);
  }

  /** Whether {@code run} is still this node's (a later run of the same task would replace it). */
  boolean holds(Run run) {
    return runs.get(run.taskId()) == run;
  }

  boolean holds(TaskId id) {
    return runs.containsKey(id);
  }

  List<Run> snapshot() {
    return List.copyOf(runs.values());
  }

  Collection<Run> view() {
    return runs.values();
  }

  int size() {
    return runs.size();
  }

  /** Waits up to {@code timeout} for every run to leave; true if none is left. */
  boolean awaitEmpty(Duration timeout) {
    long nanos = timeout.toNanos();
    lock.lock();
    try {
      while (!runs.isEmpty()) {
        if (nanos <= 0) {
          return false;
        }
        nanos = left.awaitNanos(nanos);
      }
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return runs.isEmpty();
    } finally {
      lock.unlock();
    }
  }
}
