-- Tasklane's statements for SQLite, one block per dev.tasklane.jdbc.QueryName.
--
-- Parameters are positional; the comment on each '?' names the column it binds, in the order
-- JdbcTaskStore binds them. Times are epoch milliseconds. Writes run on the single writer
-- connection inside BEGIN IMMEDIATE, so a read followed by a write in one transaction cannot be
-- interleaved with another writer: no row locks are needed ("for update" reads are plain reads).
-- Literal states (state = 'queued') are written inline, not bound, so that SQLite can match the
-- partial indexes, whose WHERE clauses must appear verbatim in the query.
--
-- The store's clock: leases and node heartbeats are measured against one clock, SQLite's, as in
-- PostgreSQL's file. "coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER))" is that clock in
-- epoch milliseconds: the parameter is NULL in production and a fixed instant only in tests that
-- set the store's clock. SQLite's 'now' does not change within one statement.
--
-- INDEXED BY pins the hot-path statements to their partial index. Without ANALYZE statistics the
-- planner rates "state = ?" on task_state_id_idx as more selective than a range on a partial
-- index, and would read every row in the state and sort them; INDEXED BY makes it use the intended
-- index, and makes preparing the statement fail (rather than silently scan) should that index
-- ever stop being usable.

-- name: insertQueue
-- A name that is already registered is left alone (only a conflict on name is ignored).
INSERT INTO queue (name, created_at)
VALUES (?,  -- name
        ?)  -- created_at
ON CONFLICT (name) DO NOTHING;

-- name: selectQueueNames
SELECT name,
       paused
  FROM queue
 ORDER BY name;

-- name: insertTask
-- A taken idempotency key inserts nothing and returns no row; the store then reads the original.
-- Any other conflict (a duplicate id) is an error and fails the whole transaction.
INSERT INTO task (id, type, queue, payload, priority, state, max_attempts, run_at, timeout_ms,
                  created_at, idempotency_key, submitted_by)
VALUES (?,   -- id
        ?,   -- type
        ?,   -- queue
        ?,   -- payload
        ?,   -- priority
        ?,   -- state: 'queued' or 'scheduled'
        ?,   -- max_attempts
        ?,   -- run_at
        ?,   -- timeout_ms (NULL: no limit)
        ?,   -- created_at
        ?,   -- idempotency_key (NULL: none)
        ?)   -- submitted_by (NULL: nobody in particular)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING *;

