-- Files travel with their message: the sender uploads them when it sends, so a handler's transaction
-- never waits on VK. A message holding an invite code is `secret`: its text is wiped once VK has it.
CREATE TABLE outbox_files (
    outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('photo', 'document')),
    name      TEXT NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (outbox_id, seq)
);
ALTER TABLE outbox ADD COLUMN secret INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outbox_sent_at ON outbox(status, sent_at);
CREATE INDEX processed_events_at ON processed_events(at);
