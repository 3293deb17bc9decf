-- Reported figures. Roadmaps and indicators are referenced by their natural keys, so reloading a
-- roadmap file (which rewrites roadmap_* rows) never touches what organizations reported.
CREATE TABLE submissions (
    id              INTEGER PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    roadmap_id      TEXT NOT NULL REFERENCES roadmaps(id),
    form_id         TEXT NOT NULL,
    period          TEXT NOT NULL,          -- the period's due date, YYYY-MM-DD
    submitted_by    INTEGER NOT NULL,
    submitted_at    TEXT NOT NULL,
    updated_by      INTEGER NOT NULL,
    updated_at      TEXT NOT NULL,
    late            INTEGER NOT NULL DEFAULT 0,   -- first sent after the period's summary
    UNIQUE (organization_id, roadmap_id, form_id, period)
);
CREATE INDEX submissions_period ON submissions(roadmap_id, form_id, period);

-- The latest value of each indicator of a submission.
CREATE TABLE figures (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    indicator_key TEXT NOT NULL,
    value         INTEGER NOT NULL,
    PRIMARY KEY (submission_id, indicator_key)
);

-- Every change ever made, first answers included (old_value NULL).
CREATE TABLE figure_changes (
    id            INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    indicator_key TEXT NOT NULL,
    old_value     INTEGER,
    new_value     INTEGER NOT NULL,
    changed_by    INTEGER NOT NULL,
    changed_at    TEXT NOT NULL,
    late          INTEGER NOT NULL
);
CREATE INDEX figure_changes_submission ON figure_changes(submission_id);
