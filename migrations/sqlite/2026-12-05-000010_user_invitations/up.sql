-- Invitation links that let a new user set their own password: single-use, for 7 days.
-- Only the SHA-256 of the link's token is kept; the link itself is shown once to the admin
-- who added the user.
CREATE TABLE user_invitations (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX user_invitations_user ON user_invitations (user_id);
