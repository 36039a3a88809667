package dev.tasklane.testkit;

import static dev.tasklane.testkit.Fixtures.aTask;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tasklane.TaskState;
import dev.tasklane.spi.NewTask;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FixturesTest {

  @Test
  void aDefaultTaskIsQueuedAndReadySinceItsCreation() {
    NewTask task = aTask().build();

    assertThat(task.state()).isEqualTo(TaskState.QUEUED);
    assertThat(task.runAt()).isEqualTo(task.createdAt()).isEqualTo(Fixtures.DEFAULT_CREATED_AT);
    assertThat(task.queue()).isEqualTo(Fixtures.DEFAULT_QUEUE);
    assertThat(task.type()).isEqualTo(Fixtures.DEFAULT_TYPE);
    assertThat(task.maxAttempts()).isEqualTo(Fixtures.DEFAULT_MAX_ATTEMPTS);
    assertThat(task.timeout()).isNull();
    assertThat(task.idempotencyKey()).isNull();
  }

  @Test
  void aDefaultTaskIsReadyUnderTheRealClockAndTheTestClock() {
    assertThat(Fixtures.DEFAULT_CREATED_AT)
        .isBefore(Instant.now())
        .isBefore(MutableClock.DEFAULT_START);
  }

  @Test
  void aRunAtAfterTheCreationTimeMakesTheTaskScheduled() {
    Instant created = MutableClock.DEFAULT_START;

    NewTask task = aTask().createdAt(created).runAt(created.plusSeconds(1)).build();

    assertThat(task.state()).isEqualTo(TaskState.SCHEDULED);
  }

  @Test
  void anExplicitStateWinsOverTheTimes() {
    Instant created = MutableClock.DEFAULT_START;

    NewTask task = aTask().createdAt(created).runAt(created.plusSeconds(1)).queued().build();

    assertThat(task.state()).isEqualTo(TaskState.QUEUED);
    assertThat(task.runAt()).isEqualTo(created.plusSeconds(1));
  }

  @Test
  void everySetterReachesTheTask() {
    NewTask task =
        aTask()
            .type("t")
            .queue("q")
            .payload("[1]")
            .priority(2)
            .maxAttempts(7)
            .timeout(Duration.ofSeconds(3))
            .idempotencyKey("k")
            .build();

    assertThat(task)
        .extracting(
            NewTask::type,
            NewTask::queue,
            NewTask::payload,
            NewTask::priority,
            NewTask::maxAttempts,
            NewTask::timeout,
            NewTask::idempotencyKey)
        .containsExactly("t", "q", "[1]", 2, 7, Duration.ofSeconds(3), "k");
  }

  @Test
  void eachBuildGetsAFreshId() {
    assertThat(aTask().build().id()).isNotEqualTo(aTask().build().id());
  }
}
