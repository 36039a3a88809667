-- Rate limits: at most max_starts task starts per per_ms, for a queue's or a type's tasks; with
-- key_field, for each value of that payload field apart.
CREATE TABLE rate_limit (
    scope      TEXT    NOT NULL CHECK (scope IN ('queue', 'type')),
    target     TEXT    NOT NULL CHECK (length(target) BETWEEN 1 AND 128),  -- the queue or type
    max_starts INTEGER NOT NULL CHECK (max_starts BETWEEN 1 AND 1000000),
    per_ms     INTEGER NOT NULL CHECK (per_ms BETWEEN 1 AND 86400000),
    burst      INTEGER NOT NULL CHECK (burst BETWEEN 1 AND 1000000),
    key_field  TEXT    CHECK (length(key_field) BETWEEN 1 AND 100),         -- NULL: one limit for all
    PRIMARY KEY (scope, target)
) STRICT, WITHOUT ROWID;

-- A token bucket as the generic cell rate algorithm keeps it: one instant, the theoretical arrival
-- time of the next start, in microseconds since the epoch.
CREATE TABLE rate_bucket (
    limit_name TEXT    NOT NULL,   -- 'queue:<name>' or 'type:<name>'
    key        TEXT    NOT NULL,   -- the key_field's value, '' for none
    tat_us     INTEGER NOT NULL,
    PRIMARY KEY (limit_name, key)
) STRICT, WITHOUT ROWID;

-- The start reserved for a task a limit held back (its token already taken).
CREATE TABLE rate_reservation (
    task_id TEXT    NOT NULL PRIMARY KEY CHECK (length(task_id) = 36),
    slot_us INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
