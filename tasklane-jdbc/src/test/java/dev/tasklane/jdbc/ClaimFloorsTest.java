package dev.tasklane.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tasklane.Task;
import dev.tasklane.TaskId;
import dev.tasklane.TaskState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ClaimFloorsTest {
  private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");

  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final ClaimFloors floors = new ClaimFloors(nanos::get);

  private static Task task(int priority, Instant runAt) {
    return new Task(
        TaskId.next(), "t", "q", "{}", priority, TaskState.RUNNING, 1, 3, runAt, null, T0, T0, null,
        null, List.of(), null, 0, null, "n", T0, 1, false, "n", null);
  }

  private void tick(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  @Test
  void noFloorIsKeptUntilEnabledNorAfterTheLastUserStops() {
    long began = floors.begin();
    floors.claimed("q", null, task(0, T0), began);
    assertThat(floors.current("q", null)).isNull();

    floors.enable();
    tick(Duration.ofMillis(1));
    floors.claimed("q", null, task(0, T0), floors.begin());
    assertThat(floors.current("q", null)).isNotNull();

    floors.disable();
    assertThat(floors.current("q", null)).isNull();
  }

  @Test
  void aFloorMovesForwardOnlyAndIsKeptPerQueueAndTypeFilter() {
    floors.enable();
    tick(Duration.ofMillis(1));
    Task first = task(0, T0.plusSeconds(1));
    Task later = task(0, T0.plusSeconds(2));
    floors.claimed("q", null, later, floors.begin());
    floors.claimed("q", null, first, floors.begin());

    assertThat(floors.current("q", null)).isEqualTo(ClaimFloors.Key.of(later));
    assertThat(floors.current("q", Set.of("t"))).isNull();
    assertThat(floors.current("other", null)).isNull();
  }

  @Test
  void aFloorExpiresItsTtlAfterItWasFirstSetHoweverOftenItMoves() {
    floors.enable();
    tick(Duration.ofMillis(1));
    floors.claimed("q", null, task(0, T0), floors.begin());
    tick(ClaimFloors.TTL.minusMillis(10));
    floors.claimed("q", null, task(0, T0.plusSeconds(1)), floors.begin());
    assertThat(floors.current("q", null)).isNotNull();

    tick(Duration.ofMillis(20));

    assertThat(floors.current("q", null)).isNull();
  }

  @Test
  void aTaskMadeReadyBeforeTheFloorDropsItOneAfterItDoesNot() {
    floors.enable();
    tick(Duration.ofMillis(1));
    Task last = task(0, T0.plusSeconds(10));
    floors.claimed("q", null, last, floors.begin());

    floors.madeReady("q", ClaimFloors.Key.of(task(0, T0.plusSeconds(20))));
    floors.madeReady("other", null);
    assertThat(floors.current("q", null)).isEqualTo(ClaimFloors.Key.of(last));

    floors.madeReady("q", ClaimFloors.Key.of(task(5, T0.plusSeconds(30)))); // higher priority: earlier
    assertThat(floors.current("q", null)).isNull();
  }

  @Test
  void aClaimDuringWhichAnEarlierTaskBecameReadySetsNoFloor() {
    floors.enable();
    tick(Duration.ofMillis(1));
    long began = floors.begin();
    tick(Duration.ofMillis(1));
    // Committed while the claim ran: the claim may not have seen it.
    floors.madeReady("q", ClaimFloors.Key.of(task(0, T0)));
    tick(Duration.ofMillis(1));

    floors.claimed("q", null, task(0, T0.plusSeconds(5)), began);
    assertThat(floors.current("q", null)).isNull();

    // A later claim, begun after the mark, sets it.
    tick(Duration.ofMillis(1));
    floors.claimed("q", null, task(0, T0.plusSeconds(6)), floors.begin());
    assertThat(floors.current("q", null)).isNotNull();
  }

  @Test
  void aClaimDuringWhichAnyQueueMayHaveChangedSetsNoFloor() {
    floors.enable();
    tick(Duration.ofMillis(1));
    long began = floors.begin();
    tick(Duration.ofMillis(1));
    floors.forgetAll();
    floors.claimed("q", null, task(0, T0), began);
    assertThat(floors.current("q", null)).isNull();

    long alsoBegan = floors.begin();
    tick(Duration.ofMillis(1));
    floors.madeReady("q", null); // a notification: any key
    floors.claimed("q", null, task(0, T0), alsoBegan);
    assertThat(floors.current("q", null)).isNull();
  }

  @Test
  void aTaskMadeReadyWithExactlyTheFloorsKeyDropsIt() {
    floors.enable();
    tick(Duration.ofMillis(1));
    Task last = task(0, T0);
    floors.claimed("q", null, last, floors.begin());

    // Given back within the same millisecond: the same key as the floor.
    floors.madeReady("q", ClaimFloors.Key.of(last));

    assertThat(floors.current("q", null)).isNull();
  }

  @Test
  void aClaimByAnEngineTimeBehindTheClockTreatsWhatBecameReadySinceThatTimeAsUnseen() {
    floors.enable();
    tick(Duration.ofMillis(1));
    // Ready 100 ms before the claim starts, but after the engine's time the claim claims by
    // (500 ms behind): due after that time, the claim could not see it.
    floors.madeReady("q", ClaimFloors.Key.of(task(10, T0)));
    tick(Duration.ofMillis(100));
    long began = floors.begin(Instant.now().minusMillis(500));

    floors.claimed("q", null, task(0, T0.plusSeconds(5)), began);

    assertThat(floors.current("q", null)).isNull();
    // A claim by the current time sees it, and may set a floor.
    floors.claimed("q", null, task(0, T0.plusSeconds(6)), floors.begin(Instant.now()));
    assertThat(floors.current("q", null)).isNotNull();
  }
}
