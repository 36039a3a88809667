package dev.tasklane.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tasklane.Explanation;
import dev.tasklane.Recurrence;
import dev.tasklane.Schedule;
import dev.tasklane.ScheduleNotFoundException;
import dev.tasklane.ScheduleStatus;
import dev.tasklane.QueueStats;
import dev.tasklane.Submission;
import dev.tasklane.Task;
import dev.tasklane.TaskClient;
import dev.tasklane.TaskId;
import dev.tasklane.TaskNotFoundException;
import dev.tasklane.TaskPage;
import dev.tasklane.TaskQuery;
import dev.tasklane.TaskRequest;
import dev.tasklane.TaskState;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * A {@link TaskClient} that talks to a Tasklane server over HTTP: the same calls a Java service
 * makes on an embedded {@link dev.tasklane.Worker}, so code that submits and follows tasks moves
 * between the two without a rewrite.
 *
 * <pre>{@code
 * TasklaneClient client = TasklaneClient.builder(URI.create("http://127.0.0.1:8000"))
 *     .token(System.getenv("TASKLANE_TOKEN"))
 *     .build();
 * Task task = client.submit(TaskRequest.builder("send_email").payload(new Email("a@b.c")).build()).task();
 * Task done = client.await(task.id(), Duration.ofMinutes(1));
 * }</pre>
 *
 * <p>Refusals come as the task API's exceptions ({@link TaskNotFoundException}, {@link
 * dev.tasklane.UnknownTaskTypeException}, {@link dev.tasklane.IllegalTransitionException}, {@link
 * dev.tasklane.QueueFullException}, {@link dev.tasklane.StoreException} for a server whose database
 * is down), else {@link TasklaneHttpException}. Thread-safe.
 */
public final class TasklaneClient implements TaskClient {
  private final Http http;

  private TasklaneClient(Http http) {
    this.http = http;
  }

  public static Builder builder(URI server) {
    return new Builder(server);
  }

  /** The server's URL. */
  public URI server() {
    return http.base();
  }

  @Override
  public Submission submit(TaskRequest request) {
    ObjectNode body = Http.JSON.createObjectNode();
    body.put("type", request.type());
    body.set("payload", readJson(request.payload()));
    body.put("priority", request.priority());
    if (request.queue() != null) {
      body.put("queue", request.queue());
    }
    if (request.runAt() != null) {
      body.put("run_at", request.runAt().toString());
    }
    if (request.delay() != null) {
      body.put("delay", TaskJson.seconds(request.delay()));
    }
    if (request.maxAttempts() != null) {
      body.put("max_attempts", request.maxAttempts());
    }
    if (request.timeout() != null) {
      body.put("timeout", TaskJson.seconds(request.timeout()));
    }
    if (request.idempotencyKey() != null) {
      body.put("idempotency_key", request.idempotencyKey());
    }
    // 202: made now; 200: a replayed idempotency key, answered with the task it made first.
    Http.Answer answer = http.postForAnswer("/api/v1/tasks", body);
    return new Submission(TaskJson.read(answer.json()), answer.status() == 202);
  }

  /** The task submitted with this idempotency key, if any. */
  public Optional<Task> findByIdempotencyKey(String key) {
    JsonNode page = http.get("/api/v1/tasks?idempotency_key=" + encode(key));
    for (JsonNode t : page.path("tasks")) {
      return Optional.of(TaskJson.read(t));
    }
    return Optional.empty();
  }

  @Override
  public Optional<Task> get(TaskId id) {
    try {
      return Optional.of(TaskJson.read(http.get("/api/v1/tasks/" + id)));
    } catch (TaskNotFoundException e) {
      return Optional.empty();
    }
  }

  /**
   * Waits until the task is succeeded, failed or cancelled, polling with a growing interval (up to
   * 2 s), and returns it.
   *
   * @throws TimeoutException if {@code timeout} passes first
   * @throws InterruptedException if the thread is interrupted while it waits
   */
  public Task await(TaskId id, Duration timeout) throws TimeoutException, InterruptedException {
    Instant deadline = Instant.now().plus(timeout);
    long pause = 50;
    while (true) {
      Task t = get(id).orElseThrow(() -> new TaskNotFoundException(id));
      if (t.state().isTerminal()) {
        return t;
      }
      Duration left = Duration.between(Instant.now(), deadline);
      if (left.isNegative() || left.isZero()) {
        throw new TimeoutException("task " + id + " is still " + t.state().apiName() + " after " + timeout);
      }
      Thread.sleep(Math.min(pause, left.toMillis() + 1));
      pause = Math.min(pause * 2, 2_000);
    }
  }

