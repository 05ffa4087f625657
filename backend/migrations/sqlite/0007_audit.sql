-- The audit log: every credential event, with who did it, what, to which credential (named
-- by its display prefix, a username or a project: never a secret), from where, and how it
-- ended. `user_id` is the person whose Security log shows it (none for an unknown username).
CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    user_id    INTEGER,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL DEFAULT '',
    outcome    TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
    ip         TEXT,
    user_agent TEXT
);
CREATE INDEX audit_events_user ON audit_events (user_id, id);
CREATE INDEX audit_events_at ON audit_events (at);
