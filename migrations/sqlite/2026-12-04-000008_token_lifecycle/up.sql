-- API tokens get a name, an expiry and the time they were last used (to the minute). A
-- token is listed and revoked by the first 12 characters of its hash; the token itself is
-- never stored. Tokens made before this have no expiry and an empty name.
ALTER TABLE api_tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMP;
