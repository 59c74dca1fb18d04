-- Customer praise: a public handle per employee, what a customer sent beside the shout-out it
-- became, moderation decisions, and the single-use proof-of-work challenges of the form.

-- The exclusion constraint below compares uuids and hashes with = inside a GiST index.
-- btree_gist is a trusted extension (PostgreSQL 13+): the database owner may create it.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- 128 random bits as 22 URL-safe characters. Not derived from the id or the e-mail, so a link
-- says nothing about its owner and cannot be guessed; rotating it retires the old link.
CREATE FUNCTION new_praise_handle() RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT rtrim(translate(encode(uuid_send(gen_random_uuid()), 'base64'), '+/', '-_'), '=')
$$;

ALTER TABLE employees ADD COLUMN praise_handle text NOT NULL DEFAULT new_praise_handle();
ALTER TABLE employees ADD CONSTRAINT employees_praise_handle_key UNIQUE (praise_handle);

-- What a customer sent that is not part of every shout-out. One row per customer shout-out.
CREATE TABLE customer_praise (
    -- Deferred: the praise row is written first (it is what decides a duplicate), the
    -- shout-out it belongs to right after, in the same transaction.
    shoutout_id     uuid PRIMARY KEY REFERENCES shoutouts (id) DEFERRABLE INITIALLY DEFERRED,
    -- Whom the link named (a moderator may later move the praise to someone else).
    employee_id     uuid NOT NULL REFERENCES employees (id),
    -- SHA-256 of the normalised message: the same words to the same person.
    message_hash    bytea NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    -- The end of the day during which the same message to the same person is a duplicate
    -- (a column, because an index expression cannot add an interval to a timestamptz).
    dedupe_until    timestamptz NOT NULL,
    -- Only if given; shown to moderators alone, erased on request.
    customer_email  text,
    -- The customer chose no value: `shoutouts.value` holds the service's suggestion until a
    -- moderator confirms or changes it.
    value_suggested boolean NOT NULL,
    email_erased_at timestamptz,
    CONSTRAINT customer_praise_dedupe_day CHECK (dedupe_until = received_at + interval '24 hours'),
    CONSTRAINT customer_praise_email_length CHECK (char_length(customer_email) BETWEEN 3 AND 254),
    CONSTRAINT customer_praise_erased_is_gone CHECK (email_erased_at IS NULL OR customer_email IS NULL),
    -- The same message to the same person twice within a day is stored once, however many
    -- requests race: two rows conflict when their one-day windows overlap.
    CONSTRAINT customer_praise_once_a_day EXCLUDE USING gist (
        employee_id WITH =,
        message_hash WITH =,
        tstzrange(received_at, dedupe_until) WITH &&
    )
);
CREATE INDEX customer_praise_employee_idx ON customer_praise (employee_id);

-- The moderation queue reads pending customer shout-outs, oldest first.
CREATE INDEX shoutouts_pending_idx ON shoutouts (created_at, id) WHERE status = 'pending';

-- Every moderation decision, with who and when. Decided once: the row is written in the
-- transaction that moves the shout-out out of `pending`, and a second decision finds it gone.
CREATE TABLE moderation_decisions (
    shoutout_id       uuid PRIMARY KEY REFERENCES shoutouts (id),
    decision          text NOT NULL,
    -- The moderator's token subject, and their employee record when they have one.
    decided_by        text NOT NULL,
    decided_by_id     uuid REFERENCES employees (id),
    decided_at        timestamptz NOT NULL DEFAULT now(),
    reason            text,
    value_before      heart_value NOT NULL,
    value_after       heart_value NOT NULL,
    recipient_before  uuid NOT NULL REFERENCES employees (id),
    recipient_after   uuid NOT NULL REFERENCES employees (id),
    CONSTRAINT moderation_decisions_decision CHECK (decision IN ('approved', 'rejected')),
    CONSTRAINT moderation_decisions_reason
        CHECK ((decision = 'rejected') = (reason IS NOT NULL)
               AND char_length(reason) BETWEEN 1 AND 500)
);

-- Proof-of-work challenges already redeemed. A challenge is signed and carries its own expiry,
-- so only spent ones need remembering, and only until they expire.
CREATE TABLE spent_challenges (
    nonce       bytea PRIMARY KEY,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX spent_challenges_expiry_idx ON spent_challenges (expires_at);
