-- Private shout-outs: seen by the giver, the people thanked, their managers and admins; never
-- in the public feed, on walls and widgets, in channel posts or exports. Chosen when given and
-- never changed.
ALTER TABLE shoutouts ADD COLUMN visibility text NOT NULL DEFAULT 'public'
    CONSTRAINT shoutouts_visibility_known CHECK (visibility IN ('public', 'private'));

CREATE FUNCTION shoutouts_visibility_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a shout-out''s visibility is chosen when it is given'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'shoutouts_visibility_fixed';
END $$;
CREATE TRIGGER shoutouts_visibility_fixed BEFORE UPDATE OF visibility ON shoutouts
FOR EACH ROW WHEN (OLD.visibility IS DISTINCT FROM NEW.visibility)
EXECUTE FUNCTION shoutouts_visibility_fixed();

-- The live stream feeds walls and widgets: private shout-outs are never in it. (The function of
-- 000009, restated with that one condition.)
CREATE OR REPLACE FUNCTION stream_events_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text;
BEGIN
    IF NEW.visibility <> 'public' THEN
        RETURN NULL;
    END IF;
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
