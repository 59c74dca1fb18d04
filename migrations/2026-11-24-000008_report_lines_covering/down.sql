DROP INDEX shoutout_recipients_team_idx;
CREATE INDEX shoutout_recipients_team_idx ON shoutout_recipients (recipient_team_id, created_at)
    INCLUDE (shoutout_id, recipient_id);
DROP TRIGGER shoutouts_follow_created_at ON shoutouts;
CREATE OR REPLACE FUNCTION shoutouts_follow_created_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE shoutout_recipients SET created_at = NEW.created_at WHERE shoutout_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER shoutouts_follow_created_at AFTER UPDATE OF created_at ON shoutouts
FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at)
EXECUTE FUNCTION shoutouts_follow_created_at();
CREATE OR REPLACE FUNCTION shoutout_recipients_created_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.created_at IS NULL THEN
        NEW.created_at := (SELECT created_at FROM shoutouts WHERE id = NEW.shoutout_id);
    END IF;
    RETURN NEW;
END $$;
ALTER TABLE shoutout_recipients DROP COLUMN status, DROP COLUMN source, DROP COLUMN value;
