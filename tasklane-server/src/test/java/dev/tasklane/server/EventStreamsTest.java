package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * Each stream is written by its own writer: a client that stops reading never holds up another's
 * updates, and is dropped once a write to it has blocked past the stall limit.
 */
class EventStreamsTest {

  /** A client that records what reaches it, or that stops reading at its first event. */
  static final class FakeClient implements EventStreams.Sink {
    final List<String> received = new CopyOnWriteArrayList<>();
    final boolean stalls;
    final CountDownLatch stalled = new CountDownLatch(1);
    volatile boolean closed;
    private final CountDownLatch never = new CountDownLatch(1);

    FakeClient(boolean stalls) {
      this.stalls = stalls;
    }

    @Override
    public void send(String json) {
      if (stalls) {
        stalled.countDown();
        try {
          never.await(); // a client whose socket buffer is full: the write blocks
        } catch (InterruptedException e) {
          throw new IllegalStateException("write abandoned", e);
        }
      }
      received.add(json);
    }

    @Override
    public boolean terminated() {
      return closed;
    }

    @Override
    public void onClose(Runnable action) {}

    @Override
    public void close() {
      closed = true;
    }
  }

  private static EventStreams.Update update(int n, String queues) {
    return new EventStreams.Update("\"t" + n + "\"", queues, "{\"nodes\":[{\"host\":\"h\"}]}", "{\"nodes\":[{\"host\":null}]}", "{}");
  }

  private static final Duration STALL_LIMIT = Duration.ofMillis(300);

  @Test
  void aStalledClientHoldsUpNobodyAndIsDroppedOnceItsWriteBlocksPastTheLimit() throws Exception {
    try (EventStreams streams = new EventStreams(10, STALL_LIMIT)) {
      FakeClient stalled = new FakeClient(true);
      FakeClient reader = new FakeClient(false);
      streams.open(stalled, false, update(0, "[]"), () -> true);
      streams.open(reader, false, update(0, "[]"), () -> true);
      stalled.stalled.await();
      long blockedSince = System.nanoTime();

      int n = 0;
      while (!stalled.closed) {
        n++;
        streams.publish(update(n, "[]"));
        String expected = "{\"at\":\"t" + n + "\"";
        // Each update reaches the reading client, while the other's write stays blocked.
        await().atMost(Duration.ofSeconds(10)).until(() -> reader.received.stream().anyMatch(j -> j.startsWith(expected)));
      }

      assertThat(Duration.ofNanos(System.nanoTime() - blockedSince)).isGreaterThan(STALL_LIMIT);
      assertThat(n).as("updates published while one client was stalled").isGreaterThan(1);
      assertThat(streams.size()).isEqualTo(1);
      assertThat(stalled.received).isEmpty();
    }
  }

  @Test
  void queuesAreSentOnlyWhenTheyChangedForThatStreamAndHostsOnlyToInternals() {
    try (EventStreams streams = new EventStreams(10, STALL_LIMIT)) {
      FakeClient reader = new FakeClient(false);
      FakeClient operator = new FakeClient(false);
      streams.open(reader, false, update(0, "[\"q1\"]"), () -> true);
      streams.open(operator, true, update(0, "[\"q1\"]"), () -> true);
      await().until(() -> reader.received.size() == 1 && operator.received.size() == 1);
      streams.publish(update(1, "[\"q1\"]"));
      await().until(() -> reader.received.size() == 2 && operator.received.size() == 2);
      streams.publish(update(2, "[\"q1\",\"q2\"]"));
      await().until(() -> reader.received.size() == 3 && operator.received.size() == 3);

      assertThat(reader.received.get(0)).contains("\"queues\":[\"q1\"]").contains("\"host\":null");
      assertThat(reader.received.get(1)).doesNotContain("queues");
      assertThat(reader.received.get(2)).contains("\"queues\":[\"q1\",\"q2\"]");
      assertThat(operator.received.get(0)).contains("\"host\":\"h\"");
    }
  }

  @Test
  void noMoreStreamsOpenThanAllowed() {
    try (EventStreams streams = new EventStreams(2, STALL_LIMIT)) {
      streams.open(new FakeClient(false), false, update(0, "[]"), () -> true);
      assertThat(streams.hasRoom()).isTrue();
      streams.open(new FakeClient(false), false, update(0, "[]"), () -> true);
      assertThat(streams.hasRoom()).isFalse();
    }
  }
}
