-- Tasklane's statements for PostgreSQL, one block per dev.tasklane.jdbc.QueryName.
--
-- Parameters are positional; the comment on each '?' names the column it binds, in the order
-- JdbcTaskStore binds them (the same order as in SQLite's file). Times are timestamptz, bound as
-- UTC instants truncated to milliseconds; ids are uuid; JSON text is cast to its column's type
-- where bound (json for payloads and results, jsonb for the lists the store appends to).
--
-- ${schema} is the store's schema, quoted, filled in once when the file is loaded: statements
-- never depend on a connection's search_path, so they run the same on the store's pool, through a
-- transaction-mode PgBouncer, and on a caller's own connection (PostgresTaskStore.inTransaction).
--
-- Writes run in READ COMMITTED transactions. Concurrent writers are kept apart by row locks:
-- rows are picked with FOR UPDATE SKIP LOCKED wherever several nodes may pick at once (claim,
-- promotion, recovery, retention), so they never wait for each other and never take the same row;
-- and every state change is still compare-and-set on the state (and fencing token) it expects.
-- Literal states (state = 'queued') are written inline, not bound, so that the planner can match
-- the partial indexes, whose predicates must be implied by the query's own WHERE clause.
--
-- The store's clock: leases and node heartbeats are measured against one clock, the database's,
-- whatever each node's own clock says. "coalesce(?, date_trunc('milliseconds', now()))" is that
-- clock: the parameter is NULL in production and a fixed instant only in tests that set the store's
-- clock (PostgresOptions.withClock). now() is the transaction's start, one instant per statement.
--
-- A subquery that picks rows with FOR UPDATE SKIP LOCKED and LIMIT must run exactly once: run
-- again (re-scanned in a join) it could lock a different set of rows. So it is either a
-- MATERIALIZED CTE or an ARRAY(...) subquery, which PostgreSQL evaluates once as an InitPlan.

-- name: insertQueue
-- A name that is already registered is left alone (only a conflict on name is ignored).
INSERT INTO ${schema}.queue (name, created_at)
VALUES (?,  -- name
        ?)  -- created_at
ON CONFLICT (name) DO NOTHING;

-- name: selectQueueNames
SELECT name,
       paused
  FROM ${schema}.queue
 ORDER BY name;

-- name: insertTask
-- A taken idempotency key inserts nothing and returns no row; the store then reads the original.
-- An insert racing another transaction's insert of the same key waits for it, then sees its row.
-- Any other conflict (a duplicate id) is an error and fails the whole transaction.
INSERT INTO ${schema}.task (id, type, queue, payload, priority, state, max_attempts, run_at,
                            timeout_ms, created_at, idempotency_key, submitted_by)
VALUES (?,         -- id
        ?,         -- type
        ?,         -- queue
        ?::json,   -- payload
        ?,         -- priority
        ?,         -- state: 'queued' or 'scheduled'
        ?,         -- max_attempts
        ?,         -- run_at
        ?,         -- timeout_ms (NULL: no limit)
        ?,         -- created_at
        ?,         -- idempotency_key (NULL: none)
        ?)         -- submitted_by (NULL: nobody in particular)
ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL  -- task_idempotency_key_idx
DO NOTHING
RETURNING *;

-- name: insertTasks
-- The batch form of insertTask: one statement, one round trip, for a whole batch. The one
-- parameter is a JSON array of objects whose keys are the columns below (times in epoch
-- milliseconds, payload as a JSON string holding the payload's text, which json keeps exactly).
-- The store sends each idempotency key at most once per batch.
INSERT INTO ${schema}.task (id, type, queue, payload, priority, state, max_attempts, run_at,
                            timeout_ms, created_at, idempotency_key, submitted_by)
SELECT t.id,
       t.type,
       t.queue,
       t.payload::json,
       t.priority,
       t.state,
       t.max_attempts,
       timestamptz 'epoch' + t.run_at * interval '1 millisecond',
       t.timeout_ms,
       timestamptz 'epoch' + t.created_at * interval '1 millisecond',
       t.idempotency_key,
       t.submitted_by
  FROM json_to_recordset(?::json)  -- the tasks, a JSON array
       AS t(id uuid, type text, queue text, payload text, priority integer, state text,
            max_attempts integer, run_at bigint, timeout_ms bigint, created_at bigint,
            idempotency_key text, submitted_by text)
ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL  -- task_idempotency_key_idx
DO NOTHING
RETURNING *;

-- name: findTask
SELECT *
  FROM ${schema}.task
 WHERE id = ?;  -- id

-- name: findTaskForUpdate
-- Holds the row until the transaction ends: a cancel or retry decides on a state nobody changes.
SELECT *
  FROM ${schema}.task
 WHERE id = ?   -- id
   FOR UPDATE;

-- name: findTaskByIdempotencyKey
SELECT *
  FROM ${schema}.task
 WHERE idempotency_key = ?;  -- idempotency_key

-- name: listTasks
-- Keyset paging newest first: the cursor is the last id of the previous page (the largest UUID
-- for the first page), walked backwards on the primary key. Never OFFSET. uuid compares bytewise,
-- the order of TaskId.
SELECT *
  FROM ${schema}.task
 WHERE id < ?      -- id: the cursor
 ORDER BY id DESC
 LIMIT ?;          -- page size + 1

-- name: listTasksByState
-- The page's ids come from the tracking table of the state, newest first on its index (the primary
-- keys of task_ready, task_due and task_running; task_done_state_idx), filtered there by queue and
-- type, which the tracking rows carry; the branches of the other states end at once on their false
-- condition. Only the page's task rows are then read, by primary key. The parameters are read once,
-- in "p", so that each is bound once in the order SQLite's statement binds them.
WITH p AS MATERIALIZED (
    SELECT ?::text AS state,                   -- state
           ?::text AS queue,                   -- queue (NULL: any)
           ?::text AS queue_again,             -- queue again (SQLite's statement binds it twice)
           ?::text AS type,                    -- type (NULL: any)
           ?::text AS type_again,              -- type again
           ?::uuid AS cursor                   -- id: the cursor
)
SELECT *
  FROM ${schema}.task
 WHERE id = ANY (ARRAY(
           SELECT id
             FROM (SELECT id, queue, type FROM ${schema}.task_ready
                    WHERE (SELECT state FROM p) = 'queued' AND id < (SELECT cursor FROM p)
                   UNION ALL
                   SELECT id, queue, type FROM ${schema}.task_due
                    WHERE (SELECT state FROM p) = 'scheduled' AND id < (SELECT cursor FROM p)
                   UNION ALL
                   SELECT id, queue, type FROM ${schema}.task_running
                    WHERE (SELECT state FROM p) = 'running' AND id < (SELECT cursor FROM p)
                   UNION ALL
                   SELECT id, queue, type FROM ${schema}.task_done
                    WHERE state = (SELECT state FROM p) AND id < (SELECT cursor FROM p)) AS s
            WHERE ((SELECT queue FROM p) IS NULL OR queue = (SELECT queue FROM p))
              AND ((SELECT type FROM p) IS NULL OR type = (SELECT type FROM p))
            ORDER BY id DESC
            LIMIT ?))                          -- page size + 1
 ORDER BY id DESC;

-- name: listTasksByQueue
-- Walks task_queue_id_idx; type, when given, filters the rows it yields.
SELECT *
  FROM ${schema}.task
 WHERE queue = ?                    -- queue
   AND (? IS NULL OR type = ?)      -- type, type (NULL: any)
   AND id < ?                       -- id: the cursor
 ORDER BY id DESC
 LIMIT ?;                           -- page size + 1

-- name: listTasksByType
SELECT *
  FROM ${schema}.task
 WHERE type = ?    -- type
   AND id < ?      -- id: the cursor
 ORDER BY id DESC
 LIMIT ?;          -- page size + 1

-- name: listTasksBySubmitter
-- task_submitter_idx, newest first; the other filters are residual.
SELECT *
  FROM ${schema}.task
 WHERE submitted_by = ?                     -- submitted_by
   AND (? IS NULL OR state = ?)             -- state, state
   AND (? IS NULL OR queue = ?)             -- queue, queue
   AND (? IS NULL OR type = ?)              -- type, type
   AND id < ?                               -- id: the cursor
 ORDER BY id DESC
 LIMIT ?;                                   -- page size + 1

-- name: countTasksByQueueAndState
-- Every registered queue with every state (0 where the queue has none), counted from the tracking
-- tables, one pass over each; and 'claimed_ahead', the running tasks not started yet.
WITH counted AS (
    SELECT queue, 'scheduled' AS state, count(*) AS tasks FROM ${schema}.task_due GROUP BY queue
    UNION ALL
    SELECT queue, 'queued', count(*) FROM ${schema}.task_ready GROUP BY queue
    UNION ALL
    SELECT queue, 'running', count(*) FROM ${schema}.task_running GROUP BY queue
    UNION ALL
    SELECT queue, 'claimed_ahead', count(*)
      FROM ${schema}.task
     WHERE id = ANY (ARRAY(SELECT id FROM ${schema}.task_running))
       AND state = 'running'
       AND started_at IS NULL
     GROUP BY queue
    UNION ALL
    SELECT queue, state, count(*) FROM ${schema}.task_done GROUP BY queue, state
)
SELECT q.name  AS queue,
       s.state AS state,
       coalesce(c.tasks, 0) AS tasks
  FROM ${schema}.queue q
 CROSS JOIN (VALUES ('scheduled'), ('queued'), ('running'), ('claimed_ahead'),
                    ('succeeded'), ('failed'), ('cancelled')) AS s (state)
  LEFT JOIN counted c ON c.queue = q.name AND c.state = s.state
 ORDER BY q.name;

-- name: countQueuedAhead
-- The queued tasks a claim of the queue would take first: a walk of task_ready_claim_idx over the
-- queue's range, which is in exactly that order.
SELECT count(*) AS tasks
  FROM ${schema}.task_ready
 WHERE queue = ?                                 -- queue
   AND (priority > ?                             -- priority
        OR (priority = ?                         -- priority
            AND (run_at < ?                      -- run_at
                 OR (run_at = ? AND id < ?))));  -- run_at, id

-- name: countWaitingByQueue
-- Per registered queue, its rows of task_ready and task_due: finished rows are never visited,
-- however many the table keeps.
SELECT q.name AS queue,
       coalesce(w.tasks, 0) AS tasks
  FROM ${schema}.queue q
  LEFT JOIN (SELECT queue, count(*) AS tasks
               FROM (SELECT queue FROM ${schema}.task_ready
                     UNION ALL
                     SELECT queue FROM ${schema}.task_due) AS waiting
              GROUP BY queue) AS w ON w.queue = q.name;

-- name: promoteDue
-- Picks the earliest due tasks from task_due and locks them, then locks their task rows, both
-- with SKIP LOCKED (rows another node is promoting, or a cancel holds, are left for later; see the
-- locking order in V014), and queues them in the same statement. Each ARRAY(...) subquery is an
-- InitPlan: it runs exactly once, and the UPDATE then probes the primary key for the picked ids
-- alone. The update's trigger moves them to task_ready and notifies each queue once.
UPDATE ${schema}.task
   SET state = 'queued'
 WHERE id = ANY (ARRAY(SELECT id
                         FROM ${schema}.task
                        WHERE id = ANY (ARRAY(SELECT id
                                                FROM ${schema}.task_due
                                               WHERE run_at <= ?    -- run_at: now
                                               ORDER BY run_at, id
                                               LIMIT ?              -- limit
                                                 FOR UPDATE SKIP LOCKED))
                          AND state = 'scheduled'
                          FOR UPDATE SKIP LOCKED))
   AND state = 'scheduled';

-- name: nextScheduledAt
SELECT run_at
  FROM ${schema}.task_due
 ORDER BY run_at
 LIMIT 1;

-- name: claimQueued
-- One statement per batch. "picked" reads the first ready tasks of one queue in claim order from
-- task_ready_claim_idx and locks them, skipping rows other claimers hold, so concurrent claimers
-- never wait for each other and never take the same task. "locked" then locks their task rows,
-- again skipping any another transaction holds (a cancel of that task: the claim must not wait
-- for it, since the cancel's trigger waits for this claim's lock on the ready row) and checking
-- that each is still queued. The UPDATE leases them, and its trigger removes their ready rows.
-- "run" only carries the run's values, so that the parameters come in the order SQLite's statement
-- (and JdbcTaskStore) binds them. With start = 1 the runs start at once (an attempt spent, started_at
-- set); with start = 0 they are claimed ahead: leased, not started (started_at NULL, no attempt
-- spent) until startRuns. RETURNING does not keep the CTE's order: the store sorts the rows again.
WITH run AS (
    SELECT ?::text                                                    AS lease_owner, -- lease_owner: the claiming node
           coalesce(?::timestamptz, date_trunc('milliseconds', now())) AS now,        -- the store's clock
           ?::bigint * interval '1 millisecond'                        AS lease,      -- lease length, ms
           ?::integer                                                  AS start       -- 1: start now, 0: claim ahead
),
picked AS MATERIALIZED (
    SELECT id
      FROM ${schema}.task_ready
     WHERE queue = ?                             -- queue
       AND run_at <= ?                           -- run_at: the engine's now
     ORDER BY priority DESC, run_at, id
     LIMIT ?                                     -- limit
       FOR UPDATE SKIP LOCKED
),
locked AS MATERIALIZED (
    SELECT id
      FROM ${schema}.task
     WHERE id = ANY (ARRAY(SELECT id FROM picked))
       AND state = 'queued'
       FOR UPDATE SKIP LOCKED
)
UPDATE ${schema}.task t
   SET state            = 'running',
       lease_owner      = run.lease_owner,
       lease_expires_at = run.now + run.lease,
       started_at       = CASE WHEN run.start = 1 THEN run.now END,
       last_node        = run.lease_owner,
       attempt          = t.attempt + run.start,
       fencing_token    = t.fencing_token + 1,
       progress         = 0,
       cancel_requested = false
  FROM run
 WHERE t.id = ANY (ARRAY(SELECT id FROM locked))
RETURNING t.*;

-- name: claimQueuedAfter
-- claimQueued from a floor (see dev.tasklane.jdbc.ClaimFloors): the tasks of the floor's priority
-- after its (run_at, id). With equality on queue and priority, the row comparison bounds the
-- scan of task_ready_claim_idx from below, so it starts at the floor instead of walking the entries the
-- claims before it left behind (they stay in the index until vacuum).
WITH run AS (
    SELECT ?::text                                                    AS lease_owner, -- lease_owner: the claiming node
           coalesce(?::timestamptz, date_trunc('milliseconds', now())) AS now,        -- the store's clock
           ?::bigint * interval '1 millisecond'                        AS lease,      -- lease length, ms
           ?::integer                                                  AS start       -- 1: start now, 0: claim ahead
),
picked AS MATERIALIZED (
    SELECT id
      FROM ${schema}.task_ready
     WHERE queue = ?                             -- queue
       AND priority = ?                          -- the floor's priority
       AND (run_at, id) > (?, ?)                 -- the floor's run_at and id: the scan starts there
       AND run_at <= ?                           -- run_at: the engine's now
     ORDER BY priority DESC, run_at, id
     LIMIT ?                                     -- limit
       FOR UPDATE SKIP LOCKED
),
locked AS MATERIALIZED (
    SELECT id
      FROM ${schema}.task
     WHERE id = ANY (ARRAY(SELECT id FROM picked))
       AND state = 'queued'
       FOR UPDATE SKIP LOCKED
)
UPDATE ${schema}.task t
   SET state            = 'running',
       lease_owner      = run.lease_owner,
       lease_expires_at = run.now + run.lease,
       started_at       = CASE WHEN run.start = 1 THEN run.now END,
       last_node        = run.lease_owner,
       attempt          = t.attempt + run.start,
       fencing_token    = t.fencing_token + 1,
       progress         = 0,
       cancel_requested = false
  FROM run
 WHERE t.id = ANY (ARRAY(SELECT id FROM locked))
RETURNING t.*;

-- name: claimQueuedOfTypes
-- claimQueued for a claimer that serves some task types only (a remote worker, a node beside
-- remote workers): the walk of task_ready_claim_idx passes over the queue's tasks of other types, which
-- stay queued for the claimers that serve them. The types come as one JSON array of strings.
WITH run AS (
    SELECT ?::text                                                    AS lease_owner, -- lease_owner: the claiming node
           coalesce(?::timestamptz, date_trunc('milliseconds', now())) AS now,        -- the store's clock
           ?::bigint * interval '1 millisecond'                        AS lease,      -- lease length, ms
           ?::integer                                                  AS start       -- 1: start now, 0: claim ahead
),
picked AS MATERIALIZED (
    SELECT id
      FROM ${schema}.task_ready
     WHERE queue = ?                             -- queue
       AND type IN (SELECT jsonb_array_elements_text(?::jsonb)) -- types: a JSON array
       AND run_at <= ?                           -- run_at: the engine's now
     ORDER BY priority DESC, run_at, id
     LIMIT ?                                     -- limit
       FOR UPDATE SKIP LOCKED
),
locked AS MATERIALIZED (
    SELECT id
      FROM ${schema}.task
     WHERE id = ANY (ARRAY(SELECT id FROM picked))
       AND state = 'queued'
       FOR UPDATE SKIP LOCKED
)
UPDATE ${schema}.task t
   SET state            = 'running',
       lease_owner      = run.lease_owner,
       lease_expires_at = run.now + run.lease,
       started_at       = CASE WHEN run.start = 1 THEN run.now END,
       last_node        = run.lease_owner,
       attempt          = t.attempt + run.start,
       fencing_token    = t.fencing_token + 1,
       progress         = 0,
       cancel_requested = false
  FROM run
 WHERE t.id = ANY (ARRAY(SELECT id FROM locked))
RETURNING t.*;

-- name: claimQueuedOfTypesAfter
-- claimQueuedOfTypes from a floor: see claimQueuedAfter.
WITH run AS (
    SELECT ?::text                                                    AS lease_owner, -- lease_owner: the claiming node
           coalesce(?::timestamptz, date_trunc('milliseconds', now())) AS now,        -- the store's clock
           ?::bigint * interval '1 millisecond'                        AS lease,      -- lease length, ms
           ?::integer                                                  AS start       -- 1: start now, 0: claim ahead
),
picked AS MATERIALIZED (
    SELECT id
      FROM ${schema}.task_ready
     WHERE queue = ?                             -- queue
       AND type IN (SELECT jsonb_array_elements_text(?::jsonb)) -- types: a JSON array
       AND priority = ?                          -- the floor's priority
       AND (run_at, id) > (?, ?)                 -- the floor's run_at and id: the scan starts there
       AND run_at <= ?                           -- run_at: the engine's now
     ORDER BY priority DESC, run_at, id
     LIMIT ?                                     -- limit
       FOR UPDATE SKIP LOCKED
),
locked AS MATERIALIZED (
    SELECT id
      FROM ${schema}.task
     WHERE id = ANY (ARRAY(SELECT id FROM picked))
       AND state = 'queued'
       FOR UPDATE SKIP LOCKED
)
UPDATE ${schema}.task t
   SET state            = 'running',
       lease_owner      = run.lease_owner,
       lease_expires_at = run.now + run.lease,
       started_at       = CASE WHEN run.start = 1 THEN run.now END,
       last_node        = run.lease_owner,
       attempt          = t.attempt + run.start,
       fencing_token    = t.fencing_token + 1,
       progress         = 0,
       cancel_requested = false
  FROM run
 WHERE t.id = ANY (ARRAY(SELECT id FROM locked))
RETURNING t.*;

-- name: startRuns
-- Starts runs that were claimed ahead: each spends its attempt and gets its start time, in one
-- statement for a batch. The first parameter is a JSON array of objects with the keys id and
-- fencing_token. Compare-and-set: only a task still running under that run, whose lease has not
-- expired (an expired lease may be recovered by another node at any moment, as not started).
-- Idempotent: a run already started is returned as it is, so a start whose commit went unanswered
-- can be sent again.
UPDATE ${schema}.task AS task
   SET attempt    = task.attempt + CASE WHEN task.started_at IS NULL THEN 1 ELSE 0 END,
       started_at = coalesce(task.started_at, n.now)
  FROM json_to_recordset(?::json)  -- the runs, a JSON array
       AS run(id uuid, fencing_token bigint),
       (SELECT coalesce(?::timestamptz, date_trunc('milliseconds', now())) AS now) AS n  -- the store's clock
 WHERE task.id = run.id
   AND task.state = 'running'
   AND task.fencing_token = run.fencing_token
   AND task.lease_expires_at >= n.now
RETURNING task.*;

-- name: renewLeases
-- Extends the leases of a batch of runs in one statement. The first parameter is a JSON array of
-- objects with the keys id and fencing_token. Compare-and-set on each run's fencing token: a run
-- with no row back lost its task.
UPDATE ${schema}.task AS task
   SET lease_expires_at = n.expires_at
  FROM json_to_recordset(?::json)  -- the runs, a JSON array
       AS run(id uuid, fencing_token bigint),
       (SELECT coalesce(?::timestamptz, date_trunc('milliseconds', now()))  -- the store's clock
               + ?::bigint * interval '1 millisecond'                       -- lease length, ms
               AS expires_at) AS n
 WHERE task.id = run.id
   AND task.state = 'running'
   AND task.fencing_token = run.fencing_token
RETURNING task.id, task.fencing_token, task.cancel_requested;

-- name: updateProgress
UPDATE ${schema}.task
   SET progress = ?             -- progress
 WHERE id = ?                   -- id
   AND state = 'running'
   AND fencing_token = ?;       -- fencing_token of the run

-- name: finishSucceeded
-- A run claimed ahead whose start is not written yet starts here too, under the start's condition
-- (its lease has not expired; see startRuns): the success of a short handler then costs one row
-- write instead of two. Its started_at is then no later than its finished_at.
UPDATE ${schema}.task AS task
   SET state            = 'succeeded',
       finished_at      = n.finished_at,
       result           = ?::json,    -- result (JSON text or NULL)
       progress         = 100,
       lease_owner      = NULL,
       lease_expires_at = NULL,
       cancel_requested = false,
       attempt          = task.attempt + CASE WHEN task.started_at IS NULL THEN 1 ELSE 0 END,
       started_at       = coalesce(task.started_at, least(n.now, n.finished_at))
  FROM (SELECT ?::timestamptz AS finished_at,                                        -- finished_at
               coalesce(?::timestamptz, date_trunc('milliseconds', now())) AS now) AS n  -- the store's clock
 WHERE task.id = ?                    -- id
   AND task.state = 'running'
   AND task.fencing_token = ?         -- fencing_token of the run
   AND (task.started_at IS NOT NULL OR task.lease_expires_at >= n.now)
RETURNING task.*;

-- name: finishSucceededAll
-- The batch form of finishSucceeded: one statement, one round trip. The first parameter is a JSON
-- array of objects with the keys id, fencing_token, finished_at (epoch milliseconds) and result (a
-- JSON string holding the result's text, or null). Each row is found by its primary key. Starts a
-- run whose start is not written yet, as finishSucceeded does.
UPDATE ${schema}.task AS task
   SET state            = 'succeeded',
       finished_at      = timestamptz 'epoch' + run.finished_at * interval '1 millisecond',
       result           = run.result::json,
       progress         = 100,
       lease_owner      = NULL,
       lease_expires_at = NULL,
       cancel_requested = false,
       attempt          = task.attempt + CASE WHEN task.started_at IS NULL THEN 1 ELSE 0 END,
       started_at       = coalesce(task.started_at,
                                   least(n.now, timestamptz 'epoch' + run.finished_at * interval '1 millisecond'))
  FROM json_to_recordset(?::json)  -- the runs, a JSON array
       AS run(id uuid, fencing_token bigint, finished_at bigint, result text),
       (SELECT coalesce(?::timestamptz, date_trunc('milliseconds', now())) AS now) AS n  -- the store's clock
 WHERE task.id = run.id
   AND task.state = 'running'
   AND task.fencing_token = run.fencing_token
   AND (task.started_at IS NOT NULL OR task.lease_expires_at >= n.now)
RETURNING task.*;

-- name: finishRescheduled
-- A retry after backoff (with an error) or a snooze (no error, attempt refunded).
UPDATE ${schema}.task
   SET state            = 'scheduled',
       run_at           = ?,                              -- run_at
       attempt          = attempt - ?,                    -- 1 refunds this run's attempt, 0 keeps it
       last_error       = coalesce(?, last_error),        -- last_error: the error's message, or NULL to keep
       errors           = CASE WHEN ? IS NULL THEN errors -- errors: the TaskError as JSON, or NULL for none
                               ELSE errors || jsonb_build_array(?::jsonb)  -- errors: the same TaskError again
                          END,
       lease_owner      = NULL,
       lease_expires_at = NULL,
       cancel_requested = false
 WHERE id = ?                                             -- id
   AND state = 'running'
   AND fencing_token = ?                                  -- fencing_token of the run
RETURNING *;

-- name: finishFailed
UPDATE ${schema}.task
   SET state            = 'failed',
       finished_at      = ?,                                   -- finished_at
       last_error       = ?,                                   -- last_error: the error's message
       errors           = errors || jsonb_build_array(?::jsonb),  -- errors: the TaskError as JSON, appended
       lease_owner      = NULL,
       lease_expires_at = NULL,
       cancel_requested = false
 WHERE id = ?                                                  -- id
   AND state = 'running'
   AND fencing_token = ?                                       -- fencing_token of the run
RETURNING *;

-- name: finishCancelled
UPDATE ${schema}.task
   SET state            = 'cancelled',
       finished_at      = ?,                              -- finished_at
       last_error       = coalesce(?, last_error),        -- last_error: the error's message, or NULL to keep
       errors           = CASE WHEN ? IS NULL THEN errors -- errors: the TaskError as JSON, or NULL for none
                               ELSE errors || jsonb_build_array(?::jsonb)  -- errors: the same TaskError again
                          END,
       lease_owner      = NULL,
       lease_expires_at = NULL,
       cancel_requested = false
 WHERE id = ?                                             -- id
   AND state = 'running'
   AND fencing_token = ?                                  -- fencing_token of the run
RETURNING *;

-- name: finishReleased
-- The task goes back to its queue: given back by its node (shutdown, a paused queue), or recovered
-- from a lost lease (with an error). Whether the attempt is refunded is the engine's decision.
UPDATE ${schema}.task
   SET state            = 'queued',
       run_at           = ?,                              -- run_at
       attempt          = attempt                         -- a refund (1) only of an attempt spent:
                          - CASE WHEN started_at IS NULL THEN 0 ELSE ? END,  -- a run never started spent none
       last_error       = coalesce(?, last_error),        -- last_error: the error's message, or NULL to keep
       errors           = CASE WHEN ? IS NULL THEN errors -- errors: the TaskError as JSON, or NULL for none
                               ELSE errors || jsonb_build_array(?::jsonb)  -- errors: the same TaskError again
                          END,
       lease_owner      = NULL,
       lease_expires_at = NULL,
       cancel_requested = false
 WHERE id = ?                                             -- id
   AND state = 'running'
   AND fencing_token = ?                                  -- fencing_token of the run
RETURNING *;

-- name: cancelWaiting
UPDATE ${schema}.task
   SET state       = 'cancelled',
       finished_at = ?                       -- finished_at: now
 WHERE id = ?                                -- id
   AND state IN ('scheduled', 'queued')
RETURNING *;

-- name: requestCancelRunning
UPDATE ${schema}.task
   SET cancel_requested = true
 WHERE id = ?             -- id
   AND state = 'running'
RETURNING *;

-- name: runNow
-- A scheduled task (delayed, or waiting out a retry's backoff) becomes ready at once; its attempt
-- count and errors are kept.
UPDATE ${schema}.task
   SET state  = 'queued',
       run_at = ?                     -- run_at: now
 WHERE id = ?                         -- id
   AND state = 'scheduled'
RETURNING *;

-- name: retryTask
-- Errors and last_error are kept.
UPDATE ${schema}.task
   SET state            = 'queued',
       run_at           = ?,                                     -- run_at: now
       max_attempts     = greatest(max_attempts, attempt + 1),   -- allow at least one more run
       finished_at      = NULL,
       result           = NULL,
       progress         = 0,
       cancel_requested = false
 WHERE id = ?                                                    -- id
   AND state IN ('failed', 'cancelled')
RETURNING *;

-- name: selectExpiredLeases
-- The running tasks (task_running holds few rows: the nodes' slots and claims ahead), probed by
-- primary key, whose lease has expired, the oldest expiry first. Reads only: the engine decides
-- what becomes of each run, and lockExpiredRun checks again, under a row lock, before anything is
-- written.
SELECT *
  FROM ${schema}.task
 WHERE id = ANY (ARRAY(SELECT id FROM ${schema}.task_running))
   AND state = 'running'
   AND lease_expires_at < coalesce(?::timestamptz, date_trunc('milliseconds', now()))  -- the store's clock
 ORDER BY lease_expires_at, id
 LIMIT ?;                        -- limit

-- name: selectLeasesOfNode
-- Runs once as a node takes back its id: filters the running tasks, which are few.
SELECT *
  FROM ${schema}.task
 WHERE id = ANY (ARRAY(SELECT id FROM ${schema}.task_running))
   AND state = 'running'
   AND lease_owner = ?           -- lease_owner
 ORDER BY id;

-- name: lockExpiredRun
-- Locks a run's row if its lease is still expired, before its recovery is written in the same
-- transaction. A renewal committed meanwhile extended the lease (no row: the run is kept); a
-- renewal that comes after waits for the lock and then finds the run gone (compare-and-set). A
-- row another transaction holds is skipped, not waited for: the holder may be a frozen node in
-- the middle of a transaction, and recovery must go on with the other runs; the next tick looks
-- at it again (the pool's idle_in_transaction_session_timeout ends such a frozen transaction).
SELECT id
  FROM ${schema}.task
 WHERE id = ?                                                                          -- id
   AND state = 'running'
   AND fencing_token = ?                                                               -- fencing_token of the run
   AND lease_expires_at < coalesce(?::timestamptz, date_trunc('milliseconds', now()))  -- the store's clock
   FOR UPDATE SKIP LOCKED;

-- name: lockQueueLimit
-- Only a queue with a limit, or a paused one, returns its row, and only that row is locked (until
-- the claim commits): claims of a limited queue run one at a time, those of other queues lock
-- nothing; a claim of a paused queue ends here. FOR NO KEY UPDATE, not FOR UPDATE: it conflicts
-- with itself, but not with the FOR KEY SHARE lock
-- the foreign key check of a concurrent task insert takes on the same row, so submissions to the
-- queue never wait for its claims. A claim waiting here re-reads the row once it gets the lock,
-- and so sees a limit changed or removed meanwhile.
SELECT concurrency_limit,
       paused
  FROM ${schema}.queue
 WHERE name = ?                        -- name
   AND (concurrency_limit IS NOT NULL OR paused)
   FOR NO KEY UPDATE;

-- name: countRunningInQueue
-- One range of task_running_queue_idx. READ COMMITTED: this statement's snapshot is taken after the
-- lock above was granted, so it sees every earlier claim's commit (a claim's tracking row is
-- written by its own statement).
SELECT count(*) AS tasks
  FROM ${schema}.task_running
 WHERE queue = ?;                      -- queue

-- name: setQueueLimit
-- Registers the queue if it is new; otherwise only its limit changes. The update waits for a
-- claim holding the queue's row, so a claim never runs against a limit changed under it.
INSERT INTO ${schema}.queue (name, created_at, concurrency_limit)
VALUES (?,   -- name
        ?,   -- created_at (kept when the queue exists)
        ?)   -- concurrency_limit
ON CONFLICT (name) DO UPDATE
   SET concurrency_limit = excluded.concurrency_limit;

-- name: clearQueueLimit
UPDATE ${schema}.queue
   SET concurrency_limit = NULL
 WHERE name = ?;                       -- name

-- name: setQueuePaused
-- Registers the queue if it is new; otherwise only its pause flag changes. A change of the flag
-- notifies the nodes (trigger queue_paused_notify), so they stop or resume at once.
INSERT INTO ${schema}.queue (name, created_at, paused)
VALUES (?,   -- name
        ?,   -- created_at (kept when the queue exists)
        ?)   -- paused
ON CONFLICT (name) DO UPDATE
   SET paused = excluded.paused;

-- name: selectPausedQueues
SELECT name
  FROM ${schema}.queue
 WHERE paused
 ORDER BY name;

-- name: selectQueueLimits
SELECT name, concurrency_limit
  FROM ${schema}.queue
 WHERE concurrency_limit IS NOT NULL
 ORDER BY name;

-- name: upsertTaskTypes
-- Remote workers' announced types: one statement for the whole list (a JSON array of names).
INSERT INTO ${schema}.task_type (name, announced_at)
SELECT t.name, coalesce(?::timestamptz, date_trunc('milliseconds', now()))  -- the store's clock
  FROM jsonb_array_elements_text(?::jsonb) AS t(name)                      -- names: a JSON array
ON CONFLICT (name) DO UPDATE
   SET announced_at = excluded.announced_at;

-- name: selectTaskTypes
SELECT name
  FROM ${schema}.task_type
 ORDER BY name;

-- name: upsertNode
-- Registers a node, or refreshes its registration: only while the id is free, held by this very
-- instance, or held by an instance whose registration has expired by the database's clock (it
-- died or froze). A live holder's row is left alone and no row comes back. Every field is written
-- again, so a node that was pruned while frozen registers afresh.
INSERT INTO ${schema}.node AS node (id, instance, host, pid, started_at, heartbeat_at, expires_at,
                                    concurrency, types, labels)
SELECT n.id, n.instance, n.host, n.pid, n.started_at, n.now, n.now + n.lease, n.concurrency, n.types,
       n.labels
  FROM (SELECT ?::text                                                    AS id,          -- id
               ?::text                                                    AS instance,    -- instance
               ?::text                                                    AS host,        -- host
               ?::bigint                                                  AS pid,         -- pid
               ?::timestamptz                                             AS started_at,  -- started_at
               coalesce(?::timestamptz, date_trunc('milliseconds', now())) AS now,         -- the store's clock
               ?::bigint * interval '1 millisecond'                       AS lease,       -- lease length, ms
               ?::integer                                                 AS concurrency, -- concurrency
               ?::jsonb                                                   AS types,       -- types: a JSON array of strings
               ?::jsonb                                                   AS labels       -- labels: a JSON object, or NULL
       ) AS n
ON CONFLICT (id) DO UPDATE
   SET instance     = excluded.instance,
       host         = excluded.host,
       pid          = excluded.pid,
       started_at   = excluded.started_at,
       heartbeat_at = excluded.heartbeat_at,
       expires_at   = excluded.expires_at,
       concurrency  = excluded.concurrency,
       types        = excluded.types,
       labels       = excluded.labels
 WHERE node.instance = excluded.instance
    OR node.expires_at < excluded.heartbeat_at
RETURNING instance;

-- name: deleteNode
-- Only the instance that holds the id removes it.
DELETE FROM ${schema}.node
 WHERE id = ?                          -- id
   AND instance = ?;                   -- instance

-- name: selectNodes
-- read_at is the store's clock when the rows were read: ages and liveness are measured by it.
SELECT id, instance, host, pid, started_at, heartbeat_at, expires_at, concurrency, types, labels,
       coalesce(?::timestamptz, date_trunc('milliseconds', now())) AS read_at  -- the store's clock
  FROM ${schema}.node
 ORDER BY id;

-- name: selectNode
SELECT id, instance, host, pid, started_at, heartbeat_at, expires_at, concurrency, types, labels,
       coalesce(?::timestamptz, date_trunc('milliseconds', now())) AS read_at  -- the store's clock
  FROM ${schema}.node
 WHERE id = ?;                         -- id

-- name: pruneNodes
-- The registry holds one row per live node: a scan of it is a handful of rows.
DELETE FROM ${schema}.node
 WHERE heartbeat_at < coalesce(?::timestamptz, date_trunc('milliseconds', now()))  -- the store's clock
                      - ?::bigint * interval '1 millisecond';                      -- how long silent, ms

-- name: deleteFinishedTasks
-- Walks task_done_finished_idx from the earliest finish: only finished tasks are candidates. As in
-- promoteDue, the tracking rows and then the task rows are locked with SKIP LOCKED (a retry of
-- that very task holds its row), the picked ids come from run-once InitPlans, and the DELETE
-- probes the primary key for them. It checks the state again: compare-and-set, like every write.
-- Its trigger removes the tracking rows.
DELETE FROM ${schema}.task
 WHERE id = ANY (ARRAY(SELECT id
                         FROM ${schema}.task
                        WHERE id = ANY (ARRAY(SELECT id
                                                FROM ${schema}.task_done
                                               WHERE finished_at < ?  -- finished_at: the cutoff
                                               ORDER BY finished_at, id
                                               LIMIT ?                -- limit
                                                 FOR UPDATE SKIP LOCKED))
                          AND state IN ('succeeded', 'failed', 'cancelled')
                          FOR UPDATE SKIP LOCKED))
   AND state IN ('succeeded', 'failed', 'cancelled');

-- name: deleteQueue
-- Only a queue no task names, in any state: the task rows' foreign key needs the queue's row.
DELETE FROM ${schema}.queue
 WHERE name = ?                                -- name
   AND NOT EXISTS (SELECT 1 FROM ${schema}.task WHERE queue = ?);  -- queue

-- name: queueExists
SELECT 1 FROM ${schema}.queue WHERE name = ?;          -- name

-- name: ping
SELECT 1;

-- name: insertToken
-- The statements of JdbcAccessStore start here. Tokens, users and sessions are found by the hash
-- of their secret; the secrets never reach SQL.
-- Any conflict (an active token's name, or the secret's hash) inserts nothing.
INSERT INTO ${schema}.access_token (id, name, role, secret_hash, created_at, expires_at, scope)
VALUES (?,   -- id
        ?,   -- name
        ?,   -- role
        ?,   -- secret_hash
        ?,   -- created_at
        ?,   -- expires_at
        ?::jsonb)   -- scope: a JSON object, or NULL
ON CONFLICT DO NOTHING;

-- name: findTokenByHash
SELECT id, name, role, secret_hash, created_at, expires_at, last_used_at, revoked_at, scope
  FROM ${schema}.access_token
 WHERE secret_hash = ?;  -- secret_hash

-- name: listTokens
SELECT id, name, role, secret_hash, created_at, expires_at, last_used_at, revoked_at, scope
  FROM ${schema}.access_token
 ORDER BY created_at, id;

-- name: revokeTokenById
UPDATE ${schema}.access_token
   SET revoked_at = ?         -- revoked_at
 WHERE id = ?                 -- id
   AND revoked_at IS NULL
RETURNING id, name, role, secret_hash, created_at, expires_at, last_used_at, revoked_at, scope;

-- name: revokeTokenByName
UPDATE ${schema}.access_token
   SET revoked_at = ?         -- revoked_at
 WHERE name = ?               -- name
   AND revoked_at IS NULL
RETURNING id, name, role, secret_hash, created_at, expires_at, last_used_at, revoked_at, scope;

-- name: touchToken
UPDATE ${schema}.access_token
   SET last_used_at = ?       -- last_used_at
 WHERE id = ?                 -- id
   AND revoked_at IS NULL;

-- name: hasCredentials
-- Any token ever made, revoked and expired ones too, or any user: once configured, a server stays
-- closed (revoking the last token must not open it).
SELECT EXISTS (SELECT 1 FROM ${schema}.access_token)
       OR EXISTS (SELECT 1 FROM ${schema}.dashboard_user) AS has_credentials;

-- name: insertUser
INSERT INTO ${schema}.dashboard_user (name, role, password_hash, created_at)
VALUES (?,   -- name
        ?,   -- role
        ?,   -- password_hash
        ?)   -- created_at
ON CONFLICT DO NOTHING;

-- name: findUser
SELECT name, role, password_hash, created_at
  FROM ${schema}.dashboard_user
 WHERE name = ?;  -- name

-- name: listUsers
SELECT name, role, password_hash, created_at
  FROM ${schema}.dashboard_user
 ORDER BY name;

-- name: deleteUser
DELETE FROM ${schema}.dashboard_user
 WHERE name = ?;  -- name

-- name: insertSession
INSERT INTO ${schema}.web_session (secret_hash, principal, role, token_id, csrf_token, created_at,
                                  last_seen_at)
VALUES (?,   -- secret_hash
        ?,   -- principal
        ?,   -- role
        ?,   -- token_id
        ?,   -- csrf_token
        ?,   -- created_at
        ?);  -- last_seen_at

-- name: findSession
SELECT secret_hash, principal, role, token_id, csrf_token, created_at, last_seen_at
  FROM ${schema}.web_session
 WHERE secret_hash = ?;  -- secret_hash

-- name: touchSession
UPDATE ${schema}.web_session
   SET last_seen_at = ?   -- last_seen_at
 WHERE secret_hash = ?;   -- secret_hash

-- name: deleteSession
DELETE FROM ${schema}.web_session
 WHERE secret_hash = ?;   -- secret_hash

-- name: deleteSessionsOfToken
DELETE FROM ${schema}.web_session
 WHERE token_id = ?;      -- token_id

-- name: deleteSessionsOfUser
DELETE FROM ${schema}.web_session
 WHERE principal = ?      -- principal
   AND token_id IS NULL;

-- name: deleteStaleSessions
DELETE FROM ${schema}.web_session
 WHERE last_seen_at < ?   -- last_seen_at: the idle cutoff
    OR created_at < ?;    -- created_at: the absolute cutoff

-- name: appendAudit
INSERT INTO ${schema}.audit_entry (at, actor, action, target, client, detail)
VALUES (?,   -- at
        ?,   -- actor
        ?,   -- action
        ?,   -- target
        ?,   -- client
        ?);  -- detail

-- name: listAudit
SELECT id, at, actor, action, target, client, detail
  FROM ${schema}.audit_entry
 WHERE id < ?             -- id: below this one
 ORDER BY id DESC
 LIMIT ?;                 -- limit

-- name: pruneAudit
DELETE FROM ${schema}.audit_entry
 WHERE at < ?;            -- at: the cutoff

-- name: saveSchedule
-- The statements of JdbcScheduleStore start here. A new schedule is stored as given; an existing
-- one takes the new definition and keeps its pause, last run and creation, and its next tick too
-- unless the recurrence changed (in the SET list, s.* is the row as it was).
INSERT INTO ${schema}.schedule AS s (name, cron, zone, interval_ms, type, queue, payload, priority,
                                     max_attempts, timeout_ms, misfire, paused, next_run_at,
                                     created_by, created_at, updated_at)
VALUES (?,         -- name
        ?,         -- cron, or NULL
        ?,         -- zone, or NULL
        ?,         -- interval_ms, or NULL
        ?,         -- type
        ?,         -- queue
        ?::json,   -- payload
        ?,         -- priority
        ?,         -- max_attempts
        ?,         -- timeout_ms
        ?,         -- misfire
        ?,         -- paused (a new schedule's)
        ?,         -- next_run_at (a new schedule's, or one whose recurrence changed)
        ?,         -- created_by
        ?,         -- created_at (a new schedule's)
        ?)         -- updated_at
ON CONFLICT (name) DO UPDATE
   SET next_run_at  = CASE
                        WHEN (s.cron, s.zone, s.interval_ms)
                             IS NOT DISTINCT FROM (excluded.cron, excluded.zone, excluded.interval_ms)
                        THEN s.next_run_at
                        ELSE excluded.next_run_at
                      END,
       cron         = excluded.cron,
       zone         = excluded.zone,
       interval_ms  = excluded.interval_ms,
       type         = excluded.type,
       queue        = excluded.queue,
       payload      = excluded.payload,
       priority     = excluded.priority,
       max_attempts = excluded.max_attempts,
       timeout_ms   = excluded.timeout_ms,
       misfire      = excluded.misfire,
       created_by   = excluded.created_by,
       updated_at   = excluded.updated_at
RETURNING s.*;

-- name: findSchedule
SELECT * FROM ${schema}.schedule WHERE name = ?;   -- name

-- name: listSchedules
SELECT * FROM ${schema}.schedule ORDER BY name;

-- name: deleteSchedule
DELETE FROM ${schema}.schedule WHERE name = ?;     -- name

-- name: pauseSchedule
UPDATE ${schema}.schedule
   SET paused = true,
       updated_at = ?       -- updated_at
 WHERE name = ?             -- name
   AND NOT paused;

-- name: resumeSchedule
UPDATE ${schema}.schedule
   SET paused = false,
       next_run_at = ?,     -- next_run_at: the first tick after now
       updated_at = ?       -- updated_at
 WHERE name = ?             -- name
   AND paused;

-- name: dueSchedules
SELECT * FROM ${schema}.schedule
 WHERE NOT paused
   AND next_run_at <= ?     -- now
 ORDER BY next_run_at
 LIMIT ?;                   -- limit

-- name: nextScheduleAt
SELECT min(next_run_at) AS next_run_at FROM ${schema}.schedule WHERE NOT paused;

-- name: fireSchedule
-- Compare-and-set on the next tick: a node that read the same due tick and fires it second finds
-- next_run_at moved (it waits for the first one's commit on the row lock, then re-checks) and
-- updates no row, so it inserts nothing.
UPDATE ${schema}.schedule
   SET next_run_at  = ?,                                  -- next_run_at: the new next tick, or NULL
       last_run_at  = coalesce(?, last_run_at),           -- last_run_at: the last tick fired, or NULL for none
       last_task_id = coalesce(?::uuid, last_task_id)     -- last_task_id: its task, or NULL
 WHERE name = ?                                           -- name
   AND next_run_at = ?                                    -- next_run_at: as read
   AND NOT paused;

-- name: recordScheduleRun
UPDATE ${schema}.schedule
   SET last_run_at  = ?,        -- last_run_at
       last_task_id = ?::uuid   -- last_task_id
 WHERE name = ?;                -- name

-- name: selectRateLimits
-- The statements of JdbcRateStore start here.
SELECT scope, target, max_starts, per_ms, burst, key_field FROM ${schema}.rate_limit ORDER BY scope, target;

-- name: upsertRateLimit
INSERT INTO ${schema}.rate_limit (scope, target, max_starts, per_ms, burst, key_field)
VALUES (?,   -- scope
        ?,   -- target
        ?,   -- max_starts
        ?,   -- per_ms
        ?,   -- burst
        ?)   -- key_field
ON CONFLICT (scope, target) DO UPDATE
   SET max_starts = excluded.max_starts,
       per_ms     = excluded.per_ms,
       burst      = excluded.burst,
       key_field  = excluded.key_field;

-- name: deleteRateLimit
DELETE FROM ${schema}.rate_limit WHERE scope = ? AND target = ?;   -- scope, target

-- name: deleteRateBuckets
DELETE FROM ${schema}.rate_bucket WHERE limit_name = ?;            -- limit_name

-- name: ensureRateBucket
-- A bucket never used starts at 0: as good as empty.
INSERT INTO ${schema}.rate_bucket (limit_name, key, tat_us)
VALUES (?, ?, 0)     -- limit_name, key
ON CONFLICT (limit_name, key) DO NOTHING;

-- name: lockRateBucket
-- Held until the decision's transaction ends; buckets are locked in (limit_name, key) order.
SELECT tat_us FROM ${schema}.rate_bucket
 WHERE limit_name = ?   -- limit_name
   AND key = ? FOR UPDATE;        -- key

-- name: updateRateBucket
UPDATE ${schema}.rate_bucket
   SET tat_us = ?        -- tat_us
 WHERE limit_name = ?    -- limit_name
   AND key = ?;          -- key

-- name: takeRateReservation
DELETE FROM ${schema}.rate_reservation WHERE task_id = ?::uuid RETURNING slot_us;   -- task_id

-- name: upsertRateReservation
INSERT INTO ${schema}.rate_reservation (task_id, slot_us)
VALUES (?::uuid,   -- task_id
        ?)      -- slot_us
ON CONFLICT (task_id) DO UPDATE SET slot_us = excluded.slot_us;

-- name: findRateReservation
SELECT slot_us FROM ${schema}.rate_reservation WHERE task_id = ?::uuid;   -- task_id

-- name: pruneRateBuckets
DELETE FROM ${schema}.rate_bucket WHERE tat_us < ?;            -- tat_us: the cutoff

-- name: pruneRateReservations
DELETE FROM ${schema}.rate_reservation WHERE slot_us < ?;      -- slot_us: the cutoff
