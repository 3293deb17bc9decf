-- A row being sent is claimed by its sender (`claimed_by`, `claimed_at`), taken in one transaction with
-- FOR UPDATE SKIP LOCKED on PostgreSQL: two senders on one database — instances overlapping at a takeover, a
-- `run-job --send` — never take the same row. A claim of a sender that died frees after a while (storage/outbox.py).
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_at REAL;
