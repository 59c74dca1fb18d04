-- Manager reports count people where they were when a shout-out was given: the recipient's
-- team is already kept on shoutout_recipients; the giver's is kept here.
ALTER TABLE shoutouts ADD COLUMN giver_team_id uuid REFERENCES teams (id);
UPDATE shoutouts s SET giver_team_id = e.team_id FROM employees e WHERE e.id = s.giver_id;

CREATE FUNCTION shoutouts_giver_team() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.giver_id IS NOT NULL AND NEW.giver_team_id IS NULL THEN
        NEW.giver_team_id := (SELECT team_id FROM employees WHERE id = NEW.giver_id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER shoutouts_giver_team BEFORE INSERT ON shoutouts
FOR EACH ROW EXECUTE FUNCTION shoutouts_giver_team();

-- A team's report reads the shout-outs its members received and gave in a date range.
CREATE INDEX shoutout_recipients_team_idx ON shoutout_recipients (recipient_team_id, shoutout_id)
    INCLUDE (recipient_id);
CREATE INDEX shoutouts_giver_team_idx ON shoutouts (giver_team_id, created_at)
    WHERE status = 'published';
