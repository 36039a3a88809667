package dev.tasklane;

/** No task has the given id. */
public class TaskNotFoundException extends TasklaneException {
  private final TaskId taskId;

  public TaskNotFoundException(TaskId taskId) {
    super("task " + taskId + " not found");
    this.taskId = taskId;
  }

  public TaskId taskId() {
    return taskId;
  }
}
