package dev.tasklane.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tasklane.Task;
import dev.tasklane.TaskQuery;
import dev.tasklane.TaskState;
import dev.tasklane.sqlite.SqliteTaskStore;
import dev.tasklane.spi.TaskStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGTERM drains: running tasks finish, waiting ones stay queued, nothing is left running. */
class GracefulShutdownIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void sigtermLetsRunningTasksFinishAndLeavesTheRestQueued() throws Exception {
    Path db = dir.resolve("graceful.db");
    try (ServerProcess server = ServerProcess.start(
        db, dir.resolve("server.log"), "--concurrency", "2", "--seed-task-duration", "1500ms")) {
      for (int i = 0; i < 6; i++) {
        assertThat(server.post("/submit-task", "{\"data\": \"job-" + i + "\"}").statusCode()).isEqualTo(200);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> running(server) == 2);
      int exit = server.terminate(Duration.ofSeconds(30));
      assertThat(exit).as("exit status after SIGTERM").isIn(0, 143);
      assertThat(server.log()).contains("Processed: job-");
    }
    try (TaskStore store = SqliteTaskStore.open(db)) {
      List<Task> tasks = store.list(TaskQuery.all()).tasks();
      assertThat(tasks).hasSize(6);
      assertThat(tasks).extracting(Task::state).doesNotContain(TaskState.RUNNING);
      // The two running at SIGTERM finish; no new claim starts after it.
      long succeeded = tasks.stream().filter(t -> t.state() == TaskState.SUCCEEDED).count();
      assertThat(succeeded).isBetween(2L, 4L);
      assertThat(tasks).filteredOn(t -> t.state() != TaskState.SUCCEEDED)
          .isNotEmpty()
          .allSatisfy(t -> {
            assertThat(t.state()).isEqualTo(TaskState.QUEUED);
            assertThat(t.attempt()).isZero();
          });
    }
  }

  private static long running(ServerProcess server) throws Exception {
    long n = 0;
    for (JsonNode q : JSON.readTree(server.get("/api/v1/queues").body()).get("queues")) {
      n += q.get("running").asLong();
    }
    return n;
  }
}
