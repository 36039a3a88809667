package dev.tasklane.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tasklane.TaskId;
import dev.tasklane.spi.RateStore.Bucket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RatePlanTest {
  private static final Bucket B = new Bucket("queue:api", "");
  private static final long T = 100_000; // 10 per second
  private static final long NOW = 1_000_000_000L;

  private static List<RatePlan.Claimed> tasks(int n, long tolerance) {
    List<RatePlan.Claimed> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new RatePlan.Claimed(TaskId.next(), List.of(new RatePlan.Draw(B, T, tolerance))));
    }
    return out;
  }

  @Test
  void aFullBucketLetsItsBurstStartAndReservesTheRestOneIntervalApart() {
    List<RatePlan.Claimed> claimed = tasks(5, 2 * T); // burst 3
    RatePlan.Decision d = RatePlan.decide(claimed, Map.of(), Map.of(), NOW);

    assertThat(d.startNow()).containsExactly(claimed.get(0).id(), claimed.get(1).id(), claimed.get(2).id());
    assertThat(d.reserved()).containsExactly(
        Map.entry(claimed.get(3).id(), NOW + T), Map.entry(claimed.get(4).id(), NOW + 2 * T));
    assertThat(d.tats()).containsEntry(B, NOW + 5 * T);
  }

  @Test
  void inAnyStretchAtMostBurstPlusStretchOverIntervalStart() {
    // Claims arrive at random times; every start (now or reserved) is checked against the bound.
    java.util.Random random = new java.util.Random(7);
    Map<Bucket, Long> tats = new HashMap<>();
    List<Long> starts = new ArrayList<>();
    long now = NOW;
    long tolerance = 4 * T; // burst 5
    for (int round = 0; round < 200; round++) {
      now += random.nextInt(300_000);
      List<RatePlan.Claimed> claimed = tasks(1 + random.nextInt(6), tolerance);
      RatePlan.Decision d = RatePlan.decide(claimed, tats, Map.of(), now);
      tats.putAll(d.tats());
      for (int i = 0; i < d.startNow().size(); i++) {
        starts.add(now);
      }
      starts.addAll(d.reserved().values());
    }
    starts.sort(null);
    for (int i = 0; i < starts.size(); i++) {
      for (int j = i; j < starts.size(); j++) {
        long stretch = starts.get(j) - starts.get(i);
        assertThat(j - i + 1L).as("starts in %d us", stretch).isLessThanOrEqualTo(5 + stretch / T);
      }
    }
  }

  @Test
  void aReservedTaskStartsAtItsTimeWithoutTakingAnotherToken() {
    RatePlan.Claimed task = tasks(1, 0).get(0);
    Map<Bucket, Long> tats = Map.of(B, NOW + 10 * T);

    RatePlan.Decision due = RatePlan.decide(List.of(task), tats, Map.of(task.id(), NOW), NOW);
    assertThat(due.startNow()).containsExactly(task.id());
    assertThat(due.tats()).isEmpty();

    RatePlan.Decision early = RatePlan.decide(List.of(task), tats, Map.of(task.id(), NOW + T), NOW);
    assertThat(early.reserved()).containsEntry(task.id(), NOW + T);
    assertThat(early.tats()).isEmpty();
  }

  @Test
  void aTaskUnderTwoLimitsWaitsForBoth() {
    Bucket other = new Bucket("type:call", "acct-7");
    TaskId id = TaskId.next();
    RatePlan.Claimed task =
        new RatePlan.Claimed(id, List.of(new RatePlan.Draw(B, T, 0), new RatePlan.Draw(other, 10 * T, 0)));
    RatePlan.Decision d = RatePlan.decide(List.of(task), Map.of(other, NOW + 30 * T), Map.of(), NOW);
    assertThat(d.reserved()).containsEntry(id, NOW + 30 * T);
  }

  @Test
  void aHoldMovesEveryBucketPastItsTime() {
    List<RatePlan.Draw> draws = List.of(new RatePlan.Draw(B, T, 2 * T));
    Map<Bucket, Long> held = RatePlan.hold(draws, Map.of(B, NOW), NOW + 30 * T);
    assertThat(held).containsEntry(B, NOW + 32 * T);
    // The next start is due at the end of the hold, not before.
    RatePlan.Decision d = RatePlan.decide(tasks(1, 2 * T), held, Map.of(), NOW);
    assertThat(d.reserved().values()).containsExactly(NOW + 30 * T);
  }
}
