-- Numbered after V005 here; SQLite's V005 is the same change.
--
-- A paused queue's tasks are not claimed, by any node, until it is resumed; they can still be
-- submitted, cancelled and retried.
ALTER TABLE queue ADD COLUMN paused boolean NOT NULL DEFAULT false;

-- Pausing or resuming notifies the nodes on the work channel, naming the queue: a pause reaches
-- them at once (they give back the tasks they claimed ahead), and a resume wakes them to claim.
CREATE FUNCTION queue_notify_paused() RETURNS trigger
    LANGUAGE plpgsql AS
$$
BEGIN
    PERFORM pg_notify(
        CASE WHEN octet_length('tasklane_work_' || TG_TABLE_SCHEMA) <= 63
             THEN 'tasklane_work_' || TG_TABLE_SCHEMA
             ELSE 'tasklane_work_' || md5(TG_TABLE_SCHEMA)
        END,
        NEW.name);
    RETURN NULL; -- an AFTER trigger's result is ignored
END
$$;

CREATE TRIGGER queue_paused_notify
    AFTER UPDATE OF paused ON queue
    FOR EACH ROW
    WHEN (OLD.paused IS DISTINCT FROM NEW.paused)
    EXECUTE FUNCTION queue_notify_paused();
