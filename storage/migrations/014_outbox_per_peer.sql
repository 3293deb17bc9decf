-- The queue is served a recipient at a time: each peer's oldest pending row is its only candidate (its messages
-- leave in order, parts of a long reply included, and one person's flood is one candidate among everyone's).
CREATE INDEX outbox_peer_queue ON outbox(peer_id, status, priority, id);
