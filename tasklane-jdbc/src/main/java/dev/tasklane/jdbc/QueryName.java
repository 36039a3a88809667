package dev.tasklane.jdbc;

import java.util.Locale;

/**
 * Every SQL statement {@link JdbcTaskStore}, {@link JdbcAccessStore}, {@link JdbcScheduleStore} and {@link JdbcRateStore} run. Each dialect's {@code db/<dialect>/queries.sql}
 * holds exactly one {@code -- name: <sqlName>} block per constant, binding the same parameters in
 * the same order; {@link Queries#load(SqlDialect)} refuses a file that lacks one or has an extra
 * one, so the dialects cannot drift apart unnoticed.
 *
 * <p>The bind order of each query is documented by the column comments in the SQL files; the
 * constants below only name the statement and say what it is for.
 */
public enum QueryName {
  /** Registers a queue name, ignoring one that is already known. */
  INSERT_QUEUE,
  /** Every known queue name, ordered by name. */
  SELECT_QUEUE_NAMES,
  /** Inserts one task; a taken idempotency key inserts nothing and returns no row. */
  INSERT_TASK,
  /**
   * Inserts many tasks in one statement from a JSON array (see {@code JdbcTaskStore}); a task
   * whose idempotency key is taken inserts nothing and returns no row.
   */
  INSERT_TASKS,
  /** One task by id. */
  FIND_TASK,
  /** One task by id, locked against other writers until the transaction ends. */
  FIND_TASK_FOR_UPDATE,
  /** One task by idempotency key. */
  FIND_TASK_BY_IDEMPOTENCY_KEY,
  /** A page of all tasks, newest first. */
  LIST_TASKS,
  /** A page of tasks in one state, optionally also filtered by queue and type. */
  LIST_TASKS_BY_STATE,
  /** A page of tasks of one queue, optionally also filtered by type. */
  LIST_TASKS_BY_QUEUE,
  /** A page of tasks of one type. */
  LIST_TASKS_BY_TYPE,
  /** A page of the tasks one submitter submitted, optionally filtered by state, queue and type. */
  LIST_TASKS_BY_SUBMITTER,
  /** Task counts per known queue and state, including queues without tasks. */
  COUNT_TASKS_BY_QUEUE_AND_STATE,
  /** Queued tasks of one queue that come before a given one in claim order. */
  COUNT_QUEUED_AHEAD,
  /** Waiting (queued + scheduled) task counts per queue. */
  COUNT_WAITING_BY_QUEUE,
  /** Moves due scheduled tasks to queued. */
  PROMOTE_DUE,
  /** The earliest run-at of a scheduled task. */
  NEXT_SCHEDULED_AT,
  /** Claims ready tasks of one queue, started or claimed ahead, and returns them. */
  CLAIM_QUEUED,
  /** {@link #CLAIM_QUEUED} of tasks whose type is in a JSON array of type names. */
  CLAIM_QUEUED_OF_TYPES,
  /**
   * {@link #CLAIM_QUEUED} of tasks of one priority after a claim-order key: the index scan starts
   * at the last claim's end (see {@code ClaimFloors}).
   */
  CLAIM_QUEUED_AFTER,
  /** {@link #CLAIM_QUEUED_AFTER} of tasks whose type is in a JSON array of type names. */
  CLAIM_QUEUED_OF_TYPES_AFTER,
  /**
   * Starts runs claimed ahead in one statement from a JSON array (attempt spent, start time set),
   * each compare-and-set on its own fencing token.
   */
  START_RUNS,
  /**
   * Extends the leases of a batch of runs given as a JSON array, each compare-and-set on its
   * fencing token; a run with no row back lost its task.
   */
  RENEW_LEASES,
  /** Records one run's progress, compare-and-set on its fencing token. */
  UPDATE_PROGRESS,
  /** Ends a run as succeeded. */
  FINISH_SUCCEEDED,
  /**
   * Ends many runs as succeeded in one statement from a JSON array, each compare-and-set on its
   * own fencing token; a run that lost its task returns no row.
   */
  FINISH_SUCCEEDED_ALL,
  /** Ends a run as scheduled (retry after backoff, or snooze). */
  FINISH_RESCHEDULED,
  /** Ends a run as failed. */
  FINISH_FAILED,
  /** Ends a run as cancelled. */
  FINISH_CANCELLED,
  /** Ends a run by giving the task back to its queue. */
  FINISH_RELEASED,
  /** Makes a scheduled task ready now. */
  RUN_NOW,
  /** Cancels a scheduled or queued task at once. */
  CANCEL_WAITING,
  /** Sets the cancel-requested flag of a running task. */
  REQUEST_CANCEL_RUNNING,
  /** Moves a failed or cancelled task back to queued. */
  RETRY_TASK,
  /** Running tasks whose lease expired, oldest expiry first. */
  SELECT_EXPIRED_LEASES,
  /** Running tasks leased by one node. */
  SELECT_LEASES_OF_NODE,
  /**
   * Locks one run's row while its lease is still expired by the store's clock; no row when it was
   * renewed, finished or taken meanwhile.
   */
  LOCK_EXPIRED_RUN,
  /**
   * The cluster-wide limit of one queue, holding the queue's row against other claims of it until
   * the transaction ends; no row (and nothing held) when the queue has no limit.
   */
  LOCK_QUEUE_LIMIT,
  /** Pauses or resumes a queue, registering it if new. */
  SET_QUEUE_PAUSED,
  /** The names of the paused queues. */
  SELECT_PAUSED_QUEUES,
  /** Running tasks of one queue, whichever node runs them. */
  COUNT_RUNNING_IN_QUEUE,
  /** Sets a queue's cluster-wide limit, registering the queue if it is new. */
  SET_QUEUE_LIMIT,
  /** Removes a queue's cluster-wide limit. */
  CLEAR_QUEUE_LIMIT,
  /** Every queue with a cluster-wide limit, and the limit, ordered by name. */
  SELECT_QUEUE_LIMITS,
  /** Registers remote workers' announced task types from a JSON array, refreshing known ones. */
  UPSERT_TASK_TYPES,
  /** Every announced task type, ordered by name. */
  SELECT_TASK_TYPES,
  /**
   * Registers a node or refreshes its row, unless another live instance holds the id (then no
   * row comes back).
   */
  UPSERT_NODE,
  /** Removes one node's row, if the given instance holds it. */
  DELETE_NODE,
  /** Every registered node, ordered by id, with the store's clock. */
  SELECT_NODES,
  /** One registered node, with the store's clock. */
  SELECT_NODE,
  /** Removes the nodes whose last heartbeat is older than a cutoff. */
  PRUNE_NODES,
  /** Deletes a batch of terminal tasks that finished before a cutoff (retention). */
  DELETE_FINISHED_TASKS,
  /** Deletes a queue's row if no task names it. */
  DELETE_QUEUE,
  /** Whether a queue's row exists. */
  QUEUE_EXISTS,
  /** A statement that touches no table: does the database answer? */
  PING,

