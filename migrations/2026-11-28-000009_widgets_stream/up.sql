-- Read-only keys for intranet widgets on pages that have no user token. Only a SHA-256 of the
-- secret is kept: the secret is shown once, when minted. A key is revoked, never deleted, so
-- the list keeps who minted what.
CREATE TABLE widget_keys (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    key_hash    bytea NOT NULL UNIQUE,
    key_prefix  text NOT NULL,
    scopes      text[] NOT NULL,
    origins     text[] NOT NULL DEFAULT '{}',
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    revoked_by  text,
    CONSTRAINT widget_keys_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT widget_keys_scopes_known
        CHECK (cardinality(scopes) > 0 AND scopes <@ ARRAY['boards', 'feeds']::text[]),
    CONSTRAINT widget_keys_origins_bounded CHECK (cardinality(origins) <= 20),
    CONSTRAINT widget_keys_revocation_recorded CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);

-- What the live stream sends: a shout-out published (given, approved) or retracted. Written in
-- the same transaction as the change, so an event exists exactly when the change committed.
--
-- Identity columns are handed out at insert time, not at commit, so a later id can commit first;
-- a reader that remembered "the last id I saw" would skip the earlier one when it commits. Each
-- event therefore records its transaction id, and readers only take events from transactions
-- older than every transaction still running (`pg_snapshot_xmin`), in (tx, id) order: that part
-- of the table can no longer change, so a cursor into it never skips anything.
CREATE TABLE stream_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx           bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    kind         text NOT NULL,
    shoutout_id  uuid NOT NULL REFERENCES shoutouts (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stream_events_kind_known CHECK (kind IN ('published', 'retracted'))
);
CREATE UNIQUE INDEX stream_events_order_idx ON stream_events (tx, id);
CREATE INDEX stream_events_created_idx ON stream_events (created_at);

CREATE FUNCTION stream_events_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- History imported from another tool is not news: only shout-outs given now are sent.
        IF NEW.status = 'published' AND NEW.created_at > now() - interval '1 hour' THEN
            kind := 'published';
        END IF;
    ELSIF NEW.status = 'published' AND OLD.status <> 'published' THEN
        kind := 'published';
    ELSIF OLD.status = 'published' AND NEW.status = 'retracted' THEN
        kind := 'retracted';
    END IF;
    IF kind IS NOT NULL THEN
        INSERT INTO stream_events (kind, shoutout_id) VALUES (kind, NEW.id);
        -- Only a wake-up call: listeners read the events table, so a notification lost while a
        -- listener reconnects loses nothing.
        PERFORM pg_notify('shoutout_stream', '');
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER stream_events_inserted AFTER INSERT ON shoutouts
FOR EACH ROW EXECUTE FUNCTION stream_events_record();
CREATE TRIGGER stream_events_updated AFTER UPDATE OF status ON shoutouts
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION stream_events_record();
