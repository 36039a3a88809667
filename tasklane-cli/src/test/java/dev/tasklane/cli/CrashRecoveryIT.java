package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The promise behind every 2xx: an acknowledged task survives a SIGKILL of the server process. A
 * real server gets 1,000 seed submissions, is killed mid-run, restarted on the same file, and must
 * bring every one of the 1,000 to {@code succeeded}, none lost and none duplicated.
 */
class CrashRecoveryIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int TASKS = 1_000;

  @TempDir Path dir;

  @Test
  void everyAcknowledgedTaskSucceedsAfterASigkillAndRestart() throws Exception {
    Path db = dir.resolve("crash.db");
    Path log = dir.resolve("server.log");
    // 1,000 tasks of 100 ms on 20 slots are 5 s of work: far longer than submitting them takes, so
    // the kill below lands while most are still waiting or running.
    String[] flags = {"--concurrency", "20", "--seed-task-duration", "100ms", "--node-id", "crash-node"};
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();

    try (ServerProcess first = ServerProcess.start(db, log, flags)) {
      AtomicInteger next = new AtomicInteger();
      try (ExecutorService clients = Executors.newFixedThreadPool(16)) {
        List<Future<?>> done = IntStream.range(0, 16).<Future<?>>mapToObj(c -> clients.submit(() -> {
          for (int i = next.getAndIncrement(); i < TASKS; i = next.getAndIncrement()) {
            HttpResponse<String> r = first.post(
                "/submit-task", "{\"data\": \"task-" + i + "\", \"priority\": " + (1 + i % 2) + "}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            acknowledged.add(JSON.readTree(r.body()).get("task_id").asText());
          }
          return null;
        })).toList();
        for (Future<?> f : done) {
          f.get();
        }
      }
      assertThat(acknowledged).hasSize(TASKS);
      // Kill while work is in flight: some done, some running, most still queued.
      await().atMost(Duration.ofSeconds(60)).until(() -> succeeded(first) >= 50);
      first.kill();
    }
    long succeededBeforeKill = countInLog(log, "Processed: task-");
    assertThat(succeededBeforeKill).as("the kill landed mid-run").isLessThan(TASKS);

    try (ServerProcess second = ServerProcess.start(db, log, flags)) {
      await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
          .until(() -> succeeded(second) == TASKS);
      JsonNode queues = JSON.readTree(second.get("/api/v1/queues").body()).get("queues");
      long total = 0;
      for (JsonNode q : queues) {
        total += q.get("queued").asLong() + q.get("scheduled").asLong() + q.get("running").asLong()
            + q.get("succeeded").asLong() + q.get("failed").asLong() + q.get("cancelled").asLong();
      }
      assertThat(total).as("no task was duplicated").isEqualTo(TASKS);
      for (String id : acknowledged) {
        HttpResponse<String> r = second.get("/api/v1/tasks/" + id);
        assertThat(r.statusCode()).as("task %s exists", id).isEqualTo(200);
        assertThat(JSON.readTree(r.body()).get("state").asText()).as("task %s", id).isEqualTo("succeeded");
      }
      assertThat(second.terminate(Duration.ofSeconds(30))).isIn(0, 143);
    }
  }

  private static long succeeded(ServerProcess server) throws Exception {
    JsonNode queues = JSON.readTree(server.get("/api/v1/queues").body()).get("queues");
    long n = 0;
    for (JsonNode q : queues) {
      n += q.get("succeeded").asLong();
    }
    return n;
  }

  private static long countInLog(Path log, String needle) throws Exception {
    try (var lines = java.nio.file.Files.lines(log)) {
      return lines.filter(l -> l.contains(needle)).count();
    }
  }
}
