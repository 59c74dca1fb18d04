DROP TRIGGER stream_events_updated ON shoutouts;
DROP TRIGGER stream_events_inserted ON shoutouts;
DROP FUNCTION stream_events_record();
DROP TABLE stream_events;
DROP TABLE widget_keys;
