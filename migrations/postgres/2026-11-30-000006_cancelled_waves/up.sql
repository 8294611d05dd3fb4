-- A wave closed without ever opening has no organisation snapshot and no answers; it is
-- now `cancelled`, so no report takes it for the previous wave.
UPDATE waves SET status = 'cancelled'
 WHERE status = 'closed'
   AND NOT EXISTS (SELECT 1 FROM wave_units WHERE wave_units.wave_id = waves.id);