-- name: insertTasks
-- The batch form of insertTask: one statement for a whole batch, so a batch pays the statement's
-- fixed costs once. The one parameter is a JSON array of objects whose keys are the columns below
-- (times in epoch milliseconds, payload as a JSON string holding the payload's text). The store
-- sends each idempotency key at most once per batch. WHERE true: an INSERT ... SELECT needs it
-- before ON CONFLICT, which SQLite would otherwise read as a join constraint.
INSERT INTO task (id, type, queue, payload, priority, state, max_attempts, run_at, timeout_ms,
                  created_at, idempotency_key, submitted_by)
SELECT value ->> 'id',
       value ->> 'type',
       value ->> 'queue',
       value ->> 'payload',
       value ->> 'priority',
       value ->> 'state',
       value ->> 'max_attempts',
       value ->> 'run_at',
       value ->> 'timeout_ms',
       value ->> 'created_at',
       value ->> 'idempotency_key',
       value ->> 'submitted_by'
  FROM json_each(?)  -- the tasks, a JSON array
 WHERE true
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING *;

-- name: findTask
SELECT *
  FROM task
 WHERE id = ?;  -- id

-- name: findTaskForUpdate
-- The writer already holds the database's write lock (BEGIN IMMEDIATE): a plain read is stable.
SELECT *
  FROM task
 WHERE id = ?;  -- id

-- name: findTaskByIdempotencyKey
SELECT *
  FROM task
 WHERE idempotency_key = ?;  -- idempotency_key

-- name: listTasks
-- Keyset paging newest first: the cursor is the last id of the previous page (the largest UUID
-- for the first page), walked backwards on the primary key. Never OFFSET.
SELECT *
  FROM task
 WHERE id < ?      -- id: the cursor
 ORDER BY id DESC
 LIMIT ?;          -- page size + 1

-- name: listTasksByState
-- Seeks task_state_id_idx; queue and type, when given, filter the rows it yields.
SELECT *
  FROM task
 WHERE state = ?                    -- state
   AND (? IS NULL OR queue = ?)     -- queue, queue (NULL: any)
   AND (? IS NULL OR type = ?)      -- type, type (NULL: any)
   AND id < ?                       -- id: the cursor
 ORDER BY id DESC
 LIMIT ?;                           -- page size + 1

-- name: listTasksByQueue
-- Seeks task_queue_id_idx; type, when given, filters the rows it yields.
SELECT *
  FROM task
 WHERE queue = ?                    -- queue
   AND (? IS NULL OR type = ?)      -- type, type (NULL: any)
   AND id < ?                       -- id: the cursor
 ORDER BY id DESC
 LIMIT ?;                           -- page size + 1

-- name: listTasksByType
SELECT *
  FROM task
 WHERE type = ?    -- type
   AND id < ?      -- id: the cursor
 ORDER BY id DESC
 LIMIT ?;          -- page size + 1

-- name: listTasksBySubmitter
-- task_submitter_idx, newest first; the other filters are residual.
SELECT *
  FROM task
 WHERE submitted_by = ?                     -- submitted_by
   AND (? IS NULL OR state = ?)             -- state, state
   AND (? IS NULL OR queue = ?)             -- queue, queue
   AND (? IS NULL OR type = ?)              -- type, type
   AND id < ?                               -- id: the cursor
 ORDER BY id DESC
 LIMIT ?;                                   -- page size + 1

-- name: countTasksByQueueAndState
-- Every registered queue with every state: one exact range of task_claim_idx, counted from the
-- index alone, per pair (0 where the queue has no task in that state); and 'claimed_ahead', the
-- running tasks not started yet, which reads the rows of the running range (a node's few).
SELECT q.name  AS queue,
       s.state AS state,
       (SELECT count(*)
          FROM task t INDEXED BY task_claim_idx
         WHERE t.state = s.stored
           AND t.queue = q.name
           AND (s.unstarted IS NULL OR t.started_at IS NULL)) AS tasks
  FROM queue q
 CROSS JOIN (SELECT 'scheduled' AS state, 'scheduled' AS stored, NULL AS unstarted
             UNION ALL SELECT 'queued', 'queued', NULL
             UNION ALL SELECT 'running', 'running', NULL
             UNION ALL SELECT 'claimed_ahead', 'running', 1
             UNION ALL SELECT 'succeeded', 'succeeded', NULL
             UNION ALL SELECT 'failed', 'failed', NULL
             UNION ALL SELECT 'cancelled', 'cancelled', NULL) s
 ORDER BY q.name;

-- name: countQueuedAhead
-- The queued tasks a claim of the queue would take first: a walk of task_claim_idx over the
-- queue's queued range, which is in exactly that order.
SELECT count(*) AS tasks
  FROM task INDEXED BY task_claim_idx
 WHERE state = 'queued'
   AND queue = ?                                 -- queue
   AND (priority > ?                             -- priority
        OR (priority = ?                         -- priority
            AND (run_at < ?                      -- run_at
                 OR (run_at = ? AND id < ?))));  -- run_at, id

-- name: countWaitingByQueue
-- One pair of exact ranges of task_claim_idx per registered queue, read from the index alone:
-- finished rows are never visited, however many the table keeps.
SELECT q.name AS queue,
       (SELECT count(*)
          FROM task t INDEXED BY task_claim_idx
         WHERE t.queue = q.name
           AND t.state IN ('scheduled', 'queued')) AS tasks
  FROM queue q;

-- name: promoteDue
-- The subquery walks task_due_idx from the earliest run_at and stops at the limit.
UPDATE task
   SET state = 'queued'
 WHERE id IN (SELECT id
                FROM task INDEXED BY task_due_idx
               WHERE state = 'scheduled'
                 AND run_at <= ?         -- run_at: now
               ORDER BY run_at, id
               LIMIT ?);                 -- limit

-- name: nextScheduledAt
SELECT run_at
  FROM task INDEXED BY task_due_idx
 WHERE state = 'scheduled'
 ORDER BY run_at
 LIMIT 1;

-- name: claimQueued
-- Picks the first ready tasks of one queue in claim order from task_claim_idx and leases them in
-- the same statement. One writer at a time (BEGIN IMMEDIATE on the single writer connection) means
-- no two claims can pick the same row. With start = 1 the runs start at once (an attempt spent,
-- started_at set); with start = 0 they are claimed ahead: leased, not started (started_at NULL, no
-- attempt spent) until startRuns. RETURNING does not keep the subquery's order: the store sorts
-- the claimed rows again.
UPDATE task
   SET state            = 'running',
       lease_owner      = ?,                                   -- lease_owner: the claiming node
       lease_expires_at = coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER))  -- the store's clock (?2)
                          + ?,                                 -- lease length, ms
       started_at       = CASE WHEN ? = 1                      -- 1: start now, 0: claim ahead (?4)
                               THEN coalesce(?2, CAST(unixepoch('subsec') * 1000 AS INTEGER))
                          END,
       last_node        = ?1,                                  -- lease_owner again
       attempt          = attempt + ?4,                        -- the start flag again
       fencing_token    = fencing_token + 1,
       progress         = 0,
       cancel_requested = 0
 WHERE id IN (SELECT id
                FROM task INDEXED BY task_claim_idx
               WHERE state = 'queued'
                 AND queue = ?             -- queue
                 AND run_at <= ?           -- run_at: the engine's now
               ORDER BY priority DESC, run_at, id
               LIMIT ?)                    -- limit
