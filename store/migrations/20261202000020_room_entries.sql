-- A gallery's or channel's room is a media entry of kind 'room' in it, as the vendor's rooms
-- are: its owner and co-editors host the room, and the moderators on its Roles & permissions
-- tab get room or chat rights there. Recordings and uploads are 'video'.
ALTER TABLE media_entries ADD COLUMN kind TEXT NOT NULL DEFAULT 'video' CHECK (kind IN ('video', 'room'));

-- One room entry per container, whatever races: two managers enabling at once make one. The
-- entry is found through this index, so room_settings needs no second pointer to keep in step.
CREATE UNIQUE INDEX media_entries_one_room ON media_entries (container_id) WHERE kind = 'room';

-- Rooms enabled before rooms were entries get theirs now, owned by whoever last saved the
-- Meeting room tab (else a manager named directly, else a site admin). Ids: above every id
-- there is, so none collides with the seed's small ones or the time-based ones made at run time.
INSERT INTO media_entries (id, container_id, title, duration_secs, owner_id, status, created_at, kind)
SELECT
    (SELECT COALESCE(MAX(m.id), 0) FROM media_entries m) + r.container_id,
    r.container_id,
    c.title || ' — Meeting room',
    0,
    COALESCE(
        r.updated_by,
        (SELECT MIN(g.principal_id) FROM container_grants g
         WHERE g.container_id = r.container_id AND g.principal_kind = 'user' AND g.role = 'manager'),
        (SELECT MIN(u.id) FROM users u WHERE u.site_admin)
    ),
    'approved',
    r.updated_at,
    'room'
FROM room_settings r JOIN containers c ON c.id = r.container_id
WHERE r.enabled
  AND COALESCE(
        r.updated_by,
        (SELECT MIN(g.principal_id) FROM container_grants g
         WHERE g.container_id = r.container_id AND g.principal_kind = 'user' AND g.role = 'manager'),
        (SELECT MIN(u.id) FROM users u WHERE u.site_admin)
      ) IS NOT NULL;

-- A room's past sessions, written when a session closes. Open ones stay in live_sessions.
CREATE TABLE room_sessions (
    id BIGINT PRIMARY KEY,
    container_id BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    opened_at BIGINT NOT NULL,
    closed_at BIGINT NOT NULL,
    participants BIGINT NOT NULL,
    UNIQUE (container_id, opened_at)
);
CREATE INDEX room_sessions_by_room ON room_sessions (container_id, opened_at);

-- Who joined a session (once per person, however often they rejoined): the count of a past
-- session, and kept across restarts of an open one.
CREATE TABLE session_participants (
    container_id BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    opened_at BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (container_id, opened_at, user_id)
);
