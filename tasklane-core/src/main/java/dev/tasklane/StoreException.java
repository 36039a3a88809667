package dev.tasklane;

/**
 * A store operation failed (database unreachable, I/O error, constraint surprise).
 *
 * <p>When {@link #unavailable()} is true the database could not be reached or did not answer in
 * time: the failure says nothing about the request itself, and trying again later may succeed. If
 * the operation was a write whose commit went unanswered, it may or may not have been applied;
 * submissions repeated with the same idempotency key are safe either way.
 */
public class StoreException extends TasklaneException {
  private final String operation;
  private final boolean unavailable;

  public StoreException(String operation, Throwable cause) {
    this(operation, cause, false);
  }

  /**
   * @param unavailable whether the database could not be reached or did not answer in time
   */
  public StoreException(String operation, Throwable cause, boolean unavailable) {
    super("store operation '" + operation + "' failed: " + cause.getMessage(), cause);
    this.operation = operation;
    this.unavailable = unavailable;
  }

  public String operation() {
    return operation;
  }

  /** True when the database could not be reached or did not answer in time. */
  public boolean unavailable() {
    return unavailable;
  }
}
