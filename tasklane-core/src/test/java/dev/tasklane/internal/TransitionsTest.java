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
    assertThat(o).isEqualTo(new RunOutcome.Released(NOW, null, true));
  }

  @Test
  void aRunThatLostItsLeaseWritesNothing() {
    assertThat(transitions.afterFailure(running(1, 3), Run.StopReason.LEASE_LOST, new InterruptedException(), policy, NOW))
        .isEqualTo(Optional.empty());
    assertThat(transitions.afterResult(running(1, 3), Run.StopReason.LEASE_LOST, TaskResult.success(), policy, NOW))
        .isEqualTo(Optional.empty());
  }

  /** A run claimed ahead: leased, never started (no start time, no attempt spent). */
  private static Task claimedAhead(int attemptsSpent, int maxAttempts, boolean cancelRequested) {
    return new Task(
        TaskId.next(), "t", "default", "{}", 0, TaskState.RUNNING, attemptsSpent, maxAttempts, NOW, null,
        NOW, null, null, null, List.of(), null, 0, null, "node-b", NOW.plusSeconds(30), attemptsSpent + 1,
        cancelRequested, "node-b");
  }

  private static Task withCancelRequested(Task t) {
    return new Task(
        t.id(), t.type(), t.queue(), t.payload(), t.priority(), t.state(), t.attempt(), t.maxAttempts(),
        t.runAt(), t.timeout(), t.createdAt(), t.startedAt(), t.finishedAt(), t.lastError(), t.errors(),
        t.result(), t.progress(), t.idempotencyKey(), t.leaseOwner(), t.leaseExpiresAt(), t.fencingToken(),
        true, t.lastNode());
  }

  @Test
  void aStartedRunWhoseLeaseExpiredCountsAsAnAttemptAndIsQueuedAgain() {
    RunOutcome o = transitions.afterLostLease(running(1, 3), Transitions.LostLease.EXPIRED, NOW);
    assertThat(o).isInstanceOfSatisfying(RunOutcome.Released.class, r -> {
      assertThat(r.refundAttempt()).isFalse();
      assertThat(r.runAt()).isEqualTo(NOW);
      assertThat(r.error().attempt()).isEqualTo(1);
      assertThat(r.error().node()).isNull();
      assertThat(r.error().message()).isEqualTo("lease of node node-a expired while running it");
    });
  }

  @Test
  void aStartedRunLostOnItsLastAttemptFailsTheTask() {
    RunOutcome o = transitions.afterLostLease(running(3, 3), Transitions.LostLease.NODE_RESTARTED, NOW);
    assertThat(o).isInstanceOfSatisfying(RunOutcome.Failed.class, f ->
        assertThat(f.error().message()).isEqualTo("node node-a restarted while running it"));
  }

  @Test
  void aRunClaimedAheadAndLostBeforeItStartedIsQueuedAgainWithItsAttemptsIntact() {
    // Its only attempt is still unspent: it must run, not fail.
    RunOutcome o = transitions.afterLostLease(claimedAhead(0, 1, false), Transitions.LostLease.EXPIRED, NOW);
    assertThat(o).isInstanceOfSatisfying(RunOutcome.Released.class, r -> {
      assertThat(r.refundAttempt()).isFalse();
      assertThat(r.error().attempt()).isEqualTo(1);
      assertThat(r.error().message())
          .isEqualTo("lease of node node-b expired before its handler started; no attempt was spent");
    });
  }

  @Test
  void aTaskLostBeforeItsStartAsOftenAsItHasAttemptsFailsSoThatACrashLoopEnds() {
    Task once = claimedAhead(0, 2, false);
    RunOutcome first = transitions.afterLostLease(once, Transitions.LostLease.EXPIRED, NOW);
    Task twice = withErrors(once, List.of(((RunOutcome.Released) first).error()));
    RunOutcome second = transitions.afterLostLease(twice, Transitions.LostLease.EXPIRED, NOW);
    Task thrice = withErrors(once, List.of(((RunOutcome.Released) first).error(), ((RunOutcome.Released) second).error()));

    RunOutcome third = transitions.afterLostLease(thrice, Transitions.LostLease.EXPIRED, NOW);

    assertThat(third).isInstanceOfSatisfying(RunOutcome.Failed.class, f ->
        assertThat(f.error().message()).endsWith("lost before its start 3 times"));
  }

  private static Task withErrors(Task t, List<dev.tasklane.TaskError> errors) {
    return new Task(
        t.id(), t.type(), t.queue(), t.payload(), t.priority(), t.state(), t.attempt(), t.maxAttempts(),
        t.runAt(), t.timeout(), t.createdAt(), t.startedAt(), t.finishedAt(), t.lastError(), errors,
        t.result(), t.progress(), t.idempotencyKey(), t.leaseOwner(), t.leaseExpiresAt(), t.fencingToken(),
        t.cancelRequested(), t.lastNode());
  }

  @Test
  void aCancelRequestedBeforeTheLeaseWasLostWins() {
    assertThat(transitions.afterLostLease(withCancelRequested(running(3, 3)), Transitions.LostLease.EXPIRED, NOW))
        .isInstanceOf(RunOutcome.Cancelled.class);
    assertThat(transitions.afterLostLease(claimedAhead(0, 1, true), Transitions.LostLease.EXPIRED, NOW))
        .isInstanceOf(RunOutcome.Cancelled.class);
  }

  @Test
  void aRunStoppedBeforeItsHandlerRanGetsItsAttemptBackOnlyIfItsStartWasWritten() {
    assertThat(transitions.beforeStart(claimedAhead(0, 3, false), Run.StopReason.SHUTDOWN, NOW))
        .contains(new RunOutcome.Released(NOW, null, false));
    assertThat(transitions.beforeStart(running(1, 3), Run.StopReason.QUEUE_PAUSED, NOW))
        .contains(new RunOutcome.Released(NOW, null, true));
    assertThat(transitions.beforeStart(claimedAhead(0, 3, false), Run.StopReason.CANCELLED, NOW).orElseThrow())
        .isInstanceOf(RunOutcome.Cancelled.class);
    assertThat(transitions.beforeStart(claimedAhead(0, 3, false), Run.StopReason.LEASE_LOST, NOW)).isEmpty();
  }

  @Test
  void aTaskOfATypeThisNodeDoesNotServeIsOfferedAgainLaterWithNoAttemptSpent() {
    assertThat(transitions.unknownType(running(1, 3), NOW))
        .isEqualTo(new RunOutcome.Released(NOW.plus(RunExecutor.UNKNOWN_TYPE_DELAY), null, true));
    assertThat(transitions.unknownType(claimedAhead(0, 3, false), NOW))
        .isEqualTo(new RunOutcome.Released(NOW.plus(RunExecutor.UNKNOWN_TYPE_DELAY), null, false));
  }
}
