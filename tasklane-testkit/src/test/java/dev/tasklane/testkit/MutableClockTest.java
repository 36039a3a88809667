package dev.tasklane.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class MutableClockTest {

  @Test
  void theClockStandsStillUntilMoved() {
    MutableClock clock = MutableClock.at(Instant.parse("2031-05-06T07:08:09Z"));

    assertThat(clock.instant()).isEqualTo(clock.instant()).isEqualTo("2031-05-06T07:08:09Z");
    assertThat(clock.millis()).isEqualTo(Instant.parse("2031-05-06T07:08:09Z").toEpochMilli());
  }

  @Test
  void advancingMovesTheClockAndReturnsTheNewTime() {
    MutableClock clock = MutableClock.atDefaultStart();

    Instant later = clock.advance(Duration.ofMinutes(3));

    assertThat(later).isEqualTo(MutableClock.DEFAULT_START.plus(Duration.ofMinutes(3)));
    assertThat(clock.instant()).isEqualTo(later);
    assertThat(clock.advance(Duration.ofMinutes(-1))).isEqualTo(later.minus(Duration.ofMinutes(1)));
  }

  @Test
  void settingMovesTheClockAnywhere() {
    MutableClock clock = MutableClock.atDefaultStart();

    clock.set(Instant.EPOCH);

    assertThat(clock.instant()).isEqualTo(Instant.EPOCH);
  }
}
