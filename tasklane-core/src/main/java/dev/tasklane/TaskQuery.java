package dev.tasklane;

/**
 * A page request for {@link TaskClient#list(TaskQuery)}: optional filters and a keyset cursor.
 * Tasks are listed newest first; the cursor is the id of the last task of the previous page.
 *
 * @param state only tasks in this state, or {@code null}
 * @param queue only this queue, or {@code null}
 * @param type only this type, or {@code null}
 * @param after the previous page's cursor, or {@code null} for the first page
 * @param limit page size, 1 to {@value #MAX_LIMIT}
 */
public record TaskQuery(
    TaskState state, String queue, String type, TaskId after, int limit, String submittedBy) {
  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 500;

  public TaskQuery {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit must be between 1 and " + MAX_LIMIT + ": " + limit);
    }
  }

  /** A query over every submitter's tasks. */
  public TaskQuery(TaskState state, String queue, String type, TaskId after, int limit) {
    this(state, queue, type, after, limit, null);
  }

  /** The same query over the tasks {@code submitter} submitted only. */
  public TaskQuery submittedBy(String submitter) {
    return new TaskQuery(state, queue, type, after, limit, submitter);
  }

  /** The first page of all tasks. */
  public static TaskQuery all() {
    return new TaskQuery(null, null, null, null, DEFAULT_LIMIT);
  }

  public TaskQuery withState(TaskState s) {
    return new TaskQuery(s, queue, type, after, limit);
  }

  public TaskQuery withQueue(String q) {
    return new TaskQuery(state, q, type, after, limit);
  }

  public TaskQuery withType(String t) {
    return new TaskQuery(state, queue, t, after, limit);
  }

  public TaskQuery withAfter(TaskId cursor) {
    return new TaskQuery(state, queue, type, cursor, limit);
  }

  public TaskQuery withLimit(int n) {
    return new TaskQuery(state, queue, type, after, n);
  }
}
