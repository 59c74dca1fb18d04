DROP TABLE signing_keys;
DROP TABLE moderation_notices;
DROP TABLE mail_messages;
DROP INDEX outbox_events_to_mail;
ALTER TABLE outbox_events DROP COLUMN mailed_at;
DROP TABLE mail_suppressions;
DROP TABLE notification_preferences;
ALTER TABLE customer_praise DROP COLUMN email_consent;
