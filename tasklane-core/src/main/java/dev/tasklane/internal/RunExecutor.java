package dev.tasklane.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.tasklane.LeaseLostException;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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

  /** Told the type of every task this node claimed without a handler for it. */
  private volatile java.util.function.Consumer<String> unknownTypeSeen = type -> {};

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
  private final SlotListener slotFreed;
  private final Duration lease;

  /** Told when a handler gives its slot back. */
  @FunctionalInterface
  interface SlotListener {
    /**
     * @param handlerRan whether a handler ran in the slot (a finished run, for the claim-ahead
     *     rate), rather than a run given back before its handler
     */
    void freed(String queue, boolean handlerRan);
  }

  /**
   * @param slotFreed told when a handler gives its slot back (the dispatcher releases it and
   *     wakes)
   * @param lease the lease runs are claimed for
   */
  private final RateGate rateGate;

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
      SlotListener slotFreed,
      Duration lease,
      RateGate rateGate) {
    this.rateGate = rateGate;
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
    this.lease = lease;
  }

  /** A claimed run, registered so that its lease is renewed from now on. */
  Run newRun(Task task, long claimSentNanos) {
    Run run = new Run(task, nodeId, claimSentNanos, progress::reported);
    registry.add(run);
    return run;
  }

  /**
   * Starts the handler of a run that holds a slot. If no thread can be started, the slot is freed
   * and the task given back to its queue.
   */
  void launch(Run run) {
    try {
      threads.handler(() -> execute(run));
    } catch (Throwable t) {
      log.error("could not start a thread for task {}; giving it back to its queue", run.taskId(), t);
      slotFreed.freed(run.queue(), false);
      run.stop(Run.StopReason.SHUTDOWN); // given back by this node, as at shutdown
      finishUnstarted(run);
    }
  }

  /**
   * A run that holds no slot and will not run (stopped while claimed ahead, or given back): its
   * outcome is written on a thread of its own, never its handler. Without a thread for it, its
   * lease is left to expire.
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

  void onUnknownType(java.util.function.Consumer<String> listener) {
    unknownTypeSeen = listener;
  }

  /** Whether an outcome handed to the writer is not written yet ({@link RunWriter#outcomesPending}). */
  boolean outcomesPending() {
    return writer.outcomesPending();
  }

  /**
   * The handler boundary, on the run's own thread: every exit path frees the slot once and ends in
   * at most one outcome write. The slot is freed as soon as the handler's outcome is handed to the
   * writer, so the next task starts while this outcome commits (in a transaction shared with the
   * outcomes of other runs).
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
        unknownTypeSeen.accept(run.type());
        RunOutcome release = transitions.unknownType(run.task(), clock.instant());
        CompletableFuture<Task> sent = writer.sendOutcome(run, release);
        holdsSlot = false;
        slotFreed.freed(run.queue(), false);
        writer.finish(run, release, sent);
        return;
      }
      if (!run.isStarted() && !startClaimedAhead(run)) {
        return; // lost, or stopped before it started: written (or given up) in startClaimedAhead
      }
      Optional<RunOutcome> outcome = runHandler(run, type);
      // A success writes its run's start too, under the start's own condition (TaskStore#finishRun),
      // so it need not wait for the start's answer; when the start is still queued, both go out in
      // one row write. Any other outcome follows a written start.
      boolean startedBySuccess = outcome.orElse(null) instanceof RunOutcome.Succeeded;
      boolean heldTask = startedBySuccess || startWasWritten(run);
      if (!heldTask || outcome.isEmpty()) {
        holdsSlot = false;
        slotFreed.freed(run.queue(), true);
        if (heldTask) {
          discarded(run); // it knew it had lost its lease
        }
        return; // without a task held, its outcome counts for nothing
      }
      // The outcome is on its way before the slot is given back (so the next start on this slot
      // commits with it or after it), and the slot is back before the commit (so the next task
      // starts while this one's outcome commits).
      CompletableFuture<Task> sent = writer.sendOutcome(run, outcome.get());
      holdsSlot = false;
      slotFreed.freed(run.queue(), true);
      writer.finish(run, outcome.get(), sent);
    } catch (Throwable t) {
      log.error("unexpected failure finishing task {}", run.taskId(), t);
    } finally {
      if (holdsSlot) {
        slotFreed.freed(run.queue(), false);
      }
      MDC.remove("task_id");
      MDC.remove("node_id");
      registry.remove(run);
    }
  }

  /**
   * Starts a run claimed ahead, before its handler may run; false when the handler must not run
   * (the run lost its task, or was stopped before it started, in which case its outcome is written
   * here).
   *
   * <p>While the run's lease is surely valid (renewed within half a lease), no other node can take
   * the task, so the handler begins at once and its start is written alongside (in the next group
   * commit, with the outcomes of other runs): a slot never idles while a start commits. A refused
   * start stops the handler as a lost lease would. The start is collected before any outcome but a
   * success is written (a success writes the start itself, under the same condition). Otherwise
   * the start is written first and the handler waits for it.
   */
  private boolean startClaimedAhead(Run run) {
    if (run.stopReason() == null) {
      if (threads.nanoTime() - run.leaseConfirmedNanos() < lease.toNanos() / 2) {
        CompletableFuture<Task> write = writer.startAsync(run);
        run.starting(write, clock.instant());
        write.whenComplete(
            (started, failure) -> {
              if (started != null && started.cancelRequested()) {
                run.stop(Run.StopReason.CANCELLED);
              } else if (failure != null
                  && GroupCommit.unwrap(new CompletionException(failure)) instanceof LeaseLostException) {
                run.stop(Run.StopReason.LEASE_LOST);
              }
            });
      } else {
        Optional<Task> started = writer.start(run);
        if (started.isEmpty()) {
          return false; // the store refused (lease lost) or shutdown gave up: nothing ran
        }
        run.started(started.get());
        if (started.get().cancelRequested()) {
          run.stop(Run.StopReason.CANCELLED);
        }
      }
    }
    Run.StopReason stop = run.stopReason();
    if (stop == null) {
      return true;
    }
    // Stopped between its claim and its handler: it never runs.
    if (!startWasWritten(run)) {
      return false;
    }
    transitions
        .beforeStart(run.task(), stop, clock.instant())
        .ifPresentOrElse(o -> writer.finish(run, o), () -> discarded(run));
    return false;
  }

  /**
   * Collects a start sent with the handler's beginning: true once it is written (then the run
   * holds its task as started); false if the store refused it (the run never held its task).
   */
  private boolean startWasWritten(Run run) {
    CompletableFuture<Task> pending = run.pendingStart();
    if (pending == null) {
      return true;
    }
    Optional<Task> started = writer.awaitStart(run, pending);
    started.ifPresent(run::started);
    return started.isPresent();
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
    if (result instanceof TaskResult.Throttle t) {
      throttled(task, now.plus(t.delay()), t.reason());
    }
    return thrown != null
        ? transitions.afterFailure(task, run.stopReason(), thrown, type.retryPolicy(), now)
        : transitions.afterResult(task, run.stopReason(), result, type.retryPolicy(), now);
  }

  /** Holds the starts under {@code task}'s rate limits until {@code until}, on every node. */
  private void throttled(Task task, Instant until, String reason) {
    try {
      rateGate.hold(task, until);
      log.info("task {} reported its limits must wait until {}: {}", task.id(), until, reason == null ? "throttled" : reason);
    } catch (RuntimeException e) {
      // The task itself still waits; only the other tasks under its limits are not held back.
      log.warn("could not hold the rate limits of task {} until {}", task.id(), until, e);
    }
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
