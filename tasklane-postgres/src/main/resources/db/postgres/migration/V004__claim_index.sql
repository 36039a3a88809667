-- One index for claims and counts instead of two. task_ready_idx (the queued rows of a queue in
-- claim order) and task_queue_state_idx (counts per queue and state) become task_claim_idx: its
-- range (state = 'queued', queue) holds exactly the rows task_ready_idx held, in the same order,
-- and (state, queue) ranges serve every count.
--
-- Why: before the table's first ANALYZE (autovacuum's first visit can be a minute after a burst
-- of submissions), the planner estimated one matching row and answered a claim from
-- task_queue_state_idx by sorting every queued task of the queue: 64 ms per claim with 100,000
-- queued, against 10 ms from the ordered index. With one index whose order is the claim's order,
-- no statistics are needed to pick it. And every change of state adds an entry to every index
-- (it is never a HOT update), so one index fewer is cheaper too.
DROP INDEX task_ready_idx;
DROP INDEX task_queue_state_idx;
CREATE INDEX task_claim_idx ON task (state, queue, priority DESC, run_at, id);
