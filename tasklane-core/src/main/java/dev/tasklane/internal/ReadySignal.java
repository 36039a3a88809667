package dev.tasklane.internal;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Tells waiters that work may have become ready (a submission, a notification from another node, a
 * promotion, a recovered lease). A waiter reads the {@link #generation()} before it looks for work
 * and then waits only while the generation is unchanged, so a signal that arrives between its look
 * and its wait is never missed. Any number of threads may wait; each signal wakes them all.
 */
public final class ReadySignal {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private long generation;

  public long generation() {
    lock.lock();
    try {
      return generation;
    } finally {
      lock.unlock();
    }
  }

  void fire() {
    lock.lock();
    try {
      generation++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until the generation moves past {@code seen} or {@code timeout} passes.
   *
   * @return true if it moved
   * @throws InterruptedException if the waiting thread is interrupted
   */
  public boolean awaitAfter(long seen, Duration timeout) throws InterruptedException {
    long nanos = timeout.toNanos();
    lock.lock();
    try {
      while (generation == seen) {
        if (nanos <= 0) {
          return false;
        }
        nanos = changed.awaitNanos(nanos);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }
}
