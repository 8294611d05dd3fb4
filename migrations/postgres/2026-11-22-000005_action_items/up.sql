-- Manager action items. An item belongs to a unit (by path), not to a wave, so plans carry
-- over from quarter to quarter; created_wave_id only records where it started.
-- Nothing here refers to people or responses (A6).
CREATE TABLE action_items (
    id TEXT PRIMARY KEY NOT NULL,
    unit_path TEXT NOT NULL,
    area TEXT NOT NULL,
    title TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    due_date DATE,
    status TEXT NOT NULL DEFAULT 'not_started',
    notes TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    created_wave_id TEXT REFERENCES waves (id) ON DELETE SET NULL
);
CREATE INDEX action_items_unit ON action_items (unit_path);
