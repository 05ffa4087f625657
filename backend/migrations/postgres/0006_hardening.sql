-- The login JWT signing key is derived from the sealing key now, never stored: forget the
-- one earlier versions kept here (JWTs signed with it, 15 minutes at most, stop working).
DELETE FROM settings WHERE key = 'login_jwt_key';

-- Sudo mode: when the session's person last entered their password (at sign-in, or in the
-- Confirm access dialog). Sensitive changes need this within the last 10 minutes.
ALTER TABLE sessions ADD COLUMN authenticated_at BIGINT NOT NULL DEFAULT 0;
UPDATE sessions SET authenticated_at = created_at;
