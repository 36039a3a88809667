package dev.tasklane.spi;

import dev.tasklane.ScheduleStatus;
import dev.tasklane.Submission;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where schedules (recurring tasks) live, in the same database as the tasks they create, so that
 * firing a tick and inserting its task are one transaction. The engine decides which ticks to fire
 * and when; the store writes that, compare-and-set on each schedule's next tick, so two nodes
 * firing the same tick at once create one task between them.
 *
 * <p>Implementations are thread-safe; a method that throws has changed nothing.
 *
 * <p>Stability: SPI. Methods may be added in minor releases.
 */
public interface ScheduleStore {

  /**
   * Defines a schedule, or redefines the one of that name. A new schedule is stored as given. An
   * existing one takes the new definition (recurrence, template, misfire) and keeps its pause, its
   * last run and its creation; its next tick becomes {@code schedule.nextRunAt()} only if its
   * recurrence changed, so that redefining a schedule unchanged (every node does at each start)
   * never moves a tick that another node is firing.
   *
   * @return the schedule as stored now
   */
  ScheduleStatus saveSchedule(ScheduleStatus schedule);

  Optional<ScheduleStatus> findSchedule(String name);

  /** Every schedule, ordered by name. */
  List<ScheduleStatus> listSchedules();

  /** Deletes a schedule (its tasks stay); false if there was none. */
  boolean deleteSchedule(String name);

  /**
   * Pauses a schedule, keeping its next tick; empty if there is none. Pausing a paused schedule
   * changes nothing.
   */
  Optional<ScheduleStatus> pauseSchedule(String name, Instant now);

  /**
   * Resumes a paused schedule with {@code nextRunAt} as its next tick; empty if there is none.
   * Resuming a schedule that is not paused changes nothing.
   */
  Optional<ScheduleStatus> resumeSchedule(String name, Instant nextRunAt, Instant now);

  /** Up to {@code limit} schedules that are not paused and whose next tick is at or before {@code now}, earliest first. */
  List<ScheduleStatus> dueSchedules(Instant now, int limit);

  /** The earliest next tick of a schedule that is not paused, if any. */
  Optional<Instant> nextScheduleAt();

  /**
   * Fires a schedule's due ticks, in one transaction: only while it is not paused and its next
   * tick is still {@code expectedNextRunAt}, moves it to {@code nextRunAt} and inserts {@code
   * tasks} (one per tick fired; none when every due tick was dropped), recording the last of them
   * as its last run. A task whose idempotency key is taken is not inserted again: its holder is
   * answered instead.
   *
   * @param nextRunAt the new next tick, or {@code null} if none is left
   * @return the submissions, one per task in order; empty if the schedule was not there, paused,
   *     or fired by someone else meanwhile (nothing written)
   */
  Optional<List<Submission>> fireSchedule(
      String name, Instant expectedNextRunAt, Instant nextRunAt, List<NewTask> tasks);

  /**
   * Runs a schedule on demand: inserts {@code task} and records it as the schedule's last run at
   * {@code task.createdAt()}, in one transaction, leaving its next tick alone.
   *
   * @return the submission; empty if there is no such schedule (nothing written)
   */
  Optional<Submission> runSchedule(String name, NewTask task);
}
