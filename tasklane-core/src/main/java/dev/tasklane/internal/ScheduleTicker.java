package dev.tasklane.internal;

import dev.tasklane.Schedule;
import dev.tasklane.ScheduleStatus;
import dev.tasklane.Submission;
import dev.tasklane.TaskId;
import dev.tasklane.TaskState;
import dev.tasklane.spi.NewTask;
import dev.tasklane.spi.ScheduleStore;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires the ticks of schedules ({@code tasklane-schedules} thread). Every node runs one: each reads
 * the due schedules, plans each one's ticks ({@link TickPlan}) and asks the store to fire them
 * with a compare-and-set on the schedule's next tick, in the same transaction as the tasks'
 * insert. Two nodes firing one tick create one task between them (the loser's compare-and-set
 * matches no row and it writes nothing), and a tick is fired as long as any node runs, with no
 * election to wait for when one dies.
 *
 * <p>It sleeps until the earliest next tick, but at most {@link #MAX_WAIT}, so that a schedule
 * defined or resumed on another node starts on time here too; one defined here wakes it at once.
 */
final class ScheduleTicker {
  private static final Logger log = LoggerFactory.getLogger(ScheduleTicker.class);
  /** Longest sleep between two looks at the store's schedules. */
  static final Duration MAX_WAIT = Duration.ofSeconds(1);
  private static final int BATCH = 100;
  private static final Duration FIRST_ERROR_BACKOFF = Duration.ofMillis(100);

  private final ScheduleStore store;
  private final InstantSource clock;
  private final Duration grace;
  private final Consumer<List<Submission>> created;
  private final Wakeup wakeup = new Wakeup();
  private final AtomicBoolean running = new AtomicBoolean(true);

  /**
   * @param created told of the submissions of each firing, after its commit (the engine counts
   *     them and wakes its dispatcher)
   */
  ScheduleTicker(
      ScheduleStore store, InstantSource clock, Duration grace, Consumer<List<Submission>> created) {
    this.store = store;
    this.clock = clock;
    this.grace = grace;
    this.created = created;
  }

  /** The loop of the {@code tasklane-schedules} thread, until {@link #stop()}. */
  void loop() {
    Duration backoff = FIRST_ERROR_BACKOFF;
    while (running.get()) {
      try {
        Optional<Instant> next = fireDue();
        backoff = FIRST_ERROR_BACKOFF;
        wakeup.await(untilNext(next), running::get);
      } catch (Throwable t) {
        if (!running.get()) {
          break;
        }
        log.error("firing schedules failed; retrying in {} ms", backoff.toMillis(), t);
        wakeup.sleep(backoff, running::get);
        backoff = Loops.min(backoff.multipliedBy(2), MAX_WAIT.multipliedBy(5));
      }
    }
  }

  private Duration untilNext(Optional<Instant> next) {
    if (next.isEmpty()) {
      return MAX_WAIT;
    }
    Duration wait = Duration.between(clock.instant(), next.get());
    return wait.isNegative() ? Duration.ZERO : Loops.min(wait.plusMillis(1), MAX_WAIT);
  }

  /** A schedule changed here (defined, resumed): look again now. */
  void wake() {
    wakeup.wake();
  }

  /** Ends the loop at its next check. */
  void stop() {
    running.set(false);
    wakeup.wake();
  }

  /**
   * One pass: fires every tick due now. Returns the earliest next tick of any schedule afterwards.
   */
  Optional<Instant> fireDue() {
    while (running.get()) {
      Instant now = clock.instant();
      List<ScheduleStatus> due = store.dueSchedules(now, BATCH);
      for (ScheduleStatus s : due) {
        fire(s, now);
      }
      if (due.size() < BATCH) {
        break;
      }
    }
    return store.nextScheduleAt();
  }

  private void fire(ScheduleStatus s, Instant now) {
    TickPlan plan = TickPlan.of(s.recurrence(), s.nextRunAt(), now, grace, s.misfire());
    List<NewTask> tasks = new ArrayList<>(plan.ticks().size());
    for (Instant tick : plan.ticks()) {
      tasks.add(
          new NewTask(
              TaskId.next(),
              s.type(),
              s.queue(),
              s.payload(),
              s.priority(),
              tick.isAfter(now) ? TaskState.SCHEDULED : TaskState.QUEUED,
              s.maxAttempts(),
              tick,
              s.timeout(),
              now,
              Schedule.tickKey(s.name(), tick),
              s.createdBy()));
    }
    Optional<List<Submission>> fired = store.fireSchedule(s.name(), s.nextRunAt(), plan.next(), tasks);
    if (fired.isEmpty()) {
      log.debug("schedule {} was fired, paused or removed elsewhere meanwhile", s.name());
      return;
    }
    if (plan.missedFrom() != null) {
      log.warn(
          "schedule {} missed its ticks from {} to before {} (over {} late); misfire policy {}: {}",
          s.name(),
          plan.missedFrom(),
          plan.missedUntil(),
          grace,
          s.misfire().apiName(),
          switch (s.misfire()) {
            case SKIP -> "skipped them";
            case RUN_ONCE -> "one task fired for them";
          });
    }
    log.debug("schedule {} fired {} tick(s); next at {}", s.name(), tasks.size(), plan.next());
    if (!fired.get().isEmpty()) {
      created.accept(fired.get());
    }
  }
}