RETURNING *;

-- name: claimQueuedAfter
-- claimQueued from a floor (see dev.tasklane.jdbc.ClaimFloors): the tasks of the floor's priority
-- after its (run_at, id), a range of task_claim_idx that starts at the floor. SQLite updates rows in
-- place, so no claimed task's entry is left behind to skip; the store uses floors here too because
-- every change to the file passes through it, which keeps them exact (and tested) without
-- notifications.
UPDATE task
   SET state            = 'running',
       lease_owner      = ?,                                   -- lease_owner: the claiming node
       lease_expires_at = coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER))  -- the store's clock (?2)
                          + ?,                                 -- lease length, ms
       started_at       = CASE WHEN ? = 1                      -- 1: start now, 0: claim ahead (?4)
                               THEN coalesce(?2, CAST(unixepoch('subsec') * 1000 AS INTEGER))
                          END,
       last_node        = ?1,                                  -- lease_owner again
       attempt          = attempt + ?4,                        -- the start flag again
       fencing_token    = fencing_token + 1,
       progress         = 0,
       cancel_requested = 0
 WHERE id IN (SELECT id
                FROM task INDEXED BY task_claim_idx
               WHERE state = 'queued'
                 AND queue = ?             -- queue
                 AND priority = ?          -- the floor's priority
                 AND (run_at, id) > (?, ?) -- the floor's run_at and id: the scan starts there
                 AND run_at <= ?           -- run_at: the engine's now
               ORDER BY priority DESC, run_at, id
               LIMIT ?)                    -- limit
RETURNING *;

-- name: claimQueuedOfTypes
-- claimQueued for a claimer that serves some task types only: the walk of task_claim_idx passes
-- over the queue's tasks of other types, which stay queued for the claimers that serve them. The
-- types come as one JSON array of strings.
UPDATE task
   SET state            = 'running',
       lease_owner      = ?,                                   -- lease_owner: the claiming node
       lease_expires_at = coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER))  -- the store's clock (?2)
                          + ?,                                 -- lease length, ms
       started_at       = CASE WHEN ? = 1                      -- 1: start now, 0: claim ahead (?4)
                               THEN coalesce(?2, CAST(unixepoch('subsec') * 1000 AS INTEGER))
                          END,
       last_node        = ?1,                                  -- lease_owner again
       attempt          = attempt + ?4,                        -- the start flag again
       fencing_token    = fencing_token + 1,
       progress         = 0,
       cancel_requested = 0
 WHERE id IN (SELECT id
                FROM task INDEXED BY task_claim_idx
               WHERE state = 'queued'
                 AND queue = ?             -- queue
                 AND type IN (SELECT value FROM json_each(?)) -- types: a JSON array
                 AND run_at <= ?           -- run_at: the engine's now
               ORDER BY priority DESC, run_at, id
               LIMIT ?)                    -- limit
RETURNING *;

-- name: claimQueuedOfTypesAfter
-- claimQueuedOfTypes from a floor: see claimQueuedAfter.
UPDATE task
   SET state            = 'running',
       lease_owner      = ?,                                   -- lease_owner: the claiming node
       lease_expires_at = coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER))  -- the store's clock (?2)
                          + ?,                                 -- lease length, ms
       started_at       = CASE WHEN ? = 1                      -- 1: start now, 0: claim ahead (?4)
                               THEN coalesce(?2, CAST(unixepoch('subsec') * 1000 AS INTEGER))
                          END,
       last_node        = ?1,                                  -- lease_owner again
       attempt          = attempt + ?4,                        -- the start flag again
       fencing_token    = fencing_token + 1,
       progress         = 0,
       cancel_requested = 0
 WHERE id IN (SELECT id
                FROM task INDEXED BY task_claim_idx
               WHERE state = 'queued'
                 AND queue = ?             -- queue
                 AND type IN (SELECT value FROM json_each(?)) -- types: a JSON array
                 AND priority = ?          -- the floor's priority
                 AND (run_at, id) > (?, ?) -- the floor's run_at and id: the scan starts there
                 AND run_at <= ?           -- run_at: the engine's now
               ORDER BY priority DESC, run_at, id
               LIMIT ?)                    -- limit
RETURNING *;

