package dev.tasklane.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ClaimAheadTest {
  private static final long MS = 1_000_000L;

  @Test
  void nothingIsClaimedAheadBeforeAnyHandlerFinished() {
    ClaimAhead ahead = new ClaimAhead(256);
    assertThat(ahead.allowance(0, 0)).isZero();
    assertThat(ahead.allowance(50 * MS, 0)).isZero();
  }

  @Test
  void theAllowanceIsWhatTheHandlersFinishedInTheLastHundredMillisecondsCappedAtTheMaximum() {
    ClaimAhead ahead = new ClaimAhead(256);
    ahead.allowance(0, 0);
    assertThat(ahead.allowance(100 * MS, 40)).isEqualTo(40);
    assertThat(ahead.allowance(200 * MS, 140)).isEqualTo(100);
    assertThat(ahead.allowance(300 * MS, 5_000)).isEqualTo(256);
  }

  @Test
  void aSlowTrickleGetsNoneSoStartTimesStayExact() {
    ClaimAhead ahead = new ClaimAhead(256);
    ahead.allowance(0, 0);
    assertThat(ahead.allowance(100 * MS, ClaimAhead.MIN_ALLOWANCE - 1)).isZero();
  }

  @Test
  void theAllowanceFallsToNothingOnceHandlersStopFinishing() {
    ClaimAhead ahead = new ClaimAhead(256);
    ahead.allowance(0, 0);
    assertThat(ahead.allowance(100 * MS, 500)).isEqualTo(256);
    // Handlers busy for a long time: the rate over the last window is zero.
    assertThat(ahead.allowance(150 * MS, 500)).isPositive();
    assertThat(ahead.allowance(400 * MS, 500)).isZero();
  }

  @Test
  void aBurstOverAFewMillisecondsIsNotExtrapolatedBeyondTenfold() {
    ClaimAhead ahead = new ClaimAhead(10_000);
    ahead.allowance(0, 0);
    // 20 finished in 2 ms would be 1,000 per 100 ms; the estimate counts at least 10 ms.
    assertThat(ahead.allowance(2 * MS, 20)).isEqualTo(200);
  }

  @Test
  void aMaximumOfZeroTurnsClaimingAheadOff() {
    ClaimAhead ahead = new ClaimAhead(0);
    ahead.allowance(0, 0);
    assertThat(ahead.allowance(100 * MS, 1_000)).isZero();
    assertThatThrownBy(() -> new ClaimAhead(-1)).isInstanceOf(IllegalArgumentException.class);
  }
}
