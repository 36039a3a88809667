package dev.tasklane.spi;

/**
 * Which node runs cluster maintenance (expired-lease recovery, node pruning, retention). At most
 * one node leads at a time; when the leader dies, another takes over at its next try.
 *
 * <p>Stability: SPI.
 */
public interface LeaderElection extends AutoCloseable {

  /** For stores used by one process: that process always leads. */
  LeaderElection SOLE =
      new LeaderElection() {
        @Override
        public boolean tryLead() {
          return true;
        }

        @Override
        public void close() {}
      };

  /**
   * Becomes the leader if no node leads, or confirms that this node still does. Returns false
   * when another node leads or the database cannot be reached (a leader that cannot reach the
   * database must not act as one). Called periodically; must be cheap.
   */
  boolean tryLead();

  /** Gives up leadership (if held) and releases resources. Idempotent. */
  @Override
  void close();
}
