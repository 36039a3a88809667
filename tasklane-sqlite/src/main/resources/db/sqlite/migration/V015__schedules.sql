-- Schedules: recurring tasks. Each row is one definition and where it stands; each tick inserts a
-- task whose idempotency key names the schedule and the tick. Firing a tick moves next_run_at
-- with a compare-and-set in the same transaction as that insert, so a tick creates one task.
-- (Versions 013 and 014 are PostgreSQL's alone.)
--
-- The template is stored resolved (queue, attempts and timeout concrete).
CREATE TABLE schedule (
    name         TEXT    NOT NULL PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 128),
    cron         TEXT    CHECK (length(cron) BETWEEN 1 AND 200),   -- 5 or 6 fields, or a nickname
    zone         TEXT    CHECK (length(zone) BETWEEN 1 AND 100),   -- the cron fields' time zone
    interval_ms  INTEGER CHECK (interval_ms >= 1000),              -- or: every this many ms
    type         TEXT    NOT NULL CHECK (length(type) BETWEEN 1 AND 128),
    queue        TEXT    NOT NULL CHECK (length(queue) BETWEEN 1 AND 128),
    payload      TEXT    NOT NULL,                                 -- JSON text, as defined
    priority     INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
    timeout_ms   INTEGER CHECK (timeout_ms > 0),                   -- NULL: no limit
    misfire      TEXT    NOT NULL CHECK (misfire IN ('skip', 'run_once')),
    paused       INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    next_run_at  INTEGER,                                          -- NULL: no tick left
    last_run_at  INTEGER,                                          -- the last task's tick
    last_task_id TEXT    CHECK (last_task_id IS NULL OR length(last_task_id) = 36),
    created_by   TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,

    CONSTRAINT schedule_cron_or_interval
        CHECK ((cron IS NOT NULL AND zone IS NOT NULL AND interval_ms IS NULL)
            OR (cron IS NULL AND zone IS NULL AND interval_ms IS NOT NULL))
) STRICT, WITHOUT ROWID;

-- The ticker's read: the schedules due now, earliest first, and the earliest next tick.
CREATE INDEX schedule_due_idx ON schedule (next_run_at) WHERE NOT paused;
