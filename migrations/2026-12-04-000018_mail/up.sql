-- E-mail: who wants which mail, the mails themselves (an outbox of their own, fed from the
-- event outbox), what moderators were told, and the key that signs unsubscribe links.

-- A customer who left an e-mail may also tick "tell me when my thanks arrives": without that,
-- the address is only for a moderator's questions and never receives anything from us.
ALTER TABLE customer_praise ADD COLUMN email_consent boolean NOT NULL DEFAULT false;

-- Each kind on or off; NULL means "never chose": on, except managers' copies, which follow
-- SHOUTOUT_MAIL_MANAGER_COPIES, so a changed default reaches everyone who never chose.
-- digest_day is ISO (1 = Monday; NULL: Monday).
CREATE TABLE notification_preferences (
    employee_id uuid PRIMARY KEY REFERENCES employees (id) ON DELETE CASCADE,
    thanked boolean,
    manager_copies boolean,
    moderation boolean,
    digest boolean,
    digest_day smallint CONSTRAINT notification_preferences_digest_day CHECK (digest_day BETWEEN 1 AND 7),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Addresses that are not in the directory (fallback moderators, customers) and said "no more".
CREATE TABLE mail_suppressions (
    address text NOT NULL,
    kind text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (address, kind)
);

-- Which events the mail fan-out has read. Events from before e-mail existed are old news.
ALTER TABLE outbox_events ADD COLUMN mailed_at timestamptz;
UPDATE outbox_events SET mailed_at = now();
CREATE INDEX outbox_events_to_mail ON outbox_events (id) WHERE mailed_at IS NULL;

-- One row per mail to one person: rendered when queued (what was true then is what is said),
-- sent by workers in every instance (SKIP LOCKED claims with a lease). The unique key is what
-- makes "never twice for one event and person" hold across instances.
CREATE TABLE mail_messages (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CONSTRAINT mail_messages_kind CHECK (kind IN
        ('thanked', 'manager_copy', 'moderation', 'moderation_reminder', 'digest', 'customer_thanks')),
    dedupe_key text NOT NULL,
    employee_id uuid REFERENCES employees (id) ON DELETE CASCADE,
    -- NULL once a customer's mail went out (or failed for good): their address is not kept here.
    to_address text,
    shoutout_id uuid REFERENCES shoutouts (id) ON DELETE CASCADE,
    subject text NOT NULL,
    text_body text NOT NULL,
    html_body text NOT NULL,
    unsubscribe_url text,
    status text NOT NULL DEFAULT 'pending'
        CONSTRAINT mail_messages_status CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    leased_until timestamptz,
    lease_owner uuid,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    CONSTRAINT mail_messages_once UNIQUE (kind, dedupe_key),
    CONSTRAINT mail_messages_addressed CHECK (status <> 'pending' OR to_address IS NOT NULL)
);
CREATE INDEX mail_messages_due ON mail_messages (next_attempt_at) WHERE status = 'pending';
CREATE INDEX mail_messages_shoutout ON mail_messages (shoutout_id) WHERE shoutout_id IS NOT NULL;
CREATE INDEX mail_messages_kind_address ON mail_messages (kind, to_address, created_at);

-- Customer praise a moderator was told of, and reminded of: the batching's memory.
CREATE TABLE moderation_notices (
    shoutout_id uuid NOT NULL REFERENCES shoutouts (id) ON DELETE CASCADE,
    address text NOT NULL,
    employee_id uuid REFERENCES employees (id) ON DELETE CASCADE,
    queued_at timestamptz NOT NULL DEFAULT now(),
    told_at timestamptz,
    reminded_at timestamptz,
    PRIMARY KEY (shoutout_id, address)
);
CREATE INDEX moderation_notices_open ON moderation_notices (address) WHERE told_at IS NULL OR reminded_at IS NULL;

-- The key that signs unsubscribe links: made here, shared by every instance, never shown.
CREATE TABLE signing_keys (
    name text PRIMARY KEY,
    key bytea NOT NULL CONSTRAINT signing_keys_long CHECK (length(key) >= 32)
);
INSERT INTO signing_keys (name, key) VALUES ('unsubscribe',
    decode(replace(gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex'));
