package dev.tasklane;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * When a {@link Schedule} ticks: a cron expression in a time zone, or a fixed interval.
 *
 * <h2>Cron</h2>
 *
 * Five fields ({@code minute hour day-of-month month day-of-week}, as in crontab) or six (a
 * {@code second} field first, as in Spring), parsed by cron-utils; or one of the nicknames
 * {@code @yearly}, {@code @annually}, {@code @monthly}, {@code @weekly}, {@code @daily}, {@code
 * @midnight}, {@code @hourly}. The fields are read in the schedule's time zone (UTC unless given),
 * and daylight-saving changes follow the rules of Vixie cron:
 *
 * <ul>
 *   <li>When clocks go forward, local times in the skipped hour do not exist: a tick that falls
 *       there fires once, at the instant of the change (several such ticks fire as one).
 *   <li>When clocks go back, a local time occurs twice: a tick at a fixed hour fires once, at the
 *       first occurrence; a schedule that runs every hour or more often keeps running in real time
 *       through the repeated hour.
 * </ul>
 *
 * <h2>Interval</h2>
 *
 * Every {@code interval} (whole seconds, at least one), at the multiples of the interval since the
 * Unix epoch: every 5 minutes ticks at :00, :05, :10 UTC, every day at midnight UTC. Ticks are
 * therefore the same on every node, whenever each started, which is what lets a cluster agree on
 * them.
 */
public sealed interface Recurrence {

  /** The shortest interval, and the finest cron resolution: one second. */
  Duration MIN_INTERVAL = Duration.ofSeconds(1);

  /**
   * The first tick strictly after {@code instant}, or empty if there is none (a cron expression
   * that never matches again).
   */
  Optional<Instant> nextAfter(Instant instant);

  /**
   * The last tick strictly before {@code instant}, or empty if there is none. Spring-forward gaps
   * are not adjusted here: it names the tick a misfired schedule fires once for, where any tick of
   * the missed stretch would do.
   */
  Optional<Instant> previousBefore(Instant instant);

  /** A cron expression read in UTC. */
  static Recurrence cron(String expression) {
    return cron(expression, ZoneOffset.UTC);
  }

  /**
   * A cron expression read in {@code zone}.
   *
   * @throws IllegalArgumentException if the expression does not parse or never matches
   */
  static Recurrence cron(String expression, ZoneId zone) {
    return new CronRecurrence(expression, zone);
  }

  /**
   * Every {@code interval}, aligned to the Unix epoch.
   *
   * @throws IllegalArgumentException if it is shorter than a second or not whole seconds
   */
  static Recurrence every(Duration interval) {
    return new Interval(interval);
  }

