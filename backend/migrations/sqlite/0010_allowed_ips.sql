-- Allowed IP ranges per token (issue 15 §3): CIDR ranges, one a line, at most 20; empty
-- allows any address. Checked at every bearer authentication against the client address.
ALTER TABLE api_tokens ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '';
ALTER TABLE service_tokens ADD COLUMN allowed_ips TEXT NOT NULL DEFAULT '';
