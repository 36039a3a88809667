-- Fewer indexes on the task table. Every change of a task's state rewrites the entries of each
-- index that covers the state, so each index here costs every claim and every outcome. These three
-- are subsets of indexes that stay:
--  - task_waiting_idx and task_running_idx: counting a queue's waiting or running tasks is an exact
--    range of task_queue_state_idx (queue, state);
--  - task_lease_owner_idx: a restarting node looks for its own leases once, among the running rows
--    of task_lease_expiry_idx, which are few (at most the nodes' handler slots and claims ahead).
DROP INDEX task_waiting_idx;
DROP INDEX task_running_idx;
DROP INDEX task_lease_owner_idx;
