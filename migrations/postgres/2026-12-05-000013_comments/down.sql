DROP TABLE comments;
ALTER TABLE people DROP COLUMN name;
ALTER TABLE waves DROP COLUMN comment_min;
