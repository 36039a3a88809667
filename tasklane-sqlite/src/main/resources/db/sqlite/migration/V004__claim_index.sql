-- One index for claims and counts instead of two. task_ready_idx (the queued rows of a queue in
-- claim order) and task_queue_state_idx (counts per queue and state) become task_claim_idx: its
-- range (state = 'queued', queue) holds exactly the rows task_ready_idx held, in the same order,
-- and (state, queue) ranges serve every count. A task's change of state now rewrites one entry
-- here rather than entries in both, and an insert maintains one index fewer.
DROP INDEX task_ready_idx;
DROP INDEX task_queue_state_idx;
CREATE INDEX task_claim_idx ON task (state, queue, priority DESC, run_at, id);
