DROP TABLE imported_shoutouts;
