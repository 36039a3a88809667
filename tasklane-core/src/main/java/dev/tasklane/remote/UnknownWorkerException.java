package dev.tasklane.remote;

import dev.tasklane.TasklaneException;

/**
 * A call from a worker that is not registered under that id and instance: it never announced
 * itself, its registration lapsed (it was silent longer than a lease), or another process took its
 * id. The worker must announce itself again; runs it still holds may have gone elsewhere.
 */
public class UnknownWorkerException extends TasklaneException {
  public UnknownWorkerException(String id, String instance) {
    super("worker '" + id + "' (instance " + instance + ") is not registered; announce it again");
  }
}