-- name: startRuns
-- Starts runs that were claimed ahead: each spends its attempt and gets its start time, in one
-- statement for a batch. The first parameter is a JSON array of objects with the keys id and
-- fencing_token. Compare-and-set: only a task still running under that run, whose lease has not
-- expired (an expired lease may be recovered at any moment, as not started). Idempotent: a run
-- already started is returned as it is. The unary + keeps the planner on the primary key (as in
-- finishSucceededAll).
UPDATE task
   SET attempt    = attempt + CASE WHEN started_at IS NULL THEN 1 ELSE 0 END,
       started_at = coalesce(started_at, run.now)
  FROM (SELECT value ->> 'id'            AS id,
               value ->> 'fencing_token' AS fencing_token,
               n.now                     AS now
          FROM json_each(?),  -- the runs, a JSON array
               (SELECT coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER)) AS now) AS n  -- the store's clock
       ) AS run
 WHERE task.id = run.id
   AND +task.state = 'running'
   AND task.fencing_token = run.fencing_token
   AND task.lease_expires_at >= run.now
RETURNING *;

-- name: renewLeases
-- Extends the leases of a batch of runs in one statement. The first parameter is a JSON array of
-- objects with the keys id and fencing_token. Compare-and-set on each run's fencing token: a run
-- with no row back lost its task. The unary + keeps the planner on the primary key (as in
-- finishSucceededAll).
UPDATE task
   SET lease_expires_at = run.expires_at
  FROM (SELECT value ->> 'id'            AS id,
               value ->> 'fencing_token' AS fencing_token,
               n.expires_at              AS expires_at
          FROM json_each(?),  -- the runs, a JSON array
               (SELECT coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER))  -- the store's clock
                       + ?                                                       -- lease length, ms
                       AS expires_at) AS n
       ) AS run
 WHERE task.id = run.id
   AND +task.state = 'running'
   AND task.fencing_token = run.fencing_token
RETURNING id, fencing_token, cancel_requested;

-- name: updateProgress
UPDATE task
   SET progress = ?             -- progress
 WHERE id = ?                   -- id
   AND state = 'running'
   AND fencing_token = ?;       -- fencing_token of the run

-- name: finishSucceeded
-- A run claimed ahead whose start is not written yet starts here too, under the start's condition
-- (its lease has not expired; see startRuns): the success of a short handler then costs one row
-- write instead of two. Its started_at is then no later than its finished_at.
UPDATE task
   SET state            = 'succeeded',
       finished_at      = n.finished_at,
       result           = ?,        -- result (JSON text or NULL)
       progress         = 100,
       lease_owner      = NULL,
       lease_expires_at = NULL,
       cancel_requested = 0,
       attempt          = attempt + CASE WHEN started_at IS NULL THEN 1 ELSE 0 END,
       started_at       = coalesce(started_at, min(n.now, n.finished_at))
  FROM (SELECT ? AS finished_at,                                                   -- finished_at
               coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER)) AS now) AS n  -- the store's clock
 WHERE id = ?                       -- id
   AND +state = 'running'           -- + keeps the planner on the primary key, as below
   AND fencing_token = ?            -- fencing_token of the run
   AND (started_at IS NOT NULL OR lease_expires_at >= n.now)
RETURNING *;

-- name: finishSucceededAll
-- The batch form of finishSucceeded. The first parameter is a JSON array of objects with the keys
-- id, fencing_token, finished_at (epoch milliseconds) and result (a JSON string holding the
-- result's text, or null). Each row is found by its primary key: the unary + keeps the planner
-- from walking task_state_id_idx over every running task instead (+ takes a term out of index
-- selection without changing its value). Starts a run whose start is not written yet, as
-- finishSucceeded does.
UPDATE task
   SET state            = 'succeeded',
       finished_at      = run.finished_at,
       result           = run.result,
       progress         = 100,
       lease_owner      = NULL,
       lease_expires_at = NULL,
       cancel_requested = 0,
       attempt          = attempt + CASE WHEN started_at IS NULL THEN 1 ELSE 0 END,
       started_at       = coalesce(started_at, min(run.now, run.finished_at))
  FROM (SELECT value ->> 'id'            AS id,
               value ->> 'fencing_token' AS fencing_token,
               value ->> 'finished_at'   AS finished_at,
               value ->> 'result'        AS result,
               n.now                     AS now
          FROM json_each(?),  -- the runs, a JSON array
               (SELECT coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER)) AS now) AS n  -- the store's clock
       ) AS run
 WHERE task.id = run.id
   AND +task.state = 'running'
   AND task.fencing_token = run.fencing_token
   AND (task.started_at IS NOT NULL OR task.lease_expires_at >= run.now)
RETURNING *;

-- name: finishRescheduled
-- A retry after backoff (with an error) or a snooze (no error, attempt refunded).
UPDATE task
   SET state            = 'scheduled',
       run_at           = ?,                              -- run_at
       attempt          = attempt - ?,                    -- 1 refunds this run's attempt, 0 keeps it
       last_error       = coalesce(?, last_error),        -- last_error: the error's message, or NULL to keep
       errors           = CASE WHEN ? IS NULL THEN errors -- errors: the TaskError as JSON, or NULL for none
                               ELSE json_insert(errors, '$[#]', json(?))  -- errors: the same TaskError again
                          END,
       lease_owner      = NULL,
       lease_expires_at = NULL,
       cancel_requested = 0
 WHERE id = ?                                             -- id
   AND state = 'running'
   AND fencing_token = ?                                  -- fencing_token of the run
