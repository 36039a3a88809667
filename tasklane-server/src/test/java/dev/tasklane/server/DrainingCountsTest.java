package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed's {@code Semaphore(5)} promise, as a user reads it: sampled over HTTP while a queue
 * drains, a node started with a concurrency of 3 never shows more than 3 tasks running, in the
 * queues' counts or in its own list.
 */
class DrainingCountsTest {
  private static final int CONCURRENCY = 3;
  private static final int TASKS = 60;

  @TempDir Path dir;

  @Test
  void theRunningTasksANodeShowsNeverExceedItsConcurrency() {
    try (ServerFixture node =
        ServerFixture.start(dir, b -> b.concurrency(CONCURRENCY), Duration.ZERO)) {
      for (int i = 0; i < TASKS; i++) {
        node.submit("{\"type\": \"sleep\", \"payload\": {\"seconds\": 0.05}}");
      }
      int mostInQueues = 0;
      int mostOnNode = 0;
      AtomicInteger samples = new AtomicInteger();
      long succeeded = 0;
      while (succeeded < TASKS) {
        JsonNode queues = node.get("/api/v1/queues").json().get("queues");
        int running = 0;
        succeeded = 0;
        for (JsonNode q : queues) {
          running += q.get("running").asInt();
          succeeded += q.get("succeeded").asLong();
        }
        JsonNode nodes = node.get("/api/v1/nodes").json().get("nodes");
        for (JsonNode n : nodes) {
          assertThat(n.get("running").size()).isEqualTo(n.get("running_count").asInt());
          mostOnNode = Math.max(mostOnNode, n.get("running_count").asInt());
        }
        mostInQueues = Math.max(mostInQueues, running);
        samples.incrementAndGet();
        assertThat(samples.get()).as("samples before the queue drained").isLessThan(100_000);
      }
      assertThat(mostInQueues).as("most running in /api/v1/queues").isBetween(1, CONCURRENCY);
      assertThat(mostOnNode).as("most running in /api/v1/nodes").isBetween(1, CONCURRENCY);
      assertThat(samples.get()).isGreaterThan(5);
    }
  }
}
