CREATE INDEX shoutout_recipients_last_thanked ON shoutout_recipients (recipient_id, created_at DESC)
    WHERE status = 'published';
DROP INDEX shoutout_recipients_subject_days;
