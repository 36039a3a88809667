package dev.tasklane.client;

import dev.tasklane.TasklaneException;

/**
 * A request the server refused, or could not be sent, where no more specific exception of the
 * task API applies: no credential (401), a role or scope that does not allow it (403), a
 * worker-protocol conflict (409 with a {@link #code()}), the server unreachable (status 0).
 */
public class TasklaneHttpException extends TasklaneException {
  private final int status;
  private final String code;

  public TasklaneHttpException(int status, String detail, String code) {
    super(status == 0 ? detail : status + ": " + detail);
    this.status = status;
    this.code = code;
  }

  public TasklaneHttpException(String detail, Throwable cause) {
    super(detail, cause);
    this.status = 0;
    this.code = null;
  }

  /** The HTTP status; 0 when the server could not be reached. */
  public int status() {
    return status;
  }

  /**
   * The worker protocol's conflict code ({@code stale_run}, {@code unknown_worker}, {@code
   * worker_id_in_use}), or {@code null}.
   */
  public String code() {
    return code;
  }
}
