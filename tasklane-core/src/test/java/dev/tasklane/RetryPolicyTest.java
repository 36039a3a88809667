package dev.tasklane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

  @Test
  void backoffDoublesFromTheInitialDelayWithoutJitter() {
    RetryPolicy p = RetryPolicy.defaults().withJitter(0);
    Random r = new Random(1);
    assertThat(p.backoff(1, r)).isEqualTo(Duration.ofSeconds(1));
    assertThat(p.backoff(2, r)).isEqualTo(Duration.ofSeconds(2));
    assertThat(p.backoff(3, r)).isEqualTo(Duration.ofSeconds(4));
    assertThat(p.backoff(4, r)).isEqualTo(Duration.ofSeconds(8));
  }

  @Test
  void backoffIsCappedAtTheMaximumDelay() {
    RetryPolicy p = RetryPolicy.defaults().withBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30));
    Random r = new Random(2);
    for (int attempt = 1; attempt < 100; attempt++) {
      assertThat(p.backoff(attempt, r)).isLessThanOrEqualTo(Duration.ofSeconds(30));
    }
    assertThat(p.withJitter(0).backoff(60, r)).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void jitterSpreadsDelaysWithinTheConfiguredFraction() {
    RetryPolicy p = RetryPolicy.defaults().withJitter(0.2);
    Random r = new Random(3);
    Set<Duration> seen = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      Duration d = p.backoff(3, r);
      assertThat(d.toMillis()).isBetween(3200L, 4800L);
      seen.add(d);
    }
    assertThat(seen.size()).as("distinct delays").isGreaterThan(50);
  }

  @Test
  void invalidPoliciesAreRejected() {
    assertThatThrownBy(() -> RetryPolicy.defaults().withMaxAttempts(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RetryPolicy.defaults().withJitter(1.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RetryPolicy.defaults().withBackoff(Duration.ofSeconds(5), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RetryPolicy(3, Duration.ZERO, Duration.ofSeconds(1), 2, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
