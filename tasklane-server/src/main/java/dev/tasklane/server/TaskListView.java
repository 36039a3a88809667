package dev.tasklane.server;

import dev.tasklane.TaskPage;
import java.util.UUID;

/**
 * A page of tasks, newest first.
 *
 * @param nextCursor pass as {@code cursor} for the next page; {@code null} on the last page
 */
record TaskListView(java.util.List<TaskView> tasks, UUID nextCursor) {
  static TaskListView of(TaskPage page, boolean internals) {
    return new TaskListView(
        page.tasks().stream().map(t -> TaskView.of(t, internals)).toList(),
        page.nextCursor() == null ? null : page.nextCursor().value());
  }
}
