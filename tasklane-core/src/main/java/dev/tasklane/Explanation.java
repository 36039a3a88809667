package dev.tasklane;

import java.util.Map;
import java.util.Objects;

/**
 * Why a task is where it is: a {@link Reason} to act on, a sentence to show, and the facts behind
 * it. From {@link Worker#explain(TaskId)}.
 *
 * @param taskId the task
 * @param state its state when it was explained
 * @param reason what keeps it there (or that it finished)
 * @param message the reason as one sentence, naming queues, nodes, times and counts
 * @param details the same facts as values (times as ISO-8601 text, counts as numbers), in a
 *     stable order
 */
public record Explanation(
    TaskId taskId, TaskState state, Reason reason, String message, Map<String, Object> details) {

  public Explanation {
    Objects.requireNonNull(taskId, "taskId");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(message, "message");
    details = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(details));
  }

  /** What keeps a task where it is. */
  public enum Reason {
    /** {@code scheduled} for a later time (a delay or a fixed time). */
    SCHEDULED,
    /** {@code scheduled} after a failed attempt, waiting out the retry's backoff. */
    RETRY_BACKOFF,
    /** {@code scheduled} by a rate limit, with a start reserved for it. */
    RATE_LIMITED,
    /** {@code queued} in a paused queue. */
    QUEUE_PAUSED,
    /** {@code queued}, but no live node serves its type. */
    NO_NODE_FOR_TYPE,
    /** {@code queued}, and its queue's cluster-wide limit is taken by running tasks. */
    QUEUE_LIMIT_FULL,
    /** {@code queued}, and every live node serving its type has all its slots taken. */
    NODES_BUSY,
    /** {@code queued} behind other tasks of its queue. */
    QUEUED_BEHIND,
    /** {@code queued} first in line: the next claim with a free slot takes it. */
    NEXT_IN_LINE,
    /** {@code running} on a node that is alive. */
    RUNNING,
    /**
     * Leased to a live node that claimed it ahead of a free slot: it starts there when a slot
     * frees; no attempt is spent until then.
     */
    CLAIMED_AHEAD,
    /** {@code running} on a node that stopped sending heartbeats: its lease will expire. */
    NODE_SILENT,
    /** It finished: {@code succeeded}, {@code failed} or {@code cancelled}. */
    FINISHED;

    /** The reason as the API writes it: {@code queue_paused}. */
    public String apiName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
