-- Values replaced by a rotation (or a re-dating): the old hash, the token it belonged to and
-- until when it still works (a grace window, or the moment of the rotation for none). A
-- replaced value is looked up here only when it is no token's current hash, so the bearer
-- check of a current value stays one lookup; past its window it is refused as
-- token_rotated, so its caller knows why.
CREATE TABLE rotated_secrets (
    token_hash     TEXT    PRIMARY KEY,
    kind           TEXT    NOT NULL CHECK (kind IN ('api_token', 'service_token')),
    token_id       INTEGER NOT NULL,
    display_prefix TEXT    NOT NULL,
    valid_until    INTEGER NOT NULL,
    rotated_at     INTEGER NOT NULL
);
CREATE INDEX rotated_secrets_token ON rotated_secrets (kind, token_id, valid_until);
