DROP TABLE notices;
ALTER TABLE users DROP COLUMN nudges;
