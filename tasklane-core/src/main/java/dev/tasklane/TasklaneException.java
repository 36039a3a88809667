package dev.tasklane;

/** Root of the exceptions Tasklane throws. Unchecked: callers handle what they can act on. */
public class TasklaneException extends RuntimeException {
  public TasklaneException(String message) {
    super(message);
  }

  public TasklaneException(String message, Throwable cause) {
    super(message, cause);
  }
}
