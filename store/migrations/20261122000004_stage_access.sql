-- How the audience gets onto the stage: 'direct', 'request' or 'invitation'; NULL follows the
-- room mode's default (Interactive direct, Webinar on request).
ALTER TABLE room_settings ADD COLUMN stage_access TEXT;
