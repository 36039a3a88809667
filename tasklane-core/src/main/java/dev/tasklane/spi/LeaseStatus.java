package dev.tasklane.spi;

/**
 * What {@link TaskStore#renewLeases} found for one run.
 *
 * <p>Stability: SPI.
 */
public enum LeaseStatus {
  /** Lease extended; go on. */
  RENEWED,
  /** Lease extended, and a cancel was requested: interrupt the handler. */
  CANCEL_REQUESTED,
  /** The run no longer owns the task (fencing token moved on, or the task left running). */
  LOST
}
