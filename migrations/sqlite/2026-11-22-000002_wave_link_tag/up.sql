-- A public, random tag per wave that prefixes its invitation tokens, so a link of a closed
-- wave (whose token hashes are destroyed, A3) is answered "closed" instead of "unknown".
-- It names the wave, never the person.
ALTER TABLE waves ADD COLUMN link_tag TEXT NOT NULL DEFAULT '';
