-- Tasklane's schema for PostgreSQL (12 or newer): the same tables, constraints and indexes as
-- SQLite's V001 and V002, in PostgreSQL's types.
--
-- Flyway runs this with the store's schema as the search path, so every object lands in that
-- schema; several Tasklane schemas can share one database. Times are timestamptz (UTC instants;
-- the store binds them truncated to milliseconds), ids are uuid.
--
-- JSON: a task's payload and result are json, kept exactly as submitted (key order, spacing):
-- the store never looks inside them, and a handler and the API get back the very text that was
-- sent. The lists the store itself appends to and reads (errors, a node's types) are jsonb.
-- The CHECK constraints mirror dev.tasklane.TaskState: the database itself refuses a row that
-- breaks the state model, whatever code wrote it.

-- Every queue that has ever had a task, for queueNames() and queueCounts(), with its cluster-wide
-- concurrency limit. Rows are never deleted, which lets the store cache the names it has seen.
CREATE TABLE queue (
    name              text        NOT NULL PRIMARY KEY,
    created_at        timestamptz NOT NULL,
    -- At most this many of the queue's tasks run at once, whichever nodes run them. NULL: no
    -- limit (nodes still apply their own).
    concurrency_limit integer     CHECK (concurrency_limit > 0)
);

CREATE TABLE task (
    id               uuid        NOT NULL PRIMARY KEY,                        -- UUIDv7
    type             text        NOT NULL CHECK (length(type) > 0),
    -- Deferred to commit: the store inserts the task first and registers its queue only when the
    -- insert was not de-duplicated by the idempotency key.
    queue            text        NOT NULL REFERENCES queue (name) DEFERRABLE INITIALLY DEFERRED,
    payload          json        NOT NULL,                                    -- as submitted
    priority         integer     NOT NULL DEFAULT 0,                          -- higher runs first
    state            text        NOT NULL
        CHECK (state IN ('scheduled', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
    attempt          integer     NOT NULL DEFAULT 0 CHECK (attempt >= 0),     -- runs started
    max_attempts     integer     NOT NULL CHECK (max_attempts >= 1),
    run_at           timestamptz NOT NULL,
    timeout_ms       bigint      CHECK (timeout_ms > 0),                      -- NULL: no limit
    created_at       timestamptz NOT NULL,
    started_at       timestamptz,                                             -- latest run's start
    finished_at      timestamptz,
    last_error       text,
    -- Every recorded failure, oldest first: a JSON array of TaskError, appended to in SQL.
    errors           jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(errors) = 'array'),
    result           json,                                                    -- as the handler gave it
    progress         integer     NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    idempotency_key  text        UNIQUE,                                      -- NULLs never collide
    lease_owner      text,
    lease_expires_at timestamptz,
    fencing_token    bigint      NOT NULL DEFAULT 0,                          -- grows with each claim
    cancel_requested boolean     NOT NULL DEFAULT false,

    -- A finish time exactly in the terminal states.
    CONSTRAINT task_finished_iff_terminal
        CHECK ((finished_at IS NOT NULL) = (state IN ('succeeded', 'failed', 'cancelled'))),
    -- A lease exactly while running: whoever moves a task out of running must clear it.
    CONSTRAINT task_lease_iff_running
        CHECK (((lease_owner IS NOT NULL) = (state = 'running'))
           AND ((lease_expires_at IS NOT NULL) = (state = 'running'))),
    CONSTRAINT task_started_when_running
        CHECK (state <> 'running' OR started_at IS NOT NULL),
    -- A cancel request only means something to a running task's node.
    CONSTRAINT task_cancel_request_only_running
        CHECK (NOT cancel_requested OR state = 'running')
);

-- Claim: the ready tasks of one queue, already in claim order (priority desc, run_at, id), so a
-- claim reads the first entries of one index range and stops at its LIMIT. Partial, so it holds
-- only queued rows and stays small however many finished tasks the table keeps. Queries must spell
-- out "state = 'queued'" as a literal for the planner to match the predicate.
CREATE INDEX task_ready_idx ON task (queue, priority DESC, run_at, id) WHERE state = 'queued';

-- Promotion of due scheduled tasks, and the next wake-up time of the dispatcher.
CREATE INDEX task_due_idx ON task (run_at, id) WHERE state = 'scheduled';

-- Lease recovery: expired leases, and the leases of one (restarted) node.
CREATE INDEX task_lease_expiry_idx ON task (lease_expires_at, id) WHERE state = 'running';
CREATE INDEX task_lease_owner_idx ON task (lease_owner, id) WHERE state = 'running';

-- Claims of a limited queue: its running tasks, counted from the running rows of that queue alone.
CREATE INDEX task_running_idx ON task (queue) WHERE state = 'running';

-- Back-pressure: waiting tasks per queue, counted from the waiting rows alone.
CREATE INDEX task_waiting_idx ON task (queue, state) WHERE state IN ('scheduled', 'queued');

-- Retention: terminal tasks by finish time, so a batch of the oldest is one index range.
CREATE INDEX task_finished_idx ON task (finished_at, id)
    WHERE state IN ('succeeded', 'failed', 'cancelled');

-- Listing newest first (by id) with keyset paging, filtered by state, queue or type.
CREATE INDEX task_state_id_idx ON task (state, id);
CREATE INDEX task_queue_id_idx ON task (queue, id);
CREATE INDEX task_type_id_idx ON task (type, id);

-- queueCounts(): counts per queue and state.
CREATE INDEX task_queue_state_idx ON task (queue, state);

-- The node registry: each node upserts its row on every heartbeat and deletes it at a graceful
-- shutdown; the leader prunes the rows of nodes whose heartbeat stopped.
CREATE TABLE node (
    id           text        NOT NULL PRIMARY KEY CHECK (length(id) > 0),
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL,
    concurrency  integer     NOT NULL CHECK (concurrency > 0),                -- the node's global limit
    types        jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(types) = 'array')
);

-- Wake-ups: every change that makes a task ready (an insert, the promotion of a due scheduled
-- task, a retry, a recovered lease, a released run) notifies the schema's channel, with the queue
-- as payload. Idle nodes LISTEN on it instead of waiting for their next poll.
--
-- The channel names the schema, so that stores on different schemas of one database do not wake
-- each other; a name that would pass PostgreSQL's 63-byte limit for channels uses the schema's md5
-- instead. dev.tasklane.postgres.WorkListener#channel computes the same name.
--
-- NOTIFY is transactional: listeners hear of a task only once its transaction commits, and
-- identical notifications of one transaction (one queue's thousand promoted tasks) reach them once.
CREATE FUNCTION task_notify_ready() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_notify(
        CASE WHEN octet_length('tasklane_work_' || TG_TABLE_SCHEMA) <= 63
             THEN 'tasklane_work_' || TG_TABLE_SCHEMA
             ELSE 'tasklane_work_' || md5(TG_TABLE_SCHEMA)
        END,
        NEW.queue);
    RETURN NULL; -- an AFTER trigger's result is ignored
END
$$;

-- "UPDATE OF state" and the WHEN clause keep the function out of every other write: a claim
-- (queued -> running), a lease renewal or a progress update never calls it.
CREATE TRIGGER task_ready_notify
    AFTER INSERT OR UPDATE OF state ON task
    FOR EACH ROW
    WHEN (NEW.state = 'queued')
    EXECUTE FUNCTION task_notify_ready();
