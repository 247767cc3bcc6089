-- Q&A, polls and moderation, kept across sessions like chat: a restart loses none of them, and
-- moderators read past sessions. One vote per person is the primary key's job, so two nodes
-- (or two tabs) voting at once still count once.
CREATE TABLE qna_questions (
    id BIGINT PRIMARY KEY,
    container_id BIGINT NOT NULL REFERENCES containers (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    asker TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    published BOOLEAN NOT NULL DEFAULT FALSE,
    answered BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX qna_questions_by_room ON qna_questions (container_id, id);

CREATE TABLE qna_replies (
    id BIGINT PRIMARY KEY,
    question_id BIGINT NOT NULL REFERENCES qna_questions (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX qna_replies_by_question ON qna_replies (question_id, id);

CREATE TABLE qna_votes (
    question_id BIGINT NOT NULL REFERENCES qna_questions (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (question_id, user_id)
);

-- Options and correct answers are small JSON arrays; nothing queries inside them.
CREATE TABLE polls (
    id BIGINT PRIMARY KEY,
    container_id BIGINT NOT NULL REFERENCES containers (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    question TEXT NOT NULL,
    options TEXT NOT NULL,
    multiple BOOLEAN NOT NULL,
    correct TEXT NOT NULL,
    is_open BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL
);
CREATE INDEX polls_by_room ON polls (container_id, id);

CREATE TABLE poll_votes (
    poll_id BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    choices TEXT NOT NULL,
    PRIMARY KEY (poll_id, user_id)
);

-- Who did what to whom in a live room (mute, stop camera, remove from stage or room).
CREATE TABLE moderation_log (
    id BIGINT PRIMARY KEY,
    container_id BIGINT NOT NULL REFERENCES containers (id),
    moderator_id BIGINT NOT NULL REFERENCES users (id),
    target_user_id BIGINT NOT NULL REFERENCES users (id),
    action TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Keys the server signs with (invitation links), made on first use and shared by every node.
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL
);
