-- A paused queue's tasks are not claimed, by any node, until it is resumed; they can still be
-- submitted, cancelled and retried.
ALTER TABLE queue ADD COLUMN paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1));
