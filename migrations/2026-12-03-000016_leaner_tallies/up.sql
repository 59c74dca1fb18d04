-- Leaner tallies, and a faster recount.
--
-- The primary key and the team index carried every count (index-only sums); since
-- day_edges_from_rows, sums read the ranking indexes' keys, which hold the counted column,
-- and only a page's few lines (and a team's few hundred rows) are read from the table, so
-- both hold their keys alone: at 100k shout-outs that is a quarter of the tallies' space.
ALTER TABLE tallies DROP CONSTRAINT tallies_pkey,
    ADD CONSTRAINT tallies_pkey PRIMARY KEY (board, bucket, source, subject_id);
DROP INDEX tallies_team_idx;
CREATE INDEX tallies_team_idx ON tallies (board, bucket, source, team_id)
    WHERE team_id IS NOT NULL;

-- `tally_rebuild` read the raw rows once per kind of bucket, each time
-- joining every recipient line to its shout-out: 43 minutes at 10M shout-outs. Now the raw
-- rows are read twice (weeks, and months, which do not nest in each other), each recipient
-- line alone (it carries its shout-out's time, value, source and status since the
-- report_lines migrations), and quarters, years and all time are added up from the months
-- just counted, a few rows per person instead of every thanks.

-- Counts the raw tables into one kind of bucket (2 week .. 6 all time, 7 campaigns), or into
-- one campaign's bucket. Used to rebuild and to backfill a new campaign.
CREATE OR REPLACE FUNCTION tally_fill(p_kind integer, p_campaign uuid DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    tz text := (SELECT timezone FROM leaderboard_settings);
    -- Plain bounds (not "IS NULL OR"), so a campaign's backfill plans an index range scan.
    since timestamptz := '-infinity';
    until timestamptz := 'infinity';
BEGIN
    IF p_campaign IS NOT NULL THEN
        SELECT starts_on::timestamp AT TIME ZONE tz, (ends_on + 1)::timestamp AT TIME ZONE tz
        INTO since, until FROM campaigns WHERE id = p_campaign;
    END IF;
    INSERT INTO tallies (board, bucket, source, subject_id, team_id, sort_name, total,
        helping_others, exceeding_expectations, achieving_goals, responding_with_care,
        thriving_through_teamwork)
    SELECT d.board, d.bucket, d.source, d.subject, n.team_id, n.name, d.total, d.h, d.e,
        d.a, d.r, d.t
    FROM (
        SELECT ev.board, b.bucket, s.source, ev.subject,
            count(*)::integer AS total,
            (count(*) FILTER (WHERE ev.value = 'helping_others'))::integer AS h,
            (count(*) FILTER (WHERE ev.value = 'exceeding_expectations'))::integer AS e,
            (count(*) FILTER (WHERE ev.value = 'achieving_goals'))::integer AS a,
            (count(*) FILTER (WHERE ev.value = 'responding_with_care'))::integer AS r,
            (count(*) FILTER (WHERE ev.value = 'thriving_through_teamwork'))::integer AS t
        FROM (
            SELECT 2::smallint AS board, sh.giver_id AS subject, sh.created_at AS at,
                   sh.value, sh.source = 'customer' AS customer
            FROM shoutouts sh WHERE sh.status = 'published' AND sh.giver_id IS NOT NULL
              AND sh.created_at >= since AND sh.created_at < until
            UNION ALL
            SELECT 1::smallint, r.recipient_id, r.created_at, r.value, r.source = 'customer'
            FROM shoutout_recipients r
            WHERE r.status = 'published' AND r.created_at >= since AND r.created_at < until
            UNION ALL
            SELECT 3::smallint, r.recipient_team_id, r.created_at, r.value,
                   r.source = 'customer'
            FROM shoutout_recipients r
            WHERE r.status = 'published' AND r.recipient_team_id IS NOT NULL
              AND r.created_at >= since AND r.created_at < until
        ) ev
        CROSS JOIN LATERAL (SELECT (ev.at AT TIME ZONE tz)::date AS day) local
        CROSS JOIN LATERAL (
            SELECT tally_bucket(p_kind, local.day) AS bucket WHERE p_kind <= 6
            UNION ALL
            SELECT 100000000 + c.bucket_no FROM campaigns c
            WHERE p_kind = 7 AND local.day BETWEEN c.starts_on AND c.ends_on
              AND (p_campaign IS NULL OR c.id = p_campaign)
        ) b
        CROSS JOIN LATERAL (VALUES (0::smallint), (CASE WHEN ev.customer THEN 2::smallint END))
            AS s (source)
        WHERE s.source IS NOT NULL
        GROUP BY ev.board, b.bucket, s.source, ev.subject
    ) d
    CROSS JOIN LATERAL (
        SELECT em.team_id, em.display_name AS name FROM employees em
        WHERE d.board <> 3 AND em.id = d.subject
        UNION ALL
        SELECT tm.id, tm.name FROM teams tm WHERE d.board = 3 AND tm.id = d.subject
    ) n;
END $$;

-- Adds up the counted rows of one kind of bucket into a coarser kind that they nest in
-- (months into quarters, quarters into years, years into all time).
CREATE FUNCTION tally_roll_up(p_from integer, p_to integer) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO tallies (board, bucket, source, subject_id, team_id, sort_name, total,
        helping_others, exceeding_expectations, achieving_goals, responding_with_care,
        thriving_through_teamwork)
    SELECT t.board, tally_bucket(p_to, DATE '1900-01-01' + (t.bucket - p_from * 1000000)),
        t.source, t.subject_id, t.team_id, t.sort_name, sum(t.total), sum(t.helping_others),
        sum(t.exceeding_expectations), sum(t.achieving_goals), sum(t.responding_with_care),
        sum(t.thriving_through_teamwork)
    FROM tallies t
    WHERE t.bucket >= p_from * 1000000 AND t.bucket < (p_from + 1) * 1000000
    GROUP BY 1, 2, 3, 4, 5, 6
$$;

-- Recounts every board from the raw tables (see the leaderboards migration).
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
    PERFORM tally_fill(2);
    PERFORM tally_fill(3);
    PERFORM tally_roll_up(3, 4);
    PERFORM tally_roll_up(4, 5);
    PERFORM tally_roll_up(5, 6);
    PERFORM tally_fill(7);
    EXECUTE format('ALTER TABLE tallies ADD CONSTRAINT %I %s', key_name, key_definition);
    FOREACH definition IN ARRAY coalesce(definitions, '{}') LOOP
        EXECUTE definition;
    END LOOP;
END $$;
