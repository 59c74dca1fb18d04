DROP TABLE idempotency_keys;
DROP TABLE giver_daily_counts;
DROP TABLE cheers;
DROP TABLE shoutout_recipients;
DROP TABLE shoutouts;
DROP TYPE shoutout_status;
DROP TYPE shoutout_source;
DROP TYPE heart_value;
