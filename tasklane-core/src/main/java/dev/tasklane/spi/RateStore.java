package dev.tasklane.spi;

import dev.tasklane.RateLimit;
import dev.tasklane.TaskId;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Where rate limits ({@link RateLimit}) and their buckets live, in the same database as the tasks,
 * shared by every node. A bucket's state is one instant, its theoretical arrival time (TAT) in
 * microseconds since the epoch; the engine decides what it becomes ({@code RatePlan}), the store
 * makes the read-decide-write atomic across nodes.
 *
 * <p>Implementations are thread-safe; a method that throws has changed nothing.
 *
 * <p>Stability: SPI. Methods may be added in minor releases.
 */
public interface RateStore {

  /** One bucket: a limit's name and a key ({@code ""} for a limit without keys). */
  record Bucket(String limit, String key) implements Comparable<Bucket> {
    @Override
    public int compareTo(Bucket o) {
      int c = limit.compareTo(o.limit);
      return c != 0 ? c : key.compareTo(o.key);
    }
  }

  /**
   * What a {@link Planner} decided.
   *
   * @param tats the buckets' new TATs (buckets absent keep theirs)
   * @param reservations starts reserved for tasks held back: task to its reserved start
   *     (microseconds), replacing any it had
   * @param result what {@link #reserve} returns
   */
  record Update<T>(Map<Bucket, Long> tats, Map<TaskId, Long> reservations, T result) {}

  /** The decision inside {@link #reserve}'s transaction; must not call the store. */
  @FunctionalInterface
  interface Planner<T> {
    /**
     * @param tats each bucket's TAT ({@code 0} for one never used)
     * @param reservations the reserved starts the tasks had (now taken: gone unless returned again)
     */
    Update<T> plan(Map<Bucket, Long> tats, Map<TaskId, Long> reservations);
  }

  /** Every rate limit, by name. */
  List<RateLimit> rateLimits();

  /** Sets a limit (replacing the one of its scope and target). */
  void saveRateLimit(RateLimit limit);

  /** Removes a limit with its buckets; false if there was none. */
  boolean deleteRateLimit(RateLimit.Scope scope, String target);

  /**
   * In one transaction: reads {@code buckets}, locked against every other caller until the end,
   * takes the reserved starts of {@code tasks}, hands both to {@code planner}, and writes the TATs
   * and reservations it returns.
   */
  <T> T reserve(Set<Bucket> buckets, Collection<TaskId> tasks, Planner<T> planner);

  /** The start reserved for a task, if it has one (microseconds since the epoch). */
  Optional<Long> reservation(TaskId task);

  /**
   * Forgets what no longer matters: buckets whose TAT is before {@code bucketsBefore} (a bucket
   * that far behind holds no state a fresh one lacks) and reservations before {@code
   * reservationsBefore} (their tasks were cancelled, or took a start of their own). Returns how
   * many rows went.
   */
  int prune(long bucketsBefore, long reservationsBefore);
}
