-- Cluster-mode tables and indexes for SQLite. One process owns a SQLite file, so the "cluster" is
-- that one node; the tables exist so that every store keeps the same data and the same contract.

-- A queue's cluster-wide concurrency limit: at most this many of its tasks run at once, whichever
-- nodes run them. NULL: no limit (nodes still apply their own).
ALTER TABLE queue ADD COLUMN concurrency_limit INTEGER CHECK (concurrency_limit > 0);

-- The node registry: each node upserts its row on every heartbeat and deletes it at a graceful
-- shutdown; the leader prunes the rows of nodes whose heartbeat stopped.
CREATE TABLE node (
    id           TEXT    NOT NULL PRIMARY KEY CHECK (length(id) > 0),
    started_at   INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    concurrency  INTEGER NOT NULL CHECK (concurrency > 0),                  -- the node's global limit
    -- The task types the node serves: a JSON array of strings.
    types        TEXT    NOT NULL DEFAULT '[]'
        CHECK (json_valid(types) AND json_type(types) = 'array')
) STRICT, WITHOUT ROWID;

-- Claims of a limited queue: its running tasks, counted from the running rows of that queue alone.
CREATE INDEX task_running_idx ON task (queue) WHERE state = 'running';

-- Retention: terminal tasks by finish time, so a batch of the oldest is one index range. Partial,
-- so waiting and running rows are never in it.
CREATE INDEX task_finished_idx ON task (finished_at, id)
    WHERE state IN ('succeeded', 'failed', 'cancelled');
