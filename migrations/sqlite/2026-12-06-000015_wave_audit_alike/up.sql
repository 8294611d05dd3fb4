-- D9 for what a reader works out (docs/privacy.md D9): rests of shown distributions (a shown
-- cell less the shown cells inside it) whose answers one category holds all or all but one
-- of. A count only, like the others; audits kept before it count none.
ALTER TABLE wave_audits ADD COLUMN alike_rests INTEGER NOT NULL DEFAULT 0;
