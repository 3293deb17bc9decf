-- An organization taken out of the directory (closed, merged) is marked, not deleted: the figures it
-- sent stay for the record, while coverage, reminders and invites leave it out from then on.
ALTER TABLE organizations ADD COLUMN removed_at TEXT;