  @Override
  public TaskPage list(TaskQuery query) {
    StringBuilder q = new StringBuilder("/api/v1/tasks?limit=").append(query.limit());
    if (query.state() != null) {
      q.append("&state=").append(query.state().apiName());
    }
    if (query.queue() != null) {
      q.append("&queue=").append(encode(query.queue()));
    }
    if (query.type() != null) {
      q.append("&type=").append(encode(query.type()));
    }
    if (query.after() != null) {
      q.append("&cursor=").append(query.after());
    }
    JsonNode page = http.get(q.toString());
    List<Task> tasks = new ArrayList<>();
    page.path("tasks").forEach(t -> tasks.add(TaskJson.read(t)));
    String next = TaskJson.text(page.path("next_cursor"));
    return new TaskPage(tasks, next == null ? null : TaskId.parse(next));
  }

  @Override
  public Task cancel(TaskId id) {
    return TaskJson.read(http.post("/api/v1/tasks/" + id + "/cancel", null));
  }

  @Override
  public Task retry(TaskId id) {
    return TaskJson.read(http.post("/api/v1/tasks/" + id + "/retry", null));
  }

  @Override
  public List<QueueStats> queues() {
    List<QueueStats> out = new ArrayList<>();
    for (JsonNode q : http.get("/api/v1/queues").path("queues")) {
      out.add(
          new QueueStats(
              q.path("name").asText(),
              q.path("scheduled").asLong(),
              q.path("queued").asLong(),
              q.path("running").asLong(),
              q.path("claimed").asLong(),
              q.path("succeeded").asLong(),
              q.path("failed").asLong(),
              q.path("cancelled").asLong(),
              q.path("limit").isNumber() ? q.path("limit").asInt() : null,
              q.path("node_limit").asInt(),
              q.path("paused").asBoolean()));
    }
    return out;
  }

  /** Why the task is where it is (see {@link dev.tasklane.Worker#explain}). */
  public Explanation explain(TaskId id) {
    JsonNode e = http.get("/api/v1/tasks/" + id + "/explain");
    Map<String, Object> details = new LinkedHashMap<>();
    e.path("details").properties().forEach(d -> details.put(d.getKey(), Http.JSON.convertValue(d.getValue(), Object.class)));
    return new Explanation(
        TaskId.parse(e.path("task_id").asText()),
        TaskState.fromApiName(e.path("state").asText()),
        Explanation.Reason.valueOf(e.path("code").asText().toUpperCase(java.util.Locale.ROOT)),
        e.path("message").asText(),
        details);
  }

  // ---------------------------------------------------------------- schedules

  /**
   * Defines a schedule on the server, or redefines the one of that name (see {@link
   * dev.tasklane.Schedules#define}); its tasks are recorded as submitted by this client's
   * credential.
   *
   * @throws dev.tasklane.UnknownTaskTypeException if the server knows no such type
   * @throws IllegalArgumentException if the server refuses the definition (422), with its reasons
   */
  public ScheduleStatus defineSchedule(Schedule schedule) {
    ObjectNode body = Http.JSON.createObjectNode();
    switch (schedule.recurrence()) {
      case Recurrence.CronRecurrence c -> {
        body.put("cron", c.expression());
        body.put("zone", c.zone().getId());
      }
      case Recurrence.Interval i -> body.put("every", i.interval().toSeconds());
    }
    TaskRequest t = schedule.template();
    ObjectNode task = body.putObject("task");
    task.put("type", t.type());
    task.set("payload", readJson(t.payload()));
    task.put("priority", t.priority());
    if (t.queue() != null) {
      task.put("queue", t.queue());
    }
    if (t.maxAttempts() != null) {
      task.put("max_attempts", t.maxAttempts());
    }
    if (t.timeout() != null) {
      task.put("timeout", TaskJson.seconds(t.timeout()));
    }
    body.put("misfire", schedule.misfire().apiName());
    return ScheduleJson.read(http.put("/api/v1/schedules/" + encode(schedule.name()), body));
  }