RETURNING *;

-- name: finishFailed
UPDATE task
   SET state            = 'failed',
       finished_at      = ?,                                 -- finished_at
       last_error       = ?,                                 -- last_error: the error's message
       errors           = json_insert(errors, '$[#]', json(?)),  -- errors: the TaskError as JSON, appended
       lease_owner      = NULL,
       lease_expires_at = NULL,
       cancel_requested = 0
 WHERE id = ?                                                -- id
   AND state = 'running'
   AND fencing_token = ?                                     -- fencing_token of the run
RETURNING *;

-- name: finishCancelled
UPDATE task
   SET state            = 'cancelled',
       finished_at      = ?,                              -- finished_at
       last_error       = coalesce(?, last_error),        -- last_error: the error's message, or NULL to keep
       errors           = CASE WHEN ? IS NULL THEN errors -- errors: the TaskError as JSON, or NULL for none
                               ELSE json_insert(errors, '$[#]', json(?))  -- errors: the same TaskError again
                          END,
       lease_owner      = NULL,
       lease_expires_at = NULL,
       cancel_requested = 0
 WHERE id = ?                                             -- id
   AND state = 'running'
   AND fencing_token = ?                                  -- fencing_token of the run
RETURNING *;

-- name: finishReleased
-- The task goes back to its queue: given back by its node (shutdown, a paused queue), or recovered
-- from a lost lease (with an error). Whether the attempt is refunded is the engine's decision.
UPDATE task
   SET state            = 'queued',
       run_at           = ?,                              -- run_at
       attempt          = attempt                         -- a refund (1) only of an attempt spent:
                          - CASE WHEN started_at IS NULL THEN 0 ELSE ? END,  -- a run never started spent none
       last_error       = coalesce(?, last_error),        -- last_error: the error's message, or NULL to keep
       errors           = CASE WHEN ? IS NULL THEN errors -- errors: the TaskError as JSON, or NULL for none
                               ELSE json_insert(errors, '$[#]', json(?))  -- errors: the same TaskError again
                          END,
       lease_owner      = NULL,
       lease_expires_at = NULL,
       cancel_requested = 0
 WHERE id = ?                                             -- id
   AND state = 'running'
   AND fencing_token = ?                                  -- fencing_token of the run
RETURNING *;

-- name: cancelWaiting
UPDATE task
   SET state       = 'cancelled',
       finished_at = ?                       -- finished_at: now
 WHERE id = ?                                -- id
   AND state IN ('scheduled', 'queued')
RETURNING *;

-- name: requestCancelRunning
UPDATE task
   SET cancel_requested = 1
 WHERE id = ?             -- id
   AND state = 'running'
RETURNING *;

-- name: runNow
-- A scheduled task (delayed, or waiting out a retry's backoff) becomes ready at once; its attempt
-- count and errors are kept.
UPDATE task
   SET state  = 'queued',
       run_at = ?                     -- run_at: now
 WHERE id = ?                         -- id
   AND state = 'scheduled'
RETURNING *;

-- name: retryTask
-- Errors and last_error are kept; max(a, b) is SQLite's two-argument scalar maximum.
UPDATE task
   SET state            = 'queued',
       run_at           = ?,                                   -- run_at: now
       max_attempts     = max(max_attempts, attempt + 1),      -- allow at least one more run
       finished_at      = NULL,
       result           = NULL,
       progress         = 0,
       cancel_requested = 0
 WHERE id = ?                                                  -- id
   AND state IN ('failed', 'cancelled')
RETURNING *;

-- name: selectExpiredLeases
-- Walks task_lease_expiry_idx from the oldest expiry. Reads only: the engine decides what becomes
-- of each run, and lockExpiredRun checks again before anything is written.
SELECT *
  FROM task INDEXED BY task_lease_expiry_idx
 WHERE state = 'running'
   AND lease_expires_at < coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER))  -- the store's clock
 ORDER BY lease_expires_at, id
 LIMIT ?;                        -- limit

-- name: selectLeasesOfNode
-- Runs once as a node takes back its id: filters the running rows of task_lease_expiry_idx, which
-- are few.
SELECT *
  FROM task INDEXED BY task_lease_expiry_idx
 WHERE state = 'running'
   AND lease_owner = ?           -- lease_owner
 ORDER BY id;

-- name: lockExpiredRun
-- Checks, in the recovery's own transaction, that a run's lease is still expired before its
-- recovery is written (the single writer holds the database, so nothing changes in between).
SELECT id
  FROM task
 WHERE id = ?                   -- id
   AND state = 'running'
   AND fencing_token = ?        -- fencing_token of the run
   AND lease_expires_at < coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER));  -- the store's clock

