-- The feed's index in ascending order, so that it stays dense as the service writes it.
--
-- Shout-outs arrive in time order. In a descending index each new entry goes at the far left,
-- and a full leftmost page splits in half: the half left behind is never written again, so the
-- index settles near half full. Written in ascending order the same entries go at the far
-- right, where PostgreSQL splits a page leaving it full (to its fillfactor). A million rows
-- inserted in time order into the two shapes of this index: 121 MB descending, 68 MB
-- ascending. The feed reads it backwards (newest first) and a span's edge days forwards; served
-- on the benchmark's million shout-outs before and after (the feed, its second page, the feed
-- of one value, the givers' 7-day and 90-day spans as of 30 November and 1 December; four
-- rounds of 300 requests each), the times were the same within noise.
DROP INDEX shoutouts_feed_idx;
CREATE INDEX shoutouts_feed_idx ON shoutouts (created_at, id)
    INCLUDE (giver_id, value, source) WHERE status = 'published';
