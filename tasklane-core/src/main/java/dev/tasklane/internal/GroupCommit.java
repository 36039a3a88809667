package dev.tasklane.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import dev.tasklane.StoreException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: many threads each hand over one write and wait for it; one thread writes whatever
 * has gathered in a single transaction and answers them all. Under load a transaction carries
 * many writes instead of one, and the database commits (and syncs) once for all of them; when idle
 * a write goes out at once, since nothing waits to fill a batch.
 *
 * <p>Batching only happens when writers overlap. A caller that finds nothing queued and no
 * transaction in flight writes on its own thread, in a transaction of its own: a lone writer pays
 * one transaction and no hand-over to the writer thread (which costs a wake-up on each side, a
 * large share of a one-statement write). While that transaction is in flight, the callers that
 * arrive queue for the writer thread, which writes them together once it is done.
 *
 * <p>No caller is answered before the transaction holding its write has committed. If the batch
 * fails, nothing of it was written, and each write is retried alone, so one bad write fails only
 * its own caller; unless the store is {@link StoreException#unavailable() unavailable}, when every
 * write of the batch fails at once (retrying each alone would make the last caller wait for every
 * other's timeout).
 *
 * <p>The writer thread starts with the first write and ends at {@link #close()}: a group commit
 * that never wrote holds no thread.
 *
 * @param <I> one write
 * @param <O> its result
 */
final class GroupCommit<I, O> implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

  /** Per-item results of a batch: a value, or the exception that item alone gets. */
  interface BatchWriter<I, O> {
    /**
     * Writes {@code items} in one transaction and returns one entry per item, in order: its
     * result, or an exception for that item (for example a lost lease) that did not fail the rest.
     * Throws if the transaction failed as a whole (nothing written).
     */
    List<Object> writeAll(List<I> items);
  }

  private record Pending<I, O>(I item, CompletableFuture<O> result) {}

  /** Put by {@link #close()}: the writer stops once it reaches it. */
  private final Pending<I, O> stop = new Pending<>(null, new CompletableFuture<>());

  private final String name;
  private final int maxBatch;
  private final BatchWriter<I, O> batch;
  private final Function<I, O> single;
  private final BlockingQueue<Pending<I, O>> queue = new LinkedBlockingQueue<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Object startLock = new Object();
  /** Held by whoever has a transaction in flight: a direct writer, or the writer thread. */
  private final ReentrantLock writing = new ReentrantLock();
  /**
   * Writes handed to the writer thread and not yet written: counted from before they enter the
   * queue until their batch is flushed, so that no direct write overtakes one (a run's start must
   * not commit before the outcome of the run whose slot it took).
   */
  private final java.util.concurrent.atomic.AtomicInteger unwritten = new java.util.concurrent.atomic.AtomicInteger();
  private volatile Thread writer;

  /**
   * @param name the writer thread's name
   * @param maxBatch most writes in one transaction
   * @param batch writes a batch in one transaction
   * @param single writes one item in a transaction of its own (the fallback after a failed batch,
   *     and the path once closed)
   */
  GroupCommit(String name, int maxBatch, BatchWriter<I, O> batch, Function<I, O> single) {
    this.name = name;
    this.maxBatch = maxBatch;
    this.batch = batch;
    this.single = single;
  }

  /** Starts the writer thread unless it runs, or the group commit is closed (then false). */
  private boolean ensureWriter() {
    if (writer != null) {
      return true;
    }
    synchronized (startLock) {
      if (closed.get()) {
        return false;
      }
      if (writer == null) {
        writer = Thread.ofPlatform().name(name).daemon(true).start(this::run);
      }
      return true;
    }
  }

  /**
   * Writes {@code item} with whatever else is waiting and returns its result once committed.
   * Waits uninterruptibly: the write is already on its way and its outcome must be known (an
   * interrupt is kept for the caller to see afterwards).
   *
   * @throws RuntimeException the write's own failure, unwrapped
   */
  O write(I item) {
    if (writeDirectly()) {
      try {
        return single.apply(item);
      } finally {
        writing.unlock();
      }
    }
    CompletableFuture<O> result = enqueue(item);
    if (result == null) {
      return single.apply(item);
    }
    try {
      return result.join();
    } catch (CompletionException e) {
      throw unwrap(e);
    }
  }

  /**
   * {@link #write(Object)}, waiting at most {@code maxWait} for a batch's commit. A write still
   * queued then is withdrawn, unwritten; one already in a transaction may still commit after the
   * caller was told it timed out (the caller cannot tell, as with any write whose answer was
   * lost). A write made directly on the caller's thread is bounded by the store's own timeouts
   * instead (its pool's connection timeout, SQLite's busy timeout).
   *
   * @throws StoreException {@link StoreException#unavailable() unavailable}, after {@code maxWait}
   */
  O write(I item, Duration maxWait) {
    if (writeDirectly()) {
      try {
        return single.apply(item);
      } finally {
        writing.unlock();
      }
    }
    CompletableFuture<O> result = enqueue(item);
    if (result == null) {
      return single.apply(item);
    }
    try {
      return result.get(maxWait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw unwrap(new CompletionException(e.getCause()));
    } catch (TimeoutException e) {
      boolean withdrawn = withdraw(result);
      throw new StoreException(
          name,
          new TimeoutException(
              "no commit within "
                  + maxWait.toMillis()
                  + " ms"
                  + (withdrawn ? "; the write was withdrawn" : "; the write may still commit")),
          true);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      boolean withdrawn = withdraw(result);
      throw new StoreException(
          name,
          new InterruptedException(
              "interrupted" + (withdrawn ? "; the write was withdrawn" : "; it may still commit")),
          false);
    }
  }

  /**
   * Hands {@code item} to the writer without waiting: the future completes once its transaction
   * committed (or failed). Once closed, the item is written alone on the calling thread.
   */
  CompletableFuture<O> submit(I item) {
    CompletableFuture<O> result = enqueue(item);
    if (result != null) {
      return result;
    }
    try {
      return CompletableFuture.completedFuture(single.apply(item));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * True, holding {@link #writing}, if the caller may write on its own thread now: nothing is
   * queued or held by the writer thread, and no transaction is in flight. False under contention,
   * when the caller queues its write to be batched.
   */
  private boolean writeDirectly() {
    if (closed.get() || unwritten.get() > 0 || !writing.tryLock()) {
      return false;
    }
    if (unwritten.get() > 0) {
      // A write was handed over between the check and the lock: it goes first, in a batch.
      writing.unlock();
      return false;
    }
    return true;
  }

  /** Queues {@code item} for the writer; {@code null} when closed (the caller writes it alone). */
  private CompletableFuture<O> enqueue(I item) {
    if (closed.get() || !ensureWriter()) {
      return null;
    }
    CompletableFuture<O> result = new CompletableFuture<>();
    Pending<I, O> pending = new Pending<>(item, result);
    unwritten.incrementAndGet();
    queue.add(pending);
    if (closed.get() && queue.remove(pending)) {
      // Closed between the check and the add, and the writer did not take it: write it here.
      unwritten.decrementAndGet();
      return null;
    }
    return result;
  }

  /** Takes a write that is still queued back out, unwritten; false if the writer has it. */
  private boolean withdraw(CompletableFuture<O> result) {
    boolean withdrawn = queue.removeIf(p -> p.result() == result);
    if (withdrawn) {
      unwritten.decrementAndGet();
    }
    return withdrawn;
  }

  /** The exception a failed future of this class failed with, as the writer threw it. */
  static RuntimeException unwrap(CompletionException e) {
    if (e.getCause() instanceof RuntimeException r) {
      return r;
    }
    if (e.getCause() instanceof Error err) {
      throw err;
    }
    return e;
  }

  /**
   * The writer loop. It is never interrupted (a JDBC call cut by an interrupt leaves its
   * connection in doubt); {@link #close()} queues a stop marker instead.
   */
  private void run() {
    List<Pending<I, O>> pending = new ArrayList<>(maxBatch);
    boolean stopping = false;
    while (!stopping) {
      try {
        pending.add(queue.take());
        // Waits for a direct writer's transaction; what queues meanwhile joins this batch.
        writing.lock();
        try {
          queue.drainTo(pending, maxBatch - pending.size());
          stopping = pending.remove(stop);
          flush(pending);
        } finally {
          unwritten.addAndGet(-pending.size());
          writing.unlock();
        }
      } catch (InterruptedException e) {
        log.warn("{} was interrupted; writes go out one by one from now on", name);
        closed.set(true);
        stopping = true;
      } catch (Throwable t) {
        log.error("{} failed a batch unexpectedly", name, t);
        pending.forEach(p -> p.result().completeExceptionally(t));
      } finally {
        pending.clear();
      }
    }
    // Ended by an interrupt, nobody else drains the queue (close() finds the group closed
    // already): what waits in it is written now, since its callers wait for it.
    writeLeftovers();
  }

  /** Writes whatever is still queued, as one batch, after any direct write in flight. */
  private void writeLeftovers() {
    writing.lock();
    try {
      List<Pending<I, O>> left = new ArrayList<>();
      queue.drainTo(left);
      left.remove(stop);
      try {
        flush(left);
      } finally {
        unwritten.addAndGet(-left.size());
      }
    } finally {
      writing.unlock();
    }
  }

  @SuppressWarnings("unchecked")
  private void flush(List<Pending<I, O>> pending) {
    if (pending.isEmpty()) {
      return;
    }
    List<Object> results;
    try {
      results = batch.writeAll(pending.stream().map(Pending::item).toList());
    } catch (RuntimeException e) {
      if (e instanceof StoreException s && s.unavailable()) {
        // The database did not answer: each write alone would only wait for the same timeout.
        pending.forEach(p -> p.result().completeExceptionally(e));
        return;
      }
      if (pending.size() > 1) {
        log.debug("{}: a batch of {} failed; writing each alone", name, pending.size(), e);
      }
      for (Pending<I, O> p : pending) {
        try {
          p.result().complete(single.apply(p.item()));
        } catch (RuntimeException alone) {
          p.result().completeExceptionally(alone);
        }
      }
      return;
    }
    for (int i = 0; i < pending.size(); i++) {
      Object r = results.get(i);
      if (r instanceof Throwable t) {
        pending.get(i).result().completeExceptionally(t);
      } else {
        pending.get(i).result().complete((O) r);
      }
    }
  }

  /** Writes what is waiting, then stops the writer thread. Later writes go out alone. */
  @Override
  public void close() {
    boolean closing;
    synchronized (startLock) {
      closing = closed.compareAndSet(false, true);
    }
    if (closing && writer != null) {
      queue.add(stop);
      try {
        writer.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      // Writes queued after the stop marker (a race with close) still get written, after any
      // direct write still in flight.
      writeLeftovers();
    } else if (closing) {
      // No writer thread ever ran: wait only for a direct write in flight.
      writing.lock();
      writing.unlock();
    }
  }
}
