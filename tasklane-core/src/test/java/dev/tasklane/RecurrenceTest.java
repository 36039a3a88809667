package dev.tasklane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecurrenceTest {
  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

  private static List<ZonedDateTime> ticks(Recurrence r, ZonedDateTime from, int n) {
    List<ZonedDateTime> out = new ArrayList<>();
    Instant t = from.toInstant();
    for (int i = 0; i < n; i++) {
      t = r.nextAfter(t).orElseThrow();
      out.add(t.atZone(from.getZone()));
    }
    return out;
  }

  private static ZonedDateTime berlin(String local) {
    return java.time.LocalDateTime.parse(local).atZone(BERLIN);
  }

  @Test
  void fiveFieldsAreReadInTheScheduleZone() {
    Recurrence weekdays = Recurrence.cron("0 9 * * MON-FRI", BERLIN);
    // 2026-12-04 is a Friday.
    assertThat(ticks(weekdays, berlin("2026-12-04T10:00"), 2))
        .extracting(ZonedDateTime::toString)
        .containsExactly("2026-12-07T09:00+01:00[Europe/Berlin]", "2026-12-08T09:00+01:00[Europe/Berlin]");
  }

  @Test
  void sixFieldsHaveSecondsFirst() {
    Recurrence r = Recurrence.cron("*/20 * * * * *");
    assertThat(r.nextAfter(Instant.parse("2026-01-01T00:00:05Z"))).contains(Instant.parse("2026-01-01T00:00:20Z"));
    assertThat(r.nextAfter(Instant.parse("2026-01-01T00:00:40Z"))).contains(Instant.parse("2026-01-01T00:01:00Z"));
  }

  @Test
  void nicknamesAreFiveFieldExpressions() {
    assertThat(Recurrence.cron("@daily").nextAfter(Instant.parse("2026-01-01T10:00:00Z")))
        .contains(Instant.parse("2026-01-02T00:00:00Z"));
    assertThat(Recurrence.cron("@hourly").nextAfter(Instant.parse("2026-01-01T10:00:00Z")))
        .contains(Instant.parse("2026-01-01T11:00:00Z"));
  }

  @Test
  void aDailyTickInTheSkippedHourFiresAtTheChange() {
    // 2026-03-29 02:00 CET becomes 03:00 CEST: 02:30 does not exist that day.
    Recurrence r = Recurrence.cron("30 2 * * *", BERLIN);
    assertThat(ticks(r, berlin("2026-03-28T12:00"), 3))
        .extracting(ZonedDateTime::toString)
        .containsExactly(
            "2026-03-29T03:00+02:00[Europe/Berlin]",
            "2026-03-30T02:30+02:00[Europe/Berlin]",
            "2026-03-31T02:30+02:00[Europe/Berlin]");
  }

  @Test
  void frequentTicksInTheSkippedHourFireOnceAtTheChange() {
    Recurrence r = Recurrence.cron("15,45 * * * *", BERLIN);
    assertThat(ticks(r, berlin("2026-03-29T01:30"), 3))
        .extracting(ZonedDateTime::toString)
        .containsExactly(
            "2026-03-29T01:45+01:00[Europe/Berlin]",
            "2026-03-29T03:00+02:00[Europe/Berlin]",
            "2026-03-29T03:15+02:00[Europe/Berlin]");
  }

  @Test
  void aDailyTickInTheRepeatedHourFiresOnceAtItsFirstOccurrence() {
    // 2026-10-25 03:00 CEST becomes 02:00 CET: 02:30 happens twice.
    Recurrence r = Recurrence.cron("30 2 * * *", BERLIN);
    assertThat(ticks(r, berlin("2026-10-24T12:00"), 2))
        .extracting(ZonedDateTime::toString)
        .containsExactly("2026-10-25T02:30+02:00[Europe/Berlin]", "2026-10-26T02:30+01:00[Europe/Berlin]");
  }

  @Test
  void frequentTicksRunInRealTimeThroughTheRepeatedHour() {
    Recurrence r = Recurrence.cron("*/30 * * * *", BERLIN);
    List<Instant> instants =
        ticks(r, berlin("2026-10-25T01:50"), 5).stream().map(ZonedDateTime::toInstant).toList();
    // 02:00 CEST, 02:30 CEST, 02:00 CET, 02:30 CET, 03:00 CET: every 30 minutes in real time.
    for (int i = 1; i < instants.size(); i++) {
      assertThat(Duration.between(instants.get(i - 1), instants.get(i))).isEqualTo(Duration.ofMinutes(30));
    }
  }

  @Test
  void intervalsAreAlignedToTheEpoch() {
    Recurrence fiveMinutes = Recurrence.every(Duration.ofMinutes(5));
    assertThat(fiveMinutes.nextAfter(Instant.parse("2026-01-01T10:02:13Z"))).contains(Instant.parse("2026-01-01T10:05:00Z"));
    assertThat(fiveMinutes.nextAfter(Instant.parse("2026-01-01T10:05:00Z"))).contains(Instant.parse("2026-01-01T10:10:00Z"));
    assertThat(fiveMinutes.previousBefore(Instant.parse("2026-01-01T10:05:00Z"))).contains(Instant.parse("2026-01-01T10:00:00Z"));
  }

  @Test
  void badExpressionsAndIntervalsAreRefusedWithTheReason() {
    assertThatThrownBy(() -> Recurrence.cron("61 * * * *")).hasMessageContaining("61");
    assertThatThrownBy(() -> Recurrence.cron("* * *")).hasMessageContaining("5 fields");
    assertThatThrownBy(() -> Recurrence.cron("0 0 31 2 *")).hasMessageContaining("never matches");
    assertThatThrownBy(() -> Recurrence.every(Duration.ofMillis(500))).hasMessageContaining("whole seconds");
    assertThatThrownBy(() -> Recurrence.every(Duration.ofDays(400))).hasMessageContaining("366 days");
  }

  @Test
  void cronRecurrencesAreEqualByNormalisedExpressionAndZone() {
    assertThat(Recurrence.cron("0  3 * * *", BERLIN)).isEqualTo(Recurrence.cron(" 0 3 * * * ", BERLIN));
    assertThat(Recurrence.cron("0 3 * * *", BERLIN)).isNotEqualTo(Recurrence.cron("0 3 * * *"));
  }

  @Test
  void aTasksOriginIsReadBackFromItsKey() {
    Instant tick = Instant.parse("2026-12-04T03:00:00Z");
    assertThat(Schedule.originOf(Schedule.tickKey("nightly:eu", tick)))
        .contains(new Schedule.Origin("nightly:eu", tick));
    TaskId id = TaskId.next();
    assertThat(Schedule.originOf(Schedule.runKey("nightly", id))).contains(new Schedule.Origin("nightly", null));
    assertThat(Schedule.originOf("invoice-7")).isEmpty();
    assertThat(Schedule.originOf(null)).isEmpty();
  }
}
