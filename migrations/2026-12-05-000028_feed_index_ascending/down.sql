DROP INDEX shoutouts_feed_idx;
CREATE INDEX shoutouts_feed_idx ON shoutouts (created_at DESC, id DESC)
    INCLUDE (giver_id, value, source) WHERE status = 'published';
