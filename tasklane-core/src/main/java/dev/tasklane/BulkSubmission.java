package dev.tasklane;

/**
 * What {@link Worker#submitBulk} did: every task it was given is in the store, durably, either
 * created by this call or found already there under its idempotency key.
 *
 * @param submitted tasks the stream yielded
 * @param created of them, tasks this call created; the rest repeated a taken idempotency key
 */
public record BulkSubmission(long submitted, long created) {

  /** Tasks that repeated an idempotency key already taken, and were not created again. */
  public long existing() {
    return submitted - created;
  }
}
