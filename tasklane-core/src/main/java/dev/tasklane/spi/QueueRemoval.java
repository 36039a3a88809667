package dev.tasklane.spi;

/**
 * What {@link TaskStore#deleteQueue} did.
 *
 * <p>Stability: SPI.
 */
public enum QueueRemoval {
  /** The queue, with its limit and pause, is gone. */
  DELETED,
  /** No such queue was registered. */
  NOT_FOUND,
  /** It still holds tasks (finished ones count until retention removes them): nothing changed. */
  HOLDS_TASKS
}
