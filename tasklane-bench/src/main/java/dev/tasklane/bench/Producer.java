package dev.tasklane.bench;

/**
 * One contender's submitting side on a fresh database, for the enqueue scenarios: the client a
 * user of that system calls, never started as a runner (nothing runs while the clock runs).
 */
interface Producer extends AutoCloseable {

  /** Submits one no-op task in one call, durable when it returns. */
  void submitOne();

  /** Submits {@code n} no-op tasks in one call, all durable (in one transaction) when it returns. */
  void submitMany(int n);

  /**
   * Submits {@code n} no-op tasks in one call that streams them (the system's API for loads too
   * large to hold), all durable (in one transaction) when it returns.
   */
  void submitBulk(int n);

  @Override
  void close();

  /** Opens a contender's producer on the run's database. */
  @FunctionalInterface
  interface Factory {
    Producer open(RunContext ctx);
  }
}
