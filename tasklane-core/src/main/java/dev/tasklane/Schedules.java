package dev.tasklane;

import dev.tasklane.internal.Engine;
import dev.tasklane.spi.NewTask;
import dev.tasklane.spi.ScheduleStore;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * The schedules (recurring tasks) of a worker's store: define, list, pause, resume, run on demand,
 * delete. Every node of a cluster sees the same schedules and fires their ticks (see {@link
 * Schedule} for the guarantees); a worker that is not started fires none, but manages them all the
 * same. Get it from {@link Worker#schedules()}.
 */
public final class Schedules {
  private final ScheduleStore store;
  private final InstantSource clock;
  private final BiFunction<TaskRequest, Instant, NewTask> resolve;
  private final Engine engine;

  Schedules(
      ScheduleStore store,
      InstantSource clock,
      BiFunction<TaskRequest, Instant, NewTask> resolve,
      Engine engine) {
    this.store = store;
    this.clock = clock;
    this.resolve = resolve;
    this.engine = engine;
  }

  /**
   * Defines {@code schedule}, or redefines the one of that name. The template is resolved against
   * its type now (queue, attempts and timeout default to the type's), so the type must be one
   * this worker runs or a remote worker announced. A new schedule's first tick is the first after
   * now; a redefined one keeps its next tick, its pause and its last run unless its recurrence
   * changed (then its next tick is the first after now).
   *
   * @throws UnknownTaskTypeException if nobody serves the template's type
   */
  public ScheduleStatus define(Schedule schedule) {
    Objects.requireNonNull(schedule, "schedule");
    Instant now = clock.instant();
    NewTask t = resolve.apply(schedule.template(), now);
    ScheduleStatus saved =
        store.saveSchedule(
            new ScheduleStatus(
                schedule.name(),
                schedule.recurrence(),
                t.type(),
                t.queue(),
                t.payload(),
                t.priority(),
                t.maxAttempts(),
                t.timeout(),
                schedule.misfire(),
                false,
                schedule.recurrence().nextAfter(now).orElse(null),
                null,
                null,
                t.submittedBy(),
                now,
                now));
    engine.schedulesChanged();
    return saved;
  }

  /** The schedule named {@code name}, if there is one. */
  public Optional<ScheduleStatus> get(String name) {
    return store.findSchedule(name);
  }

  /** Every schedule, ordered by name. */
  public List<ScheduleStatus> list() {
    return store.listSchedules();
  }

  /**
   * Pauses a schedule on every node: it fires nothing until resumed. Its tasks already created are
   * not touched.
   *
   * @throws ScheduleNotFoundException if there is no such schedule
   */
  public ScheduleStatus pause(String name) {
    return store.pauseSchedule(name, clock.instant()).orElseThrow(() -> new ScheduleNotFoundException(name));
  }

  /**
   * Resumes a paused schedule: its next tick is the first after now (ticks that came while it was
   * paused are not fired). Resuming a schedule that is not paused changes nothing.
   *
   * @throws ScheduleNotFoundException if there is no such schedule
   */
  public ScheduleStatus resume(String name) {
    ScheduleStatus s = get(name).orElseThrow(() -> new ScheduleNotFoundException(name));
    Instant now = clock.instant();
    ScheduleStatus resumed =
        store
            .resumeSchedule(name, s.recurrence().nextAfter(now).orElse(null), now)
            .orElseThrow(() -> new ScheduleNotFoundException(name));
    engine.schedulesChanged();
    return resumed;
  }

  /**
   * Submits the schedule's task now, outside its ticks (also while it is paused), and records it as
   * its last run; its next tick stays as it was.
   *
   * @throws ScheduleNotFoundException if there is no such schedule
   */
  public Submission runNow(String name) {
    ScheduleStatus s = get(name).orElseThrow(() -> new ScheduleNotFoundException(name));
    Instant now = clock.instant();
    TaskId id = TaskId.next();
    NewTask task =
        new NewTask(
            id,
            s.type(),
            s.queue(),
            s.payload(),
            s.priority(),
            TaskState.QUEUED,
            s.maxAttempts(),
            now,
            s.timeout(),
            now,
            Schedule.runKey(name, id),
            s.createdBy());
    Submission submission =
        store.runSchedule(name, task).orElseThrow(() -> new ScheduleNotFoundException(name));
    engine.submittedBySchedule(List.of(submission));
    return submission;
  }

  /** Deletes a schedule on every node; the tasks it created stay. False if there was none. */
  public boolean delete(String name) {
    return store.deleteSchedule(name);
  }
}
