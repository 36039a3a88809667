package dev.tasklane.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tasklane.Misfire;
import dev.tasklane.Recurrence;
import dev.tasklane.Schedule;
import dev.tasklane.ScheduleStatus;
import dev.tasklane.Submission;
import dev.tasklane.Task;
import dev.tasklane.TaskState;
import dev.tasklane.spi.NewTask;
import dev.tasklane.spi.ScheduleStore;
import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ScheduleStore} must do, run against each store by a subclass that supplies
 * {@link #store()}, a task store over a database of this test's own that holds no schedule.
 */
public abstract class ScheduleStoreContract {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final Recurrence EVERY_MINUTE = Recurrence.every(Duration.ofMinutes(1));

  /** The store under test; its schedules are {@code store().schedules()}. */
  protected abstract TaskStore store();

  private ScheduleStore schedules() {
    return store().schedules();
  }

  private static ScheduleStatus definition(String name, Recurrence recurrence, Instant next) {
    return new ScheduleStatus(
        name, recurrence, "report", "reports", "{\"kind\": \"daily\"}", 5, 3,
        Duration.ofSeconds(90), Misfire.RUN_ONCE, false, next, null, null, "alice", T0, T0);
  }

  private static NewTask tickTask(String schedule, Instant tick) {
    return Fixtures.aTask()
        .type("report")
        .queue("reports")
        .createdAt(tick)
        .runAt(tick)
        .idempotencyKey(Schedule.tickKey(schedule, tick))
        .build();
  }

  @Test
  void aScheduleIsStoredWithEveryFieldAsDefined() {
    Recurrence cron = Recurrence.cron("0 3 * * MON-FRI", ZoneId.of("Europe/Paris"));
    ScheduleStatus saved = schedules().saveSchedule(definition("nightly", cron, T0.plusSeconds(60)));

    assertThat(saved).isEqualTo(definition("nightly", cron, T0.plusSeconds(60)));
    assertThat(schedules().findSchedule("nightly")).contains(saved);
    assertThat(schedules().findSchedule("weekly")).isEmpty();

    ScheduleStatus interval = schedules().saveSchedule(definition("often", EVERY_MINUTE, T0));
    assertThat(interval.recurrence()).isEqualTo(EVERY_MINUTE);
    assertThat(schedules().listSchedules()).extracting(ScheduleStatus::name).containsExactly("nightly", "often");
  }

  @Test
  void redefiningKeepsTheNextTickPauseAndLastRunUnlessTheRecurrenceChanged() {
    schedules().saveSchedule(definition("s", EVERY_MINUTE, T0.plusSeconds(60)));
    schedules().fireSchedule("s", T0.plusSeconds(60), T0.plusSeconds(120), List.of(tickTask("s", T0.plusSeconds(60))));
    schedules().pauseSchedule("s", T0.plusSeconds(61));

    ScheduleStatus same =
        schedules().saveSchedule(withPayload(definition("s", EVERY_MINUTE, T0.plusSeconds(999)), "{\"v\": 2}"));
    assertThat(same.nextRunAt()).isEqualTo(T0.plusSeconds(120));
    assertThat(same.paused()).isTrue();
    assertThat(same.lastRunAt()).isEqualTo(T0.plusSeconds(60));
    assertThat(same.payload()).isEqualTo("{\"v\": 2}");

    Recurrence hourly = Recurrence.every(Duration.ofHours(1));
    ScheduleStatus moved = schedules().saveSchedule(definition("s", hourly, T0.plusSeconds(3600)));
    assertThat(moved.nextRunAt()).isEqualTo(T0.plusSeconds(3600));
    assertThat(moved.recurrence()).isEqualTo(hourly);
    assertThat(moved.paused()).isTrue();
    assertThat(moved.createdAt()).isEqualTo(T0);
  }

  private static ScheduleStatus withPayload(ScheduleStatus s, String payload) {
    return new ScheduleStatus(
        s.name(), s.recurrence(), s.type(), s.queue(), payload, s.priority(), s.maxAttempts(),
        s.timeout(), s.misfire(), s.paused(), s.nextRunAt(), s.lastRunAt(), s.lastTaskId(),
        s.createdBy(), s.createdAt(), s.updatedAt());
  }

  @Test
  void dueSchedulesAreTheUnpausedOnesAtOrBeforeNowEarliestFirst() {
    schedules().saveSchedule(definition("late", EVERY_MINUTE, T0.plusSeconds(30)));
    schedules().saveSchedule(definition("early", EVERY_MINUTE, T0.plusSeconds(10)));
    schedules().saveSchedule(definition("now", EVERY_MINUTE, T0.plusSeconds(60)));
    schedules().saveSchedule(definition("future", EVERY_MINUTE, T0.plusSeconds(61)));
    schedules().saveSchedule(definition("paused", EVERY_MINUTE, T0));
    schedules().pauseSchedule("paused", T0);

    assertThat(schedules().dueSchedules(T0.plusSeconds(60), 10))
        .extracting(ScheduleStatus::name)
        .containsExactly("early", "late", "now");
    assertThat(schedules().dueSchedules(T0.plusSeconds(60), 2)).hasSize(2);
    assertThat(schedules().nextScheduleAt()).contains(T0.plusSeconds(10));
  }

  @Test
  void pausingKeepsTheNextTickAndResumingSetsIt() {
    schedules().saveSchedule(definition("s", EVERY_MINUTE, T0.plusSeconds(60)));

    ScheduleStatus paused = schedules().pauseSchedule("s", T0.plusSeconds(5)).orElseThrow();
    assertThat(paused.paused()).isTrue();
    assertThat(paused.nextRunAt()).isEqualTo(T0.plusSeconds(60));
    assertThat(paused.updatedAt()).isEqualTo(T0.plusSeconds(5));
    assertThat(schedules().nextScheduleAt()).isEmpty();
    assertThat(schedules().dueSchedules(T0.plusSeconds(600), 10)).isEmpty();

    ScheduleStatus resumed = schedules().resumeSchedule("s", T0.plusSeconds(660), T0.plusSeconds(601)).orElseThrow();
    assertThat(resumed.paused()).isFalse();
    assertThat(resumed.nextRunAt()).isEqualTo(T0.plusSeconds(660));
    // Resuming again changes nothing.
    assertThat(schedules().resumeSchedule("s", T0.plusSeconds(9999), T0.plusSeconds(700)).orElseThrow().nextRunAt())
        .isEqualTo(T0.plusSeconds(660));
    assertThat(schedules().pauseSchedule("nothing", T0)).isEmpty();
    assertThat(schedules().resumeSchedule("nothing", T0, T0)).isEmpty();
  }

  @Test
  void firingInsertsTheTicksTasksAndMovesTheNextTick() {
    schedules().saveSchedule(definition("s", EVERY_MINUTE, T0));
    NewTask first = tickTask("s", T0);
    NewTask second = tickTask("s", T0.plusSeconds(60));

    List<Submission> fired =
        schedules().fireSchedule("s", T0, T0.plusSeconds(120), List.of(first, second)).orElseThrow();

    assertThat(fired).extracting(Submission::created).containsExactly(true, true);
    assertThat(fired).extracting(s -> s.task().id()).containsExactly(first.id(), second.id());
    Task stored = store().find(second.id()).orElseThrow();
    assertThat(stored.idempotencyKey()).isEqualTo(Schedule.tickKey("s", T0.plusSeconds(60)));
    assertThat(stored.state()).isEqualTo(TaskState.QUEUED);
    ScheduleStatus after = schedules().findSchedule("s").orElseThrow();
    assertThat(after.nextRunAt()).isEqualTo(T0.plusSeconds(120));
    assertThat(after.lastRunAt()).isEqualTo(T0.plusSeconds(60));
    assertThat(after.lastTaskId()).isEqualTo(second.id());
  }

  @Test
  void aSecondFiringOfTheSameTickWritesNothing() {
    schedules().saveSchedule(definition("s", EVERY_MINUTE, T0));
    NewTask winner = tickTask("s", T0);
    NewTask loser = tickTask("s", T0);
    assertThat(schedules().fireSchedule("s", T0, T0.plusSeconds(60), List.of(winner))).isPresent();

    assertThat(schedules().fireSchedule("s", T0, T0.plusSeconds(60), List.of(loser))).isEmpty();
    assertThat(store().find(loser.id())).isEmpty();
    assertThat(schedules().findSchedule("s").orElseThrow().lastTaskId()).isEqualTo(winner.id());
  }

  @Test
  void concurrentFiringsOfOneTickCreateOneTask() throws Exception {
    schedules().saveSchedule(definition("s", EVERY_MINUTE, T0));
    int firers = 8;
    CyclicBarrier start = new CyclicBarrier(firers);
    List<NewTask> attempts = new ArrayList<>();
    List<Callable<Optional<List<Submission>>>> calls = new ArrayList<>();
    for (int i = 0; i < firers; i++) {
      NewTask t = Fixtures.aTask().type("report").queue("reports").runAt(T0).createdAt(T0).build();
      attempts.add(t);
      calls.add(
          () -> {
            start.await();
            return schedules().fireSchedule("s", T0, T0.plusSeconds(60), List.of(t));
          });
    }
    ExecutorService pool = Executors.newFixedThreadPool(firers);
    int won = 0;
    try {
      for (Future<Optional<List<Submission>>> f : pool.invokeAll(calls)) {
        won += f.get().isPresent() ? 1 : 0;
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(won).isEqualTo(1);
    assertThat(attempts.stream().filter(t -> store().find(t.id()).isPresent())).hasSize(1);
    assertThat(schedules().findSchedule("s").orElseThrow().nextRunAt()).isEqualTo(T0.plusSeconds(60));
  }

  @Test
  void aPausedScheduleIsNotFired() {
    schedules().saveSchedule(definition("s", EVERY_MINUTE, T0));
    schedules().pauseSchedule("s", T0);
    NewTask t = tickTask("s", T0);

    assertThat(schedules().fireSchedule("s", T0, T0.plusSeconds(60), List.of(t))).isEmpty();
    assertThat(store().find(t.id())).isEmpty();
    assertThat(schedules().fireSchedule("missing", T0, T0.plusSeconds(60), List.of(t))).isEmpty();
  }

  @Test
  void firingWithoutTasksOnlyMovesTheNextTick() {
    schedules().saveSchedule(definition("s", EVERY_MINUTE, T0));

    assertThat(schedules().fireSchedule("s", T0, T0.plusSeconds(600), List.of())).contains(List.of());
    ScheduleStatus after = schedules().findSchedule("s").orElseThrow();
    assertThat(after.nextRunAt()).isEqualTo(T0.plusSeconds(600));
    assertThat(after.lastRunAt()).isNull();
    assertThat(after.lastTaskId()).isNull();
  }

  @Test
  void aTickWhoseKeyIsTakenRecordsTheTaskHoldingIt() {
    schedules().saveSchedule(definition("s", EVERY_MINUTE, T0));
    Task holder = store().insert(tickTask("s", T0)).task();

    List<Submission> fired =
        schedules().fireSchedule("s", T0, T0.plusSeconds(60), List.of(tickTask("s", T0))).orElseThrow();

    assertThat(fired).singleElement().satisfies(s -> {
      assertThat(s.created()).isFalse();
      assertThat(s.task().id()).isEqualTo(holder.id());
    });
    assertThat(schedules().findSchedule("s").orElseThrow().lastTaskId()).isEqualTo(holder.id());
  }

  @Test
  void runningOnDemandInsertsTheTaskAndKeepsTheNextTick() {
    schedules().saveSchedule(definition("s", EVERY_MINUTE, T0.plusSeconds(60)));
    NewTask now = Fixtures.aTask().type("report").queue("reports").createdAt(T0.plusSeconds(7)).runAt(T0.plusSeconds(7)).build();

    Submission run = schedules().runSchedule("s", now).orElseThrow();

    assertThat(run.created()).isTrue();
    assertThat(store().find(now.id())).isPresent();
    ScheduleStatus after = schedules().findSchedule("s").orElseThrow();
    assertThat(after.nextRunAt()).isEqualTo(T0.plusSeconds(60));
    assertThat(after.lastRunAt()).isEqualTo(T0.plusSeconds(7));
    assertThat(after.lastTaskId()).isEqualTo(now.id());

    NewTask orphan = Fixtures.aTask().build();
    assertThat(schedules().runSchedule("missing", orphan)).isEmpty();
    assertThat(store().find(orphan.id())).isEmpty();
  }

  @Test
  void deletingAScheduleKeepsItsTasks() {
    schedules().saveSchedule(definition("s", EVERY_MINUTE, T0));
    NewTask t = tickTask("s", T0);
    schedules().fireSchedule("s", T0, T0.plusSeconds(60), List.of(t));

    assertThat(schedules().deleteSchedule("s")).isTrue();
    assertThat(schedules().deleteSchedule("s")).isFalse();
    assertThat(schedules().findSchedule("s")).isEmpty();
    assertThat(store().find(t.id())).isPresent();
  }

  @Test
  void aScheduleWithoutATimeoutOrNextTickRoundTrips() {
    ScheduleStatus s =
        new ScheduleStatus(
            "bare", EVERY_MINUTE, "report", "default", "{}", 0, 1, null, Misfire.SKIP, false, null,
            null, null, null, T0, T0);

    assertThat(schedules().saveSchedule(s)).isEqualTo(s);
    assertThat(schedules().nextScheduleAt()).isEmpty();
    assertThat(schedules().dueSchedules(T0.plusSeconds(9999), 10)).isEmpty();
  }
}
