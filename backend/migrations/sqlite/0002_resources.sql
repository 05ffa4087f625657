-- Organizations, teams, projects with config and secrets, project grants, operation logs.

CREATE TABLE organizations (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

-- A team is a named group of users (shown as a user's "groups").
CREATE TABLE teams (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    org_id     INTEGER REFERENCES organizations (id),
    created_at INTEGER NOT NULL
);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

CREATE TABLE projects (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    org_id     INTEGER REFERENCES organizations (id),
    config     TEXT    NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL
);
-- Project names are unique within their organization (or among projects without one).
CREATE UNIQUE INDEX projects_name ON projects (COALESCE(org_id, 0), name);

CREATE TABLE project_secrets (
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (project_id, name)
);

-- A grant to exactly one of a user or a team; can_read is implied by the row itself.
CREATE TABLE project_grants (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id         INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id            INTEGER REFERENCES users (id),
    team_id            INTEGER REFERENCES teams (id),
    can_change_configs INTEGER NOT NULL DEFAULT 0,
    can_change_secrets INTEGER NOT NULL DEFAULT 0,
    can_delete_project INTEGER NOT NULL DEFAULT 0,
    CHECK ((user_id IS NULL) <> (team_id IS NULL))
);
CREATE UNIQUE INDEX project_grants_user ON project_grants (project_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX project_grants_team ON project_grants (project_id, team_id) WHERE team_id IS NOT NULL;

CREATE TABLE oplogs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE oplog_entries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    oplog_id     INTEGER NOT NULL REFERENCES oplogs (id) ON DELETE CASCADE,
    start_date   INTEGER,
    end_date     INTEGER,
    source_host  TEXT NOT NULL DEFAULT '',
    dest_host    TEXT NOT NULL DEFAULT '',
    tool         TEXT NOT NULL DEFAULT '',
    user_context TEXT NOT NULL DEFAULT '',
    command      TEXT NOT NULL DEFAULT '',
    description  TEXT NOT NULL DEFAULT '',
    output       TEXT NOT NULL DEFAULT '',
    operator     TEXT NOT NULL DEFAULT '',
    tags         TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX oplog_entries_oplog ON oplog_entries (oplog_id);
