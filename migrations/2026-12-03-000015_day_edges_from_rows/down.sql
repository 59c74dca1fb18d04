DROP INDEX shoutout_recipients_day_idx;
DROP INDEX shoutouts_day_idx;

CREATE OR REPLACE FUNCTION tally_buckets(day date) RETURNS integer[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ARRAY[tally_bucket(1, day), tally_bucket(2, day), tally_bucket(3, day),
                 tally_bucket(4, day), tally_bucket(5, day), 6000000]
        || ARRAY(SELECT 100000000 + c.bucket_no FROM campaigns c
                 WHERE day BETWEEN c.starts_on AND c.ends_on ORDER BY c.bucket_no)
$$;

CREATE OR REPLACE FUNCTION tally_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    definitions text[];
    definition text;
    key_name text;
    key_definition text;
BEGIN
    LOCK TABLE shoutouts, shoutout_recipients, campaigns IN SHARE MODE;
    TRUNCATE tallies;
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
    FOR kind IN 1..7 LOOP
        PERFORM tally_fill(kind);
    END LOOP;
    EXECUTE format('ALTER TABLE tallies ADD CONSTRAINT %I %s', key_name, key_definition);
    FOREACH definition IN ARRAY coalesce(definitions, '{}') LOOP
        EXECUTE definition;
    END LOOP;
END $$;

DROP INDEX tallies_rank_total;
CREATE INDEX tallies_rank_total ON tallies (board, bucket, source, total DESC, sort_name, subject_id)
    INCLUDE (team_id, helping_others, exceeding_expectations, achieving_goals, responding_with_care, thriving_through_teamwork) WHERE total > 0;
DROP INDEX tallies_rank_helping_others;
CREATE INDEX tallies_rank_helping_others ON tallies (board, bucket, source, helping_others DESC, sort_name, subject_id)
    INCLUDE (team_id, total, exceeding_expectations, achieving_goals, responding_with_care, thriving_through_teamwork) WHERE helping_others > 0;
DROP INDEX tallies_rank_exceeding_expectations;
CREATE INDEX tallies_rank_exceeding_expectations ON tallies (board, bucket, source, exceeding_expectations DESC, sort_name, subject_id)
    INCLUDE (team_id, total, helping_others, achieving_goals, responding_with_care, thriving_through_teamwork) WHERE exceeding_expectations > 0;
DROP INDEX tallies_rank_achieving_goals;
CREATE INDEX tallies_rank_achieving_goals ON tallies (board, bucket, source, achieving_goals DESC, sort_name, subject_id)
    INCLUDE (team_id, total, helping_others, exceeding_expectations, responding_with_care, thriving_through_teamwork) WHERE achieving_goals > 0;
DROP INDEX tallies_rank_responding_with_care;
CREATE INDEX tallies_rank_responding_with_care ON tallies (board, bucket, source, responding_with_care DESC, sort_name, subject_id)
    INCLUDE (team_id, total, helping_others, exceeding_expectations, achieving_goals, thriving_through_teamwork) WHERE responding_with_care > 0;
DROP INDEX tallies_rank_thriving_through_teamwork;
CREATE INDEX tallies_rank_thriving_through_teamwork ON tallies (board, bucket, source, thriving_through_teamwork DESC, sort_name, subject_id)
    INCLUDE (team_id, total, helping_others, exceeding_expectations, achieving_goals, responding_with_care) WHERE thriving_through_teamwork > 0;

-- The day buckets again.
SELECT tally_fill(1);
