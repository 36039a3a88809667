package dev.tasklane;

import java.util.Locale;

/**
 * The life cycle of a task. The lower-case {@link #apiName()} of each constant is the name used
 * by the HTTP API, the CLI and the database.
 *
 * <pre>
 * SCHEDULED ──due──▶ QUEUED ──claim──▶ RUNNING ──▶ SUCCEEDED
 *     ▲                 ▲                 │  ├──▶ SCHEDULED (retry after backoff, snooze)
 *     │                 └─lease expiry,───┘  ├──▶ FAILED (attempts exhausted or permanent)
 *     │                   shutdown release   └──▶ CANCELLED
 *     └──────── manual retry of FAILED / CANCELLED goes to QUEUED ────────
 * </pre>
 *
 * <p>{@link #canTransitionTo(TaskState)} is the single transition table of the engine; every
 * store mirrors it with a CHECK constraint on the state column and compare-and-set updates.
 */
public enum TaskState {
  /**
   * Waiting for its run time: submitted with a delay, or backing off before a retry. Moved in by
   * a submission with a future run-at, a failed attempt with attempts left, or a snooze; moved out
   * to {@link #QUEUED} by the dispatcher once due, or to {@link #CANCELLED}.
   */
  SCHEDULED,
  /**
   * Ready to run, waiting for a free slot. Moved in by a submission, by promotion of a due
   * scheduled task, by lease recovery, by a graceful shutdown that returns unfinished work, or by a
   * manual retry; moved out by a claim (to {@link #RUNNING}) or a cancel.
   */
  QUEUED,
  /**
   * Claimed by a node that holds a lease on it and renews the lease while the handler runs. Left
   * by the handler's outcome, by a cancel, or by lease recovery when the node stops renewing.
   */
  RUNNING,
  /** Terminal: the handler returned successfully. Kept until retention removes it. */
  SUCCEEDED,
  /**
   * Terminal: attempts exhausted or the handler failed permanently. Kept until retention removes
   * it; a manual retry moves it back to {@link #QUEUED}.
   */
  FAILED,
  /**
   * Terminal: cancelled before or while running. Kept until retention removes it; a manual retry
   * moves it back to {@link #QUEUED}.
   */
  CANCELLED;

  /** True for states a task never leaves on its own. */
  public boolean isTerminal() {
    return switch (this) {
      case SUCCEEDED, FAILED, CANCELLED -> true;
      case SCHEDULED, QUEUED, RUNNING -> false;
    };
  }

  /** True while a task counts against its queue's backlog ({@code scheduled} or {@code queued}). */
  public boolean isWaiting() {
    return this == SCHEDULED || this == QUEUED;
  }

  /**
   * The transition table. Written without a {@code default} branch so that a new state fails to
   * compile until its transitions are decided.
   */
  public boolean canTransitionTo(TaskState target) {
    return switch (this) {
      case SCHEDULED -> target == QUEUED || target == CANCELLED;
      case QUEUED -> target == RUNNING || target == CANCELLED;
      case RUNNING ->
          switch (target) {
            // QUEUED: lease expired or returned by a graceful shutdown.
            case SUCCEEDED, FAILED, CANCELLED, SCHEDULED, QUEUED -> true;
            case RUNNING -> false;
          };
      case SUCCEEDED -> false;
      case FAILED, CANCELLED -> target == QUEUED;
    };
  }

  /**
   * Checks a transition against the table.
   *
   * @throws IllegalTransitionException when the table forbids it
   */
  public void checkTransitionTo(TaskState target) {
    if (!canTransitionTo(target)) {
      throw new IllegalTransitionException(this, target);
    }
  }

  /** The lower-case name used by the API and the database, e.g. {@code "queued"}. */
  public String apiName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses an API name.
   *
   * @throws IllegalArgumentException for an unknown name
   */
  public static TaskState fromApiName(String name) {
    for (TaskState state : values()) {
      if (state.apiName().equals(name)) {
        return state;
      }
    }
    throw new IllegalArgumentException("unknown task state '" + name + "'");
  }
}
