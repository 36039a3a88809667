package dev.tasklane.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tasklane.StoreException;
import dev.tasklane.Submission;
import dev.tasklane.Task;
import dev.tasklane.TaskId;
import dev.tasklane.TaskNotFoundException;
import dev.tasklane.TaskQuery;
import dev.tasklane.TaskRequest;
import dev.tasklane.TaskState;
import dev.tasklane.Worker;
import dev.tasklane.server.access.AccessControl;
import dev.tasklane.server.access.Permission;
import dev.tasklane.server.builtin.BuiltinTasks;
import dev.tasklane.server.builtin.BuiltinTasks.ProcessTaskPayload;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Header;
import io.javalin.http.HttpStatus;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoints: the seed article's two, the task API under {@value #API}, and health.
 * Handlers only translate: they read a validated form, call the {@link Worker}, and write a view.
 * Every failure travels as an exception to {@link ErrorMapping}.
 */
final class TaskRoutes {
  private static final Logger log = LoggerFactory.getLogger(TaskRoutes.class);

  static final String API = "/api/v1";
  /** The largest cluster-wide queue limit the API accepts. */
  static final int MAX_QUEUE_LIMIT = 1_000_000;
  private static final List<String> STATES =
      Arrays.stream(TaskState.values()).map(TaskState::apiName).toList();

  private final Worker worker;
  private final String storeName;
  private final TasklaneMetrics metrics;
  private final AccessControl access;
  private final QueueCatalog queues;

  TaskRoutes(
      Worker worker, String storeName, TasklaneMetrics metrics, AccessControl access, int maxQueues) {
    this.worker = worker;
    this.storeName = storeName;
    this.metrics = metrics;
    this.access = access;
    this.queues = new QueueCatalog(worker, maxQueues);
  }

