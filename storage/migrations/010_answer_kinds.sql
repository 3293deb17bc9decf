-- Format v2 indicator kinds: decimals (number, percent) stay in `value`, which becomes NUMERIC so 12.5 is
-- kept as written; choices, texts and links go to `text`; a question skipped (`required = false`) is a
-- row with neither. SQLite cannot change a column's type in place: both tables are rebuilt.
CREATE TABLE figures_v2 (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    indicator_key TEXT NOT NULL,
    value         NUMERIC,
    text          TEXT,
    CHECK (value IS NULL OR text IS NULL),
    PRIMARY KEY (submission_id, indicator_key)
);
INSERT INTO figures_v2(submission_id, indicator_key, value) SELECT submission_id, indicator_key, value FROM figures;
DROP TABLE figures;
ALTER TABLE figures_v2 RENAME TO figures;

CREATE TABLE figure_changes_v2 (
    id            INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    indicator_key TEXT NOT NULL,
    old_value     NUMERIC,
    new_value     NUMERIC,
    old_text      TEXT,
    new_text      TEXT,
    changed_by    INTEGER NOT NULL,
    changed_at    TEXT NOT NULL,
    late          INTEGER NOT NULL
);
INSERT INTO figure_changes_v2(id, submission_id, indicator_key, old_value, new_value, changed_by, changed_at, late)
    SELECT id, submission_id, indicator_key, old_value, new_value, changed_by, changed_at, late FROM figure_changes;
DROP TABLE figure_changes;
ALTER TABLE figure_changes_v2 RENAME TO figure_changes;
CREATE INDEX figure_changes_submission ON figure_changes(submission_id);
