-- Who may act on the server: API tokens, dashboard users, their signed-in sessions, and the audit
-- log of what they did. Secrets are never kept: tokens and sessions by the SHA-256 of their
-- secret (random 256-bit values, so a fast hash is enough), passwords by an Argon2id hash.
-- Times are epoch milliseconds, as in the task table.
CREATE TABLE access_token (
    id           TEXT    NOT NULL PRIMARY KEY CHECK (length(id) > 0),
    name         TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role         TEXT    NOT NULL CHECK (length(role) > 0),
    secret_hash  TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,                                   -- NULL: never
    last_used_at INTEGER,
    revoked_at   INTEGER                                    -- NULL: active
);
-- A name picks out one active token (revoke by name); a revoked token's name may be used again.
CREATE UNIQUE INDEX access_token_active_name ON access_token (name) WHERE revoked_at IS NULL;

CREATE TABLE dashboard_user (
    name          TEXT    NOT NULL PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 100),
    role          TEXT    NOT NULL CHECK (length(role) > 0),
    password_hash TEXT    NOT NULL,                         -- PHC string, $argon2id$...
    created_at    INTEGER NOT NULL
);

CREATE TABLE web_session (
    secret_hash  TEXT    NOT NULL PRIMARY KEY,
    principal    TEXT    NOT NULL,
    role         TEXT    NOT NULL,
    token_id     TEXT,                                      -- signed in with this token; NULL: a user
    csrf_token   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX web_session_principal_idx ON web_session (principal);

CREATE TABLE audit_entry (
    id     INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,       -- never reused, so pages stay stable
    at     INTEGER NOT NULL,
    actor  TEXT    NOT NULL,
    action TEXT    NOT NULL,
    target TEXT,
    client TEXT    NOT NULL,
    detail TEXT
);
CREATE INDEX audit_entry_at_idx ON audit_entry (at);
