package dev.tasklane.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tasklane.RateLimit;
import dev.tasklane.TaskId;
import dev.tasklane.spi.RateStore;
import dev.tasklane.spi.RateStore.Bucket;
import dev.tasklane.spi.TaskStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * What every {@link RateStore} must do, run against each store by a subclass that supplies {@link
 * #store()}, a task store over a database of this test's own.
 */
public abstract class RateStoreContract {
  private static final Bucket B = new Bucket("queue:api", "");

  protected abstract TaskStore store();

  private RateStore rates() {
    return store().rates();
  }

  @Test
  void limitsAreSetReplacedListedAndDeleted() {
    RateLimit api = RateLimit.perQueue("api", 10, Duration.ofSeconds(1));
    RateLimit partner = RateLimit.perType("call_partner", 100, Duration.ofMinutes(1)).withBurst(5).keyedBy("account");
    rates().saveRateLimit(api);
    rates().saveRateLimit(partner);
    assertThat(rates().rateLimits()).containsExactly(api, partner);

    RateLimit faster = RateLimit.perQueue("api", 20, Duration.ofSeconds(1));
    rates().saveRateLimit(faster);
    assertThat(rates().rateLimits()).containsExactly(faster, partner);

    assertThat(rates().deleteRateLimit(RateLimit.Scope.QUEUE, "api")).isTrue();
    assertThat(rates().deleteRateLimit(RateLimit.Scope.QUEUE, "api")).isFalse();
    assertThat(rates().rateLimits()).containsExactly(partner);
  }

  @Test
  void aBucketNeverUsedReadsZeroAndKeepsWhatThePlannerWrites() {
    Long first = rates().reserve(Set.of(B), List.of(), (tats, held) -> new RateStore.Update<>(Map.of(B, 42L), Map.of(), tats.get(B)));
    assertThat(first).isZero();
    Long second = rates().reserve(Set.of(B), List.of(), (tats, held) -> new RateStore.Update<>(Map.of(), Map.of(), tats.get(B)));
    assertThat(second).isEqualTo(42L);
  }

  @Test
  void reservationsAreWrittenTakenOnceAndReadBack() {
    TaskId task = TaskId.next();
    rates().reserve(Set.of(B), List.of(), (tats, held) -> new RateStore.Update<>(Map.of(), Map.of(task, 777L), null));
    assertThat(rates().reservation(task)).contains(777L);

    Map<TaskId, Long> taken =
        rates().reserve(Set.of(B), List.of(task), (tats, held) -> new RateStore.Update<>(Map.of(), Map.of(), held));
    assertThat(taken).containsExactly(Map.entry(task, 777L));
    assertThat(rates().reservation(task)).isEmpty();
    Map<TaskId, Long> again =
        rates().reserve(Set.of(B), List.of(task), (tats, held) -> new RateStore.Update<>(Map.of(), Map.of(), held));
    assertThat(again).isEmpty();
  }

  @Test
  void concurrentDecisionsOnOneBucketTakeTurns() throws Exception {
    int callers = 8;
    int rounds = 20;
    CyclicBarrier start = new CyclicBarrier(callers);
    List<Callable<Void>> calls = new ArrayList<>();
    for (int i = 0; i < callers; i++) {
      calls.add(() -> {
        start.await();
        for (int r = 0; r < rounds; r++) {
          // Read-decide-write: a lost update would leave the count short.
          rates().reserve(Set.of(B), List.of(), (tats, held) -> new RateStore.Update<>(Map.of(B, tats.get(B) + 1), Map.of(), null));
        }
        return null;
      });
    }
    ExecutorService pool = Executors.newFixedThreadPool(callers);
    try {
      for (Future<Void> f : pool.invokeAll(calls)) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    Long count = rates().reserve(Set.of(B), List.of(), (tats, held) -> new RateStore.Update<>(Map.of(), Map.of(), tats.get(B)));
    assertThat(count).isEqualTo((long) callers * rounds);
  }

  @Test
  void pruningForgetsBucketsAndReservationsBeforeTheCutoffs() {
    Bucket old = new Bucket("queue:api", "old");
    TaskId stale = TaskId.next();
    TaskId fresh = TaskId.next();
    rates().reserve(Set.of(B, old), List.of(), (tats, held) ->
        new RateStore.Update<>(Map.of(B, 1_000L, old, 10L), Map.of(stale, 5L, fresh, 5_000L), null));

    assertThat(rates().prune(100, 100)).isEqualTo(2);
    Map<Bucket, Long> left = rates().reserve(Set.of(B, old), List.of(), (tats, held) -> new RateStore.Update<>(Map.of(), Map.of(), tats));
    assertThat(left).containsEntry(B, 1_000L).containsEntry(old, 0L);
    assertThat(rates().reservation(stale)).isEmpty();
    assertThat(rates().reservation(fresh)).contains(5_000L);
  }

  @Test
  void deletingALimitForgetsItsBuckets() {
    rates().saveRateLimit(RateLimit.perQueue("api", 10, Duration.ofSeconds(1)));
    rates().reserve(Set.of(B), List.of(), (tats, held) -> new RateStore.Update<>(Map.of(B, 99L), Map.of(), null));
    rates().deleteRateLimit(RateLimit.Scope.QUEUE, "api");
    Long tat = rates().reserve(Set.of(B), List.of(), (tats, held) -> new RateStore.Update<>(Map.of(), Map.of(), tats.get(B)));
    assertThat(tat).isZero();
  }
}
