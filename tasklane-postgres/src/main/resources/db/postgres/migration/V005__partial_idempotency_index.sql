-- The idempotency keys' unique index holds only the tasks that have a key. A change of a task's
-- state is never a HOT update, so PostgreSQL adds an entry to every index whose predicate the new
-- row version satisfies: the full UNIQUE constraint's index took an entry (a NULL) for every claim
-- and every outcome of every task, keyed or not. Uniqueness is unchanged: NULLs never collided.
ALTER TABLE task DROP CONSTRAINT task_idempotency_key_key;
CREATE UNIQUE INDEX task_idempotency_key_idx ON task (idempotency_key)
    WHERE idempotency_key IS NOT NULL;
