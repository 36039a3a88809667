package dev.tasklane.spi;

import dev.tasklane.TaskState;
import java.util.EnumMap;
import java.util.Map;

/**
 * A queue's task counts by state, as the store holds them.
 *
 * <p>Stability: SPI.
 *
 * @param byState every state's count; {@code running} counts every leased task, started or not
 * @param claimedAhead of the {@code running} tasks, those leased to a node ahead of a free slot
 *     and not started yet (no {@code started_at})
 */
public record QueueCounts(String queue, Map<TaskState, Long> byState, long claimedAhead) {
  /** Counts without tasks claimed ahead. */
  public QueueCounts(String queue, Map<TaskState, Long> byState) {
    this(queue, byState, 0);
  }

  public QueueCounts {
    EnumMap<TaskState, Long> copy = new EnumMap<>(TaskState.class);
    for (TaskState s : TaskState.values()) {
      copy.put(s, byState.getOrDefault(s, 0L));
    }
    byState = java.util.Collections.unmodifiableMap(copy);
  }

  public long count(TaskState state) {
    return byState.get(state);
  }

  /** The {@code running} tasks whose handler started: leased ones minus those claimed ahead. */
  public long started() {
    return count(TaskState.RUNNING) - claimedAhead;
  }

  /** {@code queued} + {@code scheduled}: what counts against the backlog bound. */
  public long waiting() {
    return count(TaskState.QUEUED) + count(TaskState.SCHEDULED);
  }
}
