-- A year of a department's thanks is tens of thousands of recipient rows; looking each one's
-- shout-out up for its value, source and status was most of a report's time. The rows carry
-- them (kept in step by triggers), and the (team, time) index covers them: a report reads that
-- index and nothing else.
ALTER TABLE shoutout_recipients ADD COLUMN value heart_value,
    ADD COLUMN source shoutout_source, ADD COLUMN status shoutout_status;
UPDATE shoutout_recipients r SET value = s.value, source = s.source, status = s.status
FROM shoutouts s WHERE s.id = r.shoutout_id;
ALTER TABLE shoutout_recipients ALTER COLUMN value SET NOT NULL,
    ALTER COLUMN source SET NOT NULL, ALTER COLUMN status SET NOT NULL;

CREATE OR REPLACE FUNCTION shoutout_recipients_created_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT s.created_at, s.value, s.source, s.status
    INTO NEW.created_at, NEW.value, NEW.source, NEW.status
    FROM shoutouts s WHERE s.id = NEW.shoutout_id;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION shoutouts_follow_created_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE shoutout_recipients
    SET created_at = NEW.created_at, value = NEW.value, source = NEW.source, status = NEW.status
    WHERE shoutout_id = NEW.id;
    RETURN NULL;
END $$;
DROP TRIGGER shoutouts_follow_created_at ON shoutouts;
CREATE TRIGGER shoutouts_follow_created_at AFTER UPDATE OF created_at, value, source, status
ON shoutouts FOR EACH ROW
WHEN ((OLD.created_at, OLD.value, OLD.source, OLD.status)
      IS DISTINCT FROM (NEW.created_at, NEW.value, NEW.source, NEW.status))
EXECUTE FUNCTION shoutouts_follow_created_at();

DROP INDEX shoutout_recipients_team_idx;
CREATE INDEX shoutout_recipients_team_idx ON shoutout_recipients (recipient_team_id, created_at)
    INCLUDE (shoutout_id, recipient_id, value, source) WHERE status = 'published';
