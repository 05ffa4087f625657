-- Expiry notices (issue 15 §6): one row per token, threshold (7 or 1 days before expiry)
-- and expiry, queued by whichever instance sees the token come within the threshold first
-- (the UNIQUE key makes a second queueing a no-op), and sent to the expiry webhook by the
-- instance that claims it. A claim moves next_attempt_at into the future in one UPDATE,
-- so two instances never send the same notice at once; one that stops mid-delivery
-- leaves it to be claimed again when that lease ends. A re-dated token gets new notices
-- (its expires_at differs).
CREATE TABLE expiry_notices (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL CHECK (kind IN ('api_token', 'service_token')),
    token_id        INTEGER  NOT NULL,
    threshold_days  INTEGER  NOT NULL CHECK (threshold_days IN (1, 7)),
    expires_at      INTEGER  NOT NULL,
    -- The event as sent: fixed when queued, so every try carries the same signed body.
    body            TEXT    NOT NULL,
    queued_at       INTEGER  NOT NULL,
    attempts        INTEGER  NOT NULL DEFAULT 0,
    next_attempt_at INTEGER  NOT NULL,
    sent_at         INTEGER,
    given_up_at     INTEGER,
    -- Why the last try failed: an HTTP status or a connection error, never the URL.
    last_error      TEXT,
    UNIQUE (kind, token_id, threshold_days, expires_at)
);
CREATE INDEX expiry_notices_due ON expiry_notices (next_attempt_at)
    WHERE sent_at IS NULL AND given_up_at IS NULL;
