-- Single sign-on (OpenID Connect). A user's identity at the provider (issuer and subject) is
-- bound at their first sign-in there, so that an email changed at the provider cannot take
-- over another account. `break_glass` admins (added with the CLI) may still sign in with a
-- password while password sign-in is off (`auth.password = false`).
-- Keep in step with ../../<other backend>/<same version>.
ALTER TABLE users ADD COLUMN sso_subject TEXT;
ALTER TABLE users ADD COLUMN break_glass BOOLEAN NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX users_sso_subject ON users (sso_subject);

-- A sign-in under way at the provider: the SHA-256 of its `state` (the browser holds the
-- state itself in a cookie), the nonce the ID token must carry, the PKCE verifier, where to
-- go afterwards. Single use, for 10 minutes; no user, no token.
CREATE TABLE sso_logins (
    state_hash TEXT PRIMARY KEY NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next_path TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
