package dev.tasklane.internal;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * The dispatcher's alarm: anyone may {@link #wake()} it (a submission, a freed slot, a
 * notification from the store); it sleeps in {@link #await} until woken or until its deadline. A
 * wake that comes while it is busy is kept, so the next wait returns at once and nothing is missed.
 */
final class Wakeup {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition signal = lock.newCondition();
  private boolean signalled; // guarded by lock

  void wake() {
    lock.lock();
    try {
      signalled = true;
      signal.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits up to {@code max} for a wake, returning early (without waiting) when one came since the
   * previous wait, or when {@code keepWaiting} turns false.
   *
   * @return whether a wake came (rather than the deadline or the end of waiting)
   */
  boolean await(Duration max, BooleanSupplier keepWaiting) {
    lock.lock();
    try {
      long nanos = max.toNanos();
      while (!signalled && nanos > 0 && keepWaiting.getAsBoolean()) {
        nanos = signal.awaitNanos(nanos);
      }
      return signalled;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return signalled;
    } finally {
      signalled = false;
      lock.unlock();
    }
  }

  /** Sleeps {@code d} whatever wakes come, unless {@code keepWaiting} turns false (a backoff). */
  void sleep(Duration d, BooleanSupplier keepWaiting) {
    lock.lock();
    try {
      long nanos = d.toNanos();
      while (nanos > 0 && keepWaiting.getAsBoolean()) {
        nanos = signal.awaitNanos(nanos);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
  }
}
