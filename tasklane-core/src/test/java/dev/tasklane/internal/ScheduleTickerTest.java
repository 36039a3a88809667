package dev.tasklane.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tasklane.Misfire;
import dev.tasklane.Recurrence;
import dev.tasklane.Schedule;
import dev.tasklane.ScheduleStatus;
import dev.tasklane.Submission;
import dev.tasklane.Task;
import dev.tasklane.TaskQuery;
import dev.tasklane.testing.InMemoryTaskStore;
import dev.tasklane.testing.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ticker against the in-memory store, with time moved by hand. */
class ScheduleTickerTest {
  private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");
  private final TestClock clock = new TestClock(T0);
  private final InMemoryTaskStore store = new InMemoryTaskStore(clock);
  private final List<Submission> created = Collections.synchronizedList(new ArrayList<>());

  private ScheduleTicker ticker() {
    return new ScheduleTicker(store.schedules(), clock, Schedule.MISFIRE_GRACE, created::addAll);
  }

  private void define(String name, Recurrence r, Misfire misfire, boolean paused) {
    store.schedules().saveSchedule(
        new ScheduleStatus(
            name, r, "report", "reports", "{}", 3, 2, null, misfire, paused,
            r.nextAfter(clock.instant()).orElseThrow(), null, null, "alice", T0, T0));
  }

  private List<Task> tasks() {
    return store.list(TaskQuery.all().withLimit(TaskQuery.MAX_LIMIT)).tasks();
  }

  @Test
  void eachTickCreatesOneTaskWithTheTemplateAndTheTickAsRunAt() {
    define("s", Recurrence.every(Duration.ofSeconds(10)), Misfire.SKIP, false);
    ScheduleTicker ticker = ticker();

    assertThat(ticker.fireDue()).contains(T0.plusSeconds(10));
    assertThat(tasks()).isEmpty();
    clock.advance(Duration.ofSeconds(10));
    assertThat(ticker.fireDue()).contains(T0.plusSeconds(20));
    assertThat(ticker.fireDue()).contains(T0.plusSeconds(20));

    assertThat(tasks()).singleElement().satisfies(t -> {
      assertThat(t.runAt()).isEqualTo(T0.plusSeconds(10));
      assertThat(t.type()).isEqualTo("report");
      assertThat(t.queue()).isEqualTo("reports");
      assertThat(t.priority()).isEqualTo(3);
      assertThat(t.maxAttempts()).isEqualTo(2);
      assertThat(t.submittedBy()).isEqualTo("alice");
      assertThat(t.idempotencyKey()).isEqualTo(Schedule.tickKey("s", T0.plusSeconds(10)));
    });
    assertThat(created).hasSize(1);
  }

  @Test
  void twoTickersOnOneStoreFireEachTickOnce() {
    define("s", Recurrence.every(Duration.ofSeconds(1)), Misfire.SKIP, false);
    ScheduleTicker a = ticker();
    ScheduleTicker b = ticker();
    for (int i = 0; i < 20; i++) {
      clock.advance(Duration.ofMillis(700));
      (i % 3 == 0 ? a : b).fireDue();
      (i % 3 == 0 ? b : a).fireDue();
    }
    List<Instant> ticks = tasks().stream().map(Task::runAt).sorted().toList();
    assertThat(ticks).doesNotHaveDuplicates();
    assertThat(ticks).hasSize(14); // 14 s passed: ticks 1 .. 14
    for (int i = 1; i < ticks.size(); i++) {
      assertThat(Duration.between(ticks.get(i - 1), ticks.get(i))).isEqualTo(Duration.ofSeconds(1));
    }
  }

  @Test
  void afterAnOutageSkipFiresOnlyTheTicksWithinTheGraceAndRunOnceOneMore() {
    define("skip", Recurrence.every(Duration.ofSeconds(30)), Misfire.SKIP, false);
    define("once", Recurrence.every(Duration.ofSeconds(30)), Misfire.RUN_ONCE, false);
    clock.advance(Duration.ofMinutes(10).plusSeconds(5)); // nobody ran for ten minutes
    ticker().fireDue();

    List<Task> all = tasks();
    assertThat(all.stream().filter(t -> t.idempotencyKey().startsWith("schedule:skip:")))
        .extracting(Task::runAt)
        .containsExactlyInAnyOrder(T0.plusSeconds(570), T0.plusSeconds(600));
    assertThat(all.stream().filter(t -> t.idempotencyKey().startsWith("schedule:once:")))
        .extracting(Task::runAt)
        .containsExactlyInAnyOrder(T0.plusSeconds(540), T0.plusSeconds(570), T0.plusSeconds(600));
    assertThat(store.schedules().findSchedule("skip").orElseThrow().nextRunAt()).isEqualTo(T0.plusSeconds(630));
  }

  @Test
  void aPausedScheduleFiresNothing() {
    define("s", Recurrence.every(Duration.ofSeconds(1)), Misfire.SKIP, true);
    clock.advance(Duration.ofSeconds(5));
    assertThat(ticker().fireDue()).isEmpty();
    assertThat(tasks()).isEmpty();
  }
}
