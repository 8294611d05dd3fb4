-- Signed-in sessions, so that logging out ends a session on the server too: a copied
-- cookie stops working at logout, not only when it expires. Only the SHA-256 of the
-- session id in the cookie is kept.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);
