package dev.tasklane.jdbc;

import dev.tasklane.Task;
import dev.tasklane.TaskId;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * Where this store's claims of each queue ended, so that the next claim can start its index scan
 * there instead of at the head of the queue's ready range.
 *
 * <h2>Why</h2>
 *
 * On PostgreSQL a claimed task's row version leaves its entry in the claim index (under state
 * {@code queued}) until vacuum removes it; a claim walks from the head of the range, over the
 * entries of every task claimed since the last vacuum, before it reaches a live one. Measured
 * during a drain of 150,000 tasks, 57,000 such entries made each claim cost 6.5 ms in the database
 * (505 index pages), and the drain ran at a sixth of its speed until autovacuum came by.
 *
 * <h2>The rule</h2>
 *
 * A floor is the claim-order key (priority, run_at, id) of the last task a claim took. The next
 * claim by the same claimer (queue and type filter) first takes tasks of the floor's priority after
 * it, a range scan that starts at the floor; whatever that leaves of its limit it takes the usual
 * way, from the head. Every task before the floor was claimed, or locked by another claimer, when
 * the floor was set; a task can only get there later by becoming ready with an earlier key, and
 * then the floor is dropped, and no claim running at that moment may set one past it:
 *
 * <ul>
 *   <li>this store inserted it, or made it ready (a promotion, a release, a retry, a recovered
 *       lease): {@link #madeReady} and {@link #forgetAll}, called after the commit;
 *   <li>another process did, and told this one with a notification ({@link #madeReady} with any
 *       key), which is why a server database uses floors only while notifications are received
 *       ({@link #enable});
 *   <li>a claimer that had locked it rolled back, or a notification was lost: every floor expires
 *       {@link #TTL} after it was first set, so such a task waits at most that long.
 * </ul>
 *
 * A claim notes when it began to see tasks ({@link #begin}): when it started, or earlier if the
 * engine's time it claims by is behind the clock (a task due in between is invisible to it). A
 * task made ready after that, at or before the claim's last key, keeps the claim from setting a
 * floor. What a floor can still hide, for at most {@link #TTL}: a task locked by a claimer that
 * then rolled back, one whose notification was lost or came while the store was not listening
 * yet, and a queued task that becomes due by the passage of time alone (one given back to wait a
 * few seconds) with a higher priority than the floor's.
 *
 * <p>Thread-safe.
 */
final class ClaimFloors {
  /** How long a floor is trusted: the longest a task missed by the rules above waits. */
  static final Duration TTL = Duration.ofSeconds(1);

  private static final Comparator<Key> ORDER =
      Comparator.comparingInt(Key::priority).reversed().thenComparing(Key::runAt).thenComparing(Key::id);

  /** A claim-order key. */
  record Key(int priority, Instant runAt, TaskId id) {
    static Key of(Task t) {
      return new Key(t.priority(), t.runAt(), t.id());
    }

    boolean before(Key other) {
      return ORDER.compare(this, other) < 0;
    }

    /** At or before {@code other} in claim order: a floor at {@code other} would hide it. */
    boolean notAfter(Key other) {
      return ORDER.compare(this, other) <= 0;
    }
  }

  private record Claimer(String queue, Set<String> types) {}

  private record Floor(Key key, long setAtNanos) {}

  /** The earliest key made ready in a queue lately ({@code null}: any key), and when. */
  private record Mark(Key lowest, long atNanos) {}

  private final ConcurrentMap<Claimer, Floor> floors = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Mark> marks = new ConcurrentHashMap<>();
  private final LongSupplier nanoTime;
  /** Holders of {@link #enable}: floors are kept while there is one. */
  private final java.util.concurrent.atomic.AtomicInteger users = new java.util.concurrent.atomic.AtomicInteger();
  private volatile boolean enabled;
  /** When tasks of every queue may last have become ready with any key. */
  private volatile long allMarkedAtNanos;

  ClaimFloors(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
    this.allMarkedAtNanos = nanoTime.getAsLong() - TTL.toNanos();
  }

  /** Floors are kept from now on, until every caller of this method has called {@link #disable}. */
  void enable() {
    users.incrementAndGet();
    enabled = true;
  }

  /** One user of floors stopped (its notifications stopped): the last one turns them off. */
  void disable() {
    if (users.decrementAndGet() <= 0) {
      enabled = false;
      floors.clear();
    }
  }

  boolean enabled() {
    return enabled;
  }

  /** The floor of claims of {@code queue} with {@code types} (null: any type), if one holds. */
  Key current(String queue, Set<String> types) {
    if (!enabled) {
      return null;
    }
    Claimer claimer = new Claimer(queue, types);
    Floor f = floors.get(claimer);
    if (f == null) {
      return null;
    }
    if (nanoTime.getAsLong() - f.setAtNanos() > TTL.toNanos()) {
      floors.remove(claimer, f);
      return null;
    }
    return f.key();
  }

  /**
   * The time a claim begins to see tasks, for {@link #claimed}: taken before its transaction
   * starts, and moved back by how far {@code claimsBy} (the engine's time the claim compares
   * run_at with) is behind the wall clock.
   */
  long begin(Instant claimsBy) {
    long behind = Math.max(0, Duration.between(claimsBy, Instant.now()).toNanos());
    return nanoTime.getAsLong() - Math.min(behind, TTL.toNanos() * 1000);
  }

  /** {@link #begin(Instant)} for a claim by the current time. */
  long begin() {
    return nanoTime.getAsLong();
  }

  /**
   * A claim that began at {@code beganNanos} took tasks up to {@code last} in claim order. The
   * floor moves there, unless a task became ready meanwhile with an earlier key; its age is kept,
   * so that it still expires {@link #TTL} after it was first set.
   */
  void claimed(String queue, Set<String> types, Task last, long beganNanos) {
    if (!enabled) {
      return;
    }
    Key key = Key.of(last);
    // The checks run inside compute: madeReady and forgetAll record their mark first and drop
    // floors after, so a floor installed here either sees the mark or is dropped after it.
    floors.compute(
        new Claimer(queue, types),
        (c, old) -> {
          if (allMarkedAtNanos - beganNanos >= 0) {
            return old;
          }
          Mark mark = marks.get(queue);
          if (mark != null
              && mark.atNanos() - beganNanos >= 0
              && (mark.lowest() == null || mark.lowest().notAfter(key))) {
            return old;
          }
          return old == null
              ? new Floor(key, nanoTime.getAsLong())
              : new Floor(old.key().before(key) ? key : old.key(), old.setAtNanos());
        });
  }

  /**
   * Tasks of {@code queue} became ready (committed), the earliest of them at {@code lowest} in
   * claim order, or at any key if {@code null}: floors after it are dropped.
   */
  void madeReady(String queue, Key lowest) {
    if (!enabled) {
      return;
    }
    long now = nanoTime.getAsLong();
    marks.merge(
        queue,
        new Mark(lowest, now),
        (old, fresh) -> {
          // Within a floor's lifetime the lowest key counts; an older mark is forgotten.
          boolean recent = now - old.atNanos() <= TTL.toNanos();
          Key low = !recent ? lowest : old.lowest() == null || lowest == null ? null : lowest.before(old.lowest()) ? lowest : old.lowest();
          return new Mark(low, now);
        });
    floors.entrySet().removeIf(
        e -> e.getKey().queue().equals(queue) && (lowest == null || lowest.notAfter(e.getValue().key())));
  }

  /** Tasks of any queue may have become ready with any key. */
  void forgetAll() {
    if (!enabled) {
      return;
    }
    allMarkedAtNanos = nanoTime.getAsLong();
    floors.clear();
  }
}
