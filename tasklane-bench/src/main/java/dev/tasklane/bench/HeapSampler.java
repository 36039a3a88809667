package dev.tasklane.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * Heap figures of a scenario run, from the start of the run (seeding included) to {@link #stop()}.
 *
 * <ul>
 *   <li><b>Peak in use</b> (the reported {@code peak_heap_mb}): the JVM's used heap, the sum of
 *       the heap pools, sampled every {@link #INTERVAL} by a daemon thread. It counts garbage not
 *       yet collected, so it also shows how far the collector lets the young generation fill,
 *       which depends on the allocation rate and the heap's sizing so far; a spike shorter than
 *       the interval can be missed.
 *   <li><b>Most live after a collection</b>: after every collection, the heap left in use outside
 *       the young generation's eden (survivors and old generation), from the collectors'
 *       notifications; the best cheap estimate of what the run retains, such as a backlog held in
 *       memory. A full collection when sampling starts gives every run a baseline.
 * </ul>
 */
final class HeapSampler implements AutoCloseable {
  static final Duration INTERVAL = Duration.ofMillis(50);
  private static final double MIB = 1024.0 * 1024;

  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
  private final AtomicLong peak = new AtomicLong();
  private final AtomicLong livePeak = new AtomicLong(-1);
  private final AtomicLong collections = new AtomicLong();
  private final Set<String> retainingPools;
  private final NotificationListener afterCollection = this::afterCollection;
  private final List<NotificationEmitter> emitters = new ArrayList<>();
  private final Thread thread;
  private volatile boolean running = true;

  private HeapSampler() {
    retainingPools =
        ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(pool -> pool.getType() == MemoryType.HEAP)
            .map(MemoryPoolMXBean::getName)
            .filter(name -> !name.contains("Eden"))
            .collect(Collectors.toUnmodifiableSet());
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      if (gc instanceof NotificationEmitter emitter) {
        emitter.addNotificationListener(afterCollection, null, null);
        emitters.add(emitter);
      }
    }
    // The previous run's garbage must not count in this one's figures.
    System.gc();
    sample();
    thread = Thread.ofPlatform().name("tasklane-bench-heap").daemon(true).start(this::loop);
  }

  /** Collects the heap, then starts sampling. */
  static HeapSampler start() {
    return new HeapSampler();
  }

  private void loop() {
    while (running) {
      LockSupport.parkNanos(INTERVAL.toNanos());
      sample();
    }
  }

  private void sample() {
    long used = memory.getHeapMemoryUsage().getUsed();
    peak.accumulateAndGet(used, Math::max);
  }

  private void afterCollection(Notification n, Object handback) {
    if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
      return;
    }
    GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
    long live = 0;
    for (Map.Entry<String, MemoryUsage> pool : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
      if (retainingPools.contains(pool.getKey())) {
        live += pool.getValue().getUsed();
      }
    }
    livePeak.accumulateAndGet(live, Math::max);
    collections.incrementAndGet();
  }

  /** Stops sampling (idempotent) and returns the peak heap in use, in MiB. */
  double stop() {
    if (running) {
      running = false;
      LockSupport.unpark(thread);
      try {
        thread.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      sample();
      for (NotificationEmitter emitter : emitters) {
        try {
          emitter.removeNotificationListener(afterCollection);
        } catch (ListenerNotFoundException e) {
          // not there: nothing to remove
        }
      }
    }
    return peak.get() / MIB;
  }

  /** The most heap left in use after a collection (MiB), or {@code null} if none was seen. */
  Double liveAfterCollectionMb() {
    long live = livePeak.get();
    return live < 0 ? null : live / MIB;
  }

  /** Collections seen since the start, the one at the start included. */
  long collections() {
    return collections.get();
  }

  @Override
  public void close() {
    stop();
  }
}
