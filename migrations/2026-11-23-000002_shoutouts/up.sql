-- Shout-outs: one giver (an employee, or a customer), one H.E.A.R.T. value, a message, and one
-- or more recipients. A shout-out is never deleted: retraction changes its status and keeps it
-- for the audit trail.

CREATE TYPE heart_value AS ENUM (
    'helping_others',
    'exceeding_expectations',
    'achieving_goals',
    'responding_with_care',
    'thriving_through_teamwork'
);
CREATE TYPE shoutout_source AS ENUM ('staff', 'customer');
CREATE TYPE shoutout_status AS ENUM ('published', 'pending', 'rejected', 'retracted');

CREATE TABLE shoutouts (
    id             uuid PRIMARY KEY,
    source         shoutout_source NOT NULL,
    giver_id       uuid REFERENCES employees (id),
    customer_name  text,
    value          heart_value NOT NULL,
    message        text NOT NULL,
    status         shoutout_status NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    retracted_at   timestamptz,
    retracted_by   text,
    CONSTRAINT shoutouts_message_length
        CHECK (char_length(message) BETWEEN 1 AND 1000 AND message = btrim(message)),
    CONSTRAINT shoutouts_customer_name_length CHECK (char_length(customer_name) BETWEEN 1 AND 200),
    -- Staff shout-outs name their giver; customer praise never does.
    CONSTRAINT shoutouts_giver_matches_source CHECK ((source = 'staff') = (giver_id IS NOT NULL)),
    CONSTRAINT shoutouts_retraction_recorded
        CHECK ((status = 'retracted') = (retracted_at IS NOT NULL AND retracted_by IS NOT NULL))
);

-- The feed reads newest first; only published shout-outs are ever listed.
CREATE INDEX shoutouts_feed_idx ON shoutouts (created_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX shoutouts_giver_idx ON shoutouts (giver_id, created_at DESC);

CREATE TABLE shoutout_recipients (
    shoutout_id   uuid NOT NULL REFERENCES shoutouts (id),
    recipient_id  uuid NOT NULL REFERENCES employees (id),
    -- A copy of the shout-out's giver, so that "nobody thanks themselves" is a CHECK the
    -- database enforces on every path that writes recipients (API, import, demo data).
    giver_id      uuid,
    PRIMARY KEY (shoutout_id, recipient_id),
    CONSTRAINT shoutout_recipients_not_self CHECK (recipient_id IS DISTINCT FROM giver_id)
);
CREATE INDEX shoutout_recipients_recipient_idx ON shoutout_recipients (recipient_id, shoutout_id);

-- A +1 from a colleague. Counted apart from shout-outs; the primary key makes it once per person.
CREATE TABLE cheers (
    shoutout_id  uuid NOT NULL REFERENCES shoutouts (id),
    employee_id  uuid NOT NULL REFERENCES employees (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shoutout_id, employee_id)
);

-- How many shout-outs each giver has given on each day (in the organisation's time zone).
-- The daily limit is one conditional upsert on this row, so concurrent requests from the same
-- giver serialise on it and the limit holds; different givers never touch the same row.
CREATE TABLE giver_daily_counts (
    giver_id  uuid NOT NULL REFERENCES employees (id),
    day       date NOT NULL,
    given     integer NOT NULL,
    PRIMARY KEY (giver_id, day),
    CONSTRAINT giver_daily_counts_positive CHECK (given > 0)
);

-- Responses remembered for an Idempotency-Key, per caller. The row is inserted in the same
-- transaction that creates the shout-out, so a racing retry waits on it and then replays.
CREATE TABLE idempotency_keys (
    owner_id         uuid NOT NULL REFERENCES employees (id),
    idempotency_key  text NOT NULL,
    request_hash     bytea NOT NULL,
    response_status  smallint,
    response_body    jsonb,
    location         text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (owner_id, idempotency_key),
    CONSTRAINT idempotency_keys_key_length CHECK (char_length(idempotency_key) BETWEEN 1 AND 255)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
