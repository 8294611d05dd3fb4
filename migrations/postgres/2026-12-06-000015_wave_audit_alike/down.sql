ALTER TABLE wave_audits DROP COLUMN alike_rests;
