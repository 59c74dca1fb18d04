-- The console's sign-ins and sessions (see `console::session`). Browsers hold random
-- identifiers; the database holds only their SHA-256, so a copy of this table signs nobody in.

-- A sign-in under way: what the browser must bring back from the identity provider. Bound to
-- the browser by a cookie of its own, so a link that carries someone else's `state` is refused.
CREATE TABLE console_sign_ins (
    id_hash        bytea PRIMARY KEY CHECK (octet_length(id_hash) = 32),
    state          text NOT NULL CHECK (char_length(state) BETWEEN 16 AND 200),
    nonce          text NOT NULL CHECK (char_length(nonce) BETWEEN 16 AND 200),
    pkce_verifier  text NOT NULL CHECK (char_length(pkce_verifier) BETWEEN 43 AND 128),
    -- Where to go once signed in: a path of the console, never another site.
    return_to      text NOT NULL CHECK (return_to LIKE '/console/%' OR return_to = '/console'),
    expires_at     timestamptz NOT NULL
);
CREATE INDEX console_sign_ins_expires_idx ON console_sign_ins (expires_at);

-- A signed-in browser. Expires on the server whatever the cookie says: at `expires_at`, or
-- after the idle time without a request (`last_seen_at`).
CREATE TABLE console_sessions (
    id_hash       bytea PRIMARY KEY CHECK (octet_length(id_hash) = 32),
    -- The employee's external_id, as a bearer token's `sub`.
    subject       text NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 255),
    roles         text[] NOT NULL CHECK (roles <@ ARRAY['employee', 'manager', 'admin']),
    -- Every form of the session carries it; a post without it is refused.
    csrf_token    text NOT NULL CHECK (char_length(csrf_token) >= 32),
    -- `oidc` or `development` (the demo's sign-in), for the audit of who was who.
    via           text NOT NULL CHECK (via IN ('oidc', 'development')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    CONSTRAINT console_sessions_expire_after_start CHECK (expires_at > created_at)
);
CREATE INDEX console_sessions_expires_idx ON console_sessions (expires_at);
CREATE INDEX console_sessions_subject_idx ON console_sessions (subject);
