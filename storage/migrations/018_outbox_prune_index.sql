-- Retention deletes the messages finished before a cutoff by `created_at` (storage/retention.py), every six hours:
-- indexed by (status, sent_at), as it once was, the delete read every delivered message kept (90 days of them) to
-- find the old ones; nothing else reads by `sent_at`.
DROP INDEX IF EXISTS outbox_sent_at;
CREATE INDEX outbox_finished ON outbox(status, created_at);
