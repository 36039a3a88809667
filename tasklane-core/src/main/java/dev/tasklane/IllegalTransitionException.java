package dev.tasklane;

/** A state change that {@link TaskState#canTransitionTo(TaskState)} forbids. */
public class IllegalTransitionException extends TasklaneException {
  private final TaskState from;
  private final TaskState to;

  public IllegalTransitionException(TaskState from, TaskState to) {
    super("a task cannot move from " + from.apiName() + " to " + to.apiName());
    this.from = from;
    this.to = to;
  }

  public TaskState from() {
    return from;
  }

  public TaskState to() {
    return to;
  }
}
