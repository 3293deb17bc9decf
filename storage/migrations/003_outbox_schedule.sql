-- One outbox for every outgoing message. A row's random_id is fixed when it is written, so a
-- retry after a crash is deduplicated by VK instead of delivered twice.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    peer_id     INTEGER NOT NULL,
    text        TEXT NOT NULL,
    keyboard    TEXT,
    attachment  TEXT,
    priority    INTEGER NOT NULL,           -- 0: a reply to a person, 1: bulk (reminders, summaries)
    dedup_key   TEXT UNIQUE,                -- a job's message: running the job again adds nothing
    random_id   INTEGER NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  REAL NOT NULL DEFAULT 0,    -- unix time: retry back-off
    error_code  INTEGER,
    created_at  TEXT NOT NULL,
    sent_at     TEXT,
    message_id  INTEGER
);
CREATE INDEX outbox_queue ON outbox(status, priority, id);

-- People VK will not deliver to (never wrote to the community, denied messages, blocked us).
CREATE TABLE unreachable (
    vk_id      INTEGER PRIMARY KEY,
    error_code INTEGER NOT NULL,
    at         TEXT NOT NULL
);

-- Settings kept with the data, such as the scheduler's last tick.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Scheduled events that have run (or were skipped after downtime), by their identity.
CREATE TABLE job_runs (
    event_key TEXT PRIMARY KEY,
    instant   TEXT NOT NULL,
    outcome   TEXT NOT NULL,            -- 'done' | 'skipped'
    at        TEXT NOT NULL
);

-- Roadmap items confirmed done by a responsible unit, per occurrence (recurring items).
CREATE TABLE item_confirmations (
    roadmap_id   TEXT NOT NULL,
    item_id      TEXT NOT NULL,
    occurrence   TEXT NOT NULL,          -- the occurrence's due date
    unit_role    TEXT NOT NULL,          -- 'region' | 'municipality' | 'organization'
    unit_scope   TEXT NOT NULL,
    confirmed_by INTEGER NOT NULL,
    confirmed_at TEXT NOT NULL,
    evidence     TEXT,
    PRIMARY KEY (roadmap_id, item_id, occurrence, unit_role, unit_scope)
);
