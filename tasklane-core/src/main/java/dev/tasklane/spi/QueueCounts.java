package dev.tasklane.spi;

import dev.tasklane.TaskState;
import java.util.EnumMap;
import java.util.Map;

/**
 * A queue's task counts by state, as the store holds them.
 *
 * <p>Stability: SPI.
 */
public record QueueCounts(String queue, Map<TaskState, Long> byState) {
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

  /** {@code queued} + {@code scheduled}: what counts against the backlog bound. */
  public long waiting() {
    return count(TaskState.QUEUED) + count(TaskState.SCHEDULED);
  }
}
