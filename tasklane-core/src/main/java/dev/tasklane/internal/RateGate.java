package dev.tasklane.internal;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tasklane.RateLimit;
import dev.tasklane.Task;
import dev.tasklane.TaskId;
import dev.tasklane.spi.RateStore;
import dev.tasklane.spi.RunOutcome;
import dev.tasklane.spi.RunRef;
import dev.tasklane.spi.RunWrites;
import dev.tasklane.spi.TaskStore;
import dev.tasklane.spi.RateStore.Bucket;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Rate limits at the start of a task: after a claim of a queue that a limit may hold, decides
 * (with {@link RatePlan}, atomically in the store across nodes) which claimed tasks start now and
 * reserves a later start for the others. The dispatcher and remote workers' claims both pass
 * through it, so a limit holds whoever runs the tasks. Claims of queues no limit applies to never
 * reach it: a node without rate limits pays nothing.
 *
 * <p>The limits are read from the store at each maintenance tick (about a second on other nodes)
 * and at once after a change made here.
 */
public final class RateGate {
  /** Buckets idle this long are forgotten (a bucket that far behind is as good as a new one). */
  private static final Duration BUCKET_IDLE = Duration.ofMinutes(1);
  /** Reservations this far in the past belong to tasks that went elsewhere. */
  private static final Duration RESERVATION_STALE = Duration.ofHours(1);

  /** Longest key a bucket keeps; longer values share the bucket of their first characters. */
  static final int MAX_KEY = 200;

  private final RateStore store;
  private final InstantSource clock;
  private volatile Limits limits = Limits.NONE;

  /** The limits in force, indexed for the claim path. */
  private record Limits(Map<String, RateLimit> byQueue, Map<String, RateLimit> byType) {
    static final Limits NONE = new Limits(Map.of(), Map.of());

    boolean gates(String queue) {
      return byQueue.containsKey(queue) || !byType.isEmpty();
    }
  }

  /**
   * What a claim may do now.
   *
   * @param startNow the claimed tasks that may start, in claim order
   * @param held the others, each with its reserved start
   */
  public record Admission(List<Task> startNow, Map<Task, Instant> held) {}

  public RateGate(RateStore store, InstantSource clock) {
    this.store = store;
    this.clock = clock;
  }

  /** Reads the limits from the store again. */
  public void refresh() {
    Map<String, RateLimit> byQueue = new HashMap<>();
    Map<String, RateLimit> byType = new HashMap<>();
    for (RateLimit l : store.rateLimits()) {
      (l.scope() == RateLimit.Scope.QUEUE ? byQueue : byType).put(l.target(), l);
    }
    limits = byQueue.isEmpty() && byType.isEmpty() ? Limits.NONE : new Limits(Map.copyOf(byQueue), Map.copyOf(byType));
  }

  /** Whether a claim of {@code queue} must pass through {@link #admit}. */
  public boolean gates(String queue) {
    return limits.gates(queue);
  }

  /** The limits that apply to {@code task}: its queue's and its type's. */
  public List<RateLimit> limitsOf(Task task) {
    Limits l = limits;
    List<RateLimit> out = new ArrayList<>(2);
    RateLimit q = l.byQueue().get(task.queue());
    if (q != null) {
      out.add(q);
    }
    RateLimit t = l.byType().get(task.type());
    if (t != null) {
      out.add(t);
    }
    return out;
  }

  /** Decides which of a claim's tasks start now; the others get a reserved start. */
  public Admission admit(List<Task> claimed) {
    if (claimed.isEmpty()) {
      return new Admission(List.of(), Map.of());
    }
    long now = micros(clock.instant());
    List<RatePlan.Claimed> plan = new ArrayList<>(claimed.size());
    Set<Bucket> buckets = new TreeSet<>();
    Map<TaskId, Task> byId = new LinkedHashMap<>();
    for (Task t : claimed) {
      List<RatePlan.Draw> draws = draws(t);
      draws.forEach(d -> buckets.add(d.bucket()));
      plan.add(new RatePlan.Claimed(t.id(), draws));
      byId.put(t.id(), t);
    }
    RatePlan.Decision decision =
        store.reserve(
            buckets,
            byId.keySet(),
            (tats, reservations) -> {
              RatePlan.Decision d = RatePlan.decide(plan, tats, reservations, now);
              return new RateStore.Update<>(d.tats(), d.reserved(), d);
            });
    List<Task> startNow = decision.startNow().stream().map(byId::get).toList();
    Map<Task, Instant> held = new LinkedHashMap<>();
    // Whole milliseconds, rounded up: the store keeps run-at to the millisecond, and a task must
    // not come back before its reserved start.
    decision.reserved().forEach((id, at) -> held.put(byId.get(id), instant(ceilToMillis(at))));
    return new Admission(startNow, held);
  }

