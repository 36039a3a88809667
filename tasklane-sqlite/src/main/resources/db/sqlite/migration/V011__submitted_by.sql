-- Who submitted a task (a token's or user's identity, set by the server), so that a caller
-- allowed to read only its own tasks can be shown them. NULL: nobody in particular (the library).
ALTER TABLE task ADD COLUMN submitted_by TEXT CHECK (length(submitted_by) BETWEEN 1 AND 200);
CREATE INDEX task_submitter_idx ON task (submitted_by, id) WHERE submitted_by IS NOT NULL;
