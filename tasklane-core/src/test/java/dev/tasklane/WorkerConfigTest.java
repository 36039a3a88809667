package dev.tasklane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {

  @Test
  void defaultsMatchTheSeedsSemaphoreOfFive() {
    WorkerConfig c = WorkerConfig.defaults();
    assertThat(c.concurrency()).isEqualTo(5);
    assertThat(c.defaultQueueLimit()).isEqualTo(5);
    assertThat(c.heartbeatInterval()).isEqualTo(c.leaseDuration().dividedBy(3));
    assertThat(c.nodeId()).isNotBlank();
  }

  @Test
  void aQueueLimitNeverExceedsTheNodeLimit() {
    WorkerConfig c = WorkerConfig.builder().concurrency(4).queueLimit("emails", 2).queueLimit("big", 10).build();
    assertThat(c.limitOf("emails")).isEqualTo(2);
    assertThat(c.limitOf("big")).isEqualTo(4);
    assertThat(c.limitOf("other")).isEqualTo(4);
  }

  @Test
  void toBuilderKeepsEveryValue() {
    WorkerConfig c = WorkerConfig.builder().nodeId("n1").concurrency(7).maxQueued(9).leaseDuration(Duration.ofSeconds(12)).build();
    assertThat(c.toBuilder().build()).isEqualTo(c);
  }

  @Test
  void invalidSettingsAreRejected() {
    assertThatThrownBy(() -> WorkerConfig.builder().concurrency(0).build())
        .hasMessageContaining("concurrency");
    assertThatThrownBy(() -> WorkerConfig.builder().maxQueued(0).build())
        .hasMessageContaining("maxQueued");
    assertThatThrownBy(
            () -> WorkerConfig.builder().leaseDuration(Duration.ofSeconds(1)).heartbeatInterval(Duration.ofSeconds(2)).build())
        .hasMessageContaining("heartbeatInterval");
    assertThatThrownBy(() -> WorkerConfig.builder().queueLimit("q", 0).build())
        .hasMessageContaining("q");
  }
}