-- name: lockQueueLimit
-- Only a queue with a limit, or a paused one, has a row here. The claim that reads it runs on the
-- single writer inside BEGIN IMMEDIATE, so claims of a limited queue are already one at a time: no
-- lock needed.
SELECT concurrency_limit,
       paused
  FROM queue
 WHERE name = ?                        -- name
   AND (concurrency_limit IS NOT NULL OR paused = 1);

-- name: countRunningInQueue
-- One exact range of task_claim_idx, read from the index alone.
SELECT count(*) AS tasks
  FROM task INDEXED BY task_claim_idx
 WHERE state = 'running'
   AND queue = ?;                      -- queue

-- name: setQueueLimit
-- Registers the queue if it is new; otherwise only its limit changes.
INSERT INTO queue (name, created_at, concurrency_limit)
VALUES (?,   -- name
        ?,   -- created_at (kept when the queue exists)
        ?)   -- concurrency_limit
ON CONFLICT (name) DO UPDATE
   SET concurrency_limit = excluded.concurrency_limit;

-- name: clearQueueLimit
UPDATE queue
   SET concurrency_limit = NULL
 WHERE name = ?;                       -- name

-- name: setQueuePaused
-- Registers the queue if it is new; otherwise only its pause flag changes.
INSERT INTO queue (name, created_at, paused)
VALUES (?,   -- name
        ?,   -- created_at (kept when the queue exists)
        ?)   -- paused: 1 or 0
ON CONFLICT (name) DO UPDATE
   SET paused = excluded.paused;

-- name: selectPausedQueues
SELECT name
  FROM queue
 WHERE paused = 1
 ORDER BY name;

-- name: selectQueueLimits
SELECT name, concurrency_limit
  FROM queue
 WHERE concurrency_limit IS NOT NULL
 ORDER BY name;

-- name: upsertTaskTypes
-- Remote workers' announced types: one statement for the whole list (a JSON array of names).
INSERT INTO task_type (name, announced_at)
SELECT value, coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER))  -- the store's clock
  FROM json_each(?)                                                     -- names: a JSON array
 WHERE true                       -- (SQLite's upsert after a SELECT needs a WHERE to parse)
ON CONFLICT (name) DO UPDATE
   SET announced_at = excluded.announced_at;

-- name: selectTaskTypes
SELECT name
  FROM task_type
 ORDER BY name;

-- name: upsertNode
-- Registers a node, or refreshes its registration: only while the id is free, held by this very
-- instance, or held by an instance whose registration has expired (it died or froze). A live
-- holder's row is left alone and no row comes back. Every field is written again, so a node that
-- was pruned while frozen registers afresh.
INSERT INTO node (id, instance, host, pid, started_at, heartbeat_at, expires_at, concurrency, types,
                  labels)
SELECT n.id, n.instance, n.host, n.pid, n.started_at, n.now, n.now + n.lease, n.concurrency,
       json(n.types), json(n.labels)
  FROM (SELECT ? AS id,           -- id
               ? AS instance,     -- instance
               ? AS host,         -- host
               ? AS pid,          -- pid
               ? AS started_at,   -- started_at
               coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER)) AS now,  -- the store's clock
               ? AS lease,        -- lease length, ms
               ? AS concurrency,  -- concurrency
               ? AS types,        -- types: a JSON array of strings
               ? AS labels) AS n  -- labels: a JSON object, or NULL
 WHERE true                       -- (SQLite's upsert after a SELECT needs a WHERE to parse)
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
DELETE FROM node
 WHERE id = ?                          -- id
   AND instance = ?;                   -- instance

-- name: selectNodes
-- read_at is the store's clock when the rows were read: ages and liveness are measured by it.
SELECT id, instance, host, pid, started_at, heartbeat_at, expires_at, concurrency, types, labels,
       coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER)) AS read_at  -- the store's clock
  FROM node
 ORDER BY id;

-- name: selectNode
SELECT id, instance, host, pid, started_at, heartbeat_at, expires_at, concurrency, types, labels,
       coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER)) AS read_at  -- the store's clock
  FROM node
 WHERE id = ?;                         -- id

-- name: pruneNodes
-- The registry holds one row per live node: a scan of it is a handful of rows.
DELETE FROM node
 WHERE heartbeat_at < coalesce(?, CAST(unixepoch('subsec') * 1000 AS INTEGER))  -- the store's clock
                      - ?;                                     -- how long silent, ms

-- name: deleteFinishedTasks
-- The subquery walks task_finished_idx from the earliest finish and stops at the limit; only
-- terminal rows are in that index, so waiting and running tasks are never candidates.
DELETE FROM task
 WHERE id IN (SELECT id
                FROM task INDEXED BY task_finished_idx
               WHERE state IN ('succeeded', 'failed', 'cancelled')
                 AND finished_at < ?   -- finished_at: the cutoff
               ORDER BY finished_at, id
               LIMIT ?);               -- limit

