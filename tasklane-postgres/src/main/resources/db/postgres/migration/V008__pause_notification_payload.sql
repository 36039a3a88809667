-- A pause or resume notifies the work channel with '!' before the queue's name, so a node can tell
-- it from new work in a queue it knows: new work needs no re-read of the queue list, a pause or
-- resume does. No queue name holds '!' (names match [A-Za-z0-9_.:-]).
CREATE OR REPLACE FUNCTION queue_notify_paused() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_notify(
        CASE WHEN octet_length('tasklane_work_' || TG_TABLE_SCHEMA) <= 63
             THEN 'tasklane_work_' || TG_TABLE_SCHEMA
             ELSE 'tasklane_work_' || md5(TG_TABLE_SCHEMA)
        END,
        '!' || NEW.name);
    RETURN NULL; -- an AFTER trigger's result is ignored
END
$$;
