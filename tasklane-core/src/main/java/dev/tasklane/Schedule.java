package dev.tasklane;

import java.time.Duration;
import java.util.Objects;

/**
 * A recurring task: at every tick of {@code recurrence}, one task built from {@code template}.
 * Define it with {@link Schedules#define} (or {@link Worker.Builder#schedule}, or over HTTP); the
 * definition lives in the store, so every node of a cluster sees it and ticks survive restarts.
 *
 * <pre>{@code
 * Schedule nightly = Schedule.of(
 *     "nightly-report",
 *     Recurrence.cron("0 3 * * *", ZoneId.of("Europe/Paris")),
 *     TaskRequest.builder("report").payload(Map.of("kind", "daily")).build());
 * }</pre>
 *
 * <h2>Guarantees</h2>
 *
 * Each tick creates exactly one task, however many nodes run: firing a tick moves the schedule's
 * next tick with a compare-and-set in the same transaction that inserts the task, whose
 * idempotency key names the schedule and the tick ({@code schedule:<name>:<tick>}). No tick is
 * lost while at least one node runs: every node fires due ticks, and a tick late by up to {@link
 * #MISFIRE_GRACE} still fires; later than that, {@code misfire} decides. The task's run-at is its
 * tick, so its wait counts from the tick.
 *
 * @param name 1 to 128 letters, digits or {@code _ . : -}; unique in the store
 * @param recurrence when it ticks
 * @param template the task each tick submits: its type, payload, queue, priority, attempts and
 *     timeout; a template has no run-at, delay or idempotency key (each tick sets its own)
 * @param misfire what to do about ticks missed for longer than {@link #MISFIRE_GRACE}
 */
public record Schedule(String name, Recurrence recurrence, TaskRequest template, Misfire misfire) {

  /** A tick fired up to this late is on time; later than this it is missed (see {@link Misfire}). */
  public static final Duration MISFIRE_GRACE = Duration.ofMinutes(1);

  /** The prefix of the idempotency keys of tasks that schedules create; submissions cannot use it. */
  public static final String KEY_PREFIX = "schedule:";

  public Schedule {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(recurrence, "recurrence");
    Objects.requireNonNull(template, "template");
    Objects.requireNonNull(misfire, "misfire");
    if (!TaskRequest.NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "schedule name must be 1 to 128 letters, digits or _ . : - characters: '" + name + "'");
    }
    if (template.runAt() != null || template.delay() != null) {
      throw new IllegalArgumentException("a schedule's template has no run-at or delay: each tick sets its own");
    }
    if (template.idempotencyKey() != null) {
      throw new IllegalArgumentException("a schedule's template has no idempotency key: each tick sets its own");
    }
  }

  /** A schedule that skips missed ticks. */
  public static Schedule of(String name, Recurrence recurrence, TaskRequest template) {
    return new Schedule(name, recurrence, template, Misfire.SKIP);
  }

  /** This schedule with another misfire policy. */
  public Schedule withMisfire(Misfire policy) {
    return new Schedule(name, recurrence, template, policy);
  }

  /** The idempotency key of the task that {@code schedule}'s tick at {@code tick} creates. */
  public static String tickKey(String schedule, java.time.Instant tick) {
    return KEY_PREFIX + schedule + ":" + tick;
  }

  /** The idempotency key of a task that {@code schedule} submitted on demand ({@link Schedules#runNow}). */
  static String runKey(String schedule, TaskId task) {
    return KEY_PREFIX + schedule + ":run:" + task;
  }

  /**
   * Which schedule created a task, and for which tick.
   *
   * @param schedule the schedule's name
   * @param tick the tick, or {@code null} for a run on demand
   */
  public record Origin(String schedule, java.time.Instant tick) {}

  private static final java.util.regex.Pattern TICK_KEY =
      java.util.regex.Pattern.compile("schedule:(.+):(\\d{4,}-\\d\\d-\\d\\dT[0-9:.]+Z)");
  private static final java.util.regex.Pattern RUN_KEY =
      java.util.regex.Pattern.compile("schedule:(.+):run:[0-9a-f-]{36}");

  /** The schedule that created a task with this idempotency key, if one did. */
  public static java.util.Optional<Origin> originOf(String idempotencyKey) {
    if (idempotencyKey == null || !idempotencyKey.startsWith(KEY_PREFIX)) {
      return java.util.Optional.empty();
    }
    java.util.regex.Matcher run = RUN_KEY.matcher(idempotencyKey);
    if (run.matches()) {
      return java.util.Optional.of(new Origin(run.group(1), null));
    }
    java.util.regex.Matcher tick = TICK_KEY.matcher(idempotencyKey);
    if (tick.matches()) {
      try {
        return java.util.Optional.of(new Origin(tick.group(1), java.time.Instant.parse(tick.group(2))));
      } catch (java.time.format.DateTimeParseException e) {
        return java.util.Optional.empty();
      }
    }
    return java.util.Optional.empty();
  }
}
