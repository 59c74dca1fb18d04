-- Leaderboards in half the space: days are counted from the shout-outs themselves.
--
-- Day buckets were a third of the tally rows at 1M shout-outs and most of them at 10M (a busy
-- day thanks thousands of people once each), yet a board only reads days at the edges of a
-- span (the 30 days to the 3rd of a month are November minus its first three days plus three
-- days). A day's raw rows are about as many as its bucket's (one line per thanks instead of one
-- per person thanked), so with an index that holds what a board counts, in time order, those
-- few days cost the same to read from the rows as from a bucket. Tallies keep weeks, months,
-- quarters, years, all time and campaigns.

-- What a board counts, per line, in time order: recipients (and the team they were in) ...
CREATE INDEX shoutout_recipients_day_idx ON shoutout_recipients (created_at)
    INCLUDE (recipient_id, recipient_team_id, value, source) WHERE status = 'published';
-- ... and givers.
CREATE INDEX shoutouts_day_idx ON shoutouts (created_at)
    INCLUDE (giver_id, value, source) WHERE status = 'published' AND giver_id IS NOT NULL;

-- Every bucket a local day counts in: its week, month, quarter, year, all time, and the
-- campaigns that include it (no longer the day itself).
CREATE OR REPLACE FUNCTION tally_buckets(day date) RETURNS integer[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ARRAY[tally_bucket(2, day), tally_bucket(3, day), tally_bucket(4, day),
                 tally_bucket(5, day), 6000000]
        || ARRAY(SELECT 100000000 + c.bucket_no FROM campaigns c
                 WHERE day BETWEEN c.starts_on AND c.ends_on ORDER BY c.bucket_no)
$$;

DELETE FROM tallies WHERE bucket BETWEEN 1000000 AND 1999999;

-- Recounts every board from the raw tables (see the leaderboards migration): every kind of
-- bucket but days.
CREATE OR REPLACE FUNCTION tally_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    definitions text[];
    definition text;
    key_name text;
    key_definition text;
BEGIN
    LOCK TABLE shoutouts, shoutout_recipients, campaigns IN SHARE MODE;
    TRUNCATE tallies;
    -- Filling an unindexed table and then building each index in one sort is many times
    -- faster than keeping the indexes up to date row by row. The definitions are read back
    -- from the catalogue, so this stays right when the indexes change.
    SELECT array_agg(pg_get_indexdef(i.indexrelid)) INTO definitions
    FROM pg_index i WHERE i.indrelid = 'tallies'::regclass AND NOT i.indisprimary;
    SELECT conname, pg_get_constraintdef(oid) INTO key_name, key_definition
    FROM pg_constraint WHERE conrelid = 'tallies'::regclass AND contype = 'p';
    FOR definition IN
        SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid = 'tallies'::regclass AND NOT i.indisprimary
    LOOP
        EXECUTE format('DROP INDEX %I', definition);
    END LOOP;
    EXECUTE format('ALTER TABLE tallies DROP CONSTRAINT %I', key_name);
    PERFORM set_config('work_mem', '256MB', true);
    PERFORM set_config('maintenance_work_mem', '512MB', true);
    -- One pass per kind of bucket keeps each aggregation to one group per (bucket, subject).
    FOR kind IN 2..7 LOOP
        PERFORM tally_fill(kind);
    END LOOP;
    EXECUTE format('ALTER TABLE tallies ADD CONSTRAINT %I %s', key_name, key_definition);
    FOREACH definition IN ARRAY coalesce(definitions, '{}') LOOP
        EXECUTE definition;
    END LOOP;
END $$;

-- The ranking indexes hold their keys alone. A board page walks one of them for a page of
-- lines and reads those few lines' other counts from the table; everything that reads a whole
-- bucket (sums, the threshold algorithm's lists, counts above a cursor) needs only the key
-- (subject, count), and a board filtered by team reads tallies_team_idx. The counts they
-- carried were 40% of each entry and, at 1M shout-outs, a quarter of the tallies' space.
DROP INDEX tallies_rank_total;
CREATE INDEX tallies_rank_total ON tallies
    (board, bucket, source, total DESC, sort_name, subject_id) WHERE total > 0;
DROP INDEX tallies_rank_helping_others;
CREATE INDEX tallies_rank_helping_others ON tallies
    (board, bucket, source, helping_others DESC, sort_name, subject_id) WHERE helping_others > 0;
DROP INDEX tallies_rank_exceeding_expectations;
CREATE INDEX tallies_rank_exceeding_expectations ON tallies
    (board, bucket, source, exceeding_expectations DESC, sort_name, subject_id)
    WHERE exceeding_expectations > 0;
DROP INDEX tallies_rank_achieving_goals;
CREATE INDEX tallies_rank_achieving_goals ON tallies
    (board, bucket, source, achieving_goals DESC, sort_name, subject_id) WHERE achieving_goals > 0;
DROP INDEX tallies_rank_responding_with_care;
CREATE INDEX tallies_rank_responding_with_care ON tallies
    (board, bucket, source, responding_with_care DESC, sort_name, subject_id)
    WHERE responding_with_care > 0;
DROP INDEX tallies_rank_thriving_through_teamwork;
CREATE INDEX tallies_rank_thriving_through_teamwork ON tallies
    (board, bucket, source, thriving_through_teamwork DESC, sort_name, subject_id)
    WHERE thriving_through_teamwork > 0;
