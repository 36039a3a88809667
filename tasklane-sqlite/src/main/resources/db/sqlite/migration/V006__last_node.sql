-- The node that claimed a task's latest run, kept after the run ends (lease_owner is cleared then),
-- so that every attempt of a task can be told with the node it ran on.
ALTER TABLE task ADD COLUMN last_node TEXT;
