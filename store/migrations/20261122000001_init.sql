-- One schema for SQLite and PostgreSQL: only types and syntax both accept.
-- Ids are BIGINT assigned by the application; times are unix seconds.

CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    site_admin BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE user_groups (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE group_members (
    group_id BIGINT NOT NULL REFERENCES user_groups (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_by_user ON group_members (user_id);

CREATE TABLE containers (
    id BIGINT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('gallery', 'channel')),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    lms TEXT CHECK (lms IN ('moodle', 'canvas')),
    course_id TEXT,
    privacy TEXT CHECK (privacy IN ('open', 'restricted', 'private', 'public')),
    CHECK (
        (kind = 'gallery' AND lms IS NOT NULL AND course_id IS NOT NULL AND privacy IS NULL)
        OR (kind = 'channel' AND lms IS NULL AND course_id IS NULL AND privacy IS NOT NULL)
    )
);
-- An LMS course maps to exactly one gallery.
CREATE UNIQUE INDEX containers_by_course ON containers (lms, course_id);

CREATE TABLE container_grants (
    container_id BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    principal_kind TEXT NOT NULL CHECK (principal_kind IN ('user', 'group')),
    principal_id BIGINT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('manager', 'member')),
    PRIMARY KEY (container_id, principal_kind, principal_id)
);
CREATE INDEX container_grants_by_principal ON container_grants (principal_kind, principal_id);

CREATE TABLE room_settings (
    container_id BIGINT PRIMARY KEY REFERENCES containers (id) ON DELETE CASCADE,
    enabled BOOLEAN NOT NULL DEFAULT FALSE,
    mode TEXT NOT NULL DEFAULT 'interactive' CHECK (mode IN ('interactive', 'webinar')),
    qna TEXT NOT NULL DEFAULT 'site_default' CHECK (qna IN ('site_default', 'on', 'off')),
    group_chat BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at BIGINT NOT NULL,
    updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL
);

CREATE TABLE room_moderators (
    container_id BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    list TEXT NOT NULL CHECK (list IN ('room', 'chat')),
    principal_kind TEXT NOT NULL CHECK (principal_kind IN ('user', 'group')),
    principal_id BIGINT NOT NULL,
    PRIMARY KEY (container_id, list, principal_kind, principal_id)
);

CREATE TABLE media_entries (
    id BIGINT PRIMARY KEY,
    container_id BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    duration_secs BIGINT NOT NULL DEFAULT 0,
    thumbnail_url TEXT,
    owner_id BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved')),
    created_at BIGINT NOT NULL
);
CREATE INDEX media_entries_by_container ON media_entries (container_id, created_at);

CREATE TABLE media_collaborators (
    media_id BIGINT NOT NULL REFERENCES media_entries (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('co_editor', 'co_publisher')),
    PRIMARY KEY (media_id, user_id, role)
);

CREATE TABLE media_moderators (
    media_id BIGINT NOT NULL REFERENCES media_entries (id) ON DELETE CASCADE,
    principal_kind TEXT NOT NULL CHECK (principal_kind IN ('user', 'group')),
    principal_id BIGINT NOT NULL,
    room_moderator BOOLEAN NOT NULL,
    chat_moderator BOOLEAN NOT NULL,
    PRIMARY KEY (media_id, principal_kind, principal_id),
    CHECK (room_moderator OR chat_moderator)
);

CREATE TABLE site_settings (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    chat_collaboration BOOLEAN NOT NULL,
    qna_default BOOLEAN NOT NULL
);
INSERT INTO site_settings (id, chat_collaboration, qna_default) VALUES (1, TRUE, TRUE);

-- Only a hash of the cookie's token is stored: a leaked table does not sign anyone in.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
