-- An update is claimed before its handler runs and marked done after. A claim left undone by a
-- crash (kill -9 mid-handler) lets the redelivered update run again instead of being dropped.
ALTER TABLE processed_events ADD COLUMN done INTEGER NOT NULL DEFAULT 1;
