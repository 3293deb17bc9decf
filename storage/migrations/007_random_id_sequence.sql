-- VK checks a message's random_id for uniqueness across the community's whole history: an id used once
-- makes VK answer with the old message and deliver nothing. Ids now come from a counter, in order; the ids
-- earlier versions drew at random are kept here and skipped by it.
CREATE TABLE random_ids_before (id INTEGER PRIMARY KEY);
INSERT OR IGNORE INTO random_ids_before SELECT random_id FROM outbox;
INSERT INTO meta(key, value) VALUES ('random_id_next', '1') ON CONFLICT(key) DO NOTHING;
