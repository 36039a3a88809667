package dev.tasklane.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tasklane.RetryPolicy;
import dev.tasklane.Task;
import dev.tasklane.TaskId;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskState;
import dev.tasklane.spi.RunOutcome;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TransitionsTest {
  private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  private final Transitions transitions = new Transitions("node-a", new Random(7));
  private final RetryPolicy policy = RetryPolicy.defaults().withJitter(0);

  private static Task running(int attempt, int maxAttempts) {
    return new Task(
        TaskId.next(), "t", "default", "{}", 0, TaskState.RUNNING, attempt, maxAttempts, NOW, Duration.ofSeconds(5),
        NOW, NOW, null, null, List.of(), null, 0, null, "node-a", NOW.plusSeconds(30), attempt, false, "node-a");
  }

  @Test
  void successBecomesSucceededWithTheResultAsJson() {
    RunOutcome o = transitions.afterResult(running(1, 3), null, TaskResult.success(42), policy, NOW).orElseThrow();
    assertThat(o).isEqualTo(new RunOutcome.Succeeded(NOW, "42"));
  }

  @Test
  void successWinsOverACancelThatCameTooLate() {
    RunOutcome o =
        transitions.afterResult(running(1, 3), Run.StopReason.CANCELLED, TaskResult.success(), policy, NOW).orElseThrow();
    assertThat(o.target()).isEqualTo(TaskState.SUCCEEDED);
  }

  @Test
  void anExceptionWithAttemptsLeftIsRetriedAfterBackoff() {
    RunOutcome o =
        transitions.afterFailure(running(2, 3), null, new IOException("boom"), policy, NOW).orElseThrow();
    assertThat(o).isInstanceOfSatisfying(RunOutcome.Rescheduled.class, r -> {
      assertThat(r.runAt()).isEqualTo(NOW.plusSeconds(2));
      assertThat(r.refundAttempt()).isFalse();
      assertThat(r.error().message()).isEqualTo("java.io.IOException: boom");
      assertThat(r.error().attempt()).isEqualTo(2);
      assertThat(r.error().node()).isEqualTo("node-a");
      assertThat(r.error().trace()).contains("TransitionsTest");
    });
  }

  @Test
  void anExceptionOnTheLastAttemptFailsTheTask() {
    RunOutcome o = transitions.afterFailure(running(3, 3), null, new IllegalStateException(), policy, NOW).orElseThrow();
    assertThat(o).isInstanceOfSatisfying(RunOutcome.Failed.class, f ->
        assertThat(f.error().message()).isEqualTo("java.lang.IllegalStateException"));
  }

  @Test
  void failResultFailsAtOnceWhateverAttemptsRemain() {
    RunOutcome o = transitions.afterResult(running(1, 10), null, TaskResult.fail("bad input"), policy, NOW).orElseThrow();
    assertThat(o).isInstanceOfSatisfying(RunOutcome.Failed.class, f ->
        assertThat(f.error().message()).isEqualTo("bad input"));
  }

  @Test
  void retryResultUsesItsOwnDelay() {
    RunOutcome o = transitions
        .afterResult(running(1, 3), null, TaskResult.retry(Duration.ofMinutes(1), "rate limited"), policy, NOW)
        .orElseThrow();
    assertThat(o).isInstanceOfSatisfying(RunOutcome.Rescheduled.class, r -> {
      assertThat(r.runAt()).isEqualTo(NOW.plusSeconds(60));
      assertThat(r.error().message()).isEqualTo("rate limited");
    });
  }

  @Test
  void snoozeReschedulesAndRefundsTheAttempt() {
    RunOutcome o = transitions.afterResult(running(3, 3), null, TaskResult.snooze(Duration.ofSeconds(9)), policy, NOW).orElseThrow();
    assertThat(o).isEqualTo(new RunOutcome.Rescheduled(NOW.plusSeconds(9), null, true));
  }

  @Test
  void anInterruptCausedByCancelEndsCancelled() {
    RunOutcome o = transitions
        .afterFailure(running(1, 3), Run.StopReason.CANCELLED, new InterruptedException(), policy, NOW)
        .orElseThrow();
    assertThat(o.target()).isEqualTo(TaskState.CANCELLED);
  }

  @Test
  void aRetryRequestedAfterACancelStillEndsCancelled() {
    RunOutcome o = transitions
        .afterResult(running(1, 3), Run.StopReason.CANCELLED, TaskResult.retry(Duration.ZERO, "x"), policy, NOW)
        .orElseThrow();
    assertThat(o.target()).isEqualTo(TaskState.CANCELLED);
  }

  @Test
  void aTimeoutIsAFailureThatNamesTheLimit() {
    RunOutcome retried = transitions
        .afterFailure(running(1, 2), Run.StopReason.TIMED_OUT, new InterruptedException(), policy, NOW)
        .orElseThrow();
    assertThat(retried).isInstanceOfSatisfying(RunOutcome.Rescheduled.class, r ->
        assertThat(r.error().message()).isEqualTo("timed out after 5s"));
    RunOutcome failed = transitions
        .afterFailure(running(2, 2), Run.StopReason.TIMED_OUT, new InterruptedException(), policy, NOW)
        .orElseThrow();
    assertThat(failed.target()).isEqualTo(TaskState.FAILED);
  }

  @Test
  void aShutdownInterruptReleasesTheTaskToTheQueue() {
    RunOutcome o = transitions
        .afterFailure(running(1, 3), Run.StopReason.SHUTDOWN, new InterruptedException(), policy, NOW)
        .orElseThrow();
    assertThat(o).isEqualTo(new RunOutcome.Released(NOW));
  }

  @Test
  void aRunThatLostItsLeaseWritesNothing() {
    assertThat(transitions.afterFailure(running(1, 3), Run.StopReason.LEASE_LOST, new InterruptedException(), policy, NOW))
        .isEqualTo(Optional.empty());
    assertThat(transitions.afterResult(running(1, 3), Run.StopReason.LEASE_LOST, TaskResult.success(), policy, NOW))
        .isEqualTo(Optional.empty());
  }
}
