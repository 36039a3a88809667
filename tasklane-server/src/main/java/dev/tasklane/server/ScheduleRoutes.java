package dev.tasklane.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tasklane.ScheduleNotFoundException;
import dev.tasklane.ScheduleStatus;
import dev.tasklane.Schedules;
import dev.tasklane.Submission;
import dev.tasklane.TaskRequest;
import dev.tasklane.Worker;
import dev.tasklane.server.access.AccessControl;
import dev.tasklane.server.access.Permission;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Header;
import io.javalin.http.HttpStatus;
import java.util.Set;
import java.util.TreeSet;

/**
 * The schedules (recurring tasks) under {@code /api/v1/schedules}: list, read, define with {@code
 * PUT} (201 when new, 200 when redefined), pause, resume, run now, delete. Reading needs {@link
 * Permission#READ}; the rest {@link Permission#MANAGE_SCHEDULES}, and is audited.
 */
final class ScheduleRoutes {
  private static final String SCHEDULES = TaskRoutes.API + "/schedules";

  private final Worker worker;
  private final Schedules schedules;
  private final AccessControl access;

  ScheduleRoutes(Worker worker, AccessControl access) {
    this.worker = worker;
    this.schedules = worker.schedules();
    this.access = access;
  }

  void register(RoutesConfig routes) {
    routes.get(SCHEDULES, ctx -> ctx.json(SchedulesView.of(schedules.list())), Permission.READ);
    routes.get(SCHEDULES + "/{name}", ctx -> ctx.json(view(existing(name(ctx)))), Permission.READ);
    routes.put(SCHEDULES + "/{name}", this::define, Permission.MANAGE_SCHEDULES);
    routes.delete(SCHEDULES + "/{name}", this::delete, Permission.MANAGE_SCHEDULES);
    routes.post(SCHEDULES + "/{name}/pause", this::pause, Permission.MANAGE_SCHEDULES);
    routes.post(SCHEDULES + "/{name}/resume", this::resume, Permission.MANAGE_SCHEDULES);
    routes.post(SCHEDULES + "/{name}/run", this::run, Permission.MANAGE_SCHEDULES);
  }

  private void define(Context ctx) {
    String name = name(ctx);
    ObjectNode body = JsonBody.readObject(ctx);
    ScheduleForm form = ScheduleForm.parse(name, body, acceptedTypes(body));
    boolean existed = schedules.get(name).isPresent();
    ScheduleStatus saved =
        schedules.define(
            new dev.tasklane.Schedule(
                name,
                form.schedule().recurrence(),
                form.schedule().template().toBuilder().submittedBy(AccessControl.submitter(ctx)).build(),
                form.schedule().misfire()));
    access.audit(ctx, existed ? "schedule.redefine" : "schedule.define", name, null);
    ctx.status(existed ? HttpStatus.OK : HttpStatus.CREATED);
    ctx.header(Header.LOCATION, SCHEDULES + "/" + name);
    ctx.json(view(saved));
  }

  private void delete(Context ctx) {
    String name = name(ctx);
    if (!schedules.delete(name)) {
      throw new ScheduleNotFoundException(name);
    }
    access.audit(ctx, "schedule.delete", name, null);
    ctx.status(HttpStatus.NO_CONTENT);
  }

  private void pause(Context ctx) {
    String name = name(ctx);
    ScheduleStatus s = schedules.pause(name);
    access.audit(ctx, "schedule.pause", name, null);
    ctx.json(view(s));
  }

  private void resume(Context ctx) {
    String name = name(ctx);
    ScheduleStatus s = schedules.resume(name);
    access.audit(ctx, "schedule.resume", name, null);
    ctx.json(view(s));
  }

  /** {@code POST .../{name}/run}: 202 with the task it submitted now. */
  private void run(Context ctx) {
    String name = name(ctx);
    Submission submission = schedules.runNow(name);
    access.audit(ctx, "schedule.run", name, submission.task().id().toString());
    ctx.status(HttpStatus.ACCEPTED);
    ctx.header(Header.LOCATION, TaskRoutes.API + "/tasks/" + submission.task().id());
    ctx.json(TaskView.of(submission.task(), AccessControl.seesInternals(ctx)));
  }

  private ScheduleStatus existing(String name) {
    return schedules.get(name).orElseThrow(() -> new ScheduleNotFoundException(name));
  }

  private static SchedulesView.ScheduleView view(ScheduleStatus s) {
    return SchedulesView.ScheduleView.of(s);
  }

  /** The types a template may name: this server's handlers' and remote workers' announced ones. */
  private Set<String> acceptedTypes(ObjectNode body) {
    Set<String> types = new TreeSet<>(worker.types());
    types.addAll(worker.remoteTypes());
    String asked = body.path("task").path("type").asText(null);
    if (asked != null && worker.accepts(asked)) {
      types.add(asked);
    }
    return types;
  }

  private static String name(Context ctx) {
    FieldReader p = FieldReader.path(ctx.pathParamMap());
    String name = p.optionalString("name", 0, Integer.MAX_VALUE, TaskRequest.NAME);
    p.throwIfInvalid();
    return name;
  }
}
