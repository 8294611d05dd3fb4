-- Open-text comments (answers to an instrument's open questions). A comment belongs to its
-- answer sheet only: it has the sheet's unit and report attributes through the response and
-- nothing else (no person, no time, no order), and moves to the sheet's new id when the wave
-- closes and its sheets are rewritten in random order. `body` is redacted before it is
-- written (e-mail addresses, phone numbers, links, long digit runs, roster names): no
-- unredacted text is ever stored. `review`: `clear`, or `held` for an admin (a word of the
-- review list), then `released` or `withheld`; `concerns` names what held it.
-- Keep in step with ../../<other backend>/<same version>.
CREATE TABLE comments (
    response_id TEXT NOT NULL REFERENCES responses (id) ON DELETE CASCADE,
    prompt_id TEXT NOT NULL,
    body TEXT NOT NULL,
    review TEXT NOT NULL DEFAULT 'clear',
    concerns TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (response_id, prompt_id)
);
CREATE INDEX comments_review ON comments (review);

-- The roster's optional `name` column: only to remove colleagues' names from comments.
ALTER TABLE people ADD COLUMN name TEXT;

-- Each wave's comment threshold: comments show only where at least this many people wrote
-- one (never below the wave's k).
ALTER TABLE waves ADD COLUMN comment_min INTEGER NOT NULL DEFAULT 10;
