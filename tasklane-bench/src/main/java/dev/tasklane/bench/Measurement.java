package dev.tasklane.bench;

/**
 * What one scenario run measured, before the runner adds the heap figure.
 *
 * @param tasks tasks that count: succeeded, accepted, or measured
 * @param seconds the timed span
 * @param latency per-call or per-task latency, or {@code null} where none applies
 * @param errors failed calls, non-202 answers, tasks not found durable, and the like
 */
record Measurement(long tasks, double seconds, Percentiles latency, long errors) {}
