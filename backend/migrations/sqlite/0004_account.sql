-- The profile's account actions: personal information, avatar, TOTP MFA.

ALTER TABLE users ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
-- The TOTP secret (base32) while MFA is on. It cannot be hashed: checking a code needs it.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
-- A secret shown for enrolment; it becomes totp_secret once a code from it is confirmed.
ALTER TABLE users ADD COLUMN totp_pending TEXT;
-- The last time step whose code was accepted: each code works once.
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;
-- Wrong codes in a row, and when the last came: code checks pause after too many.
ALTER TABLE users ADD COLUMN mfa_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN mfa_failed_at INTEGER;

-- One-time recovery codes: SHA-256 of each, shown once at enrolment.
CREATE TABLE recovery_codes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id   INTEGER NOT NULL REFERENCES users (id),
    code_hash TEXT    NOT NULL,
    used_at   INTEGER
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- The avatar as keyward re-encoded it (PNG, at most 256x256).
CREATE TABLE avatars (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id),
    image      BLOB    NOT NULL,
    updated_at INTEGER NOT NULL
);
