-- Issue 15: every return for revision, for history (submissions keep only the one waiting for revision).
CREATE TABLE report_returns (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    returned_by INTEGER NOT NULL,
    returned_at TEXT NOT NULL,
    comment TEXT NOT NULL
);
CREATE INDEX report_returns_submission ON report_returns(submission_id);