  void register(RoutesConfig routes) {
    if (worker.types().containsAll(List.of(BuiltinTasks.PROCESS_TASK, BuiltinTasks.DEBUG_TASK))) {
      routes.post("/submit-task", this::submitSeedTask, Permission.SUBMIT);
      routes.post("/debug-task", this::submitDebugTask, Permission.SUBMIT);
    } else {
      log.info(
          "task types '{}' and '{}' are not registered: /submit-task and /debug-task are off",
          BuiltinTasks.PROCESS_TASK,
          BuiltinTasks.DEBUG_TASK);
    }
    routes.get("/health", this::health, Permission.PUBLIC);
    routes.get(
        "/metrics",
        ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()),
        Permission.METRICS);
    routes.post(API + "/tasks", this::submit, Permission.SUBMIT);
    routes.get(API + "/tasks", this::list, Permission.READ_OWN);
    routes.get(API + "/tasks/{task_id}", this::get, Permission.READ_OWN);
    routes.post(API + "/tasks/{task_id}/cancel", this::cancel, Permission.CONTROL_TASKS);
    routes.post(API + "/tasks/{task_id}/retry", this::retry, Permission.CONTROL_TASKS);
    routes.post(API + "/tasks/{task_id}/run-now", this::runNow, Permission.CONTROL_TASKS);
    routes.get(
        API + "/tasks/{task_id}/explain",
        ctx -> ctx.json(ExplanationView.of(worker.explain(readable(ctx, taskId(ctx)).id()))),
        Permission.READ_OWN);
    routes.get(API + "/queues", ctx -> ctx.json(QueuesView.of(worker.queues())), Permission.READ);
    routes.patch(API + "/queues/{queue}", this::updateQueue, Permission.CONTROL_QUEUES);
    routes.delete(API + "/queues/{queue}", this::deleteQueue, Permission.CONTROL_QUEUES);
    routes.post(API + "/queues/{queue}/pause", ctx -> pauseOrResume(ctx, true), Permission.CONTROL_QUEUES);
    routes.post(API + "/queues/{queue}/resume", ctx -> pauseOrResume(ctx, false), Permission.CONTROL_QUEUES);
    routes.get(
        API + "/nodes",
        ctx -> ctx.json(NodesView.of(worker.nodes(), AccessControl.seesInternals(ctx))),
        Permission.READ);
  }

  private void pauseOrResume(Context ctx, boolean pause) {
    String queue = queueName(ctx);
    queues.admit(queue, List.of("path", "queue"));
    if (pause) {
      worker.pauseQueue(queue);
    } else {
      worker.resumeQueue(queue);
    }
    access.audit(ctx, pause ? "queue.pause" : "queue.resume", queue, null);
    respondWithQueue(ctx, queue);
  }

  // ---------------------------------------------------------------- the seed's API

  /** {@code POST /submit-task}: the article's endpoint, now durable and with an id to follow. */
  private void submitSeedTask(Context ctx) {
    SeedTaskForm form = SeedTaskForm.parse(JsonBody.readObject(ctx));
    TaskRequest request =
        TaskRequest.builder(BuiltinTasks.PROCESS_TASK)
            .payload(new ProcessTaskPayload(form.data(), form.priority()))
            .priority(form.priority())
            .queue(TaskRequest.DEFAULT_QUEUE)
            .submittedBy(AccessControl.submitter(ctx))
            .build();
    Task task = worker.submit(request).task();
    ctx.json(new SeedQueuedView("Task queued", task.id().value()));
  }

  /** {@code POST /debug-task}: the article's debugging aid; the body, if any, is ignored. */
  private void submitDebugTask(Context ctx) {
    Task task =
        worker
            .submit(
                TaskRequest.builder(BuiltinTasks.DEBUG_TASK)
                    .queue(TaskRequest.DEFAULT_QUEUE)
                    .submittedBy(AccessControl.submitter(ctx))
                    .build())
            .task();
    ctx.json(new SeedQueuedView("Debug task queued", task.id().value()));
  }

  // ---------------------------------------------------------------- the task API

  /**
   * {@code POST /api/v1/tasks}: 202 with the new task; a repeated idempotency key answers 200
   * with the original task and {@code Idempotent-Replayed: true}.
   */
  private void submit(Context ctx) {
    ObjectNode body = JsonBody.readObject(ctx);
    SubmitTaskForm form = SubmitTaskForm.parse(body, acceptedTypes(body));
    ctx.attribute(ErrorMapping.QUEUE_NAMED, body.hasNonNull("queue"));
    if (form.request().queue() != null) {
      // A type's own queue exists once the type has run; only a named queue may be new.
      queues.admit(form.request().queue(), List.of("body", "queue"));
    }
    Submission submission =
        worker.submit(form.request().toBuilder().submittedBy(AccessControl.submitter(ctx)).build());
    Task task = submission.task();
    Optional<String> only = AccessControl.readsOnlyTasksOf(ctx);
    if (!submission.created() && only.isPresent() && !only.get().equals(task.submittedBy())) {
      // The key names another submitter's task: replaying it would show that task.
      throw new ClientErrorException(
          409, "This idempotency key is taken by a task this caller may not read; use another key");
    }
    ctx.header(Header.LOCATION, API + "/tasks/" + task.id());
    if (submission.created()) {
      ctx.status(HttpStatus.ACCEPTED);
    } else {
      ctx.status(HttpStatus.OK).header("Idempotent-Replayed", "true");
    }
    ctx.json(view(ctx, task));
  }

  /**
   * The types a submission may name: this server's handlers' and those remote workers announced
   * (a name announced on another node of the cluster is looked up in the store when it is asked
   * for).
   */
  private java.util.Set<String> acceptedTypes(ObjectNode body) {
    java.util.Set<String> types = new java.util.TreeSet<>(worker.types());
    types.addAll(worker.remoteTypes());
    if (body.path("type").isTextual() && worker.accepts(body.path("type").asText())) {
      types.add(body.path("type").asText());
    }
    return types;
  }

  /** {@code GET /api/v1/tasks?state=&queue=&type=&limit=&cursor=}: newest first, keyset-paged. */
  private void list(Context ctx) {
    FieldReader q = FieldReader.query(ctx.queryParamMap());
    String state = q.literal("state", false, STATES);
    String queue = q.optionalString("queue", 0, Integer.MAX_VALUE, TaskRequest.NAME);
    String type = q.optionalString("type", 0, Integer.MAX_VALUE, TaskRequest.NAME);
    Integer limit = q.integer("limit", TaskQuery.DEFAULT_LIMIT, false, 1, TaskQuery.MAX_LIMIT);
    UUID cursor = q.optionalUuid("cursor");
    String key = q.optionalString("idempotency_key", 1, TaskRequest.MAX_IDEMPOTENCY_KEY_LENGTH, null);
    q.throwIfInvalid();
    if (key != null) {
      // At most one task holds a key: the answer is that one page, whatever the other filters.
      Optional<String> only = AccessControl.readsOnlyTasksOf(ctx);
      ctx.json(
          new TaskListView(
              worker.findByIdempotencyKey(key)
                  .filter(t -> only.isEmpty() || only.get().equals(t.submittedBy()))
                  .map(t -> view(ctx, t))
                  .stream()
                  .toList(),
              null));
      return;
    }
    TaskQuery query =
        new TaskQuery(
            state == null ? null : TaskState.fromApiName(state),
            queue,
            type,
            cursor == null ? null : new TaskId(cursor),
            limit);
    Optional<String> only = AccessControl.readsOnlyTasksOf(ctx);
    if (only.isPresent()) {
      query = query.submittedBy(only.get());
    }
    ctx.json(TaskListView.of(worker.list(query), AccessControl.seesInternals(ctx)));
  }

  private void get(Context ctx) {
    ctx.json(view(ctx, readable(ctx, taskId(ctx))));
  }

  /**
   * The task, if the caller may read it: any task for a role that reads all, its own for one that
   * reads only its own. Another's task is "not found", which tells nothing about it.
   */
  private Task readable(Context ctx, TaskId id) {
    Task task = worker.get(id).orElseThrow(() -> new TaskNotFoundException(id));
    Optional<String> only = AccessControl.readsOnlyTasksOf(ctx);
    if (only.isPresent() && !only.get().equals(task.submittedBy())) {
      throw new TaskNotFoundException(id);
    }
    return task;
  }

  private void cancel(Context ctx) {
    TaskId id = taskId(ctx);
    Task task = worker.cancel(id);
    access.audit(ctx, "task.cancel", id.toString(), null);
    ctx.json(view(ctx, task));
  }

  private void retry(Context ctx) {
    TaskId id = taskId(ctx);
    Task task = worker.retry(id);
    access.audit(ctx, "task.retry", id.toString(), null);
    ctx.json(view(ctx, task));
  }

  private void runNow(Context ctx) {
    TaskId id = taskId(ctx);
    Task task = worker.runNow(id);
    access.audit(ctx, "task.run-now", id.toString(), null);
    ctx.json(view(ctx, task));
  }

  /** The task as the caller may see it: stack traces only for roles that see internals. */
  private static TaskView view(Context ctx, Task task) {
    return TaskView.of(task, AccessControl.seesInternals(ctx));
  }

  /**
   * {@code PATCH /api/v1/queues/{queue}} with {@code {"paused": bool, "limit": int | null}}, both
   * optional: pauses or resumes the queue and sets ({@code null}: removes) its cluster-wide limit,
   * on every node. Validated whole before anything changes.
   */
  private void updateQueue(Context ctx) {
    String queue = queueName(ctx);
    ObjectNode body = JsonBody.readObject(ctx);
    FieldReader form = FieldReader.body(body);
    Boolean paused = form.optionalBool("paused");
    Integer limit = form.integer("limit", null, true, 1, MAX_QUEUE_LIMIT);
    if (!body.has("paused") && !body.has("limit")) {
      form.modelError("give at least one of 'paused' and 'limit'");
    }
    form.throwIfInvalid();
    queues.admit(queue, List.of("path", "queue"));
    if (body.has("limit")) {
      worker.setQueueLimit(queue, limit);
      access.audit(ctx, "queue.limit", queue, limit == null ? "no limit" : "limit " + limit);
    }
    if (paused != null) {
      if (paused) {
        worker.pauseQueue(queue);
      } else {
        worker.resumeQueue(queue);
      }
      access.audit(ctx, paused ? "queue.pause" : "queue.resume", queue, null);
    }
    respondWithQueue(ctx, queue);
  }

  /**
   * {@code DELETE /api/v1/queues/{queue}}: 204 for a queue that held no task (its limit and pause
   * go with it), 409 for one that still holds tasks, 404 for one nobody named.
   */
  private void deleteQueue(Context ctx) {
    String queue = queueName(ctx);
    switch (worker.deleteQueue(queue)) {
      case DELETED -> {
        queues.forget(queue);
        access.audit(ctx, "queue.delete", queue, null);
        ctx.status(HttpStatus.NO_CONTENT);
      }
      case HOLDS_TASKS ->
          throw new ClientErrorException(
              409,
              "Queue "
                  + queue
                  + " still holds tasks; it can be deleted once they are gone (finished ones go"
                  + " with retention)");
      case NOT_FOUND ->
          ctx.status(HttpStatus.NOT_FOUND).json(new DetailView("Queue " + queue + " not found"));
    }
  }

  /** Answers with the queue's view, or 404 for a queue no task, pause or limit ever named. */
  private void respondWithQueue(Context ctx, String queue) {
    worker.queues().stream()
        .filter(q -> q.name().equals(queue))
        .findFirst()
        .ifPresentOrElse(
            q -> ctx.json(QueuesView.QueueView.of(q)),
            () -> ctx.status(HttpStatus.NOT_FOUND).json(new DetailView("Queue " + queue + " not found")));
  }

  private static String queueName(Context ctx) {
    FieldReader p = FieldReader.path(ctx.pathParamMap());
    String queue = p.optionalString("queue", 0, Integer.MAX_VALUE, TaskRequest.NAME);
    p.throwIfInvalid();
    return queue;
  }

  static TaskId taskId(Context ctx) {
    FieldReader p = FieldReader.path(ctx.pathParamMap());
    UUID id = p.requiredUuid("task_id");
    p.throwIfInvalid();
    return new TaskId(id);
  }

  // ---------------------------------------------------------------- operations

  /** 503 while the database does not answer, so a load balancer can route around this node. */
  private void health(Context ctx) {
    String databaseError = null;
    try {
      worker.checkStore();
    } catch (StoreException e) {
      // The cause may name hosts and files: only for those who may see internals.
      databaseError = AccessControl.seesInternals(ctx) ? e.getMessage() : "unreachable";
      ctx.status(HttpStatus.SERVICE_UNAVAILABLE).header(Header.RETRY_AFTER, "1");
    }
    ctx.json(
        new HealthView(
            databaseError == null ? "ok" : "degraded",
            storeName,
            databaseError == null ? "up" : "down",
            databaseError,
            worker.config().nodeId(),
            worker.isLeader(),
            worker.lifecycle().name().toLowerCase(Locale.ROOT),
            worker.stats().inFlight(),
            worker.config().concurrency(),
            worker.stats()));
  }
}
