package dev.tasklane.internal;

import dev.tasklane.Submission;
import dev.tasklane.Task;
import dev.tasklane.TaskId;
import dev.tasklane.TaskListener;
import dev.tasklane.TaskState;
import dev.tasklane.TaskType;
import dev.tasklane.WorkerConfig;
import dev.tasklane.spi.NewTask;
import dev.tasklane.spi.NodeInfo;
import dev.tasklane.spi.TaskStore;
import dev.tasklane.testing.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The real engine, driven by hand (after db-scheduler's {@code ManualScheduler}): no loop thread
 * runs; the test calls the dispatcher's pass, the lease keeper's renewal and maintenance's tick
 * itself. Handler runs are queued until the test runs them, on its own thread or on threads of
 * their own. Time is a {@link TestClock}, and the engine's monotonic time follows it, so nothing
 * depends on how fast the machine is.
 */
final class ManualEngine implements AutoCloseable {
  final TestClock clock;
  final TaskStore store;
  final WorkerConfig config;
  final ManualThreads threads;
  final ManualTimeouts timeouts;
  final Engine engine;

  ManualEngine(TaskStore store, TestClock clock, WorkerConfig config, Map<String, TaskType<?>> types) {
    this(store, clock, config, types, TaskListener.NONE);
  }

  ManualEngine(
      TaskStore store,
      TestClock clock,
      WorkerConfig config,
      Map<String, TaskType<?>> types,
      TaskListener listener) {
    this.clock = clock;
    this.store = store;
    this.config = config;
    this.threads = new ManualThreads(clock);
    this.timeouts = new ManualTimeouts(clock);
    NodeInfo node =
        new NodeInfo(
            config.nodeId(), "instance-" + config.nodeId(), "test-host", 1, clock.instant(),
            config.concurrency(), types.keySet());
    this.engine = new Engine(store, config, types, node, listener, threads, timeouts);
    engine.loadBacklog();
  }

  static Map<String, TaskType<?>> types(TaskType<?>... types) {
    Map<String, TaskType<?>> out = new LinkedHashMap<>();
    for (TaskType<?> t : types) {
      out.put(t.name(), t);
    }
    return out;
  }

  ManualEngine start() {
    engine.start();
    return this;
  }

  /** Admits and inserts a task as the worker would, and tells the engine. */
  Task submit(NewTask task) {
    engine.admit(Map.of(task.queue(), 1));
    Submission s;
    try {
      s = engine.insert(task);
    } catch (RuntimeException e) {
      engine.admitted(task.queue(), 1, 0);
      throw e;
    }
    engine.admitted(task.queue(), 1, s.created() ? 1 : 0);
    if (s.created()) {
      engine.submitted(s.task());
    }
    return s.task();
  }

  /** One pass of the dispatcher. */
  void dispatch() {
    engine.dispatcher().dispatchOnce();
  }

  void renewLeases() {
    engine.leaseKeeper().renew();
  }

  void maintain() {
    engine.maintenance().tick();
  }

  /** Runs every queued handler run on this thread, in the order they were started, until none is left. */
  int runHandlers() {
    return threads.runAll();
  }

  Task task(TaskId id) {
    return store.find(id).orElseThrow();
  }

  TaskState state(TaskId id) {
    return task(id).state();
  }

  @Override
  public void close() {
    engine.stop();
  }

  /** Loops that never run by themselves; handler runs queued for the test; time from the clock. */
  static class ManualThreads extends EngineThreads {
    private final TestClock clock;
    private final Instant origin;
    private final Deque<Runnable> handlers = new ArrayDeque<>();
    /** Set to make the next {@link #handler} call throw, as a thread that cannot be started. */
    final AtomicReference<Error> failNextHandlerStart = new AtomicReference<>();
    /** Handler runs started on threads of their own by {@link #startAllOnThreads()}. */
    final List<Thread> started = new ArrayList<>();

    ManualThreads(TestClock clock) {
      this.clock = clock;
      this.origin = clock.instant();
    }

    @Override
    Loop every(String name, Duration initialDelay, Duration interval, Runnable body) {
      return NONE;
    }

    @Override
    Loop loop(String name, Runnable body, Duration joinFor) {
      return NONE;
    }

    @Override
    synchronized void handler(Runnable run) {
      Error e = failNextHandlerStart.getAndSet(null);
      if (e != null) {
        throw e;
      }
      handlers.addLast(run);
    }

    @Override
    long nanoTime() {
      return Duration.between(origin, clock.instant()).toNanos();
    }

    /** Time passes in the test's clock instead of the wall clock. */
    @Override
    void pause(Duration d) {
      clock.advance(d);
    }

    synchronized int pending() {
      return handlers.size();
    }

    private synchronized Runnable next() {
      return handlers.pollFirst();
    }

    int runAll() {
      int n = 0;
      for (Runnable r = next(); r != null; r = next()) {
        r.run();
        n++;
      }
      return n;
    }

    /** Starts every queued run on a thread of its own (for handlers that block or get interrupted). */
    List<Thread> startAllOnThreads() {
      List<Thread> out = new ArrayList<>();
      for (Runnable r = next(); r != null; r = next()) {
        out.add(Thread.ofVirtual().name("manual-handler").start(r));
      }
      synchronized (this) {
        started.addAll(out);
      }
      return out;
    }
  }

  /** Timeouts that fire when the test says, once the clock has passed them. */
  static final class ManualTimeouts extends Timeouts {
    private final TestClock clock;
    private final Map<Runnable, Instant> due = new LinkedHashMap<>();

    ManualTimeouts(TestClock clock) {
      this.clock = clock;
    }

    @Override
    synchronized ScheduledTimeout schedule(Runnable action, Duration delay) {
      due.put(action, clock.instant().plus(delay));
      return () -> {
        synchronized (this) {
          due.remove(action);
        }
      };
    }

    @Override
    synchronized int pending() {
      return due.size();
    }

    /** Fires every timeout whose time has come. */
    void fireDue() {
      List<Runnable> fire = new ArrayList<>();
      synchronized (this) {
        due.entrySet().removeIf(
            e -> {
              if (!e.getValue().isAfter(clock.instant())) {
                fire.add(e.getKey());
                return true;
              }
              return false;
            });
      }
      fire.forEach(Runnable::run);
    }

    @Override
    public void close() {}
  }
}
