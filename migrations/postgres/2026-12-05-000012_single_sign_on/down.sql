DROP TABLE sso_logins;
DROP INDEX users_sso_subject;
ALTER TABLE users DROP COLUMN break_glass;
ALTER TABLE users DROP COLUMN sso_subject;
