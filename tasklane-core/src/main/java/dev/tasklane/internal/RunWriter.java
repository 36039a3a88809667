package dev.tasklane.internal;

import dev.tasklane.LeaseLostException;
import dev.tasklane.StoreException;
import dev.tasklane.Task;
import dev.tasklane.TaskState;
import dev.tasklane.TaskListener.RunResult;
import dev.tasklane.spi.RunOutcome;
import dev.tasklane.spi.RunRef;
import dev.tasklane.spi.RunWrites;
import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what runs do to the store: the start of a run claimed ahead (before its handler runs) and
 * each run's outcome. Writes of runs that start or finish together share one transaction (group
 * commit), so a busy node pays one commit for many of them.
 *
 * <p>A write the store cannot take (the database restarting, a partition) is retried with backoff
 * until it succeeds, the lease turns out lost, or shutdown gives up on the run: the run stays
 * registered meanwhile, so its lease keeps being renewed once the database answers again, and a
 * database blip does not turn a finished task into a re-run. Waits are uninterruptible: once a
 * handler returned, nothing may cut its outcome short.
 */
final class RunWriter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RunWriter.class);

  /** Most writes a group commit puts in one transaction. */
  private static final int WRITE_BATCH = 512;

  private static final Duration FIRST_BACKOFF = Duration.ofMillis(50);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  /** One run's write on its way to the store. */
  private sealed interface Write {
    RunRef run();
  }

  private record Start(RunRef run) implements Write {}

  private record Finish(RunRef run, RunOutcome outcome) implements Write {}

  private final TaskStore store;
  private final EngineStats stats;
  private final SafeListener listener;
  private final Backlog backlog;
  private final BooleanSupplier abandoned;
  private final GroupCommit<Write, Task> commits;
  private final AtomicInteger outcomesPending = new AtomicInteger();

  /**
   * @param abandoned true once shutdown gives up on the runs still writing: their writes stop
   *     retrying, and their leases expire instead
   */
  RunWriter(
      TaskStore store,
      EngineStats stats,
      SafeListener listener,
      Backlog backlog,
      BooleanSupplier abandoned) {
    this.store = store;
    this.stats = stats;
    this.listener = listener;
    this.backlog = backlog;
    this.abandoned = abandoned;
    this.commits = new GroupCommit<>("tasklane-complete", WRITE_BATCH, this::writeAll, this::writeOne);
  }

  /**
   * Writes the start of a run claimed ahead and waits for it: its attempt is spent before its
   * handler runs.
   *
   * @return the task as started, or empty if the run no longer holds its task (or shutdown gave up
   *     on the write): its handler must not run
   */
  Optional<Task> start(Run run) {
    return retrying(run, new Start(run.ref()), "the start");
  }

  /**
   * Hands the start of a run claimed ahead to the next group commit without waiting, so that its
   * handler can begin at once; {@link #awaitStart} collects the answer before an outcome other
   * than a success is written (a success starts its run itself; in the same group commit as its
   * start, the two are one row write).
   */
  CompletableFuture<Task> startAsync(Run run) {
    return commits.submit(new Start(run.ref()));
  }

  /**
   * The answer to a {@link #startAsync}: the task as started; or, if that write failed, the start
   * retried here until it is written (starts are idempotent); or empty if the run no longer holds
   * its task.
   */
  Optional<Task> awaitStart(Run run, CompletableFuture<Task> pending) {
    try {
      return Optional.of(pending.join());
    } catch (CompletionException e) {
      RuntimeException cause = GroupCommit.unwrap(e);
      if (cause instanceof LeaseLostException) {
        refused(run, "the start");
        return Optional.empty();
      }
      return start(run);
    }
  }

  /**
   * Writes a run's outcome, counts it and tells the listener; a run whose lease moved on is
   * counted as stale instead.
   */
  void finish(Run run, RunOutcome outcome) {
    finish(run, outcome, sendOutcome(run, outcome));
  }

  /**
   * Hands a run's outcome to the next group commit without waiting; {@link #finish(Run,
   * RunOutcome, CompletableFuture)} collects it. Until then the outcome counts as {@link
   * #outcomesPending() pending}: a run sends its outcome before it gives its slot back, so a start
   * written through this writer for that slot commits with it or after it, never before, and the
   * store never shows more runs started on this node than it has slots.
   */
  CompletableFuture<Task> sendOutcome(Run run, RunOutcome outcome) {
    outcomesPending.incrementAndGet();
    try {
      return commits.submit(new Finish(run.ref(), outcome));
    } catch (RuntimeException e) {
      outcomesPending.decrementAndGet();
      throw e;
    }
  }

  /**
   * The answer to a {@link #sendOutcome}: counts and tells as {@link #finish(Run, RunOutcome)}
   * does, retrying the write if its group commit failed.
   */
  void finish(Run run, RunOutcome outcome, CompletableFuture<Task> sent) {
    Optional<Task> written;
    try {
      written = Optional.of(sent.join());
    } catch (CompletionException e) {
      RuntimeException cause = GroupCommit.unwrap(e);
      if (cause instanceof LeaseLostException) {
        refused(run, "the outcome");
        written = Optional.empty();
      } else {
        // The group commit failed; it may have committed with its answer lost, which the retry
        // tells apart from a lost lease.
        written = retrying(run, new Finish(run.ref(), outcome), "the outcome", true);
      }
    } finally {
      outcomesPending.decrementAndGet();
    }
    if (written.isEmpty()) {
      return;
    }
    Task after = written.get();
    count(run.task(), outcome);
    listener.tell(l -> l.onFinished(after, resultOf(outcome), run.ranFor()));
  }

  /**
   * Whether an outcome sent by {@link #sendOutcome} is not written yet. While one is, a claim
   * must not start runs in its own transaction (that could commit before the outcome of the run
   * whose slot it fills); it claims them ahead, and their starts follow the outcome here.
   */
  boolean outcomesPending() {
    return outcomesPending.get() > 0;
  }

  /** Stops the writer thread; later writes go out one by one. Idempotent. */
  @Override
  public void close() {
    commits.close();
  }

  /**
   * Writes {@code write}, retrying while the store is unavailable. A write refused for any other
   * reason (a value the database rejects, say) would be refused again: it is given up, and the
   * run's lease left to expire, so that the task is recovered as any lost run is.
   */
  private Optional<Task> retrying(Run run, Write write, String what) {
    return retrying(run, write, what, false);
  }

  private Optional<Task> retrying(Run run, Write write, String what, boolean failedBefore) {
    Duration backoff = FIRST_BACKOFF;
    for (int attempt = 1; ; attempt++) {
      try {
        return Optional.of(commits.write(write));
      } catch (LeaseLostException e) {
        if (failedBefore && write instanceof Finish) {
          // An earlier try may have committed with its answer lost: then the task holds the
          // outcome under this very run.
          Optional<Task> now = store.find(run.taskId());
          if (now.isPresent()
              && now.get().fencingToken() == run.fencingToken()
              && now.get().state() != TaskState.RUNNING) {
            return now;
          }
        }
        refused(run, what);
        return Optional.empty();
      } catch (RuntimeException e) {
        failedBefore = true;
        if (abandoned.getAsBoolean()) {
          log.error(
              "could not write {} of task {} before shutdown; its lease will expire and it will"
                  + " run again",
              what,
              run.taskId(),
              e);
          return Optional.empty();
        }
        if (!(e instanceof StoreException s && s.unavailable())) {
          log.error(
              "writing {} of task {} failed for good; its lease will expire and it will be"
                  + " recovered as a lost run",
              what,
              run.taskId(),
              e);
          return Optional.empty();
        }
        if (attempt == 1 || attempt % 20 == 0) {
          log.warn("writing {} of task {} failed (attempt {}); retrying", what, run.taskId(), attempt, e);
        }
        // Uninterruptible: an interrupt must not end the retries of an outcome.
        LockSupport.parkNanos(backoff.toNanos());
        backoff = Loops.min(backoff.multipliedBy(2), MAX_BACKOFF);
      }
    }
  }

  private void refused(Run run, String what) {
    stats.staleRefusedByStore.increment();
    listener.tell(l -> l.onStaleRunRejected(run.task()));
    log.warn(
        "{} of run {} of task {} was refused: its lease had moved on",
        what,
        run.fencingToken(),
        run.taskId());
  }

  private List<Object> writeAll(List<Write> batch) {
    List<RunRef> starts = new ArrayList<>();
    Map<RunRef, RunOutcome> outcomes = new LinkedHashMap<>();
    for (Write w : batch) {
      switch (w) {
        case Start s -> starts.add(s.run());
        case Finish f -> outcomes.put(f.run(), f.outcome());
      }
    }
    RunWrites.Result written = store.writeRuns(new RunWrites(starts, outcomes));
    List<Object> results = new ArrayList<>(batch.size());
    for (Write w : batch) {
      Task t =
          switch (w) {
            case Start s -> written.started().get(s.run());
            case Finish f -> written.finished().get(f.run());
          };
      results.add(t != null ? t : new LeaseLostException(w.run().taskId(), w.run().fencingToken()));
    }
    return results;
  }

  private Task writeOne(Write w) {
    return switch (w) {
      case Start s -> {
        Task t = store.writeRuns(RunWrites.starting(List.of(s.run()))).started().get(s.run());
        if (t == null) {
          throw new LeaseLostException(s.run().taskId(), s.run().fencingToken());
        }
        yield t;
      }
      case Finish f -> store.finishRun(f.run(), f.outcome());
    };
  }

  private void count(Task task, RunOutcome outcome) {
    switch (outcome) {
      case RunOutcome.Succeeded s -> stats.succeeded.increment();
      case RunOutcome.Failed f -> stats.failed.increment();
      case RunOutcome.Cancelled c -> stats.cancelled.increment();
      case RunOutcome.Rescheduled r -> {
        if (r.error() != null) {
          stats.retried.increment();
        }
        backlog.added(task.queue(), 1);
      }
      case RunOutcome.Released r -> backlog.added(task.queue(), 1);
    }
  }

  static RunResult resultOf(RunOutcome outcome) {
    return switch (outcome) {
      case RunOutcome.Succeeded s -> RunResult.SUCCEEDED;
      case RunOutcome.Failed f -> RunResult.FAILED;
      case RunOutcome.Cancelled c -> RunResult.CANCELLED;
      case RunOutcome.Rescheduled r -> r.error() != null ? RunResult.RETRIED : RunResult.SNOOZED;
      case RunOutcome.Released r -> RunResult.RELEASED;
    };
  }
}
