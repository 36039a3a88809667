package dev.tasklane.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.IllegalTransitionException;
import dev.tasklane.Task;
import dev.tasklane.TaskId;
import dev.tasklane.TaskQuery;
import dev.tasklane.TaskRequest;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskState;
import dev.tasklane.TaskType;
import dev.tasklane.UnknownTaskTypeException;
import dev.tasklane.Worker;
import dev.tasklane.WorkerConfig;
import dev.tasklane.server.ServerConfig;
import dev.tasklane.server.TasklaneMetrics;
import dev.tasklane.server.TasklaneServer;
import dev.tasklane.sqlite.SqliteTaskStore;
import dev.tasklane.spi.TaskStore;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client against a real server over HTTP: submitting and following tasks, and running
 * the very {@link TaskType} a service would register on an embedded worker, as a remote worker.
 */
class TasklaneClientTest {
  record Greeting(String name) {}

  /** One handler, registered unchanged on an embedded worker and on a remote one. */
  static final TaskType<Greeting> GREET =
      TaskType.of("greet", Greeting.class, (g, ctx) -> TaskResult.success("hello " + g.name() + " from " + ctx.nodeId()));

  @TempDir Path dir;
  private TaskStore store;
  private Worker engine;
  private TasklaneServer server;
  private TasklaneClient client;
  private final java.util.List<RemoteWorker> workers = new java.util.ArrayList<>();

  @BeforeEach
  void start() {
    store = SqliteTaskStore.open(dir.resolve("tasklane.db"));
    engine =
        Worker.builder(store)
            .config(WorkerConfig.builder().nodeId("server").pollInterval(Duration.ofMillis(200)).build())
            .build();
    engine.start();
    server =
        TasklaneServer.create(engine, ServerConfig.defaults().withPort(0), new TasklaneMetrics(), null).start();
    client = TasklaneClient.builder(URI.create(server.url())).token(null).build();
  }

  @AfterEach
  void stop() {
    workers.forEach(RemoteWorker::close);
    server.stop();
    engine.close();
    store.close();
  }

  private RemoteWorker worker(String id, TaskType<?>... types) {
    RemoteWorker.Builder b =
        RemoteWorker.builder(URI.create(server.url()))
            .token(null)
            .id(id)
            .concurrency(4)
            .claimWait(Duration.ofSeconds(2))
            .shutdownTimeout(Duration.ofSeconds(10));
    for (TaskType<?> t : types) {
      b.register(t);
    }
    RemoteWorker w = b.start();
    workers.add(w);
    return w;
  }

