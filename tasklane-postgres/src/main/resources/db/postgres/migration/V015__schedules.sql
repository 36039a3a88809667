-- Schedules: recurring tasks. Each row is one definition and where it stands; each tick inserts a
-- task whose idempotency key names the schedule and the tick. Firing a tick moves next_run_at
-- with a compare-and-set in the same transaction as that insert, so two nodes firing one tick
-- create one task between them.
--
-- The template is stored resolved (queue, attempts and timeout concrete), so that any node can
-- fire it, also one that has no handler for its type.
CREATE TABLE schedule (
    name         text        NOT NULL PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 128),
    cron         text        CHECK (length(cron) BETWEEN 1 AND 200),   -- 5 or 6 fields, or a nickname
    zone         text        CHECK (length(zone) BETWEEN 1 AND 100),   -- the cron fields' time zone
    interval_ms  bigint      CHECK (interval_ms >= 1000),              -- or: every this many ms
    type         text        NOT NULL CHECK (length(type) BETWEEN 1 AND 128),
    queue        text        NOT NULL CHECK (length(queue) BETWEEN 1 AND 128),
    payload      json        NOT NULL,                                 -- as defined
    priority     integer     NOT NULL,
    max_attempts integer     NOT NULL CHECK (max_attempts >= 1),
    timeout_ms   bigint      CHECK (timeout_ms > 0),                   -- NULL: no limit
    misfire      text        NOT NULL CHECK (misfire IN ('skip', 'run_once')),
    paused       boolean     NOT NULL DEFAULT false,
    next_run_at  timestamptz,                                          -- NULL: no tick left
    last_run_at  timestamptz,                                          -- the last task's tick
    last_task_id uuid,
    created_by   text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,

    CONSTRAINT schedule_cron_or_interval
        CHECK ((cron IS NOT NULL AND zone IS NOT NULL AND interval_ms IS NULL)
            OR (cron IS NULL AND zone IS NULL AND interval_ms IS NOT NULL))
);

-- The ticker's read: the schedules due now, earliest first, and the earliest next tick.
CREATE INDEX schedule_due_idx ON schedule (next_run_at) WHERE NOT paused;
