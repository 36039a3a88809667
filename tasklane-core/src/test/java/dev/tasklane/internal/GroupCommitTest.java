package dev.tasklane.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class GroupCommitTest {

  /** Writes into a list that stands for committed rows; each batch is one "transaction". */
  private final List<String> committed = Collections.synchronizedList(new ArrayList<>());
  private final List<Integer> batchSizes = Collections.synchronizedList(new ArrayList<>());

  private List<Object> commitAll(List<String> items) {
    batchSizes.add(items.size());
    committed.addAll(items);
    return new ArrayList<>(items.stream().map(i -> (Object) ("ok:" + i)).toList());
  }

  @Test
  void concurrentWritesShareTransactionsAndEachCallerGetsItsOwnResult() throws Exception {
    CountDownLatch firstBatchEntered = new CountDownLatch(1);
    CountDownLatch releaseFirstBatch = new CountDownLatch(1);
    AtomicInteger batches = new AtomicInteger();
    try (GroupCommit<String, String> group = new GroupCommit<>("test-commit", 100, items -> {
      if (batches.incrementAndGet() == 1) {
        firstBatchEntered.countDown();
        awaitLatch(releaseFirstBatch);
      }
      return commitAll(items);
    }, i -> "single:" + i)) {
      try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
        Future<String> first = callers.submit(() -> group.write("w0"));
        assertThat(firstBatchEntered.await(10, TimeUnit.SECONDS)).isTrue();
        // While the first transaction is open, 50 more writers arrive and must wait for the next.
        List<Future<String>> rest = new ArrayList<>();
        for (int i = 1; i <= 50; i++) {
          String item = "w" + i;
          rest.add(callers.submit(() -> group.write(item)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> rest.stream().noneMatch(Future::isDone));
        releaseFirstBatch.countDown();
        assertThat(first.get()).isEqualTo("ok:w0");
        for (int i = 0; i < rest.size(); i++) {
          assertThat(rest.get(i).get()).isEqualTo("ok:w" + (i + 1));
        }
      }
    }
    assertThat(committed).hasSize(51);
    assertThat(batchSizes.size()).as("transactions for 51 writes").isLessThan(51);
    assertThat(batchSizes.stream().mapToInt(Integer::intValue).max().orElseThrow()).isGreaterThan(1);
  }

  @Test
  void noCallerIsAnsweredBeforeItsTransactionCommits() throws Exception {
    CountDownLatch inTransaction = new CountDownLatch(1);
    CountDownLatch commit = new CountDownLatch(1);
    try (GroupCommit<String, String> group = new GroupCommit<>("test-commit", 10, items -> {
      inTransaction.countDown();
      awaitLatch(commit);
      return commitAll(items);
    }, i -> "single:" + i)) {
      try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
        Future<String> f = callers.submit(() -> group.write("x"));
        assertThat(inTransaction.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(f.isDone()).isFalse();
        assertThat(committed).isEmpty();
        commit.countDown();
        assertThat(f.get()).isEqualTo("ok:x");
      }
    }
  }

  @Test
  void aFailedBatchIsRetriedItemByItemSoOneBadWriteFailsOnlyItsCaller() throws Exception {
    CountDownLatch firstBatchEntered = new CountDownLatch(1);
    CountDownLatch releaseFirstBatch = new CountDownLatch(1);
    AtomicInteger batches = new AtomicInteger();
    List<String> singles = Collections.synchronizedList(new ArrayList<>());
    try (GroupCommit<String, String> group = new GroupCommit<>("test-commit", 100, items -> {
      if (batches.incrementAndGet() == 1) {
        firstBatchEntered.countDown();
        awaitLatch(releaseFirstBatch);
        return commitAll(items);
      }
      // The whole transaction fails: nothing of it is committed.
      throw new IllegalStateException("constraint violated by bad");
    }, item -> {
      if (item.equals("bad")) {
        throw new IllegalArgumentException("bad is bad");
      }
      singles.add(item);
      return "single:" + item;
    })) {
      try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
        Future<String> first = callers.submit(() -> group.write("first"));
        assertThat(firstBatchEntered.await(10, TimeUnit.SECONDS)).isTrue();
        Future<String> good1 = callers.submit(() -> group.write("good1"));
        Future<String> bad = callers.submit(() -> group.write("bad"));
        Future<String> good2 = callers.submit(() -> group.write("good2"));
        await().atMost(Duration.ofSeconds(10)).until(() -> !good1.isDone() && !bad.isDone() && !good2.isDone());
        releaseFirstBatch.countDown();
        assertThat(first.get()).isEqualTo("ok:first");
        assertThat(good1.get()).isEqualTo("single:good1");
        assertThat(good2.get()).isEqualTo("single:good2");
        assertThatThrownBy(bad::get).hasCauseInstanceOf(IllegalArgumentException.class);
      }
    }
    assertThat(committed).containsExactly("first");
    assertThat(singles).containsExactlyInAnyOrder("good1", "good2");
  }

  @Test
  void aPerItemFailureReachesOnlyThatCaller() {
    try (GroupCommit<String, String> group = new GroupCommit<>("test-commit", 10, items -> {
      List<Object> out = new ArrayList<>();
      for (String i : items) {
        out.add(i.startsWith("lost") ? new IllegalStateException(i + " lost its lease") : "ok:" + i);
      }
      return out;
    }, i -> "single:" + i)) {
      assertThat(group.write("a")).isEqualTo("ok:a");
      assertThatThrownBy(() -> group.write("lost-1")).isInstanceOf(IllegalStateException.class).hasMessage("lost-1 lost its lease");
    }
  }

  @Test
  void closeWritesWhatIsWaitingAndLaterWritesGoOutAlone() throws Exception {
    ConcurrentHashMap<String, String> via = new ConcurrentHashMap<>();
    GroupCommit<String, String> group = new GroupCommit<>("test-commit", 10, items -> {
      items.forEach(i -> via.put(i, "batch"));
      return commitAll(items);
    }, i -> {
      via.put(i, "single");
      return "single:" + i;
    });
    assertThat(group.write("before")).isEqualTo("ok:before");
    group.close();
    group.close(); // idempotent
    assertThat(group.write("after")).isEqualTo("single:after");
    assertThat(via).containsEntry("before", "batch").containsEntry("after", "single");
  }

  private static void awaitLatch(CountDownLatch latch) {
    try {
      if (!latch.await(10, TimeUnit.SECONDS)) {
        throw new AssertionError("latch not released");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
