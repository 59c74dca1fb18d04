CREATE INDEX shoutout_recipients_recipient_idx ON shoutout_recipients (recipient_id, shoutout_id);
CREATE INDEX shoutout_recipients_subject_days ON shoutout_recipients (recipient_id, created_at DESC)
    INCLUDE (value, source) WHERE status = 'published';
DROP INDEX shoutout_recipients_by_recipient;
