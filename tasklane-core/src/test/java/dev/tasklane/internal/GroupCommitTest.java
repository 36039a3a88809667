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

  /**
   * A lone write's transaction, held open until {@code release}: it goes out on its caller's own
   * thread through the single-item path, and every write that arrives meanwhile must queue.
   */
  private static java.util.function.Function<String, String> holdingSingle(
      String held, CountDownLatch entered, CountDownLatch release, List<String> singles) {
    return item -> {
      if (item.equals(held)) {
        entered.countDown();
        awaitLatch(release);
      }
      if (item.equals("bad")) {
        throw new IllegalArgumentException("bad is bad");
      }
      singles.add(item);
      return "single:" + item;
    };
  }

  @Test
  void aLoneWriterWritesOnItsOwnThreadWithoutWaitingForTheWriterThread() throws Exception {
    List<String> threads = Collections.synchronizedList(new ArrayList<>());
    try (GroupCommit<String, String> group = new GroupCommit<>("test-commit", 100, this::commitAll, item -> {
      threads.add(Thread.currentThread().getName());
      return "single:" + item;
    })) {
      Thread caller = Thread.ofPlatform().name("lone-caller").start(() -> {
        for (int i = 0; i < 20; i++) {
          assertThat(group.write("w" + i)).isEqualTo("single:w" + i);
        }
      });
      caller.join();
    }
    assertThat(threads).hasSize(20).containsOnly("lone-caller");
    assertThat(batchSizes).as("no batch was needed").isEmpty();
  }

  @Test
  void writesArrivingDuringATransactionShareTheNextAndEachCallerGetsItsOwnResult() throws Exception {
    CountDownLatch firstEntered = new CountDownLatch(1);
    CountDownLatch releaseFirst = new CountDownLatch(1);
    List<String> singles = Collections.synchronizedList(new ArrayList<>());
    try (GroupCommit<String, String> group =
        new GroupCommit<>("test-commit", 100, this::commitAll, holdingSingle("w0", firstEntered, releaseFirst, singles))) {
      try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
        Future<String> first = callers.submit(() -> group.write("w0"));
        assertThat(firstEntered.await(10, TimeUnit.SECONDS)).isTrue();
        // While the first transaction is open, 50 more writers arrive and must wait for the next.
        List<Future<String>> rest = new ArrayList<>();
        for (int i = 1; i <= 50; i++) {
          String item = "w" + i;
          rest.add(callers.submit(() -> group.write(item)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> rest.stream().noneMatch(Future::isDone));
        assertThat(committed).as("nothing committed while the first transaction is open").isEmpty();
        releaseFirst.countDown();
        assertThat(first.get()).isEqualTo("single:w0");
        for (int i = 0; i < rest.size(); i++) {
          assertThat(rest.get(i).get()).isIn("ok:w" + (i + 1), "single:w" + (i + 1));
        }
      }
    }
    assertThat(committed.size() + singles.size()).isEqualTo(51);
    assertThat(batchSizes.size() + singles.size()).as("transactions for 51 writes").isLessThan(51);
    assertThat(batchSizes.stream().mapToInt(Integer::intValue).max().orElseThrow()).isGreaterThan(1);
  }

  @Test
  void noCallerIsAnsweredBeforeItsTransactionCommits() throws Exception {
    CountDownLatch loneEntered = new CountDownLatch(1);
    CountDownLatch commitLone = new CountDownLatch(1);
    CountDownLatch batchEntered = new CountDownLatch(1);
    CountDownLatch commitBatch = new CountDownLatch(1);
    List<String> singles = Collections.synchronizedList(new ArrayList<>());
    try (GroupCommit<String, String> group = new GroupCommit<>("test-commit", 10, items -> {
      batchEntered.countDown();
      awaitLatch(commitBatch);
      return commitAll(items);
    }, holdingSingle("lone", loneEntered, commitLone, singles))) {
      try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
        Future<String> lone = callers.submit(() -> group.write("lone"));
        assertThat(loneEntered.await(10, TimeUnit.SECONDS)).isTrue();
        Future<String> batched = callers.submit(() -> group.write("x"));
        await().atMost(Duration.ofSeconds(10)).until(() -> !lone.isDone() && !batched.isDone());
        commitLone.countDown();
        assertThat(lone.get()).isEqualTo("single:lone");
        assertThat(batchEntered.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(batched.isDone()).isFalse();
        assertThat(committed).isEmpty();
        commitBatch.countDown();
        assertThat(batched.get()).isEqualTo("ok:x");
      }
    }
  }

  @Test
  void aFailedBatchIsRetriedItemByItemSoOneBadWriteFailsOnlyItsCaller() throws Exception {
    CountDownLatch firstEntered = new CountDownLatch(1);
    CountDownLatch releaseFirst = new CountDownLatch(1);
    List<String> singles = Collections.synchronizedList(new ArrayList<>());
    try (GroupCommit<String, String> group = new GroupCommit<>("test-commit", 100, items -> {
      // The whole transaction fails: nothing of it is committed.
      throw new IllegalStateException("constraint violated by bad");
    }, holdingSingle("first", firstEntered, releaseFirst, singles))) {
      try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
        Future<String> first = callers.submit(() -> group.write("first"));
        assertThat(firstEntered.await(10, TimeUnit.SECONDS)).isTrue();
        Future<String> good1 = callers.submit(() -> group.write("good1"));
        Future<String> bad = callers.submit(() -> group.write("bad"));
        Future<String> good2 = callers.submit(() -> group.write("good2"));
        await().atMost(Duration.ofSeconds(10)).until(() -> !good1.isDone() && !bad.isDone() && !good2.isDone());
        releaseFirst.countDown();
        assertThat(first.get()).isEqualTo("single:first");
        assertThat(good1.get()).isEqualTo("single:good1");
        assertThat(good2.get()).isEqualTo("single:good2");
        assertThatThrownBy(bad::get).hasCauseInstanceOf(IllegalArgumentException.class);
      }
    }
    assertThat(committed).isEmpty();
    assertThat(singles).containsExactlyInAnyOrder("first", "good1", "good2");
  }

  @Test
  void aPerItemFailureInABatchReachesOnlyThatCaller() throws Exception {
    CountDownLatch holdEntered = new CountDownLatch(1);
    CountDownLatch releaseHold = new CountDownLatch(1);
    try (GroupCommit<String, String> group = new GroupCommit<>("test-commit", 10, items -> {
      batchSizes.add(items.size());
      List<Object> out = new ArrayList<>();
      for (String i : items) {
        out.add(i.startsWith("lost") ? new IllegalStateException(i + " lost its lease") : "ok:" + i);
      }
      return out;
    }, holdingSingle("hold", holdEntered, releaseHold, new ArrayList<>()))) {
      try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
        Future<String> hold = callers.submit(() -> group.write("hold"));
        assertThat(holdEntered.await(10, TimeUnit.SECONDS)).isTrue();
        Future<String> a = callers.submit(() -> group.write("a"));
        Future<String> lost = callers.submit(() -> group.write("lost-1"));
        await().atMost(Duration.ofSeconds(10)).until(() -> !a.isDone() && !lost.isDone());
        releaseHold.countDown();
        assertThat(hold.get()).isEqualTo("single:hold");
        assertThat(a.get()).isEqualTo("ok:a");
        assertThatThrownBy(lost::get).hasCauseInstanceOf(IllegalStateException.class).hasMessageContaining("lost-1 lost its lease");
      }
    }
    assertThat(batchSizes).as("a and lost-1 went out as one batch").containsExactly(2);
  }

  @Test
  void closeWritesWhatIsWaitingAndLaterWritesGoOutAlone() throws Exception {
    ConcurrentHashMap<String, String> via = new ConcurrentHashMap<>();
    CountDownLatch holdEntered = new CountDownLatch(1);
    CountDownLatch releaseHold = new CountDownLatch(1);
    GroupCommit<String, String> group = new GroupCommit<>("test-commit", 10, items -> {
      items.forEach(i -> via.put(i, "batch"));
      return commitAll(items);
    }, i -> {
      if (i.equals("hold")) {
        holdEntered.countDown();
        awaitLatch(releaseHold);
      }
      via.put(i, "single");
      return "single:" + i;
    });
    try (ExecutorService callers = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<String> hold = callers.submit(() -> group.write("hold"));
      assertThat(holdEntered.await(10, TimeUnit.SECONDS)).isTrue();
      Future<String> waiting = callers.submit(() -> group.write("waiting"));
      await().atMost(Duration.ofSeconds(10)).until(() -> !waiting.isDone());
      Future<?> closing = callers.submit(group::close);
      releaseHold.countDown();
      closing.get();
      assertThat(hold.get()).isEqualTo("single:hold");
      assertThat(waiting.get()).isEqualTo("ok:waiting");
    }
    group.close(); // idempotent
    assertThat(group.write("after")).isEqualTo("single:after");
    assertThat(via).containsEntry("waiting", "batch").containsEntry("after", "single");
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
