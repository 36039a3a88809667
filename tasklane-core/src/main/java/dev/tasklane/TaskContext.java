package dev.tasklane;

/** What a running handler knows about its run, and how it talks back. */
public interface TaskContext {
  TaskId taskId();

  String type();

  String queue();

  /** The node running it, as named in its lease. */
  String nodeId();

  /** This run's attempt number, starting at 1. */
  int attempt();

  int maxAttempts();

  /**
   * Grows with each claim of the task. Pass it along with writes to other systems so they can
   * reject a stale run's writes (a run whose lease expired while it was paused, say).
   */
  long fencingToken();

  /**
   * Records progress, from 0 to 100, visible to clients while the task runs.
   *
   * @throws IllegalArgumentException outside 0..100
   */
  void progress(int percent);

  /** True once the run should stop: cancelled, timed out, or the node is shutting down. */
  boolean isCancelled();

  /**
   * Throws {@link InterruptedException} if {@link #isCancelled()}; a cheap check for loops that
   * do not block.
   */
  void checkCancelled() throws InterruptedException;
}
