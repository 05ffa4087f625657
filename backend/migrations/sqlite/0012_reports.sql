-- Why a token was revoked, when it was not its owner's own doing (issue 15 §5): 'reported'
-- when a leak report (POST /api/v1/tokens/report) named its value. NULL otherwise. The
-- owner's lists keep such a row for 30 days, marked "Revoked: reported as exposed".
ALTER TABLE api_tokens ADD COLUMN revoked_reason TEXT;
ALTER TABLE service_tokens ADD COLUMN revoked_reason TEXT;
