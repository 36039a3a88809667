package dev.tasklane.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tasklane.Task;
import dev.tasklane.TaskHandler;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskType;
import dev.tasklane.spi.RunOutcome;
import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Owns a handler's life, from the slot the dispatcher took for it to its outcome: starts its
 * thread, writes the start of a run claimed ahead before the handler runs, sets its timeout, calls
 * the handler, gives the slot back as soon as the handler returns, and has the outcome written.
 *
 * <p>Every exit path frees the slot exactly once and ends in at most one outcome write; a failure
 * to start the thread at all (an {@link Error} such as "unable to create native thread") gives the
 * task back to its queue instead of leaking the slot and a lease renewed forever.
 */
final class RunExecutor {
  private static final Logger log = LoggerFactory.getLogger(RunExecutor.class);

  /** How long a task of a type this node does not serve waits before it is offered again. */
  static final Duration UNKNOWN_TYPE_DELAY = Duration.ofSeconds(5);

  private final String nodeId;
  private final InstantSource clock;
  private final Map<String, TaskType<?>> types;
  private final Transitions transitions;
  private final RunRegistry registry;
  private final RunWriter writer;
  private final ProgressWriter progress;
  private final Timeouts timeouts;
  private final EngineThreads threads;
  private final EngineStats stats;
  private final SafeListener listener;
  private final Consumer<String> slotFreed;

  /**
   * @param slotFreed called with the queue when a handler gives its slot back (the dispatcher
   *     releases it and wakes)
   */
  RunExecutor(
      String nodeId,
      InstantSource clock,
      Map<String, TaskType<?>> types,
      Transitions transitions,
      RunRegistry registry,
      RunWriter writer,
      TaskStore store,
      Timeouts timeouts,
      EngineThreads threads,
      EngineStats stats,
      SafeListener listener,
      Consumer<String> slotFreed) {
    this.nodeId = nodeId;
    this.clock = clock;
    this.types = Map.copyOf(types);
    this.transitions = transitions;
    this.registry = registry;
    this.writer = writer;
    this.progress = new ProgressWriter(store);
    this.timeouts = timeouts;
    this.threads = threads;
    this.stats = stats;
    this.listener = listener;
    this.slotFreed = slotFreed;
  }

  /** A claimed run, registered so that its lease is renewed from now on. */
  Run newRun(Task task, long claimSentNanos) {
    Run run = new Run(task, nodeId, claimSentNanos, progress::reported);
    registry.add(run);
    return run;
  }

  /**
   * Starts the handler of a run that holds a slot. If no thread can be started, the slot is freed
   * and the task given back to its queue here.
   */
  void launch(Run run) {
    try {
      threads.handler(() -> execute(run));
    } catch (Throwable t) {
      log.error("could not start a thread for task {}; giving it back to its queue", run.taskId(), t);
      slotFreed.accept(run.queue());
      giveBack(run, run.isStarted());
    }
  }

  /**
   * A run that holds no slot and will not run (stopped while claimed ahead): its outcome is
   * written on a thread of its own, never its handler.
   */
  void finishUnstarted(Run run) {
    try {
      threads.handler(
          () -> {
            try {
              transitions
                  .beforeStart(run.task(), run.stopReason(), clock.instant())
                  .ifPresentOrElse(o -> writer.finish(run, o), () -> discarded(run));
            } catch (Throwable t) {
              log.error("unexpected failure finishing task {}", run.taskId(), t);
            } finally {
              registry.remove(run);
            }
          });
    } catch (Throwable t) {
      log.error("could not start a thread to give task {} back; its lease will expire", run.taskId(), t);
      registry.remove(run);
    }
  }

