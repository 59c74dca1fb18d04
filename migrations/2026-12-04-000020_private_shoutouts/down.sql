CREATE OR REPLACE FUNCTION stream_events_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text;
BEGIN
    IF TG_OP = 'INSERT' THEN
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
        PERFORM pg_notify('shoutout_stream', '');
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER shoutouts_visibility_fixed ON shoutouts;
DROP FUNCTION shoutouts_visibility_fixed();
ALTER TABLE shoutouts DROP COLUMN visibility;
