-- Who may act on the server: API tokens, dashboard users, their signed-in sessions, and the audit
-- log of what they did. Secrets are never kept: tokens and sessions by the SHA-256 of their
-- secret (random 256-bit values, so a fast hash is enough), passwords by an Argon2id hash.
CREATE TABLE access_token (
    id           text        NOT NULL PRIMARY KEY CHECK (length(id) > 0),
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role         text        NOT NULL CHECK (length(role) > 0),
    secret_hash  text        NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,                               -- NULL: never
    last_used_at timestamptz,
    revoked_at   timestamptz                                -- NULL: active
);
-- A name picks out one active token (revoke by name); a revoked token's name may be used again.
CREATE UNIQUE INDEX access_token_active_name ON access_token (name) WHERE revoked_at IS NULL;

CREATE TABLE dashboard_user (
    name          text        NOT NULL PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 100),
    role          text        NOT NULL CHECK (length(role) > 0),
    password_hash text        NOT NULL,                     -- PHC string, $argon2id$...
    created_at    timestamptz NOT NULL
);

CREATE TABLE web_session (
    secret_hash  text        NOT NULL PRIMARY KEY,
    principal    text        NOT NULL,
    role         text        NOT NULL,
    token_id     text,                                      -- signed in with this token; NULL: a user
    csrf_token   text        NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL
);
CREATE INDEX web_session_principal_idx ON web_session (principal);

CREATE TABLE audit_entry (
    id     bigint      NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at     timestamptz NOT NULL,
    actor  text        NOT NULL,
    action text        NOT NULL,
    target text,
    client text        NOT NULL,
    detail text
);
CREATE INDEX audit_entry_at_idx ON audit_entry (at);
