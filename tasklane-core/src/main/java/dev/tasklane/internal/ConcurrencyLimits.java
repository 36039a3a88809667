package dev.tasklane.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Semaphore;
import java.util.function.ToIntFunction;

/**
 * The node's concurrency limits: one semaphore for the whole node and one per queue.
 *
 * <p>Only the dispatcher thread acquires permits, always both kinds together, when it starts a
 * handler; handler threads release them, on every exit path, as soon as the handler returns.
 * Because acquisition is single-threaded, {@code available*} read by the dispatcher can only grow
 * until it acquires again: acquiring that many never blocks.
 */
final class ConcurrencyLimits {
  private final Semaphore global;
  private final int globalLimit;
  private final ConcurrentMap<String, Semaphore> perQueue = new ConcurrentHashMap<>();
  private final ToIntFunction<String> queueLimit;

  ConcurrencyLimits(int globalLimit, ToIntFunction<String> queueLimit) {
    this.globalLimit = globalLimit;
    this.global = new Semaphore(globalLimit);
    this.queueLimit = queueLimit;
  }

  private Semaphore queue(String name) {
    return perQueue.computeIfAbsent(name, q -> new Semaphore(queueLimit.applyAsInt(q)));
  }

  /** Slots the dispatcher may fill in {@code queue} now. */
  int available(String queueName) {
    return Math.min(global.availablePermits(), queue(queueName).availablePermits());
  }

  int globalAvailable() {
    return global.availablePermits();
  }

  int globalLimit() {
    return globalLimit;
  }

  int limitOf(String queueName) {
    return queueLimit.applyAsInt(queueName);
  }

  /** Handlers of {@code queue} running now on this node. */
  int inFlight(String queueName) {
    return queueLimit.applyAsInt(queueName) - queue(queueName).availablePermits();
  }

  int inFlight() {
    return globalLimit - global.availablePermits();
  }

  /**
   * Takes {@code n} slots in {@code queue}.
   *
   * @throws IllegalStateException if they are not free (a bug: only the dispatcher acquires)
   */
  void acquire(String queueName, int n) {
    if (n == 0) {
      return;
    }
    Semaphore q = queue(queueName);
    if (!global.tryAcquire(n)) {
      throw new IllegalStateException("global slots taken behind the dispatcher's back");
    }
    if (!q.tryAcquire(n)) {
      global.release(n);
      throw new IllegalStateException("queue slots taken behind the dispatcher's back");
    }
  }

  void release(String queueName, int n) {
    if (n == 0) {
      return;
    }
    queue(queueName).release(n);
    global.release(n);
  }
}
