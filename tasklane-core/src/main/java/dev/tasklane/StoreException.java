package dev.tasklane;

/** A store operation failed (database unreachable, I/O error, constraint surprise). */
public class StoreException extends TasklaneException {
  private final String operation;

  public StoreException(String operation, Throwable cause) {
    super("store operation '" + operation + "' failed: " + cause.getMessage(), cause);
    this.operation = operation;
  }

  public String operation() {
    return operation;
  }
}
