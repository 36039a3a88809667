package dev.tasklane.remote;

/** What a heartbeat's answer says of one run a remote worker reported. */
public enum RunStatus {
  /** The lease was renewed: go on. */
  RUNNING,
  /**
   * The lease was renewed, and the task's cancel was requested: stop it, then report it {@code
   * cancelled} (or finish it, if it is done: a success still counts).
   */
  CANCEL_REQUESTED,
  /** The run outlived its timeout and the server ended it as a failure: stop it; write nothing. */
  TIMED_OUT,
  /** The run no longer holds its task (its lease expired, or it ended): stop it; write nothing. */
  LOST;

  /** As the protocol writes it: {@code cancel_requested}. */
  public String apiName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
