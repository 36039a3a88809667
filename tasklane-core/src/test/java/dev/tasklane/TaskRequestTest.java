package dev.tasklane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskRequestTest {

  @Test
  void builderFillsDefaultsAndEncodesThePayload() {
    TaskRequest r = TaskRequest.builder("email").payload(Map.of("to", "a@b.c")).build();
    assertThat(r.type()).isEqualTo("email");
    assertThat(r.payload()).isEqualTo("{\"to\":\"a@b.c\"}");
    assertThat(r.priority()).isEqualTo(TaskRequest.DEFAULT_PRIORITY).isEqualTo(1);
    assertThat(r.queue()).isNull();
    assertThat(r.maxAttempts()).isNull();
  }

  @Test
  void runAtResolvesFromADelayAtAcceptanceTime() {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    assertThat(TaskRequest.builder("t").build().resolveRunAt(now)).isEqualTo(now);
    assertThat(TaskRequest.builder("t").delay(Duration.ofMinutes(5)).build().resolveRunAt(now))
        .isEqualTo(now.plusSeconds(300));
    Instant at = Instant.parse("2026-02-01T00:00:00Z");
    assertThat(TaskRequest.builder("t").runAt(at).build().resolveRunAt(now)).isEqualTo(at);
  }

  @Test
  void outOfRangeValuesAreRejectedWithTheFieldName() {
    assertThatThrownBy(() -> TaskRequest.builder("t").priority(1001).build())
        .hasMessageContaining("priority");
    assertThatThrownBy(() -> TaskRequest.builder("t").maxAttempts(0).build())
        .hasMessageContaining("maxAttempts");
    assertThatThrownBy(() -> TaskRequest.builder("t").timeout(Duration.ZERO).build())
        .hasMessageContaining("timeout");
    assertThatThrownBy(() -> TaskRequest.builder("t").idempotencyKey("").build())
        .hasMessageContaining("idempotencyKey");
    assertThatThrownBy(() -> TaskRequest.builder("t").queue("bad queue").build())
        .hasMessageContaining("queue");
    assertThatThrownBy(() -> TaskRequest.builder("bad type!").build()).hasMessageContaining("type");
    assertThatThrownBy(() -> TaskRequest.builder("t").payloadJson("{oops").build())
        .hasMessageContaining("payload");
    assertThatThrownBy(() -> TaskRequest.builder("t").delay(Duration.ofSeconds(-1)).build())
        .hasMessageContaining("delay");
  }
}
