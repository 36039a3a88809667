package dev.tasklane.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tasklane.Misfire;
import dev.tasklane.Recurrence;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TickPlanTest {
  private static final Recurrence EVERY_10S = Recurrence.every(Duration.ofSeconds(10));
  private static final Duration GRACE = Duration.ofMinutes(1);
  private static final Instant T = Instant.parse("2026-01-01T10:00:00Z");

  @Test
  void aDueTickFiresAndTheNextIsTheFirstAfterNow() {
    TickPlan plan = TickPlan.of(EVERY_10S, T, T.plusMillis(3), GRACE, Misfire.SKIP);
    assertThat(plan.ticks()).containsExactly(T);
    assertThat(plan.next()).isEqualTo(T.plusSeconds(10));
    assertThat(plan.missedFrom()).isNull();
  }

  @Test
  void ticksLateWithinTheGraceAllFire() {
    TickPlan plan = TickPlan.of(EVERY_10S, T, T.plusSeconds(35), GRACE, Misfire.SKIP);
    assertThat(plan.ticks()).containsExactly(T, T.plusSeconds(10), T.plusSeconds(20), T.plusSeconds(30));
    assertThat(plan.next()).isEqualTo(T.plusSeconds(40));
  }

  @Test
  void skipDropsTicksMissedBeyondTheGrace() {
    Instant now = T.plusSeconds(3600 + 5);
    TickPlan plan = TickPlan.of(EVERY_10S, T, now, GRACE, Misfire.SKIP);
    // On time: from now - 60 s = T + 3545 s, the ticks at 3550 .. 3600.
    assertThat(plan.ticks()).first().isEqualTo(T.plusSeconds(3550));
    assertThat(plan.ticks()).hasSize(6).last().isEqualTo(T.plusSeconds(3600));
    assertThat(plan.next()).isEqualTo(T.plusSeconds(3610));
    assertThat(plan.missedFrom()).isEqualTo(T);
    assertThat(plan.missedUntil()).isEqualTo(now.minus(GRACE));
  }

  @Test
  void runOnceFiresOneTaskForTheMissedTicksThenTheOnTimeOnes() {
    Instant now = T.plusSeconds(3600 + 5);
    TickPlan plan = TickPlan.of(EVERY_10S, T, now, GRACE, Misfire.RUN_ONCE);
    // The latest missed tick (3540), then the on-time ones (3550 .. 3600).
    assertThat(plan.ticks()).first().isEqualTo(T.plusSeconds(3540));
    assertThat(plan.ticks()).hasSize(7).doesNotHaveDuplicates().isSorted();
    assertThat(plan.next()).isEqualTo(T.plusSeconds(3610));
  }

  @Test
  void aDailyScheduleMissedForDaysRunsOnceAndGoesOnTomorrow() {
    Recurrence daily = Recurrence.cron("0 3 * * *");
    Instant due = Instant.parse("2026-01-01T03:00:00Z");
    Instant now = Instant.parse("2026-01-05T12:00:00Z");

    TickPlan once = TickPlan.of(daily, due, now, GRACE, Misfire.RUN_ONCE);
    assertThat(once.ticks()).containsExactly(Instant.parse("2026-01-05T03:00:00Z"));
    assertThat(once.next()).isEqualTo(Instant.parse("2026-01-06T03:00:00Z"));

    TickPlan skip = TickPlan.of(daily, due, now, GRACE, Misfire.SKIP);
    assertThat(skip.ticks()).isEmpty();
    assertThat(skip.next()).isEqualTo(Instant.parse("2026-01-06T03:00:00Z"));
  }
}
