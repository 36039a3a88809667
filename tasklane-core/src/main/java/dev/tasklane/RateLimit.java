package dev.tasklane;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * At most {@code limit} task starts per {@code per}, across every node of a cluster, for the tasks
 * of a queue or of a type; with {@code keyField}, for each value of that field of the tasks'
 * payloads apart (a customer, an account, a partner).
 *
 * <h2>Algorithm</h2>
 *
 * A token bucket, kept as a generic cell rate algorithm (GCRA) in the store: the bucket holds up
 * to {@code burst} tokens and gains one every {@code per / limit}; each start takes one. In any
 * stretch of time {@code t}, at most {@code burst + t * limit / per} tasks start. A task that
 * finds no token is not started and uses no slot: it goes back to {@code scheduled} with the next
 * free start reserved for it (its {@code run_at}), so it needs no polling, later tasks queue
 * behind it, and {@code explain} says which limit holds it and when it starts. A task under two
 * limits (its queue's and its type's) waits for both.
 *
 * @param scope what the limit applies to
 * @param target the queue's or type's name
 * @param limit starts per {@code per}, 1 to 1,000,000
 * @param per the window, whole milliseconds from 1 ms to a day
 * @param burst how many may start at once after a quiet spell, 1 to 1,000,000
 * @param keyField a top-level field of the payload whose value (text or number) keys the limit,
 *     or {@code null} for one limit for all; tasks without the field share the key {@code ""}
 */
public record RateLimit(Scope scope, String target, int limit, Duration per, int burst, String keyField) {

  /** What a limit applies to. */
  public enum Scope {
    QUEUE,
    TYPE;

    public String apiName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Scope> fromApiName(String name) {
      for (Scope s : values()) {
        if (s.apiName().equals(name)) {
          return Optional.of(s);
        }
      }
      return Optional.empty();
    }
  }

  public static final int MAX_LIMIT = 1_000_000;
  public static final Duration MIN_PER = Duration.ofMillis(1);
  public static final Duration MAX_PER = Duration.ofDays(1);
  /** Payload field names a limit may key on. */
  public static final Pattern KEY_FIELD = Pattern.compile("[A-Za-z0-9_.-]{1,100}");

  public RateLimit {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(per, "per");
    if (!TaskRequest.NAME.matcher(target).matches()) {
      throw new IllegalArgumentException("invalid " + scope.apiName() + " name '" + target + "'");
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ": " + limit);
    }
    if (per.compareTo(MIN_PER) < 0 || per.compareTo(MAX_PER) > 0 || per.toNanos() % 1_000_000 != 0) {
      throw new IllegalArgumentException("per must be whole milliseconds, from 1 ms to 1 day: " + per);
    }
    if (burst < 1 || burst > MAX_LIMIT) {
      throw new IllegalArgumentException("burst must be between 1 and " + MAX_LIMIT + ": " + burst);
    }
    if (keyField != null && !KEY_FIELD.matcher(keyField).matches()) {
      throw new IllegalArgumentException("keyField must be 1 to 100 letters, digits or _ . - characters");
    }
    if (emissionNanos(per, limit) < 1_000) {
      throw new IllegalArgumentException("at most one start per microsecond: " + limit + " per " + per);
    }
  }

  /** {@code limit} per {@code per}, with a burst of {@code limit}, one limit for all keys. */
  public static RateLimit perQueue(String queue, int limit, Duration per) {
    return new RateLimit(Scope.QUEUE, queue, limit, per, limit, null);
  }

  /** {@code limit} per {@code per}, with a burst of {@code limit}, one limit for all keys. */
  public static RateLimit perType(String type, int limit, Duration per) {
    return new RateLimit(Scope.TYPE, type, limit, per, limit, null);
  }

  public RateLimit withBurst(int newBurst) {
    return new RateLimit(scope, target, limit, per, newBurst, keyField);
  }

  public RateLimit keyedBy(String field) {
    return new RateLimit(scope, target, limit, per, burst, field);
  }

  /** The limit's name: {@code queue:<name>} or {@code type:<name>}. */
  public String name() {
    return scope.apiName() + ":" + target;
  }

  /** The time between two tokens: {@code per / limit}. */
  public Duration emissionInterval() {
    return Duration.ofNanos(emissionNanos(per, limit));
  }

  /** How far ahead of its time a start may be taken: {@code (burst - 1)} emission intervals. */
  public Duration tolerance() {
    return emissionInterval().multipliedBy(burst - 1L);
  }

  private static long emissionNanos(Duration per, int limit) {
    return per.toNanos() / limit;
  }

  /** "10 per 1 s, burst 10" (and ", per customer" when keyed). */
  public String describe() {
    String p = per.toMillis() % 1000 == 0 ? per.toSeconds() + " s" : per.toMillis() + " ms";
    return limit + " per " + p + ", burst " + burst + (keyField != null ? ", per " + keyField : "");
  }
}
