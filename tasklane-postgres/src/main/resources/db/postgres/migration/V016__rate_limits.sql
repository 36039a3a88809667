-- Rate limits: at most max_starts task starts per per_ms, for a queue's or a type's tasks, across
-- every node; with key_field, for each value of that payload field apart.
CREATE TABLE rate_limit (
    scope      text    NOT NULL CHECK (scope IN ('queue', 'type')),
    target     text    NOT NULL CHECK (length(target) BETWEEN 1 AND 128),  -- the queue or type
    max_starts integer NOT NULL CHECK (max_starts BETWEEN 1 AND 1000000),
    per_ms     bigint  NOT NULL CHECK (per_ms BETWEEN 1 AND 86400000),
    burst      integer NOT NULL CHECK (burst BETWEEN 1 AND 1000000),
    key_field  text    CHECK (length(key_field) BETWEEN 1 AND 100),         -- NULL: one limit for all
    PRIMARY KEY (scope, target)
);

-- A token bucket as the generic cell rate algorithm keeps it: one instant, the theoretical arrival
-- time of the next start, in microseconds since the epoch. Rows are locked for the length of one
-- decision (the engine's), so nodes take starts one after the other. A bucket far behind the
-- clock is as good as a missing one, and is pruned.
CREATE TABLE rate_bucket (
    limit_name text   NOT NULL,   -- 'queue:<name>' or 'type:<name>'
    key        text   NOT NULL,   -- the key_field's value, '' for none
    tat_us     bigint NOT NULL,
    PRIMARY KEY (limit_name, key)
);

-- The start reserved for a task a limit held back (its token already taken): when the task comes
-- back at that time, it starts without taking another.
CREATE TABLE rate_reservation (
    task_id uuid   NOT NULL PRIMARY KEY,
    slot_us bigint NOT NULL
);
