-- Issue 15: how each figure came (source) and reports a coordinator returned for revision.
-- source: NULL = the organization's admin through the form; 'behalf' = a coordinator through the same
-- form for the organization; 'import:<file name>' = a file of figures a coordinator (or the operator) applied.
ALTER TABLE figure_changes ADD COLUMN source TEXT;
ALTER TABLE submissions ADD COLUMN source TEXT;  -- how its last change came
-- A returned report counts as not sent (summaries, reminders) until it is saved again.
ALTER TABLE submissions ADD COLUMN returned_at TEXT;
ALTER TABLE submissions ADD COLUMN returned_by INTEGER;
ALTER TABLE submissions ADD COLUMN return_comment TEXT;
