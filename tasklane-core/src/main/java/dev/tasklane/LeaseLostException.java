package dev.tasklane;

/**
 * A write from a run that no longer owns its task: the fencing token moved on (the lease expired
 * and another claim took the task), or the task left {@code running}. The write was not applied.
 */
public class LeaseLostException extends TasklaneException {
  private final TaskId taskId;
  private final long fencingToken;

  public LeaseLostException(TaskId taskId, long fencingToken) {
    super("run " + fencingToken + " of task " + taskId + " no longer holds its lease");
    this.taskId = taskId;
    this.fencingToken = fencingToken;
  }

  public TaskId taskId() {
    return taskId;
  }

  public long fencingToken() {
    return fencingToken;
  }
}
