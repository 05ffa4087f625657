-- Where each token is used (issue 15 §4): requests per UTC day and the client addresses
-- it came from with when each was last seen. Counted in memory on each instance and added
-- here every few seconds (and at shutdown) in one transaction, so a request never writes.
-- Days older than 30 and addresses beyond the 5 latest of a token are deleted.
CREATE TABLE token_usage_days (
    kind     TEXT    NOT NULL CHECK (kind IN ('api_token', 'service_token')),
    token_id INTEGER  NOT NULL,
    day      TEXT    NOT NULL, -- YYYY-MM-DD, UTC
    requests INTEGER  NOT NULL,
    PRIMARY KEY (kind, token_id, day)
);
CREATE TABLE token_usage_ips (
    kind      TEXT    NOT NULL CHECK (kind IN ('api_token', 'service_token')),
    token_id  INTEGER  NOT NULL,
    ip        TEXT    NOT NULL,
    last_seen INTEGER  NOT NULL,
    PRIMARY KEY (kind, token_id, ip)
);
