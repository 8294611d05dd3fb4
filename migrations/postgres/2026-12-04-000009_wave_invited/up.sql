-- How many people were invited per unit and combination of report-attribute values, kept
-- when a wave closes (the invitations themselves are destroyed then, A3). These are roster
-- counts HR knows anyway; the release is protected against a reader who knows them (P1).
-- Nothing here says who answered.
CREATE TABLE wave_invited (
    wave_id TEXT NOT NULL REFERENCES waves (id) ON DELETE CASCADE,
    unit_id TEXT NOT NULL REFERENCES wave_units (id) ON DELETE CASCADE,
    attributes TEXT NOT NULL,
    invited INTEGER NOT NULL,
    PRIMARY KEY (wave_id, unit_id, attributes)
);