  /** A cron expression in a time zone. Compared by expression and zone. */
  final class CronRecurrence implements Recurrence {
    private static final Map<String, String> NICKNAMES =
        Map.of(
            "@yearly", "0 0 1 1 *",
            "@annually", "0 0 1 1 *",
            "@monthly", "0 0 1 * *",
            "@weekly", "0 0 * * 0",
            "@daily", "0 0 * * *",
            "@midnight", "0 0 * * *",
            "@hourly", "0 * * * *");
    private static final CronParser FIVE_FIELDS =
        new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
    private static final CronParser SIX_FIELDS =
        new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING53));
    /** Cron expressions are short; a longer text is a mistake, not a schedule. */
    static final int MAX_LENGTH = 200;

    private final String expression;
    private final ZoneId zone;
    private final ExecutionTime times;

    private CronRecurrence(String expression, ZoneId zone) {
      Objects.requireNonNull(expression, "expression");
      this.zone = Objects.requireNonNull(zone, "zone");
      String normalized = expression.strip().replaceAll("\\s+", " ");
      if (normalized.isEmpty() || normalized.length() > MAX_LENGTH) {
        throw new IllegalArgumentException("a cron expression has 1 to " + MAX_LENGTH + " characters");
      }
      this.expression = normalized;
      String fields = NICKNAMES.getOrDefault(normalized.toLowerCase(Locale.ROOT), normalized);
      int count = fields.split(" ").length;
      Cron cron;
      try {
        cron =
            switch (count) {
              case 5 -> FIVE_FIELDS.parse(fields);
              case 6 -> SIX_FIELDS.parse(fields);
              default ->
                  throw new IllegalArgumentException(
                      "a cron expression has 5 fields (minute hour day month weekday) or 6 (seconds first), not "
                          + count
                          + ": '"
                          + normalized
                          + "'");
            };
        cron.validate();
      } catch (IllegalArgumentException e) {
        if (e.getMessage() != null && e.getMessage().startsWith("a cron expression")) {
          throw e;
        }
        throw new IllegalArgumentException("invalid cron expression '" + normalized + "': " + e.getMessage(), e);
      }
      this.times = ExecutionTime.forCron(cron);
      if (nextAfter(Instant.now()).isEmpty()) {
        throw new IllegalArgumentException("cron expression '" + normalized + "' never matches");
      }
    }

    public String expression() {
      return expression;
    }

    public ZoneId zone() {
      return zone;
    }

    @Override
    public Optional<Instant> nextAfter(Instant instant) {
      Optional<Instant> next;
      try {
        next = times.nextExecution(instant.atZone(zone)).map(ZonedDateTime::toInstant);
      } catch (DateTimeException | IllegalArgumentException e) {
        next = Optional.empty(); // past the last representable date
      }
      // cron-utils skips a local time that a spring-forward gap removed; Vixie cron runs it at
      // the change. Find the next gap before the next tick and ask whether a tick fell in it.
      ZoneOffsetTransition gap = zone.getRules().nextTransition(instant);
      if (gap != null
          && gap.isGap()
          && (next.isEmpty() || gap.getInstant().isBefore(next.get()))
          && matchesLocalTimeIn(gap.getDateTimeBefore(), gap.getDateTimeAfter())) {
        return Optional.of(gap.getInstant());
      }
      return next;
    }

    @Override
    public Optional<Instant> previousBefore(Instant instant) {
      try {
        return times.lastExecution(instant.atZone(zone)).map(ZonedDateTime::toInstant);
      } catch (DateTimeException | IllegalArgumentException e) {
        return Optional.empty();
      }
    }

    /** Whether the expression names a local time in {@code [from, to)}, read without any zone. */
    private boolean matchesLocalTimeIn(LocalDateTime from, LocalDateTime to) {
      return times
          .nextExecution(from.minusSeconds(1).atZone(ZoneOffset.UTC))
          .map(t -> t.toLocalDateTime().isBefore(to))
          .orElse(false);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof CronRecurrence c && c.expression.equals(expression) && c.zone.equals(zone);
    }

    @Override
    public int hashCode() {
      return Objects.hash(expression, zone);
    }

    @Override
    public String toString() {
      return "cron '" + expression + "' in " + zone;
    }
  }

  /**
   * Every {@code interval}, at its multiples since the Unix epoch.
   *
   * @param interval whole seconds, at least one
   */
  record Interval(Duration interval) implements Recurrence {
    /** The longest interval: a year of seconds keeps every tick representable. */
    public static final Duration MAX = Duration.ofDays(366);

    public Interval {
      Objects.requireNonNull(interval, "interval");
      if (interval.compareTo(MIN_INTERVAL) < 0 || interval.compareTo(MAX) > 0 || interval.getNano() != 0) {
        throw new IllegalArgumentException(
            "an interval is whole seconds, from 1 second to " + MAX.toDays() + " days: " + interval);
      }
    }

    @Override
    public Optional<Instant> nextAfter(Instant instant) {
      long step = interval.toMillis();
      long at = instant.toEpochMilli();
      long next = Math.floorDiv(at, step) * step + step;
      return Optional.of(Instant.ofEpochMilli(next));
    }

    @Override
    public Optional<Instant> previousBefore(Instant instant) {
      long step = interval.toMillis();
      long at = instant.toEpochMilli();
      return Optional.of(Instant.ofEpochMilli(Math.floorDiv(at - 1, step) * step));
    }

    @Override
    public String toString() {
      return "every " + interval;
    }
  }
}
