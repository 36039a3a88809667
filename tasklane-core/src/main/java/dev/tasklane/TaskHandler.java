package dev.tasklane;

/**
 * User code that runs one task. Runs on a virtual thread; may block.
 *
 * <p>A returned {@link TaskResult} decides what happens next; a thrown exception counts as a failed
 * attempt (retried with backoff while attempts remain). A handler that blocks should let {@link
 * InterruptedException} propagate: cancellation, timeouts and shutdown interrupt its thread.
 *
 * @param <P> the payload type, decoded from the task's JSON payload
 */
@FunctionalInterface
public interface TaskHandler<P> {
  TaskResult handle(P payload, TaskContext context) throws Exception;
}