  /**
   * What {@link #pass} did with a claim.
   *
   * @param startNow the tasks that may start now, in claim order
   * @param held how many went back to wait for their reserved start
   * @param firstHeldUntil the earliest of those starts, or {@code null}
   */
  public record Passed(List<Task> startNow, int held, Instant firstHeldUntil) {}

  /**
   * {@link #admit}s the tasks of a claim (claimed ahead, none started) and gives those held back to
   * {@code scheduled} at their reserved start, keeping their attempts: compare-and-set on each
   * run, as any outcome.
   */
  public Passed pass(TaskStore tasks, List<Task> claimed) {
    Admission a = admit(claimed);
    if (a.held().isEmpty()) {
      return new Passed(a.startNow(), 0, null);
    }
    Map<RunRef, RunOutcome> back = new LinkedHashMap<>();
    Instant first = null;
    for (Map.Entry<Task, Instant> e : a.held().entrySet()) {
      Task t = e.getKey();
      back.put(new RunRef(t.id(), t.fencingToken()), new RunOutcome.Rescheduled(e.getValue(), null, false));
      first = first == null || e.getValue().isBefore(first) ? e.getValue() : first;
    }
    int written = tasks.writeRuns(RunWrites.finishing(back)).finished().size();
    return new Passed(a.startNow(), written, first);
  }

  private static long ceilToMillis(long micros) {
    return Math.floorDiv(micros + 999, 1000) * 1000;
  }

  /**
   * Holds every start under {@code task}'s limits (for its key) until {@code until}, on every node:
   * the limited system asked to slow down.
   */
  public void hold(Task task, Instant until) {
    List<RatePlan.Draw> draws = draws(task);
    if (draws.isEmpty()) {
      return;
    }
    Set<Bucket> buckets = new TreeSet<>();
    draws.forEach(d -> buckets.add(d.bucket()));
    long at = micros(until);
    store.reserve(buckets, List.of(), (tats, reservations) ->
        new RateStore.Update<>(RatePlan.hold(draws, tats, at), Map.of(), null));
  }

  /** Forgets idle buckets and stale reservations (the leader's maintenance). */
  public int prune() {
    Instant now = clock.instant();
    return store.prune(micros(now.minus(BUCKET_IDLE)), micros(now.minus(RESERVATION_STALE)));
  }

  /** The key {@code limit} files {@code task} under: its payload field's value, or {@code ""}. */
  public static String keyOf(RateLimit limit, Task task) {
    if (limit.keyField() == null) {
      return "";
    }
    try {
      JsonNode value = Json.tree(task.payload()).get(limit.keyField());
      if (value == null || value.isNull() || value.isContainerNode()) {
        return "";
      }
      String key = value.asText();
      return key.length() > MAX_KEY ? key.substring(0, MAX_KEY) : key; // keys past this are one

    } catch (RuntimeException notJson) {
      return "";
    }
  }

  private List<RatePlan.Draw> draws(Task task) {
    List<RatePlan.Draw> out = new ArrayList<>(2);
    for (RateLimit l : limitsOf(task)) {
      out.add(
          new RatePlan.Draw(
              new Bucket(l.name(), keyOf(l, task)),
              l.emissionInterval().toNanos() / 1_000,
              l.tolerance().toNanos() / 1_000));
    }
    return out;
  }

  static long micros(Instant i) {
    return ChronoUnit.MICROS.between(Instant.EPOCH, i);
  }

  static Instant instant(long micros) {
    return Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
  }
}
