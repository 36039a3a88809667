-- PostgreSQL only (SQLite has no notifications; its next migration skips this number).
--
-- New tasks notify once per statement instead of once per row. The row-level trigger called its
-- function for every inserted row: a batch of 100,000 tasks made 100,000 calls to find the one
-- queue to name, 13% of the batch's time in the database (a COPY of 100,000 rows on the machine
-- of BENCHMARKS.md: 2.35 s with it, 2.03 s without). A statement-level trigger reads the
-- statement's inserted rows once and notifies each queue that got a queued task: the same
-- notifications (NOTIFY de-duplicates within a transaction anyway), at a cost that does not grow
-- per row beyond the transition table (1.92 s for the same COPY).
--
-- A change of state to 'queued' (a retry, a recovered lease, a promotion) still notifies from the
-- row-level trigger task_ready_notify, now limited to updates.
CREATE FUNCTION task_notify_inserted() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_notify(
        CASE WHEN octet_length('tasklane_work_' || TG_TABLE_SCHEMA) <= 63
             THEN 'tasklane_work_' || TG_TABLE_SCHEMA
             ELSE 'tasklane_work_' || md5(TG_TABLE_SCHEMA)
        END,
        q.queue)
      FROM (SELECT DISTINCT queue FROM inserted WHERE state = 'queued') AS q;
    RETURN NULL; -- an AFTER trigger's result is ignored
END
$$;

DROP TRIGGER task_ready_notify ON task;

CREATE TRIGGER task_ready_notify
    AFTER UPDATE OF state ON task
    FOR EACH ROW
    WHEN (NEW.state = 'queued')
    EXECUTE FUNCTION task_notify_ready();

CREATE TRIGGER task_inserted_notify
    AFTER INSERT ON task
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT
    EXECUTE FUNCTION task_notify_inserted();
