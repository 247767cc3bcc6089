-- Invitation links as rows, so room moderators list and revoke them. The signed token carries
-- the row's id; a link admits while its row is neither revoked nor expired. Times are unix
-- seconds; expired rows are deleted as new links are made.
CREATE TABLE invitation_links (
    id BIGINT PRIMARY KEY,
    container_id BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('speaker', 'moderator')),
    created_by BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX invitation_links_by_room ON invitation_links (container_id, expires_at);
CREATE INDEX invitation_links_by_expiry ON invitation_links (expires_at);
