-- A room's recording is a media entry of its container; this row follows the file behind it.
-- status: recording (being written), processing (remux after stop), ready, recovered (finalised
-- after a crash), failed (nothing playable). file_name is relative to MEDIA_DIR.
CREATE TABLE recordings (
    media_id BIGINT PRIMARY KEY REFERENCES media_entries (id) ON DELETE CASCADE,
    container_id BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    session_opened_at BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('recording', 'processing', 'ready', 'recovered', 'failed')),
    file_name TEXT NOT NULL,
    started_by BIGINT NOT NULL REFERENCES users (id),
    started_at BIGINT NOT NULL,
    stopped_at BIGINT,
    duration_ms BIGINT NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX recordings_by_container ON recordings (container_id, started_at);
CREATE INDEX recordings_by_status ON recordings (status);