  @Test
  void theSameTaskTypeRunsEmbeddedAndAsARemoteWorker(@TempDir Path other) throws Exception {
    try (TaskStore own = SqliteTaskStore.open(other.resolve("embedded.db"));
        Worker embedded =
            Worker.builder(own)
                .config(WorkerConfig.builder().nodeId("embedded").pollInterval(Duration.ofMillis(50)).build())
                .register(GREET)
                .build()) {
      embedded.start();
      Task local = embedded.submit(TaskRequest.builder("greet").payload(new Greeting("ada")).build()).task();
      await().atMost(Duration.ofSeconds(20)).until(() -> embedded.get(local.id()).orElseThrow().state() == TaskState.SUCCEEDED);
      assertThat(embedded.get(local.id()).orElseThrow().result()).isEqualTo("\"hello ada from embedded\"");
    }

    worker("java-1", GREET);
    Task remote = client.submit(TaskRequest.builder("greet").payload(new Greeting("ada")).build()).task();
    Task done = client.await(remote.id(), Duration.ofSeconds(30));
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.result()).isEqualTo("\"hello ada from java-1\"");
    assertThat(done.lastNode()).isEqualTo("java-1");
  }

  @Test
  void submissionsReplayTheirIdempotencyKeyAndListAndQueuesReadTheServer() {
    // A worker that announces the type but serves another queue: the tasks below stay put.
    workers.add(
        RemoteWorker.builder(URI.create(server.url()))
            .token(null)
            .id("java-elsewhere")
            .queues(List.of("elsewhere"))
            .claimWait(Duration.ofSeconds(1))
            .register(TaskType.of("later", JsonNode.class, (p, c) -> TaskResult.success()))
            .start());
    TaskRequest request =
        TaskRequest.builder("later").payloadJson("{\"n\": 1}").delay(Duration.ofHours(1)).priority(7).queue("q1").idempotencyKey("k-1").build();
    var first = client.submit(request);
    var again = client.submit(request);
    assertThat(first.created()).isTrue();
    assertThat(again.created()).isFalse();
    assertThat(again.task().id()).isEqualTo(first.task().id());
    Task t = first.task();
    assertThat(t.state()).isEqualTo(TaskState.SCHEDULED);
    assertThat(t.priority()).isEqualTo(7);
    assertThat(t.payload()).isEqualTo("{\"n\":1}");

    assertThat(client.list(TaskQuery.all().withQueue("q1")).tasks()).extracting(Task::id).containsExactly(t.id());
    assertThat(client.queues()).anySatisfy(q -> {
      assertThat(q.name()).isEqualTo("q1");
      assertThat(q.scheduled()).isEqualTo(1);
    });
    assertThat(client.cancel(t.id()).state()).isEqualTo(TaskState.CANCELLED);
    assertThat(client.retry(t.id()).state()).isEqualTo(TaskState.QUEUED);
    client.cancel(t.id());
    assertThatThrownBy(() -> client.cancel(t.id())).isInstanceOf(IllegalTransitionException.class);
    assertThat(client.get(TaskId.next())).isEmpty();
    assertThatThrownBy(() -> client.submit(TaskRequest.builder("nobody_runs_this").build()))
        .isInstanceOf(UnknownTaskTypeException.class)
        .hasMessageContaining("nobody_runs_this");
    assertThat(client.explain(t.id()).message()).isNotBlank();
  }

  @Test
  void cancelInterruptsTheHandlerProgressIsSeenAndTimeoutsAndRetriesFollowThePolicy() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    worker(
        "java-1",
        TaskType.of("wait", JsonNode.class, (p, ctx) -> {
          ctx.progress(40);
          running.countDown();
          Thread.sleep(Duration.ofHours(1)); // interrupted by the cancel
          return TaskResult.success();
        }),
        TaskType.of("slow", JsonNode.class, (p, ctx) -> {
          Thread.sleep(Duration.ofHours(1)); // interrupted by the timeout
          return TaskResult.success();
        }),
        TaskType.of("flaky", JsonNode.class, (p, ctx) -> {
          if (ctx.attempt() == 1) {
            throw new IllegalStateException("first attempt fails");
          }
          return TaskResult.success(ctx.attempt());
        }));
    Task waiting = client.submit(TaskRequest.builder("wait").build()).task();
    assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
    await().atMost(Duration.ofSeconds(20)).until(() -> client.get(waiting.id()).orElseThrow().progress() == 40);
    client.cancel(waiting.id());
    assertThat(client.await(waiting.id(), Duration.ofSeconds(30)).state()).isEqualTo(TaskState.CANCELLED);

    Task slow = client.submit(TaskRequest.builder("slow").timeout(Duration.ofMillis(300)).maxAttempts(1).build()).task();
    Task timedOut = client.await(slow.id(), Duration.ofSeconds(30));
    assertThat(timedOut.state()).isEqualTo(TaskState.FAILED);
    assertThat(timedOut.lastError()).isEqualTo("timed out after 300ms");

    Task flaky = client.submit(TaskRequest.builder("flaky").maxAttempts(2).build()).task();
    // The first failure is retried after the default backoff (about a second).
    Task done = client.await(flaky.id(), Duration.ofSeconds(30));
    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.result()).isEqualTo("2");
    assertThat(done.errors().get(0).message()).isEqualTo("java.lang.IllegalStateException: first attempt fails");
    assertThat(done.errors().get(0).trace()).contains("TasklaneClientTest");
  }

  @Test
  void closingHandsBackWhatOutlivesTheShutdownTimeout() throws Exception {
    CountDownLatch running = new CountDownLatch(1);
    RemoteWorker w =
        RemoteWorker.builder(URI.create(server.url()))
            .token(null)
            .id("java-closing")
            .claimWait(Duration.ofSeconds(1))
            .shutdownTimeout(Duration.ofMillis(300))
            .register(TaskType.of("stuck", JsonNode.class, (p, ctx) -> {
              running.countDown();
              while (true) {
                try {
                  Thread.sleep(Duration.ofHours(1));
                } catch (InterruptedException ignored) {
                  // a stubborn handler: ignores even the interrupt, so its task must be handed back
                }
              }
            }))
            .start();
    Task task = client.submit(TaskRequest.builder("stuck").build()).task();
    assertThat(running.await(30, TimeUnit.SECONDS)).isTrue();
    w.close();
    Task back = client.get(task.id()).orElseThrow();
    assertThat(back.state()).isEqualTo(TaskState.QUEUED);
    assertThat(back.attempt()).isZero();
    assertThat(engine.nodes()).noneMatch(n -> n.id().equals("java-closing"));
  }

  @Test
  void aWorkerRefusedByTheServerSaysWhy() {
    RemoteWorker.Builder b =
        RemoteWorker.builder(URI.create(server.url())).id("bad id!").register(GREET);
    assertThatThrownBy(b::start).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("id");
    assertThatThrownBy(() -> RemoteWorker.builder(URI.create(server.url())).start())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aScheduleDefinedThroughTheClientHasItsTicksRunByARemoteWorker() throws Exception {
    worker("java-cron", GREET);
    dev.tasklane.ScheduleStatus defined =
        client.defineSchedule(
            dev.tasklane.Schedule.of(
                    "greetings",
                    dev.tasklane.Recurrence.every(Duration.ofSeconds(1)),
                    TaskRequest.builder("greet").payload(new Greeting("cron")).priority(3).build())
                .withMisfire(dev.tasklane.Misfire.RUN_ONCE));
    assertThat(defined.misfire()).isEqualTo(dev.tasklane.Misfire.RUN_ONCE);
    assertThat(defined.priority()).isEqualTo(3);

    await().atMost(Duration.ofSeconds(20)).until(() -> client.schedule("greetings").orElseThrow().lastTaskId() != null);
    Task tick = client.await(client.schedule("greetings").orElseThrow().lastTaskId(), Duration.ofSeconds(30));
    assertThat(tick.result()).isEqualTo("\"hello cron from java-cron\"");
    assertThat(tick.idempotencyKey()).startsWith("schedule:greetings:");

    dev.tasklane.RateLimit limit =
        new dev.tasklane.RateLimit(dev.tasklane.RateLimit.Scope.TYPE, "greet", 3, Duration.ofMillis(1500), 2, "name");
    client.setRateLimit(limit);
    assertThat(client.rateLimits()).containsExactly(limit);
    client.deleteRateLimit(dev.tasklane.RateLimit.Scope.TYPE, "greet");
    assertThat(client.rateLimits()).isEmpty();
    assertThat(client.pauseSchedule("greetings").paused()).isTrue();
    Task now = client.runSchedule("greetings");
    assertThat(client.await(now.id(), Duration.ofSeconds(30)).state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(client.schedules()).extracting(dev.tasklane.ScheduleStatus::name).containsExactly("greetings");
    client.deleteSchedule("greetings");
    assertThat(client.schedule("greetings")).isEmpty();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> client.pauseSchedule("greetings"))
        .isInstanceOf(dev.tasklane.ScheduleNotFoundException.class);
  }
}
