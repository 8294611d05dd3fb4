ALTER TABLE waves DROP COLUMN link_tag;
