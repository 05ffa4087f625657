-- Times are INTEGER unix seconds (UTC): portable to PostgreSQL's BIGINT and comparable in SQL.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL DEFAULT '',
    role          TEXT    NOT NULL CHECK (role IN ('user', 'manager', 'admin')),
    active        INTEGER NOT NULL DEFAULT 1,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE user_emails (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    email      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    is_primary INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX user_emails_user ON user_emails (user_id);

-- Login sessions: only the SHA-256 of the cookie value is stored.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    secret_hash  TEXT    NOT NULL UNIQUE,
    kind         TEXT    NOT NULL CHECK (kind IN ('browser', 'api')),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    ended_at     INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API tokens (kwat_): SHA-256 of the whole value and its 12-character display prefix.
CREATE TABLE api_tokens (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    name           TEXT    NOT NULL,
    token_hash     TEXT    NOT NULL UNIQUE,
    display_prefix TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    last_used_at   INTEGER,
    revoked_at     INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- The one-time link that creates the first administrator.
CREATE TABLE setup_codes (
    code_hash  TEXT    PRIMARY KEY,
    created_at INTEGER NOT NULL,
    used_at    INTEGER
);

-- Installation-wide settings an admin can change (e.g. the maximum token lifetime).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
