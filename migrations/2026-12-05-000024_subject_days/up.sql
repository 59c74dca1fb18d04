-- A person's own thanks over a few days, from the index alone.
--
-- A span's leaderboard bounds the days at its edges by the weeks that hold them, and then
-- reads only its few hundred candidates' rows of those days (see `top_by_threshold` in
-- src/models/tallies.rs). Through the manager reports' index, which held no counted columns,
-- each of those rows cost a heap fetch; this one holds what a board counts (value and
-- source), and replaces it: its key is the same, so "when was each person last thanked" reads
-- it as before.
CREATE INDEX shoutout_recipients_subject_days ON shoutout_recipients (recipient_id, created_at DESC)
    INCLUDE (value, source) WHERE status = 'published';
DROP INDEX shoutout_recipients_last_thanked;
