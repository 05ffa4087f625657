-- Service principals (durable non-human actors) and their tokens (kwst_). A token's grant
-- lives on the token row: the preset, its target and the flags. Targets carry no foreign key
-- so that a deleted project or log leaves the token's history intact (it then sees nothing).

CREATE TABLE service_principals (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    description TEXT    NOT NULL DEFAULT '',
    created_by  INTEGER NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL
);

CREATE TABLE service_tokens (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    principal_id       INTEGER NOT NULL REFERENCES service_principals (id),
    name               TEXT    NOT NULL,
    token_hash         TEXT    NOT NULL UNIQUE,
    display_prefix     TEXT    NOT NULL,
    preset             TEXT    NOT NULL CHECK (preset IN ('project', 'oplog')),
    project_id         INTEGER,
    org_id             INTEGER,
    oplog_id           INTEGER,
    can_change_configs INTEGER NOT NULL DEFAULT 0,
    can_change_secrets INTEGER NOT NULL DEFAULT 0,
    can_delete_project INTEGER NOT NULL DEFAULT 0,
    -- The user answerable for the token: its creator, or whoever it was transferred to.
    -- While that user is deactivated the token is suspended.
    created_by         INTEGER NOT NULL REFERENCES users (id),
    created_at         INTEGER NOT NULL,
    -- NULL: never expires.
    expires_at         INTEGER,
    last_used_at       INTEGER,
    revoked_at         INTEGER,
    CHECK ((preset = 'project') = (project_id IS NOT NULL)),
    CHECK ((preset = 'oplog') = (oplog_id IS NOT NULL))
);
CREATE INDEX service_tokens_created_by ON service_tokens (created_by);
