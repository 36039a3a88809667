package dev.tasklane;

/**
 * The answer to a submission: the task, durable in the store, and whether this call created it or
 * found an earlier task with the same idempotency key.
 */
public record Submission(Task task, boolean created) {}