  // ---------------------------------------------------------------- access (JdbcAccessStore)

  /** Adds a token; a name taken by an active token inserts nothing. */
  INSERT_TOKEN,
  /** One token by its secret's hash. */
  FIND_TOKEN_BY_HASH,
  /** Every token, oldest first. */
  LIST_TOKENS,
  /** Revokes the active token with an id, returning it. */
  REVOKE_TOKEN_BY_ID,
  /** Revokes the active token with a name, returning it. */
  REVOKE_TOKEN_BY_NAME,
  /** Sets an active token's last use. */
  TOUCH_TOKEN,
  /** Whether any token (revoked and expired ones too) or any user exists. */
  HAS_CREDENTIALS,
  /** Adds a user; a taken name inserts nothing. */
  INSERT_USER,
  /** One user by name. */
  FIND_USER,
  /** Every user, by name. */
  LIST_USERS,
  /** Deletes a user. */
  DELETE_USER,
  /** Adds a session. */
  INSERT_SESSION,
  /** One session by its secret's hash. */
  FIND_SESSION,
  /** Moves a session's last activity. */
  TOUCH_SESSION,
  /** Deletes one session. */
  DELETE_SESSION,
  /** Deletes the sessions a token signed in. */
  DELETE_SESSIONS_OF_TOKEN,
  /** Deletes the password sessions of a user. */
  DELETE_SESSIONS_OF_USER,
  /** Deletes sessions past their idle or absolute timeout. */
  DELETE_STALE_SESSIONS,
  /** Appends an audit entry. */
  APPEND_AUDIT,
  /** A page of the audit log below an id, newest first. */
  LIST_AUDIT,
  /** Deletes audit entries older than a cutoff. */
  PRUNE_AUDIT,
  /** Defines or redefines a schedule, returning it as stored. */
  SAVE_SCHEDULE,
  /** One schedule by name. */
  FIND_SCHEDULE,
  /** Every schedule, by name. */
  LIST_SCHEDULES,
  /** Deletes one schedule. */
  DELETE_SCHEDULE,
  /** Pauses a schedule that is not paused. */
  PAUSE_SCHEDULE,
  /** Resumes a paused schedule with a new next tick. */
  RESUME_SCHEDULE,
  /** The schedules due now, earliest first. */
  DUE_SCHEDULES,
  /** The earliest next tick of a schedule that is not paused. */
  NEXT_SCHEDULE_AT,
  /** Moves a schedule's next tick, compare-and-set on the one read. */
  FIRE_SCHEDULE,
  /** Records a schedule's last run. */
  RECORD_SCHEDULE_RUN,
  /** Every rate limit. */
  SELECT_RATE_LIMITS,
  /** Sets a rate limit. */
  UPSERT_RATE_LIMIT,
  /** Removes a rate limit. */
  DELETE_RATE_LIMIT,
  /** Removes a rate limit's buckets. */
  DELETE_RATE_BUCKETS,
  /** Creates a bucket if it is missing. */
  ENSURE_RATE_BUCKET,
  /** Reads a bucket, locked until the transaction ends. */
  LOCK_RATE_BUCKET,
  /** Writes a bucket. */
  UPDATE_RATE_BUCKET,
  /** Removes a task's reserved start, returning it. */
  TAKE_RATE_RESERVATION,
  /** Sets a task's reserved start. */
  UPSERT_RATE_RESERVATION,
  /** A task's reserved start. */
  FIND_RATE_RESERVATION,
  /** Removes buckets far behind the clock. */
  PRUNE_RATE_BUCKETS,
  /** Removes reservations long past. */
  PRUNE_RATE_RESERVATIONS;

  private final String sqlName = toCamelCase(name());

  /** The name of this query's block in {@code queries.sql}, e.g. {@code claimQueued}. */
  public String sqlName() {
    return sqlName;
  }

  private static String toCamelCase(String constant) {
    StringBuilder out = new StringBuilder(constant.length());
    boolean upper = false;
    for (char c : constant.toLowerCase(Locale.ROOT).toCharArray()) {
      if (c == '_') {
        upper = true;
      } else {
        out.append(upper ? Character.toUpperCase(c) : c);
        upper = false;
      }
    }
    return out.toString();
  }
}
