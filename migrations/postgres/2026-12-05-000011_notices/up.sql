-- Emails to staff, not to respondents: "results released" to each manager when a wave
-- closes, the weekly nudge while a manager's action plan is still empty, and an admin's test
-- email. Written before anything is sent and delivered by the outbox worker with the same
-- retries. They name staff only and say nothing about who answered; an unsubscribe link's
-- token is stored as its SHA-256 only. Keep in step with ../../<other backend>/<same version>.
CREATE TABLE notices (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    wave_id TEXT REFERENCES waves (id) ON DELETE CASCADE,
    unit_path TEXT,
    link_hash TEXT,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_by TEXT,
    claimed_until TIMESTAMP,
    last_error TEXT
);
CREATE INDEX notices_due ON notices (state, next_attempt_at);
CREATE INDEX notices_user ON notices (user_id, kind);
CREATE UNIQUE INDEX notices_link ON notices (link_hash);

-- Managers can switch the nudges off with the link in each one.
ALTER TABLE users ADD COLUMN nudges BOOLEAN NOT NULL DEFAULT TRUE;
