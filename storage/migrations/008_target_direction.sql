-- Format v2: a target may have no goal (monitored, never judged) and a direction ("at_most": a zero goal
-- such as "no lessons without a mark"). SQLite cannot drop NOT NULL in place: the table is rebuilt.
CREATE TABLE roadmap_targets_v2 (
    roadmap_id   TEXT NOT NULL REFERENCES roadmaps(id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    title        TEXT NOT NULL,
    goal_percent REAL,
    direction    TEXT NOT NULL DEFAULT 'at_least' CHECK (direction IN ('at_least', 'at_most')),
    PRIMARY KEY (roadmap_id, key)
);
INSERT INTO roadmap_targets_v2(roadmap_id, key, title, goal_percent)
    SELECT roadmap_id, key, title, goal_percent FROM roadmap_targets;
DROP TABLE roadmap_targets;
ALTER TABLE roadmap_targets_v2 RENAME TO roadmap_targets;
