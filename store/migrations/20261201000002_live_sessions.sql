-- A room's live session outlives the process: after a restart the room is still open, and
-- its pages rejoin where they were. One row while a session is open.
CREATE TABLE live_sessions (
    container_id BIGINT PRIMARY KEY REFERENCES containers (id) ON DELETE CASCADE,
    opened_at BIGINT NOT NULL
);