  /**
   * The handler boundary, on the run's own thread: every exit path frees the slot once and ends in
   * at most one outcome write. The slot is freed as soon as the handler returns, so the next task
   * starts while this outcome commits (in a transaction shared with the outcomes of other runs).
   */
  private void execute(Run run) {
    MDC.put("task_id", run.taskId().toString());
    MDC.put("node_id", nodeId);
    boolean holdsSlot = true;
    try {
      TaskType<?> type = types.get(run.type());
      if (type == null) {
        // The store holds a type this node does not serve (a handler was removed, say): give it
        // back rather than fail it, so a node that knows the type can run it.
        log.warn("no handler for type '{}' of task {}; returning it to the queue", run.type(), run.taskId());
        holdsSlot = false;
        slotFreed.accept(run.queue());
        writer.finish(run, transitions.unknownType(run.task(), clock.instant()));
        return;
      }
      if (!run.isStarted() && !startClaimedAhead(run)) {
        return; // lost, or stopped before it started: written (or given up) in startClaimedAhead
      }
      Optional<RunOutcome> outcome = runHandler(run, type);
      holdsSlot = false;
      slotFreed.accept(run.queue());
      outcome.ifPresentOrElse(o -> writer.finish(run, o), () -> discarded(run));
    } catch (Throwable t) {
      log.error("unexpected failure finishing task {}", run.taskId(), t);
    } finally {
      if (holdsSlot) {
        slotFreed.accept(run.queue());
      }
      MDC.remove("task_id");
      MDC.remove("node_id");
      registry.remove(run);
    }
  }

  /**
   * Writes the start of a run claimed ahead, before its handler may run. False when the handler
   * must not run: the run lost its task, or was stopped (cancelled, say) before it started, in
   * which case its outcome is written here.
   */
  private boolean startClaimedAhead(Run run) {
    if (run.stopReason() == null) {
      Optional<Task> started = writer.start(run);
      if (started.isEmpty()) {
        return false; // the store refused (lease lost) or shutdown gave up: nothing ran
      }
      run.started(started.get());
      if (started.get().cancelRequested()) {
        run.stop(Run.StopReason.CANCELLED);
      }
    }
    Run.StopReason stop = run.stopReason();
    if (stop == null) {
      return true;
    }
    // Stopped between its claim and its handler: it never runs.
    transitions
        .beforeStart(run.task(), stop, clock.instant())
        .ifPresentOrElse(o -> writer.finish(run, o), () -> discarded(run));
    return false;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private Optional<RunOutcome> runHandler(Run run, TaskType type) {
    Task task = run.task();
    Object payload;
    try {
      payload = Json.MAPPER.readValue(task.payload(), type.payloadClass());
    } catch (JsonProcessingException e) {
      return Optional.of(transitions.undecodable(task, e.getOriginalMessage(), clock.instant()));
    }
    stats.started.increment();
    Duration waited = Duration.between(task.runAt(), clock.instant());
    listener.tell(l -> l.onStarted(task, waited.isNegative() ? Duration.ZERO : waited));
    if (task.timeout() != null) {
      run.timeout(timeouts.schedule(() -> run.stop(Run.StopReason.TIMED_OUT), task.timeout()));
    }
    TaskResult result;
    Throwable thrown = null;
    run.handlerBegins();
    try {
      result = ((TaskHandler) type.handler()).handle(payload, run);
      if (result == null) {
        result = TaskResult.success();
      }
    } catch (Throwable t) {
      result = null;
      thrown = t;
    } finally {
      // From here on no interrupt reaches this thread: the outcome must be written whole.
      run.handlerEnded();
      run.cancelTimeout();
    }
    Instant now = clock.instant();
    return thrown != null
        ? transitions.afterFailure(task, run.stopReason(), thrown, type.retryPolicy(), now)
        : transitions.afterResult(task, run.stopReason(), result, type.retryPolicy(), now);
  }

  /** The run knew it had lost its lease: it writes nothing. */
  private void discarded(Run run) {
    stats.staleDiscarded.increment();
    listener.tell(l -> l.onStaleRunRejected(run.task()));
    log.warn(
        "run {} of task {} lost its lease; its outcome is discarded", run.fencingToken(), run.taskId());
  }

  /**
   * Gives a run that could not start back to its queue (refunding the attempt if its start was
   * written), on the calling thread.
   */
  private void giveBack(Run run, boolean started) {
    try {
      writer.finish(run, new RunOutcome.Released(clock.instant(), null, started));
    } catch (Throwable t) {
      log.error("could not give task {} back; its lease will expire", run.taskId(), t);
    } finally {
      registry.remove(run);
    }
  }
}
