package dev.tasklane.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tasklane.TaskId;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskType;
import dev.tasklane.Worker;
import dev.tasklane.WorkerConfig;
import dev.tasklane.server.builtin.BuiltinTasks;
import dev.tasklane.sqlite.SqliteTaskStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A real node for HTTP tests: a {@link SqliteTaskStore} in a temp directory, a started {@link
 * Worker} with the built-in types plus {@value #BLOCK} (runs until {@link #release()}), and a
 * {@link TasklaneServer} on a random port, called over real HTTP.
 */
final class ServerFixture implements AutoCloseable {
  /** A task type whose runs wait for {@link #release()}: holds a slot as long as a test needs. */
  static final String BLOCK = "block";

  static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(15);

  final dev.tasklane.spi.TaskStore store;
  final Worker worker;
  final TasklaneServer server;
  final TasklaneMetrics metrics = new TasklaneMetrics();
  private final HttpClient http = HttpClient.newHttpClient();
  private final CountDownLatch release = new CountDownLatch(1);
  private final BlockingQueue<TaskId> blockStarted = new LinkedBlockingQueue<>();

  private ServerFixture(
      Path dir,
      UnaryOperator<WorkerConfig.Builder> workerConfig,
      Duration seedTaskDuration,
      UnaryOperator<ServerConfig> serverConfig) {
    this(dir, workerConfig, seedTaskDuration, serverConfig, d -> SqliteTaskStore.open(d.resolve("tasklane.db")), "sqlite");
  }

  private ServerFixture(
      Path dir,
      UnaryOperator<WorkerConfig.Builder> workerConfig,
      Duration seedTaskDuration,
      UnaryOperator<ServerConfig> serverConfig,
      java.util.function.Function<Path, dev.tasklane.spi.TaskStore> openStore,
      String storeName) {
    store = openStore.apply(dir);
    WorkerConfig config =
        workerConfig
            .apply(
                WorkerConfig.builder()
                    .nodeId("test-node")
                    .pollInterval(Duration.ofMillis(200))
                    .shutdownTimeout(Duration.ofSeconds(5)))
            .build();
    Worker.Builder builder = Worker.builder(store).config(config).listener(metrics);
    BuiltinTasks.register(builder, seedTaskDuration);
    builder.register(
        TaskType.of(
            BLOCK,
            JsonNode.class,
            (payload, ctx) -> {
              blockStarted.add(ctx.taskId());
              release.await();
              return TaskResult.success();
            }));
    worker = builder.build();
    worker.start();
    server =
        TasklaneServer.create(
                worker,
                serverConfig.apply(ServerConfig.defaults().withPort(0).withStoreName(storeName)),
                metrics,
                accessStoreOf(store))
            .start();
  }

  /** The store's own access store: tokens and users in the same database as the tasks. */
  static dev.tasklane.spi.AccessStore accessStoreOf(dev.tasklane.spi.TaskStore store) {
    if (store instanceof SqliteTaskStore s) {
      return s.accessStore();
    }
    if (store instanceof dev.tasklane.postgres.PostgresTaskStore p) {
      return p.accessStore();
    }
    throw new IllegalArgumentException("no access store for " + store);
  }

  /** Makes a token of {@code role} on this node's store and returns its secret. */
  String token(String name, dev.tasklane.server.access.Role role) {
    String secret = server.access().tokens().create(name, role, null).secret();
    server.access().credentialsChanged();
    return secret;
  }

  /** A request with a bearer token (or none if {@code token} is null). */
  Response send(String method, String path, String token, String jsonBody) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(path))
            .method(
                method,
                jsonBody == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(jsonBody));
    if (jsonBody != null) {
      b.header("Content-Type", "application/json");
    }
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return send(b.build());
  }

  static ServerFixture start(Path dir) {
    return new ServerFixture(dir, b -> b, Duration.ZERO, c -> c);
  }

  static ServerFixture start(
      Path dir, UnaryOperator<WorkerConfig.Builder> workerConfig, Duration seedTaskDuration) {
    return new ServerFixture(dir, workerConfig, seedTaskDuration, c -> c);
  }

  /** A node on the store {@code openStore} opens (given the temp directory), named {@code storeName}. */
  static ServerFixture start(
      Path dir, java.util.function.Function<Path, dev.tasklane.spi.TaskStore> openStore, String storeName) {
    return new ServerFixture(dir, b -> b, Duration.ZERO, c -> c, openStore, storeName);
  }

  /** A node with its own worker settings (e.g. a node id) on the store {@code openStore} opens. */
  static ServerFixture start(
      Path dir,
      UnaryOperator<WorkerConfig.Builder> workerConfig,
      java.util.function.Function<Path, dev.tasklane.spi.TaskStore> openStore,
      String storeName) {
    return new ServerFixture(dir, workerConfig, Duration.ZERO, c -> c, openStore, storeName);
  }

  static ServerFixture start(Path dir, UnaryOperator<ServerConfig> serverConfig) {
    return new ServerFixture(dir, b -> b, Duration.ZERO, serverConfig);
  }

  // ---------------------------------------------------------------- HTTP

  /** A response with its body read as text. */
  record Response(int status, java.net.http.HttpHeaders headers, String body) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (JsonProcessingException e) {
        throw new AssertionError("response is not JSON: " + body, e);
      }
    }

    String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    /** The {@code detail} list of a 422. */
    JsonNode detail() {
      return json().get("detail");
    }
  }

  URI uri(String path) {
    return URI.create(server.url() + path);
  }

  Response get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET().build());
  }

  Response post(String path, String body) {
    return post(path, body, "application/json");
  }

  /** A POST with the given Content-Type, or none if {@code null}. */
  Response post(String path, String body, String contentType) {
    return postBytes(path, body.getBytes(java.nio.charset.StandardCharsets.UTF_8), contentType);
  }

  /** A POST of raw bytes with the given Content-Type, or none if {@code null}. */
  Response postBytes(String path, byte[] body, String contentType) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    return send(b.build());
  }

  /**
   * A POST written over a raw socket, for a Content-Type an HTTP client refuses to send (bytes
   * above ASCII); the header's characters go out as ISO-8859-1 bytes.
   */
  Response postRaw(String path, String body, String contentType) {
    byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try {
      RawHttp.Answer a =
          RawHttp.exchange(
              server.port(),
              RawHttp.request(
                  "POST",
                  path,
                  "Content-Type: " + contentType + "\r\nContent-Length: " + bytes.length,
                  bytes),
              false,
              WAIT);
      return new Response(
          a.status(), java.net.http.HttpHeaders.of(java.util.Map.of(), (x, y) -> true), a.body());
    } catch (IOException e) {
      throw new AssertionError("request failed: POST " + path, e);
    }
  }

  Response patch(String path, String body) {
    return send(
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/json")
            .method("PATCH", HttpRequest.BodyPublishers.ofString(body))
            .build());
  }

  Response send(HttpRequest request) {
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.headers(), r.body());
    } catch (IOException e) {
      throw new AssertionError("request failed: " + request, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Submits through the API and returns the new task's JSON, asserting 202. */
  JsonNode submit(String body) {
    Response r = post("/api/v1/tasks", body);
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json();
  }

  JsonNode task(String id) {
    Response r = get("/api/v1/tasks/" + id);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  /** Polls the task until it reaches {@code state}; returns its JSON then. */
  JsonNode awaitState(String id, String state) {
    return await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(20))
        .until(() -> task(id), t -> state.equals(t.get("state").asText()));
  }

  // ---------------------------------------------------------------- the block type

  /** Waits until a {@value #BLOCK} task has started running, and returns its id. */
  TaskId awaitBlockStarted() {
    try {
      TaskId id = blockStarted.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(id).as("a block task started").isNotNull();
      return id;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Lets every {@value #BLOCK} task, running or future, finish. */
  void release() {
    release.countDown();
  }

  /** Stops in the production order: HTTP, then the worker (draining), then the store. */
  @Override
  public void close() {
    release();
    try {
      server.stop();
    } finally {
      try {
        worker.close();
      } finally {
        store.close();
      }
    }
  }
}
