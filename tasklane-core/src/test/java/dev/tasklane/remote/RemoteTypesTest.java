package dev.tasklane.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.Task;
import dev.tasklane.TaskRequest;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskState;
import dev.tasklane.TaskType;
import dev.tasklane.UnknownTaskTypeException;
import dev.tasklane.Worker;
import dev.tasklane.WorkerConfig;
import dev.tasklane.testing.InMemoryTaskStore;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How a node's engine shares queues with remote workers: it accepts their announced types for
 * submission and, once it knows of them, passes over their tasks instead of claiming them.
 */
class RemoteTypesTest {
  private final InMemoryTaskStore store = new InMemoryTaskStore(InstantSource.system());
  private Worker worker;

  @AfterEach
  void stop() {
    if (worker != null) {
      worker.close();
    }
  }

  private Worker start() {
    worker =
        Worker.builder(store)
            .config(WorkerConfig.builder().nodeId("engine").pollInterval(Duration.ofMillis(20)).build())
            .register(TaskType.of("local", JsonNode.class, (p, c) -> TaskResult.success()))
            .build();
    worker.start();
    return worker;
  }

  @Test
  void aNodeThatNeverHeardTheAnnouncementStopsClaimingRemoteTasksOnceItMeetsOne() {
    start();
    assertThatThrownBy(() -> worker.submit(TaskRequest.builder("resize").build()))
        .isInstanceOf(UnknownTaskTypeException.class);
    // Another node heard a worker announce "resize": only the store knows.
    store.announceTypes(Set.of("resize"));

    // This node reads the store's announced types again at most once a second.
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.accepts("resize"));
    Task first = worker.submit(TaskRequest.builder("resize").build()).task();
    // This node claims it once, has no handler, gives it back, and learns the type is remote.
    Task bounced =
        await().atMost(Duration.ofSeconds(10)).until(() -> worker.get(first.id()).orElseThrow(), t -> t.fencingToken() == 1 && t.state() == TaskState.QUEUED);
    assertThat(bounced.runAt()).isAfter(first.runAt());

    Task second = worker.submit(TaskRequest.builder("resize").build()).task();
    Task local = worker.submit(TaskRequest.builder("local").build()).task();
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.get(local.id()).orElseThrow().state() == TaskState.SUCCEEDED);
    assertThat(worker.get(second.id()).orElseThrow().fencingToken())
        .as("passed over: never claimed by a node without its handler")
        .isZero();
  }

  @Test
  void aNodeStartedAfterAnAnnouncementPassesOverRemoteTasksFromTheStart() {
    store.announceTypes(Set.of("resize"));
    start();
    assertThat(worker.remoteTypes()).containsExactly("resize");
    Task remote = worker.submit(TaskRequest.builder("resize").build()).task();
    Task local = worker.submit(TaskRequest.builder("local").build()).task();
    await().atMost(Duration.ofSeconds(10)).until(() -> worker.get(local.id()).orElseThrow().state() == TaskState.SUCCEEDED);
    assertThat(worker.get(remote.id()).orElseThrow().fencingToken()).isZero();
  }
}
