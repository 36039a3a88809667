-- Remote workers: code in any language that claims tasks over HTTP.
--
-- The task types a remote worker has announced. The server accepts submissions of a type that a
-- handler of its own or an announced worker serves; remembering announcements keeps a type
-- accepted while its workers are away (deploys, restarts), so submissions never depend on whether
-- a worker happens to be connected.
CREATE TABLE task_type (
    name         TEXT    NOT NULL PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 128),
    announced_at INTEGER NOT NULL                               -- the latest announcement
) STRICT, WITHOUT ROWID;

-- What a node says about itself beyond its id and types: for a remote worker, its language, client
-- and queues. A JSON object of strings; NULL for none.
ALTER TABLE node ADD COLUMN labels TEXT CHECK (labels IS NULL OR json_type(labels) = 'object');

-- A token may be limited to some task types and queues (a worker's token): a JSON object with the
-- keys types and queues, each an array of names; NULL: not limited.
ALTER TABLE access_token ADD COLUMN scope TEXT CHECK (scope IS NULL OR json_type(scope) = 'object');
