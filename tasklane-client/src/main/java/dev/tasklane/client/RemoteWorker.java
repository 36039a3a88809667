package dev.tasklane.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tasklane.TaskResult;
import dev.tasklane.TaskType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link TaskType} handlers in this JVM for a Tasklane server, over the worker protocol: the
 * handlers a service would register on an embedded {@link dev.tasklane.Worker}, unchanged, run by
 * a server it talks to over HTTP.
 *
 * <pre>{@code
 * try (RemoteWorker worker = RemoteWorker.builder(URI.create("http://127.0.0.1:8000"))
 *     .token(System.getenv("TASKLANE_TOKEN"))
 *     .concurrency(8)
 *     .register(TaskType.of("send_email", Email.class, (email, ctx) -> {
 *       mailer.send(email);
 *       return TaskResult.success();
 *     }))
 *     .start()) {
 *   ...   // runs tasks until closed
 * }
 * }</pre>
 *
 * <p>Each run has a virtual thread of its own. One heartbeat renews every run's lease and brings
 * back cancel requests, which interrupt the handler's thread as the engine does; a run past its
 * timeout is interrupted and reported failed. A run whose lease was lost (the worker was cut off
 * longer than a lease) is interrupted and reports nothing: the server refuses a stale run's
 * writes, so no task is finished twice. {@link #close()} stops claiming, lets running handlers
 * finish for the shutdown timeout, then hands what is left back to the server.
 */
public final class RemoteWorker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RemoteWorker.class);
  static final int PROTOCOL = 1;

  private final Http http;
  private final String id;
  private final String instance = UUID.randomUUID().toString();
  private final List<String> queues;
  private final int concurrency;
  private final Duration shutdownTimeout;
  private final Duration claimWait;
  private final Map<String, TaskType<?>> types;
  private final Map<String, RemoteRun> runs = new ConcurrentHashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition slotFreed = lock.newCondition();
  private final Object heartbeatDue = new Object();
  private volatile boolean stopping;
  private volatile boolean stopped;
  private volatile Duration heartbeatInterval = Duration.ofSeconds(10);
  private Thread claimer;
  private Thread heartbeater;
  private Thread reporter;
  /**
   * Outcomes waiting to be sent: one request carries every outcome ready by then, so a busy
   * worker reports many tasks per round trip and per commit. A run keeps its slot (and its lease,
   * heartbeated) until its outcome is sent.
   */
  private final java.util.concurrent.LinkedBlockingQueue<Pending> outbox = new java.util.concurrent.LinkedBlockingQueue<>();
  private final java.util.concurrent.atomic.AtomicInteger unsent = new java.util.concurrent.atomic.AtomicInteger();

  private record Pending(RemoteRun run, Map<String, Object> outcome) {}

  private RemoteWorker(Builder b) {
    this.http = new Http(b.server, b.token, b.claimWait.plusSeconds(15), b.httpClient());
    this.id = b.id;
    this.queues = List.copyOf(b.queues);
    this.concurrency = b.concurrency;
    this.shutdownTimeout = b.shutdownTimeout;
    this.claimWait = b.claimWait;
    this.types = Map.copyOf(b.types);
  }

  public static Builder builder(URI server) {
    return new Builder(server);
  }

  /** The worker's id, as in {@code /api/v1/nodes} and the leases it holds. */
  public String id() {
    return id;
  }

  /** Runs handed to this worker and not ended yet. */
  public int running() {
    return runs.size();
  }

  /**
   * Announces the worker and starts claiming; returns once the server has registered it (its
   * types are accepted from then on).
   *
   * @throws TasklaneHttpException if the server refuses it (a token without the worker role, a
   *     type or queue outside its token's scope, an id a live process holds)
   */
  public RemoteWorker start() {
    announce();
    heartbeater = Thread.ofPlatform().name("tasklane-heartbeat-" + id).daemon().start(this::heartbeatLoop);
    reporter = Thread.ofPlatform().name("tasklane-report-" + id).daemon().start(this::reportLoop);
    claimer = Thread.ofPlatform().name("tasklane-claim-" + id).daemon().start(this::claimLoop);
    return this;
  }

  // ---------------------------------------------------------------- the protocol

  private void announce() {
    ObjectNode body = Http.JSON.createObjectNode();
    body.put("protocol", PROTOCOL).put("id", id).put("instance", instance);
    body.put("host", host()).put("pid", ProcessHandle.current().pid());
    body.put("language", "java").put("client", "tasklane-java/" + Version.VERSION);
    body.put("concurrency", concurrency);
    ArrayNode t = body.putArray("types");
    types.keySet().stream().sorted().forEach(t::add);
    ArrayNode q = body.putArray("queues");
    queues.forEach(q::add);
    JsonNode answer = http.post("/api/v1/workers", body);
    heartbeatInterval = secondsOf(answer.path("heartbeat_interval_seconds"), heartbeatInterval);
    log.info("worker {} serves {} (concurrency {})", id, types.keySet(), concurrency);
  }

  private void claimLoop() {
    long backoff = 200;
    while (!stopping) {
      int free;
      lock.lock();
      try {
        while (runs.size() >= concurrency && !stopping) {
          slotFreed.await(1, TimeUnit.SECONDS);
        }
        free = concurrency - runs.size();
      } catch (InterruptedException e) {
        return;
      } finally {
        lock.unlock();
      }
      if (stopping) {
        return;
      }
      JsonNode claimed;
      try {
        ObjectNode body = Http.JSON.createObjectNode().put("instance", instance).put("max", free);
        body.put("wait", claimWait.toMillis() / 1000.0);
        claimed = http.post("/api/v1/workers/" + id + "/claim", body);
        backoff = 200;
      } catch (TasklaneHttpException e) {
        if ("unknown_worker".equals(e.code())) {
          lostRegistration();
          continue;
        }
        log.warn("claim failed ({}); retrying in {} ms", e.getMessage(), backoff);
        sleep(backoff);
        backoff = Math.min(backoff * 2, 10_000);
        continue;
      } catch (RuntimeException e) {
        log.warn("claim failed ({}); retrying in {} ms", e.toString(), backoff);
        sleep(backoff);
        backoff = Math.min(backoff * 2, 10_000);
        continue;
      }
      List<JsonNode> tasks = new ArrayList<>();
      claimed.path("tasks").forEach(tasks::add);
      if (stopping) {
        release(tasks); // handed over while stopping: back to the queue, never started here
        return;
      }
      tasks.forEach(this::launch);
    }
  }

  private void launch(JsonNode task) {
    TaskType<?> type = types.get(task.path("type").asText());
    RemoteRun run = new RemoteRun(task, id, type, heartbeatWake());
    runs.put(run.taskId().toString(), run);
    Thread.ofVirtual().name("tasklane-task-" + run.taskId()).start(() -> execute(run));
  }

  private Runnable heartbeatWake() {
    return () -> {
      synchronized (heartbeatDue) {
        heartbeatDue.notifyAll();
      }
    };
  }

  private void execute(RemoteRun run) {
    run.bindThread(Thread.currentThread());
    Map<String, Object> outcome;
    try {
      outcome = outcome(run);
    } catch (RuntimeException | Error e) {
      // A result that cannot be written as JSON, say: the run must still end.
      outcome = new LinkedHashMap<>();
      outcome.put("outcome", "failed");
      outcome.put("error", text("the outcome cannot be reported: " + e, 10_000));
      outcome.put("permanent", true);
    }
    if (run.settle()) {
      send(run, outcome);
    } else {
      free(run);
    }
  }

  private void send(RemoteRun run, Map<String, Object> outcome) {
    unsent.incrementAndGet();
    outbox.add(new Pending(run, outcome));
  }

  private void free(RemoteRun run) {
    // Only this run: the task may have come back to this worker as a newer run meanwhile.
    runs.remove(run.taskId().toString(), run);
    lock.lock();
    try {
      slotFreed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Runs the handler and says how it ended, as the finish call's body. */
  private Map<String, Object> outcome(RemoteRun run) {
    Map<String, Object> out = new LinkedHashMap<>();
    TaskResult result;
    try {
      result = run.call();
    } catch (RemoteRun.UndecodablePayload e) {
      out.put("outcome", "failed");
      out.put("error", "payload cannot be decoded: " + e.getMessage());
      out.put("permanent", true);
      return out;
    } catch (Exception | Error e) {
      if (run.cancelReason() == RemoteRun.Stop.CANCEL_REQUESTED) {
        out.put("outcome", "cancelled");
        return out;
      }
      out.put("outcome", "failed");
      String message = e.getMessage() == null ? e.getClass().getName() : e.getClass().getName() + ": " + e.getMessage();
      out.put("error", text(message, 10_000));
      StringWriter trace = new StringWriter();
      e.printStackTrace(new PrintWriter(trace));
      out.put("stack_trace", text(trace.toString(), 64_000));
      return out;
    }
    switch (result) {
      case TaskResult.Success s -> {
        out.put("outcome", "succeeded");
        out.put("result", Http.JSON.valueToTree(s.value()));
      }
      case TaskResult.Retry r -> {
        out.put("outcome", "retry");
        out.put("delay", TaskJson.seconds(delay(r.delay())));
        if (r.reason() != null && !r.reason().isEmpty()) {
          out.put("reason", text(r.reason(), 10_000));
        }
      }
      case TaskResult.Fail f -> {
        out.put("outcome", "failed");
        out.put("error", text(f.reason() == null ? "failed" : f.reason(), 10_000));
        out.put("permanent", true);
      }
      case TaskResult.Snooze s -> {
        out.put("outcome", "snoozed");
        out.put("delay", TaskJson.seconds(delay(s.delay())));
      }
      case TaskResult.Throttle t -> {
        out.put("outcome", "throttled");
        out.put("delay", TaskJson.seconds(delay(t.delay())));
        if (t.reason() != null && !t.reason().isEmpty()) {
          out.put("reason", text(t.reason(), 10_000));
        }
      }
    }
    if (run.cancelReason() == RemoteRun.Stop.CANCEL_REQUESTED && !"succeeded".equals(out.get("outcome"))) {
      out.clear();
      out.put("outcome", "cancelled");
    }
    return out;
  }

  private void reportLoop() {
    while (!(stopped && outbox.isEmpty())) {
      List<Pending> batch = new ArrayList<>();
      try {
        Pending first = outbox.poll(500, TimeUnit.MILLISECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
      } catch (InterruptedException e) {
        return;
      }
      outbox.drainTo(batch, 499);
      try {
        report(batch);
      } finally {
        for (Pending p : batch) {
          free(p.run());
        }
        unsent.addAndGet(-batch.size());
      }
    }
  }

  /** Sends outcomes in one request, retrying while the server cannot be reached (a minute at most). */
  private void report(List<Pending> batch) {
    ArrayNode list = Http.JSON.createArrayNode();
    for (Pending p : batch) {
      ObjectNode o = Http.JSON.valueToTree(p.outcome());
      o.put("task_id", p.run().taskId().toString()).put("fencing_token", p.run().fencingToken());
      list.add(o);
    }
    ObjectNode body = Http.JSON.createObjectNode();
    body.set("runs", list);
    long delay = 200;
    long giveUp = System.nanoTime() + Duration.ofMinutes(1).toNanos();
    while (true) {
      try {
        JsonNode answer = http.post("/api/v1/workers/" + id + "/finish", body);
        for (JsonNode s : answer.path("runs")) {
          if (!"written".equals(s.path("status").asText())) {
            log.warn("task {}: outcome refused ({})", s.path("task_id").asText(), s.path("status").asText());
          }
        }
        return;
      } catch (TasklaneHttpException | dev.tasklane.StoreException e) {
        boolean unreachable = e instanceof dev.tasklane.StoreException || ((TasklaneHttpException) e).status() == 0;
        if (!unreachable || System.nanoTime() > giveUp) {
          log.error("could not report {} outcome(s) ({}); their leases will lapse", batch.size(), e.getMessage());
          return;
        }
      } catch (RuntimeException e) {
        log.error("could not report {} outcome(s) ({}); their leases will lapse", batch.size(), e.toString());
        return;
      }
      sleep(delay);
      delay = Math.min(delay * 2, 5_000);
    }
  }

  private void release(List<JsonNode> tasks) {
    if (tasks.isEmpty()) {
      return;
    }
    ObjectNode body = Http.JSON.createObjectNode();
    ArrayNode list = body.putArray("runs");
    tasks.forEach(t -> list.addObject().put("task_id", t.path("id").asText()).put("fencing_token", t.path("fencing_token").asLong()));
    try {
      http.post("/api/v1/workers/" + id + "/release", body);
    } catch (RuntimeException e) {
      log.warn("could not give {} task(s) back ({}); their leases will lapse", tasks.size(), e.getMessage());
    }
  }

  // ---------------------------------------------------------------- heartbeats

  private void heartbeatLoop() {
    long last = System.nanoTime();
    while (!stopped) {
      synchronized (heartbeatDue) {
        try {
          heartbeatDue.wait(500);
        } catch (InterruptedException e) {
          return;
        }
      }
      expireOverdue();
      long now = System.nanoTime();
      boolean progressed = runs.values().stream().anyMatch(RemoteRun::progressPending);
      boolean due = now - last >= heartbeatInterval.toNanos() || (progressed && now - last >= 1_000_000_000L);
      if (!due || stopped) {
        continue;
      }
      last = now;
      try {
        heartbeat();
      } catch (TasklaneHttpException e) {
        if ("unknown_worker".equals(e.code())) {
          lostRegistration();
        } else {
          log.warn("heartbeat failed ({}); retrying", e.getMessage());
        }
      } catch (RuntimeException e) {
        log.warn("heartbeat failed ({}); retrying", e.toString());
      }
    }
  }

  private void heartbeat() {
    List<RemoteRun> held = runs.values().stream().filter(r -> !r.dropped()).toList();
    ObjectNode body = Http.JSON.createObjectNode().put("instance", instance);
    ArrayNode list = body.putArray("runs");
    for (RemoteRun r : held) {
      ObjectNode report = list.addObject().put("task_id", r.taskId().toString()).put("fencing_token", r.fencingToken());
      Integer p = r.takeProgress();
      if (p != null) {
        report.put("progress", p);
      }
    }
    JsonNode answer = http.post("/api/v1/workers/" + id + "/heartbeat", body);
    heartbeatInterval = secondsOf(answer.path("heartbeat_interval_seconds"), heartbeatInterval);
    for (JsonNode s : answer.path("runs")) {
      RemoteRun run = runs.get(s.path("task_id").asText());
      if (run == null) {
        continue;
      }
      switch (s.path("status").asText()) {
        case "cancel_requested" -> run.stop(RemoteRun.Stop.CANCEL_REQUESTED);
        case "lost", "timed_out" -> {
          // Ended by the server, or given to another worker: stop it, report nothing. (An
          // outcome already on its way will be answered stale.)
          run.drop();
          if (run.settle()) {
            run.stop(RemoteRun.Stop.LOST);
            log.warn("task {} {}; its run here is dropped", run.taskId(), s.path("status").asText().replace('_', ' '));
          }
        }
        default -> {}
      }
    }
  }

  private void expireOverdue() {
    for (RemoteRun run : runs.values()) {
      if (run.overdue() && run.settle()) {
        run.stop(RemoteRun.Stop.TIMED_OUT);
        send(run, Map.of("outcome", "failed", "error", "timed out after " + run.timeoutText()));
      }
    }
  }

  private void lostRegistration() {
    for (RemoteRun run : runs.values()) {
      run.drop();
      if (run.settle()) {
        run.stop(RemoteRun.Stop.LOST);
      }
    }
    log.warn("worker {} was forgotten by the server; announcing it again", id);
    long delay = 500;
    while (!stopping) {
      try {
        announce();
        return;
      } catch (RuntimeException e) {
        log.warn("announcing again failed ({}); retrying", e.getMessage());
        sleep(delay);
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  // ---------------------------------------------------------------- shutdown

  /**
   * Stops gracefully: claims nothing more, gives back what a claim in flight brings, lets running
   * handlers finish for the shutdown timeout, interrupts the rest, and leaves; the server queues
   * what it still held again, its attempts refunded. Idempotent.
   */
  @Override
  public void close() {
    if (stopping) {
      return;
    }
    stopping = true;
    lock.lock();
    try {
      slotFreed.signalAll();
    } finally {
      lock.unlock();
    }
    join(claimer, claimWait.plusSeconds(20));
    long deadline = System.nanoTime() + shutdownTimeout.toNanos();
    lock.lock();
    try {
      while (!runs.isEmpty() && System.nanoTime() < deadline) {
        slotFreed.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      lock.unlock();
    }
    for (RemoteRun run : runs.values()) {
      // Settled first: a run stopped by the shutdown is handed back below, never failed.
      if (run.settle()) {
        run.drop();
        run.stop(RemoteRun.Stop.SHUTDOWN);
      }
    }
    // Outcomes already decided go out before the worker leaves (which hands back the rest).
    long flushUntil = System.nanoTime() + Duration.ofSeconds(70).toNanos(); // the reporter gives up after a minute
    while (unsent.get() > 0 && System.nanoTime() < flushUntil) {
      sleep(10);
    }
    try {
      JsonNode answer = http.send("DELETE", "/api/v1/workers/" + id + "?instance=" + instance, null, Duration.ofSeconds(30)).json();
      if (answer.path("released").size() > 0) {
        log.warn("handed {} unfinished task(s) back to the server", answer.path("released").size());
      }
    } catch (RuntimeException e) {
      log.warn("could not leave cleanly ({}); the server recovers the tasks when their leases lapse", e.getMessage());
    }
    stopped = true;
    synchronized (heartbeatDue) {
      heartbeatDue.notifyAll();
    }
    join(heartbeater, Duration.ofSeconds(5));
    join(reporter, Duration.ofSeconds(5));
    log.info("worker {} stopped", id);
  }

  private static void join(Thread t, Duration max) {
    if (t == null) {
      return;
    }
    try {
      t.join(max);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Text the server stores: no NUL character, at most {@code limit} characters, never empty. */
  static String text(String s, int limit) {
    String cleaned = s.replace('\u0000', '\uFFFD');
    cleaned = cleaned.length() > limit ? cleaned.substring(0, limit) : cleaned;
    return cleaned.isEmpty() ? "?" : cleaned;
  }

  /** A delay the server accepts: 0 to ten years. */
  static Duration delay(Duration d) {
    Duration max = dev.tasklane.TaskRequest.MAX_DELAY;
    return d == null || d.isNegative() ? Duration.ZERO : d.compareTo(max) > 0 ? max : d;
  }

  private static Duration secondsOf(JsonNode n, Duration fallback) {
    Duration d = TaskJson.seconds(n);
    return d == null || d.isZero() ? fallback : d;
  }

  private static String host() {
    try {
      String h = java.net.InetAddress.getLocalHost().getHostName();
      return h.length() > 100 ? h.substring(0, 100) : h;
    } catch (java.net.UnknownHostException e) {
      return "unknown";
    }
  }

  /** How the worker reaches its server and what it runs. */
  public static final class Builder {
    private final URI server;
    private String token = System.getenv("TASKLANE_TOKEN");
    private String id;
    private List<String> queues = List.of();
    private int concurrency = 4;
    private Duration shutdownTimeout = Duration.ofSeconds(30);
    private Duration claimWait = Duration.ofSeconds(10);
    private HttpClient httpClient;
    private final Map<String, TaskType<?>> types = new LinkedHashMap<>();

    private Builder(URI server) {
      this.server = Objects.requireNonNull(server, "server");
      this.id = host() + "-" + ProcessHandle.current().pid();
    }

    /** A worker token; default the {@code TASKLANE_TOKEN} environment variable, if set. */
    public Builder token(String value) {
      this.token = value;
      return this;
    }

    /** The worker's name, stable across restarts; default {@code <host>-<pid>}. */
    public Builder id(String value) {
      this.id = Objects.requireNonNull(value, "id");
      return this;
    }

    /** The queues to take tasks from; default every queue. */
    public Builder queues(List<String> value) {
      this.queues = List.copyOf(value);
      return this;
    }

    /** How many tasks run at once; default 4. */
    public Builder concurrency(int value) {
      if (value < 1 || value > 10_000) {
        throw new IllegalArgumentException("concurrency must be between 1 and 10000: " + value);
      }
      this.concurrency = value;
      return this;
    }

    /** How long running handlers get to finish on {@link #close()}; default 30 s. */
    public Builder shutdownTimeout(Duration value) {
      this.shutdownTimeout = Objects.requireNonNull(value, "shutdownTimeout");
      return this;
    }

    /** How long one claim waits for work when none is ready; default 10 s, at most 60 s. */
    public Builder claimWait(Duration value) {
      if (value.isNegative() || value.isZero() || value.compareTo(Duration.ofSeconds(60)) > 0) {
        throw new IllegalArgumentException("claimWait must be more than 0 and at most 60 s: " + value);
      }
      this.claimWait = value;
      return this;
    }

    public Builder httpClient(HttpClient value) {
      this.httpClient = value;
      return this;
    }

    /** Registers a handler, exactly as on {@link dev.tasklane.Worker.Builder#register}. */
    public Builder register(TaskType<?> type) {
      if (types.putIfAbsent(type.name(), type) != null) {
        throw new IllegalArgumentException("task type " + type.name() + " is registered already");
      }
      return this;
    }

    HttpClient httpClient() {
      return httpClient != null ? httpClient : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    /** Builds and {@linkplain RemoteWorker#start() starts} the worker. */
    public RemoteWorker start() {
      if (types.isEmpty()) {
        throw new IllegalStateException("register at least one task type");
      }
      return new RemoteWorker(this).start();
    }
  }
}
