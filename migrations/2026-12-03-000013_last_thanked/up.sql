-- A manager report says when each person was last thanked: one probe per person, newest first,
-- among published thanks only.
CREATE INDEX shoutout_recipients_last_thanked ON shoutout_recipients (recipient_id, created_at DESC)
    WHERE status = 'published';
