-- A service token is suspended when the user answerable for it is deactivated, and stays
-- suspended after a reactivation until an admin transfers or revokes it (PRODUCT.md §2).
ALTER TABLE service_tokens ADD COLUMN suspended_at INTEGER;
UPDATE service_tokens SET suspended_at = 0
    WHERE revoked_at IS NULL AND created_by IN (SELECT id FROM users WHERE NOT active);
