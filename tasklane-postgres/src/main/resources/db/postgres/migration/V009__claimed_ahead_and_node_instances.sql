-- Numbered V009 in both dialects: from here on a change made to both schemas has one number.
--
-- 1. A task claimed ahead (leased to a node, waiting there for a free handler slot) has not
--    started: its started_at is NULL and its attempt is not spent until its handler starts, so a
--    node that dies holding it costs it no attempt. Running no longer implies started.
ALTER TABLE task DROP CONSTRAINT task_started_when_running;

-- 2. The node registry records which process holds each node id, so that a second live process
--    asking for a held id is refused, and an id is taken over only once its holder's registration
--    has expired by the database's clock (expires_at: its latest heartbeat plus its lease).
--    Registry rows only describe live processes and are written again by every heartbeat, so the
--    table is recreated rather than migrated.
DROP TABLE node;
CREATE TABLE node (
    id           text        NOT NULL PRIMARY KEY CHECK (length(id) > 0),
    instance     text        NOT NULL CHECK (length(instance) > 0),       -- this start of the node
    host         text        NOT NULL,
    pid          bigint      NOT NULL,
    started_at   timestamptz NOT NULL,
    heartbeat_at timestamptz NOT NULL,                                    -- the database's clock
    expires_at   timestamptz NOT NULL,                                    -- heartbeat_at + lease
    concurrency  integer     NOT NULL CHECK (concurrency > 0),            -- the node's global limit
    types        jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(types) = 'array'),
    CONSTRAINT node_expires_after_heartbeat CHECK (expires_at >= heartbeat_at)
);
