DROP INDEX shoutouts_giver_team_idx;
CREATE INDEX shoutouts_giver_team_idx ON shoutouts (giver_team_id, created_at)
    WHERE status = 'published';
DROP INDEX shoutout_recipients_team_idx;
CREATE INDEX shoutout_recipients_team_idx ON shoutout_recipients (recipient_team_id, shoutout_id)
    INCLUDE (recipient_id);
DROP TRIGGER shoutouts_follow_created_at ON shoutouts;
DROP FUNCTION shoutouts_follow_created_at();
DROP TRIGGER shoutout_recipients_created_at ON shoutout_recipients;
DROP FUNCTION shoutout_recipients_created_at();
ALTER TABLE shoutout_recipients DROP COLUMN created_at;

CREATE OR REPLACE FUNCTION shoutouts_guard_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'shoutouts' THEN
        IF OLD.status = 'published' THEN
            RAISE EXCEPTION 'a published shout-out cannot be deleted; retract it'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'shoutouts_published_kept';
        END IF;
    ELSIF EXISTS (SELECT 1 FROM shoutouts WHERE id = OLD.shoutout_id AND status = 'published') THEN
        RAISE EXCEPTION 'the recipients of a published shout-out cannot change'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'shoutout_recipients_published_kept';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
