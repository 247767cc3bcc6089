-- Room chat (group and backchannel), kept across sessions: late joiners read the recent
-- history, moderators read past sessions. Deleted messages stay as rows, hidden.
CREATE TABLE chat_messages (
    id BIGINT PRIMARY KEY,
    container_id BIGINT NOT NULL REFERENCES containers (id),
    channel TEXT NOT NULL CHECK (channel IN ('group', 'backchannel')),
    user_id BIGINT NOT NULL REFERENCES users (id),
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX chat_messages_by_room ON chat_messages (container_id, channel, id);
