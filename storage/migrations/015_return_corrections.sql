-- Issue 28: a report returned for revision and sent again is marked so (history, the coordinator's notice).
ALTER TABLE report_returns ADD COLUMN resubmitted_at TEXT;
ALTER TABLE report_returns ADD COLUMN resubmitted_by INTEGER;
