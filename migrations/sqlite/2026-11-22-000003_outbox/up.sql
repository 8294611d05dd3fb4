-- Durable email outbox, per-wave mail counts kept after close, and the wave schedule.
-- Keep in step with ../../postgres/<same version>.

-- One row per email (invitation or reminder), written before anything is sent. Rows name
-- people and reveal who had not answered at reminder time, so closing a wave deletes them
-- (A3); only the counts in wave_mail_counts survive. No token is ever stored here (A2).
CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    wave_id TEXT NOT NULL REFERENCES waves (id) ON DELETE CASCADE,
    invitation_id TEXT NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_by TEXT,
    claimed_until TIMESTAMP,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_wave ON outbox (wave_id);
CREATE INDEX outbox_invitation ON outbox (invitation_id);

CREATE TABLE wave_mail_counts (
    wave_id TEXT PRIMARY KEY NOT NULL REFERENCES waves (id) ON DELETE CASCADE,
    sent INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0
);

-- A wave with a schedule row is opened, reminded and closed by the server at its times.
CREATE TABLE wave_schedules (
    wave_id TEXT PRIMARY KEY NOT NULL REFERENCES waves (id) ON DELETE CASCADE,
    every TEXT,
    reminders TEXT NOT NULL DEFAULT ''
);

CREATE TABLE wave_reminders (
    wave_id TEXT NOT NULL REFERENCES waves (id) ON DELETE CASCADE,
    due_at TIMESTAMP NOT NULL,
    done BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (wave_id, due_at)
);