-- name: deleteQueue
-- Only a queue no task names, in any state: the task rows' foreign key needs the queue's row.
DELETE FROM queue
 WHERE name = ?                                -- name
   AND NOT EXISTS (SELECT 1 FROM task WHERE queue = ?);  -- queue

-- name: queueExists
SELECT 1 FROM queue WHERE name = ?;          -- name

-- name: ping
SELECT 1;

-- name: insertToken
-- The statements of JdbcAccessStore start here. Tokens, users and sessions are found by the hash
-- of their secret; the secrets never reach SQL.
-- Any conflict (an active token's name, or the secret's hash) inserts nothing.
INSERT INTO access_token (id, name, role, secret_hash, created_at, expires_at, scope)
VALUES (?,   -- id
        ?,   -- name
        ?,   -- role
        ?,   -- secret_hash
        ?,   -- created_at
        ?,   -- expires_at
        json(?))   -- scope: a JSON object, or NULL
ON CONFLICT DO NOTHING;

-- name: findTokenByHash
SELECT id, name, role, secret_hash, created_at, expires_at, last_used_at, revoked_at, scope
  FROM access_token
 WHERE secret_hash = ?;  -- secret_hash

-- name: listTokens
SELECT id, name, role, secret_hash, created_at, expires_at, last_used_at, revoked_at, scope
  FROM access_token
 ORDER BY created_at, id;

-- name: revokeTokenById
UPDATE access_token
   SET revoked_at = ?         -- revoked_at
 WHERE id = ?                 -- id
   AND revoked_at IS NULL
RETURNING id, name, role, secret_hash, created_at, expires_at, last_used_at, revoked_at, scope;

-- name: revokeTokenByName
UPDATE access_token
   SET revoked_at = ?         -- revoked_at
 WHERE name = ?               -- name
   AND revoked_at IS NULL
RETURNING id, name, role, secret_hash, created_at, expires_at, last_used_at, revoked_at, scope;

-- name: touchToken
UPDATE access_token
   SET last_used_at = ?       -- last_used_at
 WHERE id = ?                 -- id
   AND revoked_at IS NULL;

-- name: hasCredentials
-- Any token ever made, revoked and expired ones too, or any user: once configured, a server stays
-- closed (revoking the last token must not open it).
SELECT EXISTS (SELECT 1 FROM access_token)
       OR EXISTS (SELECT 1 FROM dashboard_user) AS has_credentials;

-- name: insertUser
INSERT INTO dashboard_user (name, role, password_hash, created_at)
VALUES (?,   -- name
        ?,   -- role
        ?,   -- password_hash
        ?)   -- created_at
ON CONFLICT DO NOTHING;

-- name: findUser
SELECT name, role, password_hash, created_at
  FROM dashboard_user
 WHERE name = ?;  -- name

-- name: listUsers
SELECT name, role, password_hash, created_at
  FROM dashboard_user
 ORDER BY name;

-- name: deleteUser
DELETE FROM dashboard_user
 WHERE name = ?;  -- name

