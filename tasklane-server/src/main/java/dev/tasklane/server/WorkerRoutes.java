package dev.tasklane.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.Task;
import dev.tasklane.TaskId;
import dev.tasklane.TaskRequest;
import dev.tasklane.remote.RemoteOutcome;
import dev.tasklane.remote.RemoteWorkers;
import dev.tasklane.remote.RunReport;
import dev.tasklane.remote.RunStatus;
import dev.tasklane.remote.WorkerAnnouncement;
import dev.tasklane.server.access.AccessControl;
import dev.tasklane.server.access.Permission;
import dev.tasklane.server.access.Principal;
import dev.tasklane.server.access.TokenScope;
import dev.tasklane.spi.RunRef;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The worker protocol under {@value #WORKERS}: how a process in any language runs tasks. It
 * announces itself, claims tasks with a long poll, heartbeats the runs it holds (renewing their
 * leases, reporting progress, hearing of cancels), and finishes each with the fencing token its
 * claim gave; a stale token is refused with 409 and writes nothing. {@code docs/WORKER-PROTOCOL.md}
 * describes it for client authors. The engine's side is {@link RemoteWorkers}; these handlers only
 * validate and translate, and hold every worker to its token's scope.
 */
final class WorkerRoutes {
  static final String WORKERS = TaskRoutes.API + "/workers";

  /** The protocol version this server speaks; a worker announcing another is refused. */
  static final int PROTOCOL = 1;

  /** Most runs one heartbeat or release may name. */
  static final int MAX_RUNS = 10_000;

  private static final Pattern INSTANCE = TaskRequest.NAME;
  private static final List<String> OUTCOMES =
      List.of("succeeded", "failed", "retry", "snoozed", "throttled", "cancelled");

  private final RemoteWorkers remote;
  private final AccessControl access;

  WorkerRoutes(RemoteWorkers remote, AccessControl access) {
    this.remote = remote;
    this.access = access;
  }

  void register(RoutesConfig routes) {
    routes.post(WORKERS, this::announce, Permission.WORK);
    routes.post(WORKERS + "/{worker_id}/claim", this::claim, Permission.WORK);
    routes.post(WORKERS + "/{worker_id}/heartbeat", this::heartbeat, Permission.WORK);
    routes.post(WORKERS + "/{worker_id}/tasks/{task_id}/finish", this::finish, Permission.WORK);
    routes.post(WORKERS + "/{worker_id}/finish", this::finishAll, Permission.WORK);
    routes.post(WORKERS + "/{worker_id}/release", this::release, Permission.WORK);
    routes.delete(WORKERS + "/{worker_id}", this::leave, Permission.WORK);
  }

  /** {@code POST /api/v1/workers}: registers a worker (or takes its id back after a restart). */
  private void announce(Context ctx) {
    FieldReader f = FieldReader.body(JsonBody.readObject(ctx));
    Integer protocol = f.integer("protocol", PROTOCOL, false, 1, Integer.MAX_VALUE);
    String id = f.optionalString("id", 1, Integer.MAX_VALUE, TaskRequest.NAME);
    if (id == null) {
      f.requiredString("id");
    }
    String instance = f.optionalString("instance", 1, Integer.MAX_VALUE, INSTANCE);
    String host = f.optionalString("host", 1, 100, null);
    Integer pid = f.integer("pid", 0, false, 0, Integer.MAX_VALUE);
    String language = f.optionalString("language", 1, 100, null);
    String client = f.optionalString("client", 1, 100, null);
    List<String> types = f.names("types", true, WorkerAnnouncement.MAX_NAMES, TaskRequest.NAME);
    List<String> queues = f.names("queues", false, WorkerAnnouncement.MAX_NAMES, TaskRequest.NAME);
    Integer concurrency = f.integer("concurrency", 1, false, 1, WorkerAnnouncement.MAX_CONCURRENCY);
    if (!f.hasErrors() && types.isEmpty()) {
      f.modelError("a worker must run at least one task type");
    }
    f.throwIfInvalid();
    if (protocol != PROTOCOL) {
      throw new ClientErrorException(
          400,
          "This server speaks worker protocol " + PROTOCOL + "; the worker asked for " + protocol
              + ". Use a client release made for this server.");
    }
    TokenScope scope = scope(ctx);
    scope.requireTypes(types);
    scope.requireQueues(queues);
    WorkerAnnouncement worker;
    try {
      worker =
          new WorkerAnnouncement(
              id,
              instance != null ? instance : UUID.randomUUID().toString(),
              host,
              pid,
              language,
              client,
              new LinkedHashSet<>(types),
              new LinkedHashSet<>(queues),
              concurrency,
              owner(ctx));
    } catch (IllegalArgumentException e) {
      throw new ClientErrorException(422, e.getMessage());
    }
    remote.announce(worker);
    access.audit(ctx, "worker.announce", id, String.join(",", types));
    ctx.json(
        new AnnouncedView(
            worker.id(),
            worker.instance(),
            PROTOCOL,
            TaskView.seconds(remote.lease()),
            TaskView.seconds(remote.heartbeatInterval()),
            RemoteWorkers.MAX_CLAIM,
            RemoteWorkers.MAX_WAIT.toSeconds()));
  }

  /**
   * {@code POST /api/v1/workers/{id}/claim} with {@code {"instance", "max", "wait"}}: up to {@code
   * max} tasks, waiting up to {@code wait} seconds for the first when none is ready.
   */
  private void claim(Context ctx) throws InterruptedException {
    String workerId = workerId(ctx);
    FieldReader f = FieldReader.body(JsonBody.readObject(ctx));
    String instance = requiredInstance(f);
    Integer max = f.integer("max", 1, false, 1, RemoteWorkers.MAX_CLAIM);
    BigDecimal wait = f.optionalNumber("wait", 0, true, RemoteWorkers.MAX_WAIT.toSeconds());
    f.throwIfInvalid();
    Duration waitFor =
        wait == null ? Duration.ZERO : Duration.ofMillis(wait.movePointRight(3).longValue());
    List<Task> tasks = remote.claim(workerId, instance, owner(ctx), max, waitFor);
    ctx.json(new ClaimView(tasks.stream().map(ClaimedTaskView::of).toList()));
  }

  /**
   * {@code POST /api/v1/workers/{id}/heartbeat} with the runs the worker holds: renews their
   * leases and answers, per run, {@code running}, {@code cancel_requested}, {@code timed_out} or
   * {@code lost}.
   */
  private void heartbeat(Context ctx) {
    String workerId = workerId(ctx);
    FieldReader f = FieldReader.body(JsonBody.readObject(ctx));
    String instance = requiredInstance(f);
    List<RunReport> reports = new ArrayList<>();
    for (FieldReader run : f.objects("runs", false, MAX_RUNS)) {
      UUID task = run.requiredUuid("task_id");
      Integer token = run.integer("fencing_token", null, false, 0, Integer.MAX_VALUE);
      if (token == null) {
        run.requiredString("fencing_token");
      }
      Integer progress = run.integer("progress", null, true, 0, 100);
      if (task != null && token != null) {
        reports.add(new RunReport(new TaskId(task), token, progress));
      }
    }
    f.throwIfInvalid();
    Map<TaskId, RunStatus> statuses = remote.heartbeat(workerId, instance, owner(ctx), reports);
    ctx.json(
        new HeartbeatView(
            statuses.entrySet().stream()
                .map(e -> new RunStatusView(e.getKey().value(), e.getValue().apiName()))
                .toList(),
            TaskView.seconds(remote.heartbeatInterval())));
  }

  /**
   * {@code POST /api/v1/workers/{id}/tasks/{task_id}/finish}: how the run ended, with its fencing
   * token; 409 if the run no longer holds its task.
   */
  private void finish(Context ctx) {
    String workerId = workerId(ctx);
    TaskId taskId = TaskRoutes.taskId(ctx);
    FieldReader f = FieldReader.body(JsonBody.readObject(ctx));
    Integer token = fencingToken(f);
    RemoteOutcome decided = outcome(f);
    f.throwIfInvalid();
    Task task = remote.finish(workerId, owner(ctx), new RunRef(taskId, token), decided);
    ctx.json(TaskView.of(task, AccessControl.seesInternals(ctx)));
  }

  /**
   * {@code POST /api/v1/workers/{id}/finish} with {@code {"runs": [...]}}: many outcomes in one
   * request and one transaction, each as the single finish takes it (with its {@code task_id});
   * each answered {@code written}, {@code stale} or {@code not_found}.
   */
  private void finishAll(Context ctx) {
    String workerId = workerId(ctx);
    FieldReader f = FieldReader.body(JsonBody.readObject(ctx));
    Map<RunRef, RemoteOutcome> outcomes = new LinkedHashMap<>();
    for (FieldReader run : f.objects("runs", true, RemoteWorkers.MAX_CLAIM)) {
      UUID task = run.requiredUuid("task_id");
      Integer token = fencingToken(run);
      RemoteOutcome outcome = outcome(run);
      if (task != null && token != null && outcome != null) {
        outcomes.put(new RunRef(new TaskId(task), token), outcome);
      }
    }
    f.throwIfInvalid();
    Map<TaskId, RemoteWorkers.Finished> answer = remote.finishAll(workerId, owner(ctx), outcomes);
    ctx.json(
        new FinishedView(
            answer.entrySet().stream()
                .map(e -> new RunStatusView(e.getKey().value(), e.getValue().name().toLowerCase(java.util.Locale.ROOT)))
                .toList()));
  }

  private static Integer fencingToken(FieldReader f) {
    Integer token = f.integer("fencing_token", null, false, 0, Integer.MAX_VALUE);
    if (token == null) {
      f.requiredString("fencing_token");
    }
    return token;
  }

  /** A run's outcome as a finish call states it; {@code null} (with the errors recorded) if invalid. */
  private static RemoteOutcome outcome(FieldReader f) {
    String outcome = f.literal("outcome", true, OUTCOMES);
    JsonNode result = f.any("result", null);
    f.requireStorable("result", result);
    String error = f.optionalString("error", 1, 10_000, null);
    String trace = f.optionalString("stack_trace", 1, 64_000, null);
    f.requireStorableText("error", error);
    f.requireStorableText("stack_trace", trace);
    Boolean permanent = f.optionalBool("permanent");
    BigDecimal delay = f.optionalNumber("delay", 0, true, TaskRequest.MAX_DELAY.toSeconds());
    String reason = f.optionalString("reason", 1, 10_000, null);
    f.requireStorableText("reason", reason);
    if (outcome == null) {
      return null;
    }
    if ("failed".equals(outcome) && error == null) {
      f.modelError("a failed outcome needs an error message");
      return null;
    }
    if (("retry".equals(outcome) || "snoozed".equals(outcome) || "throttled".equals(outcome)) && delay == null) {
      f.modelError("a " + outcome + " outcome needs a delay in seconds");
      return null;
    }
    return switch (outcome) {
      case "succeeded" -> new RemoteOutcome.Succeeded(result == null ? null : result.toString());
      case "failed" -> new RemoteOutcome.Failed(error, trace, Boolean.TRUE.equals(permanent));
      case "retry" -> new RemoteOutcome.RetryLater(millis(delay), reason);
      case "snoozed" -> new RemoteOutcome.Snoozed(millis(delay));
      case "throttled" -> new RemoteOutcome.Throttled(millis(delay), reason);
      default -> new RemoteOutcome.Cancelled();
    };
  }

  /**
   * {@code POST /api/v1/workers/{id}/release}: gives runs back unstarted (queued again at once,
   * their attempts refunded); runs the worker no longer holds are skipped.
   */
  private void release(Context ctx) {
    String workerId = workerId(ctx);
    FieldReader f = FieldReader.body(JsonBody.readObject(ctx));
    List<RunRef> runs = runRefs(f);
    f.throwIfInvalid();
    List<Task> back = remote.handBack(workerId, owner(ctx), runs);
    ctx.json(new ReleasedView(back.stream().map(t -> t.id().value()).toList()));
  }

  /**
   * {@code DELETE /api/v1/workers/{id}?instance=}: the worker leaves; what it still holds goes back
   * to its queues and its registration is removed.
   */
  private void leave(Context ctx) {
    String workerId = workerId(ctx);
    FieldReader q = FieldReader.query(ctx.queryParamMap());
    String instance = requiredInstance(q);
    q.throwIfInvalid();
    List<Task> back = remote.leave(workerId, instance, owner(ctx));
    ctx.json(new ReleasedView(back.stream().map(t -> t.id().value()).toList()));
  }

  // ---------------------------------------------------------------- reading

  private static List<RunRef> runRefs(FieldReader f) {
    List<RunRef> runs = new ArrayList<>();
    for (FieldReader run : f.objects("runs", true, MAX_RUNS)) {
      UUID task = run.requiredUuid("task_id");
      Integer token = run.integer("fencing_token", null, false, 0, Integer.MAX_VALUE);
      if (token == null) {
        run.requiredString("fencing_token");
      }
      if (task != null && token != null) {
        runs.add(new RunRef(new TaskId(task), token));
      }
    }
    return runs;
  }

  private static String requiredInstance(FieldReader f) {
    String instance = f.optionalString("instance", 1, Integer.MAX_VALUE, INSTANCE);
    if (instance == null) {
      f.requiredString("instance");
    }
    return instance;
  }

  private static String workerId(Context ctx) {
    FieldReader p = FieldReader.path(ctx.pathParamMap());
    String id = p.optionalString("worker_id", 1, Integer.MAX_VALUE, TaskRequest.NAME);
    p.throwIfInvalid();
    return id;
  }

  private static Duration millis(BigDecimal seconds) {
    return Duration.ofMillis(seconds.movePointRight(3).longValue());
  }

  /** Who the worker belongs to: the credential's submitter key, or the local user's. */
  private static String owner(Context ctx) {
    Principal p = AccessControl.principal(ctx).orElse(Principal.LOCAL);
    String key = p.submitterKey();
    return key == null ? "local" : key;
  }

  private static TokenScope scope(Context ctx) {
    return AccessControl.principal(ctx).map(Principal::scope).orElse(TokenScope.UNLIMITED);
  }

  // ---------------------------------------------------------------- views

  record AnnouncedView(
      String workerId,
      String instance,
      int protocol,
      BigDecimal leaseSeconds,
      BigDecimal heartbeatIntervalSeconds,
      int maxClaim,
      long maxWaitSeconds) {}

  record ClaimView(List<ClaimedTaskView> tasks) {}

  /** What a worker needs to run a task and write its outcome. */
  record ClaimedTaskView(
      UUID id,
      String type,
      String queue,
      JsonNode payload,
      int priority,
      int attempt,
      int maxAttempts,
      long fencingToken,
      Instant leaseExpiresAt,
      BigDecimal timeout,
      Instant runAt,
      Instant createdAt) {
    static ClaimedTaskView of(Task t) {
      TaskView v = TaskView.of(t);
      return new ClaimedTaskView(
          v.id(),
          v.type(),
          v.queue(),
          v.payload(),
          v.priority(),
          v.attempt(),
          v.maxAttempts(),
          v.fencingToken(),
          v.leaseExpiresAt(),
          v.timeout(),
          v.runAt(),
          v.createdAt());
    }
  }

  record RunStatusView(UUID taskId, String status) {}

  record HeartbeatView(List<RunStatusView> runs, BigDecimal heartbeatIntervalSeconds) {}

  record ReleasedView(List<UUID> released) {}

  record FinishedView(List<RunStatusView> runs) {}
}
