package dev.tasklane.server.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.tasklane.Task;
import dev.tasklane.TaskId;
import dev.tasklane.TaskRequest;
import dev.tasklane.TaskState;
import dev.tasklane.Worker;
import dev.tasklane.WorkerConfig;
import dev.tasklane.sqlite.SqliteTaskStore;
import dev.tasklane.spi.TaskStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Webhook tasks against a receiver on loopback that checks every signature itself. */
class WebhookTasksTest {
  private static final String SECRET = "a-secret-of-enough-length";

  @TempDir Path dir;
  private HttpServer receiver;
  private TaskStore store;
  private Worker worker;
  /** What the receiver got, each with its verdict on the signature. */
  private final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();

  record Received(String path, String body, Map<String, List<String>> headers, boolean signatureValid) {}

  /** What the receiver answers, per call number (1-based) and path. */
  private volatile Function<Integer, Answer> answers = n -> new Answer(200, "{\"ok\": true}", Map.of(), 0);

  record Answer(int status, String body, Map<String, String> headers, long delayMillis) {}

  private final AtomicInteger calls = new AtomicInteger();

  @BeforeEach
  void startReceiver() throws IOException {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/", this::receive);
    receiver.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
    receiver.start();
  }

  private void receive(HttpExchange ex) throws IOException {
    byte[] body = ex.getRequestBody().readAllBytes();
    String ts = ex.getRequestHeaders().getFirst(Signature.TIMESTAMP_HEADER);
    String sig = ex.getRequestHeaders().getFirst(Signature.HEADER);
    // The receiver's own check: recompute over the bytes received, refuse a stale timestamp.
    boolean fresh = ts != null && Math.abs(Instant.now().getEpochSecond() - Long.parseLong(ts)) < 300;
    boolean valid = fresh && sig != null && sig.equals(Signature.sign(SECRET, Long.parseLong(ts), body));
    received.add(new Received(ex.getRequestURI().getPath(), new String(body, StandardCharsets.UTF_8), Map.copyOf(ex.getRequestHeaders()), valid));
    Answer a = valid ? answers.apply(calls.incrementAndGet()) : new Answer(401, "bad signature", Map.of(), 0);
    if (a.delayMillis() > 0) {
      try {
        Thread.sleep(a.delayMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    a.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(a.status(), out.length == 0 ? -1 : out.length);
    if (out.length > 0) {
      ex.getResponseBody().write(out);
    }
    ex.close();
  }

  private String base() {
    return "http://127.0.0.1:" + receiver.getAddress().getPort();
  }

  private void startWorker(Webhook... hooks) {
    store = SqliteTaskStore.open(dir.resolve("tasklane.db"));
    WebhookConfig config = new WebhookConfig(List.of(hooks), Set.of("127.0.0.1:" + receiver.getAddress().getPort()), SECRET);
    worker =
        WebhookTasks.register(
                Worker.builder(store)
                    .config(WorkerConfig.builder().nodeId("hooks").pollInterval(Duration.ofMillis(50)).build()),
                config)
            .build();
    worker.start();
  }

  @AfterEach
  void stop() {
    if (worker != null) {
      worker.close();
    }
    if (store != null) {
      store.close();
    }
    receiver.stop(0);
  }

  private Task run(String type, String payload, int maxAttempts) {
    TaskId id = worker.submit(TaskRequest.builder(type).payloadJson(payload).maxAttempts(maxAttempts).build()).task().id();
    return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
        .until(() -> worker.get(id).orElseThrow(), t -> t.state().isTerminal());
  }

  @Test
  void aCallIsSignedCarriesThePayloadAndKeepsTheAnswerAsTheResult() {
    startWorker(new Webhook("notify", URI.create(base() + "/hooks/notify"), Duration.ofSeconds(5)));
    Task done = run("notify", "{\"order\": 42}", 1);

    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.result()).isEqualTo("{\"ok\":true}");
    Received r = received.peek();
    assertThat(r.signatureValid()).isTrue();
    assertThat(r.path()).isEqualTo("/hooks/notify");
    assertThat(r.body()).isEqualTo("{\"order\":42}");
    assertThat(r.headers().get("Tasklane-task-id")).containsExactly(done.id().toString());
    assertThat(r.headers().get("Idempotency-key")).containsExactly(done.id().toString());
    assertThat(r.headers().get("Tasklane-attempt")).containsExactly("1");
  }

  @Test
  void aForgedOrAlteredCallFailsTheReceiversCheck() {
    long ts = Instant.now().getEpochSecond();
    byte[] body = "{\"order\":42}".getBytes(StandardCharsets.UTF_8);
    String good = Signature.sign(SECRET, ts, body);
    assertThat(Signature.sign(SECRET, ts, "{\"order\":43}".getBytes(StandardCharsets.UTF_8))).isNotEqualTo(good);
    assertThat(Signature.sign("another-secret-of-length", ts, body)).isNotEqualTo(good);
    assertThat(Signature.sign(SECRET, ts + 1, body)).as("a replay with a new timestamp needs a new signature").isNotEqualTo(good);
  }

  @Test
  void serverErrorsAndTimeoutsAreRetriedUntilTheReceiverTakesIt() {
    answers = n -> switch (n) {
      case 1 -> new Answer(503, "down for maintenance", Map.of(), 0);
      case 2 -> new Answer(200, "late", Map.of(), 3_000); // outlives the call's timeout
      default -> new Answer(200, "done", Map.of(), 0);
    };
    startWorker(new Webhook("notify", URI.create(base() + "/n"), Duration.ofMillis(500)));
    Task done = run("notify", "{}", 5);

    assertThat(done.state()).isEqualTo(TaskState.SUCCEEDED);
    assertThat(done.attempt()).isEqualTo(3);
    assertThat(done.result()).isEqualTo("\"done\"");
    assertThat(done.errors().get(0).message()).contains("HTTP 503 from " + base() + "/n: down for maintenance");
    assertThat(done.errors().get(1).message()).contains("HttpTimeoutException");
  }

  @Test
  void aClientErrorFailsAtOnceAndARedirectIsNotFollowed() {
    answers = n -> n == 1
        ? new Answer(422, "{\"error\": \"unknown order\"}", Map.of(), 0)
        : new Answer(302, "", Map.of("Location", base() + "/elsewhere"), 0);
    startWorker(new Webhook("notify", URI.create(base() + "/n"), Duration.ofSeconds(5)));
    Task refused = run("notify", "{}", 5);
    assertThat(refused.state()).isEqualTo(TaskState.FAILED);
    assertThat(refused.attempt()).as("no retry on 4xx").isEqualTo(1);
    assertThat(refused.lastError()).contains("HTTP 422").contains("unknown order");

    Task redirected = run("notify", "{}", 5);
    assertThat(redirected.state()).isEqualTo(TaskState.FAILED);
    assertThat(redirected.lastError()).contains("redirects are not followed");
    assertThat(received).noneMatch(r -> r.path().equals("/elsewhere"));
  }

  @Test
  void tooManyRequestsWaitsForRetryAfter() {
    answers = n -> n == 1 ? new Answer(429, "slow down", Map.of("Retry-After", "3600"), 0) : new Answer(200, "", Map.of(), 0);
    startWorker(new Webhook("notify", URI.create(base() + "/n"), Duration.ofSeconds(5)));
    TaskId id = worker.submit(TaskRequest.builder("notify").build()).task().id();
    Task waiting = await().atMost(Duration.ofSeconds(30)).until(() -> worker.get(id).orElseThrow(), t -> t.state() == TaskState.SCHEDULED);
    assertThat(waiting.runAt()).isAfter(Instant.now().plus(Duration.ofMinutes(50)));
  }

  @Test
  void destinationsOutsideTheAllowListAndUnsignedWebhooksAreRefusedAtStart() {
    Webhook metadata = new Webhook("steal", URI.create("http://169.254.169.254/latest/meta-data"), Duration.ofSeconds(1));
    assertThatThrownBy(() -> new WebhookConfig(List.of(metadata), Set.of("hooks.example.com"), SECRET))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("169.254.169.254:80");
    Webhook otherPort = new Webhook("admin", URI.create("http://hooks.example.com:9000/x"), Duration.ofSeconds(1));
    assertThatThrownBy(() -> new WebhookConfig(List.of(otherPort), Set.of("hooks.example.com"), SECRET))
        .as("a bare host allows ports 80 and 443 only")
        .isInstanceOf(IllegalArgumentException.class);
    Webhook ok = new Webhook("ok", URI.create("https://hooks.example.com/x"), Duration.ofSeconds(1));
    assertThat(new WebhookConfig(List.of(ok), Set.of("HOOKS.example.com"), SECRET).webhooks()).hasSize(1);
    assertThatThrownBy(() -> new WebhookConfig(List.of(ok), Set.of("hooks.example.com"), "short"))
        .hasMessageContaining("signing secret");
    assertThatThrownBy(() -> Webhook.parse("x=file:///etc/passwd")).hasMessageContaining("only http and https");
    assertThatThrownBy(() -> Webhook.parse("no-url")).hasMessageContaining("<type>=<url>");
    assertThat(Webhook.parse("notify=https://hooks.example.com/n").type()).isEqualTo("notify");
  }
}
