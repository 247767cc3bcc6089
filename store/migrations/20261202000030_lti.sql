-- LTI 1.3: platforms (Moodle sites, Canvas instances) registered by site admins, the tool's own
-- signing keys, single-use login states and nonces, one-time launch tickets, and the mappings
-- person (issuer + sub) -> user and course (platform + context) -> gallery.

CREATE TABLE lti_platforms (
    id BIGINT PRIMARY KEY,
    lms TEXT NOT NULL CHECK (lms IN ('moodle', 'canvas')),
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    -- A JSON array of strings.
    deployment_ids TEXT NOT NULL,
    auth_url TEXT NOT NULL,
    jwks_url TEXT NOT NULL,
    token_url TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (issuer, client_id)
);

-- The newest key signs; older ones stay published until pruned, so tokens signed just before a
-- rotation still verify at the platform.
CREATE TABLE lti_tool_keys (
    kid TEXT PRIMARY KEY,
    private_key_pem TEXT NOT NULL,
    -- base64url, as the JWKS publishes them.
    modulus TEXT NOT NULL,
    exponent TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Issued at login initiation, taken (deleted) by the launch: each state works once, on any node.
CREATE TABLE lti_login_states (
    state TEXT PRIMARY KEY,
    nonce TEXT NOT NULL,
    platform_id BIGINT NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX lti_login_states_by_expiry ON lti_login_states (expires_at);

-- Nonces of accepted id_tokens, kept until the token could no longer be valid anyway.
CREATE TABLE lti_used_nonces (
    issuer TEXT NOT NULL,
    nonce TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, nonce)
);
CREATE INDEX lti_used_nonces_by_expiry ON lti_used_nonces (expires_at);

-- One-time tickets: continuing a launch in a new window, a deep-linking choice. Only a hash of
-- the ticket is stored.
CREATE TABLE lti_tickets (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('session', 'deep_link')),
    payload TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX lti_tickets_by_expiry ON lti_tickets (expires_at);

CREATE TABLE lti_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id BIGINT NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    email TEXT,
    PRIMARY KEY (issuer, subject)
);

CREATE TABLE lti_contexts (
    platform_id BIGINT NOT NULL REFERENCES lti_platforms (id) ON DELETE CASCADE,
    context_id TEXT NOT NULL,
    container_id BIGINT NOT NULL UNIQUE REFERENCES containers (id) ON DELETE CASCADE,
    -- The roster service of the course, as the last launch named it.
    memberships_url TEXT,
    synced_at BIGINT,
    PRIMARY KEY (platform_id, context_id)
);

-- Who the course roster listed at its last sync: only they lose their grant when they leave
-- it (an LMS administrator who launches without being enrolled keeps theirs).
CREATE TABLE lti_roster_members (
    container_id BIGINT NOT NULL REFERENCES containers (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (container_id, user_id)
);
