DROP TABLE spent_challenges;
DROP TABLE moderation_decisions;
DROP INDEX shoutouts_pending_idx;
DROP TABLE customer_praise;
ALTER TABLE employees DROP COLUMN praise_handle;
DROP FUNCTION new_praise_handle();
DROP EXTENSION IF EXISTS btree_gist;
