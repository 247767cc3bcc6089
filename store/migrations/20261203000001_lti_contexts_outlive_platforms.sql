-- A course's gallery outlives its platform's registration. Deleting a registration used to
-- delete its courses' rows (ON DELETE CASCADE), so re-registering the same LMS made a second
-- gallery for each course at its next launch. Now the row loses its platform (SET NULL) and
-- keeps the LMS's issuer; the next launch of the same course from a registration with that
-- issuer links the row to it again. The table is made anew: SQLite cannot change a foreign key
-- in place.

CREATE TABLE lti_course_contexts (
    container_id BIGINT PRIMARY KEY REFERENCES containers (id) ON DELETE CASCADE,
    -- NULL while no registration stands for the course's LMS.
    platform_id BIGINT REFERENCES lti_platforms (id) ON DELETE SET NULL,
    issuer TEXT NOT NULL,
    context_id TEXT NOT NULL,
    -- The roster service of the course, as the last launch named it.
    memberships_url TEXT,
    synced_at BIGINT,
    -- NULLs are distinct in both databases: any number of unlinked rows.
    UNIQUE (platform_id, context_id)
);

INSERT INTO lti_course_contexts (container_id, platform_id, issuer, context_id, memberships_url, synced_at)
SELECT c.container_id, c.platform_id, p.issuer, c.context_id, c.memberships_url, c.synced_at
FROM lti_contexts c JOIN lti_platforms p ON p.id = c.platform_id;

DROP TABLE lti_contexts;
ALTER TABLE lti_course_contexts RENAME TO lti_contexts;
CREATE INDEX lti_contexts_by_issuer ON lti_contexts (issuer, context_id);
