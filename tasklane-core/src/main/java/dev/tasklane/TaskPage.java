package dev.tasklane;

import java.util.List;

/**
 * One page of tasks, newest first.
 *
 * @param tasks the tasks of this page
 * @param nextCursor pass to {@link TaskQuery#withAfter(TaskId)} for the next page; {@code null} on
 *     the last page
 */
public record TaskPage(List<Task> tasks, TaskId nextCursor) {
  public TaskPage {
    tasks = List.copyOf(tasks);
  }
}
