DROP INDEX shoutouts_giver_team_idx;
DROP INDEX shoutout_recipients_team_idx;
DROP TRIGGER shoutouts_giver_team ON shoutouts;
DROP FUNCTION shoutouts_giver_team();
ALTER TABLE shoutouts DROP COLUMN giver_team_id;
