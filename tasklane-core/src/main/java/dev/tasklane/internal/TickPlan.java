package dev.tasklane.internal;

import dev.tasklane.Misfire;
import dev.tasklane.Recurrence;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Which ticks of a due schedule to fire now, and its next tick after them: a pure function of the
 * recurrence, the schedule's next tick as stored, the time, the grace and the misfire policy.
 *
 * <p>Ticks from {@code now - grace} to {@code now} are on time: each fires. Ticks before that are
 * missed: {@link Misfire#SKIP} drops them, {@link Misfire#RUN_ONCE} fires one task for them (the
 * latest). The next tick is the first one after {@code now}.
 *
 * @param ticks the ticks to fire, in order, each once
 * @param next the next tick, or {@code null} if none is left
 * @param missedFrom the first missed tick, or {@code null} if none was missed
 * @param missedUntil the moment before which ticks were missed, or {@code null}
 */
record TickPlan(List<Instant> ticks, Instant next, Instant missedFrom, Instant missedUntil) {

  /** Most ticks one firing creates: a grace of a minute holds at most 61 ticks of a second. */
  static final int MAX_TICKS = 1000;

  static TickPlan of(Recurrence recurrence, Instant due, Instant now, Duration grace, Misfire misfire) {
    List<Instant> ticks = new ArrayList<>();
    Instant onTimeFrom = now.minus(grace);
    Instant t = due;
    Instant missedFrom = null;
    Instant missedUntil = null;
    if (due.isBefore(onTimeFrom)) {
      missedFrom = due;
      missedUntil = onTimeFrom;
      if (misfire == Misfire.RUN_ONCE) {
        Instant latest = recurrence.previousBefore(onTimeFrom).filter(p -> !p.isBefore(due)).orElse(due);
        ticks.add(latest);
      }
      Optional<Instant> firstOnTime = recurrence.nextAfter(onTimeFrom.minusMillis(1));
      t = firstOnTime.orElse(null);
      if (t != null && !ticks.isEmpty() && !t.isAfter(ticks.get(0))) {
        t = recurrence.nextAfter(ticks.get(0)).orElse(null);
      }
    }
    while (t != null && !t.isAfter(now) && ticks.size() < MAX_TICKS) {
      ticks.add(t);
      t = recurrence.nextAfter(t).orElse(null);
    }
    return new TickPlan(List.copyOf(ticks), t, missedFrom, missedUntil);
  }
}
