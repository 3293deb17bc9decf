-- Directory: regions, municipalities (each with its IANA time zone), organizations.
CREATE TABLE regions (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE municipalities (
    id        INTEGER PRIMARY KEY,
    region_id INTEGER NOT NULL REFERENCES regions(id),
    name      TEXT NOT NULL,
    timezone  TEXT NOT NULL,
    UNIQUE (region_id, name)
);

CREATE TABLE organizations (
    id              TEXT PRIMARY KEY,
    municipality_id INTEGER NOT NULL REFERENCES municipalities(id),
    name            TEXT NOT NULL,
    type            TEXT NOT NULL CHECK (type IN ('school', 'preschool', 'additional', 'vocational', 'authority'))
);
CREATE INDEX organizations_municipality ON organizations(municipality_id);

-- Roadmaps, kept by natural keys so reloading a file replaces its definition without touching figures.
CREATE TABLE roadmaps (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    basis      TEXT,
    starts     TEXT NOT NULL,
    ends       TEXT NOT NULL,
    source     TEXT NOT NULL,
    definition TEXT NOT NULL,   -- the validated roadmap as JSON, what services read
    loaded_at  TEXT NOT NULL
);

CREATE TABLE roadmap_forms (
    roadmap_id TEXT NOT NULL REFERENCES roadmaps(id) ON DELETE CASCADE,
    form_id    TEXT NOT NULL,
    position   INTEGER NOT NULL,
    title      TEXT NOT NULL,
    every      TEXT NOT NULL,
    PRIMARY KEY (roadmap_id, form_id)
);

CREATE TABLE roadmap_indicators (
    roadmap_id TEXT NOT NULL REFERENCES roadmaps(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    form_id    TEXT NOT NULL,
    position   INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    question   TEXT NOT NULL,
    PRIMARY KEY (roadmap_id, key)
);

CREATE TABLE roadmap_targets (
    roadmap_id   TEXT NOT NULL REFERENCES roadmaps(id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    title        TEXT NOT NULL,
    goal_percent REAL NOT NULL,
    PRIMARY KEY (roadmap_id, key)
);

CREATE TABLE roadmap_items (
    roadmap_id TEXT NOT NULL REFERENCES roadmaps(id) ON DELETE CASCADE,
    item_id    TEXT NOT NULL,
    title      TEXT NOT NULL,
    due        TEXT,
    PRIMARY KEY (roadmap_id, item_id)
);

-- People and their roles. Owners come from config.toml and are not stored.
CREATE TABLE persons (
    vk_id      INTEGER PRIMARY KEY,
    first_name TEXT NOT NULL DEFAULT '',
    last_name  TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);

CREATE TABLE roles (
    vk_id      INTEGER NOT NULL REFERENCES persons(vk_id),
    role       TEXT NOT NULL CHECK (role IN ('region', 'municipality', 'organization')),
    scope_id   TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (vk_id, role, scope_id)
);
CREATE INDEX roles_scope ON roles(role, scope_id);

CREATE TABLE invites (
    code_hash  TEXT PRIMARY KEY,
    role       TEXT NOT NULL CHECK (role IN ('region', 'municipality', 'organization')),
    scope_id   TEXT NOT NULL,
    created_by INTEGER,           -- NULL: issued from the command line
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_by    INTEGER,
    used_at    TEXT
);

CREATE TABLE invite_failures (
    vk_id INTEGER NOT NULL,
    at    TEXT NOT NULL
);
CREATE INDEX invite_failures_user ON invite_failures(vk_id, at);

-- Coordinators' group chats: one chat per scope may be bound; a chat serves one scope.
CREATE TABLE coordinator_chats (
    peer_id   INTEGER PRIMARY KEY,
    role      TEXT NOT NULL CHECK (role IN ('region', 'municipality')),
    scope_id  TEXT NOT NULL,
    bound_by  INTEGER NOT NULL,
    bound_at  TEXT NOT NULL
);

-- Persisted conversation state: one row per person in private messages.
CREATE TABLE conversations (
    vk_id      INTEGER PRIMARY KEY,
    state      TEXT NOT NULL,
    data       TEXT NOT NULL DEFAULT '{}',
    updated_at TEXT NOT NULL
);

-- Long-poll events already handled: VK may deliver one twice.
CREATE TABLE processed_events (
    event_id TEXT PRIMARY KEY,
    at       TEXT NOT NULL
);
