package dev.tasklane.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The backlog bound is exact: concurrent admissions never pass it together, and a refresh from the
 * store that races with this node's own changes never lowers the count below the truth.
 */
class BacklogTest {
  private final Backlog backlog = new Backlog(100);

  @Test
  void admissionsReserveRoomAllOrNothing() {
    assertThat(backlog.tryAdmit("q", 60)).isTrue();
    assertThat(backlog.tryAdmit("q", 41)).isFalse();
    assertThat(backlog.tryAdmit("q", 40)).isTrue();
    assertThat(backlog.tryAdmit("q", 1)).isFalse();
    backlog.admitted("q", 40, 0); // nothing written after all: the room is free again
    assertThat(backlog.tryAdmit("q", 40)).isTrue();
  }

  @Test
  void anAdmissionCommittedWhileARefreshReadsIsStillCounted() {
    backlog.refresh(() -> Map.of("q", 99L));
    assertThat(backlog.tryAdmit("q", 1)).isTrue();
    backlog.beginRefresh();
    // The store is read before the admission commits, so the read sees 99.
    Map<String, Long> read = Map.of("q", 99L);
    backlog.admitted("q", 1, 1);
    backlog.endRead();
    backlog.applyRefresh(read);

    assertThat(backlog.count("q")).isEqualTo(100);
    assertThat(backlog.tryAdmit("q", 1)).as("the 101st").isFalse();
  }

  @Test
  void anAdmissionStillInFlightWhenARefreshAppliesIsCountedOnce() {
    backlog.refresh(() -> Map.of("q", 50L));
    assertThat(backlog.tryAdmit("q", 10)).isTrue();

    backlog.refresh(() -> Map.of("q", 50L)); // the insert has not committed yet

    assertThat(backlog.count("q")).isEqualTo(60);
    backlog.admitted("q", 10, 10);
    assertThat(backlog.count("q")).isEqualTo(60);
  }

  @Test
  void aClaimThatBeganBeforeTheReadEndedIsTakenAsSeenByIt() {
    backlog.refresh(() -> Map.of("q", 100L));
    long claimBegan = backlog.epoch();
    backlog.beginRefresh();
    Map<String, Long> read = Map.of("q", 90L); // the read saw the claim of 10
    backlog.endRead();
    backlog.applyRefresh(read);
    backlog.removed("q", 10, claimBegan); // recorded late

    assertThat(backlog.count("q")).as("not subtracted twice").isEqualTo(90);
  }

  @Test
  void aClaimThatBeganAfterTheReadEndedIsSubtracted() {
    backlog.refresh(() -> Map.of("q", 100L));
    backlog.beginRefresh();
    Map<String, Long> read = Map.of("q", 100L);
    backlog.endRead();
    long claimBegan = backlog.epoch();
    backlog.removed("q", 10, claimBegan); // before the refresh applies
    backlog.applyRefresh(read);
    assertThat(backlog.count("q")).isEqualTo(90);

    backlog.removed("q", 5, backlog.epoch()); // after it
    assertThat(backlog.count("q")).isEqualTo(85);
  }

  @Test
  void concurrentAdmissionsWithRefreshesRacingThemNeverPassTheBound() throws Exception {
    // A model store: the truth is what committed. Eight submitters admit, "commit" and resolve,
    // while a refresher reads the truth and applies it as fast as it can.
    AtomicLong committed = new AtomicLong();
    AtomicBoolean go = new AtomicBoolean(true);
    AtomicLong maxSeen = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(9);
    try {
      List<Future<?>> all = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        all.add(pool.submit(() -> {
          while (go.get()) {
            if (backlog.tryAdmit("q", 1)) {
              long now = committed.incrementAndGet();
              maxSeen.accumulateAndGet(now, Math::max);
              backlog.admitted("q", 1, 1);
            }
            // Now and then a claim takes one away, as a node running tasks would.
            if (committed.get() >= 100 && Math.random() < 0.01) {
              long began = backlog.epoch();
              if (committed.getAndUpdate(c -> c > 0 ? c - 1 : c) > 0) {
                backlog.removed("q", 1, began);
              }
            }
          }
          return null;
        }));
      }
      all.add(pool.submit(() -> {
        for (int i = 0; i < 20_000; i++) {
          backlog.refresh(() -> Map.of("q", committed.get()));
        }
        go.set(false);
        return null;
      }));
      for (Future<?> f : all) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(maxSeen.get()).as("most tasks ever waiting").isLessThanOrEqualTo(100);
    backlog.refresh(() -> Map.of("q", committed.get()));
    assertThat(backlog.count("q")).as("settled once the races end").isEqualTo(committed.get());
  }
}
