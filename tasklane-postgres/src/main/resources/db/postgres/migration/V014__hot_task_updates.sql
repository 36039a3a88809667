-- PostgreSQL only (SQLite updates only the indexes whose columns change; its next migration skips
-- this number).
--
-- A task's claim and its outcome become HOT updates. PostgreSQL writes an update in place of the
-- old version's page, with no new index entry at all (a "heap-only tuple"), only when no indexed
-- column changes, and that includes the columns of partial index predicates. Five indexes of the
-- task table named state (the claim order, the listing by state, the partial indexes of due,
-- running and finished tasks), so no claim or outcome was a HOT update, and each wrote a new entry
-- into every index its new version belonged to, the primary key and the listing indexes by queue
-- and type included: twelve index entries for the two updates of every task, the bound of the
-- drain (BENCHMARKS.md).
--
-- Now the task table's indexes name only columns that never change (id, queue, type, the
-- idempotency key, the submitter), and where each task stands in its state lives in four narrow
-- tracking tables (each with the task's queue and type, for the claims and listings that filter
-- by them), one per kind of state, that the database keeps by trigger in the same
-- statement as the task row itself:
--   task_ready    the queued tasks in claim order     (claims, position in the queue)
--   task_due      the scheduled tasks by run time     (promotion, the dispatcher's next wake-up)
--   task_running  the running tasks by queue          (lease recovery, a limited queue's count)
--   task_done     the finished tasks by state, time   (listing by state, retention)
-- The task row stays the truth: every write is still compare-and-set on its state and fencing
-- token, and a reader that picks rows from a tracking table locks and checks the task row itself.
-- A tracking row is written and removed by the very statement that changes the task, so the two
-- never disagree in any snapshot.
--
-- Locks: a statement that changes a task holds its row, and its trigger then writes the task's
-- tracking row. A claim (promotion, retention) goes the other way: it locks tracking rows first,
-- in their index order, then the task rows, but both with SKIP LOCKED, so it never waits for
-- anything; whoever holds a task row waits at most for a claim to commit. No two transactions
-- can wait for each other in a cycle.
--
-- The functions run with the search path of this migration (the store's schema): the store's
-- statements name their schema and never depend on a connection's search path, and neither do
-- the triggers they fire.
--
-- The table leaves 30% of each new page free (fillfactor 70), the room a page needs to hold
-- the new versions of its rows in place.

ALTER TABLE task SET (fillfactor = 70);

CREATE TABLE task_ready (
    id       uuid        NOT NULL PRIMARY KEY,
    queue    text        NOT NULL,
    type     text        NOT NULL,                 -- for claimers that serve some types only
    priority integer     NOT NULL,
    run_at   timestamptz NOT NULL
);
-- In claim order: a claim reads the first entries of its queue's range and stops at its LIMIT.
CREATE UNIQUE INDEX task_ready_claim_idx ON task_ready (queue, priority DESC, run_at, id);

CREATE TABLE task_due (
    id     uuid        NOT NULL PRIMARY KEY,
    queue  text        NOT NULL,
    type   text        NOT NULL,
    run_at timestamptz NOT NULL
);
CREATE INDEX task_due_run_at_idx ON task_due (run_at, id);

-- Few rows (the nodes' handler slots and their claims ahead): recovery reads them all.
CREATE TABLE task_running (
    id    uuid NOT NULL PRIMARY KEY,
    queue text NOT NULL,
    type  text NOT NULL
);
CREATE INDEX task_running_queue_idx ON task_running (queue);

CREATE TABLE task_done (
    id          uuid        NOT NULL,
    queue       text        NOT NULL,
    type        text        NOT NULL,
    state       text        NOT NULL,
    finished_at timestamptz NOT NULL
);
-- Listing by state newest first; also finds a row to remove (a retry, retention).
CREATE INDEX task_done_state_idx ON task_done (state, id);
-- Retention: the earliest finished first.
CREATE INDEX task_done_finished_idx ON task_done (finished_at, id);

INSERT INTO task_ready (id, queue, type, priority, run_at)
SELECT id, queue, type, priority, run_at FROM task WHERE state = 'queued';
INSERT INTO task_due (id, queue, type, run_at)
SELECT id, queue, type, run_at FROM task WHERE state = 'scheduled';
INSERT INTO task_running (id, queue, type)
SELECT id, queue, type FROM task WHERE state = 'running';
INSERT INTO task_done (id, queue, type, state, finished_at)
SELECT id, queue, type, state, finished_at FROM task WHERE state IN ('succeeded', 'failed', 'cancelled');

DROP INDEX task_claim_idx;
DROP INDEX task_state_id_idx;
DROP INDEX task_due_idx;
DROP INDEX task_lease_expiry_idx;
DROP INDEX task_finished_idx;

DROP TRIGGER task_ready_notify ON task;
DROP TRIGGER task_inserted_notify ON task;
DROP FUNCTION task_notify_ready();
DROP FUNCTION task_notify_inserted();

-- The work channel of a schema, as dev.tasklane.postgres.WorkListener#channel names it: the
-- schema's name, or its md5 where the name would pass PostgreSQL's 63-byte limit for channels.
-- One definition for every notifying trigger from here on.
CREATE FUNCTION work_channel(schema_name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN octet_length('tasklane_work_' || schema_name) <= 63
                THEN 'tasklane_work_' || schema_name
                ELSE 'tasklane_work_' || md5(schema_name)
           END;

CREATE OR REPLACE FUNCTION queue_notify_paused() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
    AS
$$
BEGIN
    PERFORM pg_notify(work_channel(TG_TABLE_SCHEMA), '!' || NEW.name);
    RETURN NULL; -- an AFTER trigger's result is ignored
END
$$;

-- New tasks: each enters the tracking table of its state, and each queue that got a queued task
-- is notified once (statement-level: one call per statement, however many rows it inserts; see
-- V013). Inserts come with any state only from tests and repairs; the store inserts queued and
-- scheduled tasks.
CREATE FUNCTION task_inserted() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
    AS
$$
BEGIN
    WITH ready AS (
        INSERT INTO task_ready (id, queue, type, priority, run_at)
        SELECT id, queue, type, priority, run_at FROM inserted WHERE state = 'queued'),
    due AS (
        INSERT INTO task_due (id, queue, type, run_at)
        SELECT id, queue, type, run_at FROM inserted WHERE state = 'scheduled'),
    running AS (
        INSERT INTO task_running (id, queue, type)
        SELECT id, queue, type FROM inserted WHERE state = 'running')
    INSERT INTO task_done (id, queue, type, state, finished_at)
    SELECT id, queue, type, state, finished_at FROM inserted
     WHERE state IN ('succeeded', 'failed', 'cancelled');

    PERFORM pg_notify(work_channel(TG_TABLE_SCHEMA), q.queue)
      FROM (SELECT DISTINCT queue FROM inserted WHERE state = 'queued') AS q;
    RETURN NULL; -- an AFTER trigger's result is ignored
END
$$;

-- Changed tasks: a row whose state, or place in its tracking table (priority, run time, finish
-- time), changed moves from the tracking row of its old version to that of its new one; a task
-- that became queued notifies its queue (a promotion, a retry, a recovered or released run). A
-- lease renewal or a progress update moves nothing and ends after the first statement.
-- Removals come before additions, so a task that stays in one table with a new run time (a run
-- made due at once) never meets its old row there.
CREATE FUNCTION task_updated() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
    AS
$$
DECLARE
    moves    bigint;
    notified bigint;
BEGIN
    WITH moved AS MATERIALIZED (
        SELECT o.id, o.state
          FROM old_rows o
          JOIN new_rows n ON n.id = o.id
         WHERE (o.state, o.priority, o.run_at, o.finished_at)
               IS DISTINCT FROM (n.state, n.priority, n.run_at, n.finished_at)),
    ready AS (
        DELETE FROM task_ready t USING moved m WHERE m.state = 'queued' AND t.id = m.id),
    due AS (
        DELETE FROM task_due t USING moved m WHERE m.state = 'scheduled' AND t.id = m.id),
    running AS (
        DELETE FROM task_running t USING moved m WHERE m.state = 'running' AND t.id = m.id),
    done AS (
        DELETE FROM task_done t
         USING moved m
         WHERE m.state IN ('succeeded', 'failed', 'cancelled')
           AND t.state = m.state
           AND t.id = m.id)
    SELECT count(*) INTO STRICT moves FROM moved;  -- the removals run to completion regardless

    IF moves = 0 THEN
        RETURN NULL;
    END IF;

    WITH moved AS MATERIALIZED (
        SELECT n.*
          FROM old_rows o
          JOIN new_rows n ON n.id = o.id
         WHERE (o.state, o.priority, o.run_at, o.finished_at)
               IS DISTINCT FROM (n.state, n.priority, n.run_at, n.finished_at)),
    ready AS (
        INSERT INTO task_ready (id, queue, type, priority, run_at)
        SELECT id, queue, type, priority, run_at FROM moved WHERE state = 'queued'),
    due AS (
        INSERT INTO task_due (id, queue, type, run_at)
        SELECT id, queue, type, run_at FROM moved WHERE state = 'scheduled'),
    running AS (
        INSERT INTO task_running (id, queue, type)
        SELECT id, queue, type FROM moved WHERE state = 'running'),
    done AS (
        INSERT INTO task_done (id, queue, type, state, finished_at)
        SELECT id, queue, type, state, finished_at FROM moved
         WHERE state IN ('succeeded', 'failed', 'cancelled'))
    SELECT count(*) INTO STRICT notified
      FROM (SELECT pg_notify(work_channel(TG_TABLE_SCHEMA), q.queue)
              FROM (SELECT DISTINCT queue FROM moved WHERE state = 'queued') AS q) AS n;
    RETURN NULL;
END
$$;

-- Removed tasks (retention, a test's clean-up) leave their tracking tables too.
CREATE FUNCTION task_deleted() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
    AS
$$
BEGIN
    WITH ready AS (
        DELETE FROM task_ready t USING deleted d WHERE d.state = 'queued' AND t.id = d.id),
    due AS (
        DELETE FROM task_due t USING deleted d WHERE d.state = 'scheduled' AND t.id = d.id),
    running AS (
        DELETE FROM task_running t USING deleted d WHERE d.state = 'running' AND t.id = d.id)
    DELETE FROM task_done t
     USING deleted d
     WHERE d.state IN ('succeeded', 'failed', 'cancelled')
       AND t.state = d.state
       AND t.id = d.id;
    RETURN NULL;
END
$$;

CREATE FUNCTION task_truncated() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path FROM CURRENT
    AS
$$
BEGIN
    TRUNCATE task_ready, task_due, task_running, task_done;
    RETURN NULL;
END
$$;

CREATE TRIGGER task_inserted
    AFTER INSERT ON task
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT
    EXECUTE FUNCTION task_inserted();

-- No column list: PostgreSQL allows transition tables only on triggers without one.
CREATE TRIGGER task_updated
    AFTER UPDATE ON task
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT
    EXECUTE FUNCTION task_updated();

CREATE TRIGGER task_deleted
    AFTER DELETE ON task
    REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT
    EXECUTE FUNCTION task_deleted();

CREATE TRIGGER task_truncated
    AFTER TRUNCATE ON task
    FOR EACH STATEMENT
    EXECUTE FUNCTION task_truncated();
