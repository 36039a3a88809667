package dev.tasklane.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TimeoutsTest {
  @Test
  void cancelledTimeoutsLeaveTheTimerAtOnce() {
    try (Timeouts timeouts = new Timeouts()) {
      List<ScheduledTimeout> set = new ArrayList<>();
      for (int i = 0; i < 100_000; i++) {
        set.add(timeouts.schedule(() -> {}, Duration.ofHours(1)));
      }
      assertThat(timeouts.pending()).isEqualTo(100_000);

      set.forEach(ScheduledTimeout::cancel);

      assertThat(timeouts.pending()).isZero();
    }
  }

  @Test
  void aTimeoutFiresAfterItsDelay() throws Exception {
    Timeouts timeouts = new Timeouts();
    CountDownLatch fired = new CountDownLatch(1);
    timeouts.schedule(fired::countDown, Duration.ofMillis(10));
    assertThat(fired.await(10, TimeUnit.SECONDS)).isTrue();
    timeouts.close();
    assertThat(timeouts.pending()).isZero();
  }
}
