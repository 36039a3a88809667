-- Numbered as SQLite's V003: V001 here holds what SQLite's V001 and V002 hold.
-- Fewer indexes on the task table. A change of state is never a HOT update (state is indexed), so
-- PostgreSQL adds an entry to every index of the table for each claim and each outcome: every
-- index costs the hot path. These three are subsets of indexes that stay:
--  - task_waiting_idx and task_running_idx: counting a queue's waiting or running tasks is an exact
--    range of task_queue_state_idx (queue, state);
--  - task_lease_owner_idx: a restarting node looks for its own leases once, among the running rows
--    of task_lease_expiry_idx, which are few (at most the nodes' handler slots and claims ahead).
DROP INDEX task_waiting_idx;
DROP INDEX task_running_idx;
DROP INDEX task_lease_owner_idx;
