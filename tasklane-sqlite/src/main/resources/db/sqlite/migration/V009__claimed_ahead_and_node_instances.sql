-- Numbered V009 in both dialects: from here on a change made to both schemas has one number.
--
-- 1. A task claimed ahead (leased to the node, waiting for a free handler slot) has not started:
--    its started_at is NULL and its attempt is not spent until its handler starts, so a node that
--    dies holding it costs it no attempt. Running no longer implies started. SQLite cannot drop a
--    constraint, so the table is rebuilt without task_started_when_running (nothing references
--    the task table, and its indexes are created again below).
CREATE TABLE task_rebuilt (
    id               TEXT    NOT NULL PRIMARY KEY CHECK (length(id) = 36),  -- UUIDv7, canonical text
    type             TEXT    NOT NULL CHECK (length(type) > 0),
    -- Deferred to commit: the store inserts the task first and registers its queue only when the
    -- insert was not de-duplicated by the idempotency key.
    queue            TEXT    NOT NULL REFERENCES queue (name) DEFERRABLE INITIALLY DEFERRED,
    payload          TEXT    NOT NULL,                                       -- JSON text
    priority         INTEGER NOT NULL DEFAULT 0,                             -- higher runs first
    state            TEXT    NOT NULL
        CHECK (state IN ('scheduled', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
    attempt          INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),        -- runs started
    max_attempts     INTEGER NOT NULL CHECK (max_attempts >= 1),
    run_at           INTEGER NOT NULL,
    timeout_ms       INTEGER CHECK (timeout_ms > 0),                         -- NULL: no limit
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,                          -- latest run's start; NULL while claimed ahead
    finished_at      INTEGER,
    last_error       TEXT,
    -- Every recorded failure, oldest first: a JSON array of TaskError, appended to in SQL.
    errors           TEXT    NOT NULL DEFAULT '[]'
        CHECK (json_valid(errors) AND json_type(errors) = 'array'),
    result           TEXT,                                                   -- JSON text
    progress         INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    idempotency_key  TEXT    UNIQUE,                                         -- NULLs never collide
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    fencing_token    INTEGER NOT NULL DEFAULT 0,                             -- grows with each claim
    cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    last_node        TEXT,                                    -- node of the latest run, kept after it

    -- A finish time exactly in the terminal states.
    CONSTRAINT task_finished_iff_terminal
        CHECK ((finished_at IS NOT NULL) = (state IN ('succeeded', 'failed', 'cancelled'))),
    -- A lease exactly while running: whoever moves a task out of running must clear it.
    CONSTRAINT task_lease_iff_running
        CHECK (((lease_owner IS NOT NULL) = (state = 'running'))
           AND ((lease_expires_at IS NOT NULL) = (state = 'running'))),
    -- A cancel request only means something to a running task's node.
    CONSTRAINT task_cancel_request_only_running
        CHECK (cancel_requested = 0 OR state = 'running')
) STRICT;

INSERT INTO task_rebuilt (id, type, queue, payload, priority, state, attempt, max_attempts, run_at,
                          timeout_ms, created_at, started_at, finished_at, last_error, errors,
                          result, progress, idempotency_key, lease_owner, lease_expires_at,
                          fencing_token, cancel_requested, last_node)
SELECT id, type, queue, payload, priority, state, attempt, max_attempts, run_at,
       timeout_ms, created_at, started_at, finished_at, last_error, errors,
       result, progress, idempotency_key, lease_owner, lease_expires_at,
       fencing_token, cancel_requested, last_node
  FROM task;

DROP TABLE task;
ALTER TABLE task_rebuilt RENAME TO task;

-- The indexes the task table had (V001, V003, V004), unchanged.
CREATE INDEX task_claim_idx ON task (state, queue, priority DESC, run_at, id);
CREATE INDEX task_due_idx ON task (run_at, id) WHERE state = 'scheduled';
CREATE INDEX task_lease_expiry_idx ON task (lease_expires_at, id) WHERE state = 'running';
CREATE INDEX task_state_id_idx ON task (state, id);
CREATE INDEX task_queue_id_idx ON task (queue, id);
CREATE INDEX task_type_id_idx ON task (type, id);
CREATE INDEX task_finished_idx ON task (finished_at, id)
    WHERE state IN ('succeeded', 'failed', 'cancelled');

-- 2. The node registry records which process holds each node id, so that a second worker asking
--    for a held id is refused, and an id is taken over only once its holder's registration has
--    expired (expires_at: its latest heartbeat plus its lease). Registry rows only describe live
--    nodes and are written again by every heartbeat, so the table is recreated.
DROP TABLE node;
CREATE TABLE node (
    id           TEXT    NOT NULL PRIMARY KEY CHECK (length(id) > 0),
    instance     TEXT    NOT NULL CHECK (length(instance) > 0),           -- this start of the node
    host         TEXT    NOT NULL,
    pid          INTEGER NOT NULL,
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,                                        -- heartbeat_at + lease
    concurrency  INTEGER NOT NULL CHECK (concurrency > 0),                -- the node's global limit
    -- The task types the node serves: a JSON array of strings.
    types        TEXT    NOT NULL DEFAULT '[]'
        CHECK (json_valid(types) AND json_type(types) = 'array'),
    CONSTRAINT node_expires_after_heartbeat CHECK (expires_at >= heartbeat_at)
) STRICT, WITHOUT ROWID;
