DROP FUNCTION tally_roll_up(integer, integer);

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
    FOR kind IN 2..7 LOOP
        PERFORM tally_fill(kind);
    END LOOP;
    EXECUTE format('ALTER TABLE tallies ADD CONSTRAINT %I %s', key_name, key_definition);
    FOREACH definition IN ARRAY coalesce(definitions, '{}') LOOP
        EXECUTE definition;
    END LOOP;
END $$;

ALTER TABLE tallies DROP CONSTRAINT tallies_pkey,
    ADD CONSTRAINT tallies_pkey PRIMARY KEY (board, bucket, source, subject_id)
    INCLUDE (team_id, total, helping_others, exceeding_expectations, achieving_goals,
             responding_with_care, thriving_through_teamwork);
DROP INDEX tallies_team_idx;
CREATE INDEX tallies_team_idx ON tallies (board, bucket, source, team_id)
    INCLUDE (subject_id, sort_name, total, helping_others, exceeding_expectations,
             achieving_goals, responding_with_care, thriving_through_teamwork)
    WHERE team_id IS NOT NULL;
