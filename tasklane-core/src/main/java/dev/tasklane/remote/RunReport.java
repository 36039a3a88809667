package dev.tasklane.remote;

import dev.tasklane.TaskId;
import java.util.Objects;

/**
 * A run a remote worker holds, as its heartbeat reports it.
 *
 * @param taskId the task
 * @param fencingToken the token its claim received
 * @param progress its progress (0-100) if it changed since the last report, else {@code null}
 */
public record RunReport(TaskId taskId, long fencingToken, Integer progress) {
  public RunReport {
    Objects.requireNonNull(taskId, "taskId");
    if (progress != null && (progress < 0 || progress > 100)) {
      throw new IllegalArgumentException("progress must be between 0 and 100: " + progress);
    }
  }
}
