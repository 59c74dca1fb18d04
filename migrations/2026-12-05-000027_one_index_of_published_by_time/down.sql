DROP INDEX shoutouts_feed_idx;
CREATE INDEX shoutouts_feed_idx ON shoutouts (created_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX shoutouts_day_idx ON shoutouts (created_at)
    INCLUDE (giver_id, value, source) WHERE status = 'published' AND giver_id IS NOT NULL;
