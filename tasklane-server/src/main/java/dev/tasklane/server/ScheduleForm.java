package dev.tasklane.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tasklane.Misfire;
import dev.tasklane.Recurrence;
import dev.tasklane.Schedule;
import dev.tasklane.TaskRequest;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The body of {@code PUT /api/v1/schedules/{name}} (and of each entry of a schedules file given
 * to {@code serve}), validated. As a pydantic model it would read:
 *
 * <pre>
 * class TaskTemplate(BaseModel, extra='forbid'):   # SubmitTask without when and how often
 *     type: Literal[&lt;registered types&gt;]
 *     payload: Any = {}
 *     priority: conint(ge=-1000, le=1000) = 1
 *     queue: constr(pattern=NAME) | None = None
 *     max_attempts: conint(ge=1, le=100) | None = None
 *     timeout: confloat(gt=0, le=604800) | None = None
 *
 * class DefineSchedule(BaseModel):
 *     cron: constr(min_length=1, max_length=200) | None = None   # 5 or 6 fields, or @daily ...
 *     zone: constr(min_length=1, max_length=100) | None = None   # IANA zone; only with cron; UTC
 *     every: conint(ge=1, le=31622400) | None = None            # seconds; not with cron
 *     task: TaskTemplate
 *     misfire: Literal['skip', 'run_once'] = 'skip'
 * </pre>
 *
 * @param schedule the definition
 */
record ScheduleForm(Schedule schedule) {

  static final int MAX_EVERY_SECONDS = (int) Recurrence.Interval.MAX.toSeconds();
  private static final List<String> MISFIRES = Arrays.stream(Misfire.values()).map(Misfire::apiName).toList();

  /**
   * @param name the schedule's name, already valid
   * @param types the task types a template may name
   * @throws RequestValidationException listing every invalid field
   */
  static ScheduleForm parse(String name, ObjectNode body, Set<String> types) {
    FieldReader f = FieldReader.body(body);
    String cron = f.optionalString("cron", 1, 200, null);
    String zone = f.optionalString("zone", 1, 100, null);
    Integer every = f.integer("every", null, true, 1, MAX_EVERY_SECONDS);
    ObjectNode task = f.requiredObject("task");
    TaskRequest.Builder template = task == null ? null : SubmitTaskForm.read(f.nested("task", task), task, types, false);
    String misfire = f.literal("misfire", false, MISFIRES);
    Recurrence recurrence = null;
    if (!f.hasErrors()) {
      if ((cron == null) == (every == null)) {
        f.modelError("give cron or every, not both and not neither");
      } else if (cron == null && zone != null) {
        f.modelError("zone applies to cron; an interval is counted in seconds since the epoch");
      } else if (cron != null) {
        ZoneId zoneId = ZoneOffset.UTC;
        try {
          zoneId = zone == null ? ZoneOffset.UTC : ZoneId.of(zone);
        } catch (DateTimeException e) {
          f.invalid("zone", "unknown time zone '" + zone + "'; use an IANA name such as Europe/Paris");
        }
        try {
          recurrence = Recurrence.cron(cron, zoneId);
        } catch (IllegalArgumentException e) {
          f.invalid("cron", e.getMessage());
        }
      } else {
        recurrence = Recurrence.every(Duration.ofSeconds(every));
      }
    }
    f.throwIfInvalid();
    return new ScheduleForm(
        new Schedule(
            name,
            recurrence,
            template.build(),
            misfire == null ? Misfire.SKIP : Misfire.fromApiName(misfire).orElseThrow()));
  }
}
