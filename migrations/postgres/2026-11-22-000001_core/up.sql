-- Worklife core schema (PostgreSQL). Keep in step with ../../sqlite/<same version>.
-- Responses and answers are keyed by random UUIDs; closing a wave rewrites them in random
-- physical order (A3). No foreign key joins people and responses (A6).

CREATE TABLE units (
    id TEXT PRIMARY KEY NOT NULL,
    parent_id TEXT REFERENCES units (id),
    name TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE
);

CREATE TABLE people (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    unit_id TEXT NOT NULL REFERENCES units (id),
    attributes TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX people_unit ON people (unit_id);

CREATE TABLE instruments (
    id TEXT PRIMARY KEY NOT NULL,
    instrument_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    source TEXT NOT NULL,
    UNIQUE (instrument_id, version)
);

CREATE TABLE waves (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    instrument TEXT NOT NULL REFERENCES instruments (id),
    opens_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP NOT NULL,
    min_group_size INTEGER NOT NULL,
    attributes TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'scheduled'
);

CREATE TABLE wave_units (
    id TEXT PRIMARY KEY NOT NULL,
    wave_id TEXT NOT NULL REFERENCES waves (id) ON DELETE CASCADE,
    parent_id TEXT REFERENCES wave_units (id),
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    invited INTEGER NOT NULL DEFAULT 0,
    UNIQUE (wave_id, path)
);

CREATE TABLE invitations (
    id TEXT PRIMARY KEY NOT NULL,
    wave_id TEXT NOT NULL REFERENCES waves (id) ON DELETE CASCADE,
    person_id TEXT REFERENCES people (id) ON DELETE SET NULL,
    unit_id TEXT NOT NULL REFERENCES wave_units (id),
    attributes TEXT NOT NULL DEFAULT '{}',
    responded BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (wave_id, person_id)
);

CREATE TABLE invitation_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    invitation_id TEXT NOT NULL REFERENCES invitations (id) ON DELETE CASCADE,
    wave_id TEXT NOT NULL REFERENCES waves (id) ON DELETE CASCADE
);
CREATE INDEX invitation_tokens_invitation ON invitation_tokens (invitation_id);
CREATE INDEX invitation_tokens_wave ON invitation_tokens (wave_id);

CREATE TABLE responses (
    id TEXT PRIMARY KEY NOT NULL,
    wave_id TEXT NOT NULL REFERENCES waves (id),
    unit_id TEXT NOT NULL REFERENCES wave_units (id),
    attributes TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX responses_wave ON responses (wave_id);

CREATE TABLE answers (
    response_id TEXT NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    item_id TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (response_id, item_id)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    unit_path TEXT,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
