-- MAX beside VK in one database. A MAX person or group chat gets an id of our own, negative (VK's are
-- positive), so every table keyed by a person or a peer (roles, conversations, coordinator_chats, outbox,
-- unreachable) holds both messengers unchanged: a person is known per messenger.
CREATE TABLE max_accounts (
    seq        INTEGER PRIMARY KEY,          -- our id: -seq for a person, -(2000000000 + seq) for a group chat
    kind       TEXT NOT NULL CHECK (kind IN ('user', 'chat')),
    max_id     INTEGER NOT NULL,             -- MAX's user_id or chat_id
    dialog_id  INTEGER,                      -- a person's dialog chat_id with the bot, once MAX has told it
    UNIQUE (kind, max_id)
);

-- MAX has no random_id: a send whose answer was lost (a crash, a time-out) is looked for in the chat's
-- history before it is sent again. `attempt_at` (unix time) is when the last send started; `mid` is MAX's id.
ALTER TABLE outbox ADD COLUMN attempt_at REAL;
ALTER TABLE outbox ADD COLUMN mid TEXT;
