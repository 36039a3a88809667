-- Tasklane's schema for SQLite.
--
-- Times are epoch milliseconds, UTC, in INTEGER columns. STRICT tables (SQLite 3.37+) make the
-- declared column types binding, so a stray text value cannot land in a time column.
-- The CHECK constraints mirror dev.tasklane.TaskState: the database itself refuses a row that
-- breaks the state model, whatever code wrote it.

-- Every queue that has ever had a task, for queueNames() and queueCounts(). Rows are never
-- deleted, which lets the store cache the names it has seen.
CREATE TABLE queue (
    name       TEXT    NOT NULL PRIMARY KEY,
    created_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE task (
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
    started_at       INTEGER,                                                -- latest run's start
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
        CHECK (cancel_requested = 0 OR state = 'running')
) STRICT;

-- Claim: the ready tasks of one queue, already in claim order (priority desc, run_at, id), so a
-- claim reads the first rows of one index range and stops at its LIMIT. Partial, so it holds only
-- queued rows and stays small however many finished tasks the table keeps.
CREATE INDEX task_ready_idx ON task (queue, priority DESC, run_at, id) WHERE state = 'queued';

-- Promotion of due scheduled tasks, and the next wake-up time of the dispatcher.
CREATE INDEX task_due_idx ON task (run_at, id) WHERE state = 'scheduled';

-- Lease recovery: expired leases, and the leases of one (restarted) node.
CREATE INDEX task_lease_expiry_idx ON task (lease_expires_at, id) WHERE state = 'running';
CREATE INDEX task_lease_owner_idx ON task (lease_owner, id) WHERE state = 'running';

-- Back-pressure: waiting tasks per queue, counted from the waiting rows alone. state is a column
-- too, so the count reads the index only (SQLite re-checks an IN term against each row).
CREATE INDEX task_waiting_idx ON task (queue, state) WHERE state IN ('scheduled', 'queued');

-- Listing newest first (by id) with keyset paging, filtered by state, queue or type.
CREATE INDEX task_state_id_idx ON task (state, id);
CREATE INDEX task_queue_id_idx ON task (queue, id);
CREATE INDEX task_type_id_idx ON task (type, id);

-- queueCounts(): counts per queue and state, from the index alone.
CREATE INDEX task_queue_state_idx ON task (queue, state);
