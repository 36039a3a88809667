-- SQLite's V006: the node that claimed a task's latest run, kept after the run ends (lease_owner
-- is cleared then), so that every attempt of a task can be told with the node it ran on.
-- A nullable column without a default: no table rewrite.
ALTER TABLE task ADD COLUMN last_node text;
