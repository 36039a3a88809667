package dev.tasklane.spi;

import dev.tasklane.TaskId;
import java.util.Objects;

/**
 * Names one run of a task: the task and the fencing token its claim received. Every write a run
 * makes is compare-and-set on both, so a stale run's writes are rejected.
 *
 * <p>Stability: SPI.
 */
public record RunRef(TaskId taskId, long fencingToken) {
  public RunRef {
    Objects.requireNonNull(taskId, "taskId");
  }
}
