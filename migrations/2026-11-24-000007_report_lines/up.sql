-- A team's report over a range reads the thanks its members received in that range. Recipient
-- rows carry the shout-out's time, so that read is one index range per team instead of every
-- line the team ever received (then a lookup of each shout-out to learn its date).
-- Recipient rows of a published shout-out stay as they are, except for the time they carry.
CREATE OR REPLACE FUNCTION shoutouts_guard_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'shoutouts' THEN
        IF OLD.status = 'published' THEN
            RAISE EXCEPTION 'a published shout-out cannot be deleted; retract it'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'shoutouts_published_kept';
        END IF;
    ELSIF (TG_OP = 'DELETE'
           OR (NEW.shoutout_id, NEW.recipient_id, NEW.giver_id, NEW.recipient_team_id)
              IS DISTINCT FROM (OLD.shoutout_id, OLD.recipient_id, OLD.giver_id, OLD.recipient_team_id))
          AND EXISTS (SELECT 1 FROM shoutouts WHERE id = OLD.shoutout_id AND status = 'published') THEN
        RAISE EXCEPTION 'the recipients of a published shout-out cannot change'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'shoutout_recipients_published_kept';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

ALTER TABLE shoutout_recipients ADD COLUMN created_at timestamptz;
UPDATE shoutout_recipients r SET created_at = s.created_at FROM shoutouts s WHERE s.id = r.shoutout_id;
ALTER TABLE shoutout_recipients ALTER COLUMN created_at SET NOT NULL;

CREATE FUNCTION shoutout_recipients_created_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.created_at IS NULL THEN
        NEW.created_at := (SELECT created_at FROM shoutouts WHERE id = NEW.shoutout_id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER shoutout_recipients_created_at BEFORE INSERT ON shoutout_recipients
FOR EACH ROW EXECUTE FUNCTION shoutout_recipients_created_at();

-- A corrected date follows to the recipient rows.
CREATE FUNCTION shoutouts_follow_created_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE shoutout_recipients SET created_at = NEW.created_at WHERE shoutout_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER shoutouts_follow_created_at AFTER UPDATE OF created_at ON shoutouts
FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at)
EXECUTE FUNCTION shoutouts_follow_created_at();

DROP INDEX shoutout_recipients_team_idx;
CREATE INDEX shoutout_recipients_team_idx ON shoutout_recipients (recipient_team_id, created_at)
    INCLUDE (shoutout_id, recipient_id);
DROP INDEX shoutouts_giver_team_idx;
CREATE INDEX shoutouts_giver_team_idx ON shoutouts (giver_team_id, created_at) INCLUDE (giver_id)
    WHERE status = 'published';
