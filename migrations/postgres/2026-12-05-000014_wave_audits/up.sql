-- The disclosure audit of a closed wave's release (docs/privacy.md D5 and D7), run once when
-- the wave closes and kept, so that nobody waits for it again: how many measures it checked,
-- and how many findings of each kind it made. Counts only: no group, figure or person.
CREATE TABLE wave_audits (
    wave_id TEXT PRIMARY KEY NOT NULL REFERENCES waves (id) ON DELETE CASCADE,
    audited_at TIMESTAMP NOT NULL,
    milliseconds INTEGER NOT NULL,
    measures INTEGER NOT NULL,
    -- D4/D5: groups under k that adding and subtracting shown figures isolates; NULL when
    -- the release is too large for the exact auditor (survey_engine EXACT_AUDIT_MAX_CELLS).
    breaches INTEGER,
    -- P1: groups under k whose count a reader who knows the roster can pin, and those
    -- excused because they sit inside shown cells that answered in full.
    pinned_counts INTEGER NOT NULL,
    excused_counts INTEGER NOT NULL,
    -- P2: groups under k whose possible means are narrower than the protection level, and
    -- the counted exceptions only the organisation's own figure pins.
    narrow_means INTEGER NOT NULL,
    mean_exceptions INTEGER NOT NULL
);