-- name: insertSession
INSERT INTO web_session (secret_hash, principal, role, token_id, csrf_token, created_at,
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
  FROM web_session
 WHERE secret_hash = ?;  -- secret_hash

-- name: touchSession
UPDATE web_session
   SET last_seen_at = ?   -- last_seen_at
 WHERE secret_hash = ?;   -- secret_hash

-- name: deleteSession
DELETE FROM web_session
 WHERE secret_hash = ?;   -- secret_hash

-- name: deleteSessionsOfToken
DELETE FROM web_session
 WHERE token_id = ?;      -- token_id

-- name: deleteSessionsOfUser
DELETE FROM web_session
 WHERE principal = ?      -- principal
   AND token_id IS NULL;

-- name: deleteStaleSessions
DELETE FROM web_session
 WHERE last_seen_at < ?   -- last_seen_at: the idle cutoff
    OR created_at < ?;    -- created_at: the absolute cutoff

-- name: appendAudit
INSERT INTO audit_entry (at, actor, action, target, client, detail)
VALUES (?,   -- at
        ?,   -- actor
        ?,   -- action
        ?,   -- target
        ?,   -- client
        ?);  -- detail

-- name: listAudit
SELECT id, at, actor, action, target, client, detail
  FROM audit_entry
 WHERE id < ?             -- id: below this one
 ORDER BY id DESC
 LIMIT ?;                 -- limit

-- name: pruneAudit
DELETE FROM audit_entry
 WHERE at < ?;            -- at: the cutoff

-- name: saveSchedule
-- The statements of JdbcScheduleStore start here. A new schedule is stored as given; an existing
-- one takes the new definition and keeps its pause, last run and creation, and its next tick too
-- unless the recurrence changed (in the SET list, schedule.* is the row as it was).
INSERT INTO schedule (name, cron, zone, interval_ms, type, queue, payload, priority, max_attempts,
                      timeout_ms, misfire, paused, next_run_at, created_by, created_at, updated_at)
VALUES (?,   -- name
        ?,   -- cron, or NULL
        ?,   -- zone, or NULL
        ?,   -- interval_ms, or NULL
        ?,   -- type
        ?,   -- queue
        ?,   -- payload
        ?,   -- priority
        ?,   -- max_attempts
        ?,   -- timeout_ms
        ?,   -- misfire
        ?,   -- paused (a new schedule's)
        ?,   -- next_run_at (a new schedule's, or one whose recurrence changed)
        ?,   -- created_by
        ?,   -- created_at (a new schedule's)
        ?)   -- updated_at
ON CONFLICT (name) DO UPDATE
   SET next_run_at  = CASE
                        WHEN schedule.cron IS excluded.cron
                         AND schedule.zone IS excluded.zone
                         AND schedule.interval_ms IS excluded.interval_ms
                        THEN schedule.next_run_at
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
RETURNING *;

-- name: findSchedule
SELECT * FROM schedule WHERE name = ?;   -- name

-- name: listSchedules
SELECT * FROM schedule ORDER BY name;

-- name: deleteSchedule
DELETE FROM schedule WHERE name = ?;     -- name

-- name: pauseSchedule
UPDATE schedule
   SET paused = 1,
       updated_at = ?       -- updated_at
 WHERE name = ?             -- name
   AND NOT paused;

-- name: resumeSchedule
UPDATE schedule
   SET paused = 0,
       next_run_at = ?,     -- next_run_at: the first tick after now
       updated_at = ?       -- updated_at
 WHERE name = ?             -- name
   AND paused;

-- name: dueSchedules
SELECT * FROM schedule
 WHERE NOT paused
   AND next_run_at <= ?     -- now
 ORDER BY next_run_at
 LIMIT ?;                   -- limit

-- name: nextScheduleAt
SELECT min(next_run_at) AS next_run_at FROM schedule WHERE NOT paused;

-- name: fireSchedule
-- Compare-and-set on the next tick (writes are serialised on the one connection; the check keeps
-- the rule the same as on a database server).
UPDATE schedule
   SET next_run_at  = ?,                          -- next_run_at: the new next tick, or NULL
       last_run_at  = coalesce(?, last_run_at),   -- last_run_at: the last tick fired, or NULL for none
       last_task_id = coalesce(?, last_task_id)   -- last_task_id: its task, or NULL
 WHERE name = ?                                   -- name
   AND next_run_at = ?                            -- next_run_at: as read
   AND NOT paused;

-- name: recordScheduleRun
UPDATE schedule
   SET last_run_at  = ?,    -- last_run_at
       last_task_id = ?     -- last_task_id
 WHERE name = ?;            -- name

-- name: selectRateLimits
-- The statements of JdbcRateStore start here.
SELECT scope, target, max_starts, per_ms, burst, key_field FROM rate_limit ORDER BY scope, target;

-- name: upsertRateLimit
INSERT INTO rate_limit (scope, target, max_starts, per_ms, burst, key_field)
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
DELETE FROM rate_limit WHERE scope = ? AND target = ?;   -- scope, target

-- name: deleteRateBuckets
DELETE FROM rate_bucket WHERE limit_name = ?;            -- limit_name

-- name: ensureRateBucket
-- A bucket never used starts at 0: as good as empty.
INSERT INTO rate_bucket (limit_name, key, tat_us)
VALUES (?, ?, 0)     -- limit_name, key
ON CONFLICT (limit_name, key) DO NOTHING;

-- name: lockRateBucket
-- Held until the decision's transaction ends; buckets are locked in (limit_name, key) order.
SELECT tat_us FROM rate_bucket
 WHERE limit_name = ?   -- limit_name
   AND key = ?;        -- key

-- name: updateRateBucket
UPDATE rate_bucket
   SET tat_us = ?        -- tat_us
 WHERE limit_name = ?    -- limit_name
   AND key = ?;          -- key

-- name: takeRateReservation
DELETE FROM rate_reservation WHERE task_id = ? RETURNING slot_us;   -- task_id

-- name: upsertRateReservation
INSERT INTO rate_reservation (task_id, slot_us)
VALUES (?,   -- task_id
        ?)      -- slot_us
ON CONFLICT (task_id) DO UPDATE SET slot_us = excluded.slot_us;

-- name: findRateReservation
SELECT slot_us FROM rate_reservation WHERE task_id = ?;   -- task_id

-- name: pruneRateBuckets
DELETE FROM rate_bucket WHERE tat_us < ?;            -- tat_us: the cutoff

-- name: pruneRateReservations
DELETE FROM rate_reservation WHERE slot_us < ?;      -- slot_us: the cutoff