  /** Every schedule on the server, by name. */
  public List<ScheduleStatus> schedules() {
    List<ScheduleStatus> out = new ArrayList<>();
    http.get("/api/v1/schedules").path("schedules").forEach(s -> out.add(ScheduleJson.read(s)));
    return out;
  }

  /** The schedule named {@code name}, if there is one. */
  public Optional<ScheduleStatus> schedule(String name) {
    try {
      return Optional.of(ScheduleJson.read(http.get("/api/v1/schedules/" + encode(name))));
    } catch (ScheduleNotFoundException e) {
      return Optional.empty();
    }
  }

  /** Pauses a schedule on every node. @throws ScheduleNotFoundException if there is none */
  public ScheduleStatus pauseSchedule(String name) {
    return ScheduleJson.read(http.post("/api/v1/schedules/" + encode(name) + "/pause", null));
  }

  /** Resumes a schedule from its next tick after now. @throws ScheduleNotFoundException if there is none */
  public ScheduleStatus resumeSchedule(String name) {
    return ScheduleJson.read(http.post("/api/v1/schedules/" + encode(name) + "/resume", null));
  }

  /** Submits a schedule's task now. @throws ScheduleNotFoundException if there is none */
  public Task runSchedule(String name) {
    return TaskJson.read(http.post("/api/v1/schedules/" + encode(name) + "/run", null));
  }

  /** Deletes a schedule (its tasks stay). @throws ScheduleNotFoundException if there is none */
  public void deleteSchedule(String name) {
    http.delete("/api/v1/schedules/" + encode(name));
  }

  // ---------------------------------------------------------------- rate limits

  /** Sets a rate limit on the server, for every node (see {@link dev.tasklane.RateLimit}). */
  public void setRateLimit(dev.tasklane.RateLimit limit) {
    ObjectNode body = Http.JSON.createObjectNode();
    body.put("limit", limit.limit());
    body.put("per", TaskJson.seconds(limit.per()));
    body.put("burst", limit.burst());
    if (limit.keyField() != null) {
      body.put("key_field", limit.keyField());
    }
    http.put("/api/v1/rate-limits/" + limit.scope().apiName() + "/" + encode(limit.target()), body);
  }

  /** Every rate limit on the server. */
  public List<dev.tasklane.RateLimit> rateLimits() {
    List<dev.tasklane.RateLimit> out = new ArrayList<>();
    for (JsonNode l : http.get("/api/v1/rate-limits").path("rate_limits")) {
      out.add(
          new dev.tasklane.RateLimit(
              dev.tasklane.RateLimit.Scope.fromApiName(l.path("scope").asText()).orElseThrow(),
              l.path("target").asText(),
              l.path("limit").asInt(),
              TaskJson.seconds(l.path("per")),
              l.path("burst").asInt(),
              TaskJson.text(l.path("key_field"))));
    }
    return out;
  }

  /** Removes a rate limit from the server. */
  public void deleteRateLimit(dev.tasklane.RateLimit.Scope scope, String target) {
    http.delete("/api/v1/rate-limits/" + scope.apiName() + "/" + encode(target));
  }

  Http http() {
    return http;
  }

  private static JsonNode readJson(String text) {
    try {
      return Http.JSON.readTree(text);
    } catch (java.io.IOException e) {
      throw new IllegalArgumentException("payload is not JSON", e);
    }
  }

  static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** How to reach the server. */
  public static final class Builder {
    private final URI server;
    private String token = System.getenv("TASKLANE_TOKEN");
    private Duration timeout = Duration.ofSeconds(30);
    private HttpClient httpClient;

    private Builder(URI server) {
      this.server = server;
    }

    /** The bearer token; default: the {@code TASKLANE_TOKEN} environment variable, if set. */
    public Builder token(String value) {
      this.token = value;
      return this;
    }

    /** How long one request may take; default 30 s. */
    public Builder timeout(Duration value) {
      this.timeout = value;
      return this;
    }

    /** The {@link HttpClient} to send with (its TLS context, proxy, executor); default a new one. */
    public Builder httpClient(HttpClient value) {
      this.httpClient = value;
      return this;
    }

    public TasklaneClient build() {
      HttpClient client =
          httpClient != null
              ? httpClient
              : HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      return new TasklaneClient(new Http(server, token, timeout, client));
    }
  }
}
