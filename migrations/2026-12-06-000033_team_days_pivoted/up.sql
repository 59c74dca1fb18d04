-- The team-day roll-up in a tenth of the rows: one row per team, local day and side, holding a
-- count per value and source, in place of one row per value and source.
--
-- At 10M shout-outs the old shape held 12.9M rows (164 bytes per shout-out with its key, the
-- third largest cost after the tallies and the raw lines); a (team, day, side) has on average
-- eight of its ten (value, source) rows, so nearly every byte of row header, team id, day and
-- key entry was paid eight times. A report reads one team's rows over a range (at most 366
-- days x 2 sides for a year) and sums them: the same work over a tenth of the rows.
--
-- Locks: a give now changes one row per team and side where it changed one per team, side,
-- value and source, so two gives of different values to the same team on the same day wait
-- for each other where they did not. Every team above a person is counted, the root team on
-- every give, so this is measured (bench/run --reports-only, writes) before it lands; the
-- README has the figures. Writers still take the rows in one order (`report_days_add` sorts by
-- team and day; givers' side before recipients' side), so they never deadlock.

CREATE TABLE report_team_days_pivoted (
    team_id    uuid NOT NULL,
    day        date NOT NULL,
    side       smallint NOT NULL CHECK (side IN (1, 2)),
    staff_helping_others                 integer NOT NULL DEFAULT 0,
    staff_exceeding_expectations         integer NOT NULL DEFAULT 0,
    staff_achieving_goals                integer NOT NULL DEFAULT 0,
    staff_responding_with_care           integer NOT NULL DEFAULT 0,
    staff_thriving_through_teamwork      integer NOT NULL DEFAULT 0,
    customer_helping_others              integer NOT NULL DEFAULT 0,
    customer_exceeding_expectations      integer NOT NULL DEFAULT 0,
    customer_achieving_goals             integer NOT NULL DEFAULT 0,
    customer_responding_with_care        integer NOT NULL DEFAULT 0,
    customer_thriving_through_teamwork   integer NOT NULL DEFAULT 0,
    CONSTRAINT report_team_days_pivoted_pkey PRIMARY KEY (team_id, day, side)
);

INSERT INTO report_team_days_pivoted (team_id, day, side, staff_helping_others, staff_exceeding_expectations, staff_achieving_goals, staff_responding_with_care, staff_thriving_through_teamwork, customer_helping_others, customer_exceeding_expectations, customer_achieving_goals, customer_responding_with_care, customer_thriving_through_teamwork)
SELECT team_id, day, side,
       coalesce(sum(n) FILTER (WHERE source = 'staff' AND value = 'helping_others'), 0)::integer,
       coalesce(sum(n) FILTER (WHERE source = 'staff' AND value = 'exceeding_expectations'), 0)::integer,
       coalesce(sum(n) FILTER (WHERE source = 'staff' AND value = 'achieving_goals'), 0)::integer,
       coalesce(sum(n) FILTER (WHERE source = 'staff' AND value = 'responding_with_care'), 0)::integer,
       coalesce(sum(n) FILTER (WHERE source = 'staff' AND value = 'thriving_through_teamwork'), 0)::integer,
       coalesce(sum(n) FILTER (WHERE source = 'customer' AND value = 'helping_others'), 0)::integer,
       coalesce(sum(n) FILTER (WHERE source = 'customer' AND value = 'exceeding_expectations'), 0)::integer,
       coalesce(sum(n) FILTER (WHERE source = 'customer' AND value = 'achieving_goals'), 0)::integer,
       coalesce(sum(n) FILTER (WHERE source = 'customer' AND value = 'responding_with_care'), 0)::integer,
       coalesce(sum(n) FILTER (WHERE source = 'customer' AND value = 'thriving_through_teamwork'), 0)::integer
FROM report_team_days
GROUP BY team_id, day, side
ORDER BY team_id, day, side;

DROP TABLE report_team_days;
ALTER TABLE report_team_days_pivoted RENAME TO report_team_days;
ALTER TABLE report_team_days RENAME CONSTRAINT report_team_days_pivoted_pkey TO report_team_days_pkey;
ALTER TABLE report_team_days RENAME CONSTRAINT report_team_days_pivoted_side_check
    TO report_team_days_side_check;
-- Reports read a range of one team's days; the counts fill most of a row, so the key carries
-- none and the rows are read from the table (a year is at most 732 of them).

-- The counts of a team, day and side as (value, source, n): what the reports read.
CREATE FUNCTION report_day_counts(d report_team_days)
RETURNS TABLE (value heart_value, source shoutout_source, n integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT * FROM (VALUES
    ('helping_others'::heart_value, 'staff'::shoutout_source, d.staff_helping_others),
    ('exceeding_expectations'::heart_value, 'staff'::shoutout_source, d.staff_exceeding_expectations),
    ('achieving_goals'::heart_value, 'staff'::shoutout_source, d.staff_achieving_goals),
    ('responding_with_care'::heart_value, 'staff'::shoutout_source, d.staff_responding_with_care),
    ('thriving_through_teamwork'::heart_value, 'staff'::shoutout_source, d.staff_thriving_through_teamwork),
    ('helping_others'::heart_value, 'customer'::shoutout_source, d.customer_helping_others),
    ('exceeding_expectations'::heart_value, 'customer'::shoutout_source, d.customer_exceeding_expectations),
    ('achieving_goals'::heart_value, 'customer'::shoutout_source, d.customer_achieving_goals),
    ('responding_with_care'::heart_value, 'customer'::shoutout_source, d.customer_responding_with_care),
    ('thriving_through_teamwork'::heart_value, 'customer'::shoutout_source, d.customer_thriving_through_teamwork)
    ) AS c (value, source, n)
    WHERE c.n <> 0
$$;

-- What a report reads of a team's days from `p_from` to `p_to` (inclusive): per side, week,
-- value and source. The columns are summed per week first and only then unpivoted, ten
-- values a week rather than ten a day.
CREATE FUNCTION report_team_weeks(p_team uuid, p_from date, p_to date)
RETURNS TABLE (side smallint, value heart_value, source shoutout_source, week_start date, n bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT w.side, c.value, c.source, w.week_start, c.n::bigint
    FROM (
        SELECT d.side, date_trunc('week', d.day::timestamp)::date AS week_start,
               ROW(p_team, min(d.day), d.side,
                   sum(d.staff_helping_others)::integer,
                   sum(d.staff_exceeding_expectations)::integer,
                   sum(d.staff_achieving_goals)::integer,
                   sum(d.staff_responding_with_care)::integer,
                   sum(d.staff_thriving_through_teamwork)::integer,
                   sum(d.customer_helping_others)::integer,
                   sum(d.customer_exceeding_expectations)::integer,
                   sum(d.customer_achieving_goals)::integer,
                   sum(d.customer_responding_with_care)::integer,
                   sum(d.customer_thriving_through_teamwork)::integer)::report_team_days AS counts
        FROM report_team_days d
        WHERE d.team_id = p_team AND d.day >= p_from AND d.day <= p_to
        GROUP BY 1, 2
    ) w
    CROSS JOIN LATERAL report_day_counts(w.counts) c
$$;

-- A team's shout-outs per side (every value and source) from `p_from` to the day before
-- `p_until`: the previous period a report compares with.
CREATE FUNCTION report_team_totals(p_team uuid, p_from date, p_until date)
RETURNS TABLE (side smallint, n bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT d.side, sum(
        d.staff_helping_others + d.staff_exceeding_expectations + d.staff_achieving_goals +
        d.staff_responding_with_care + d.staff_thriving_through_teamwork +
        d.customer_helping_others + d.customer_exceeding_expectations +
        d.customer_achieving_goals + d.customer_responding_with_care +
        d.customer_thriving_through_teamwork
    )::bigint
    FROM report_team_days d
    WHERE d.team_id = p_team AND d.day >= p_from AND d.day < p_until
    GROUP BY d.side
$$;

-- Adds signed counts, creating rows on first use and updating them in key order, so
-- concurrent writers never deadlock on them.
CREATE OR REPLACE FUNCTION report_days_add(
    p_side smallint, p_teams uuid[], p_days date[], p_values heart_value[],
    p_sources shoutout_source[], p_signs integer[]
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO report_team_days AS d (team_id, day, side, staff_helping_others, staff_exceeding_expectations, staff_achieving_goals, staff_responding_with_care, staff_thriving_through_teamwork, customer_helping_others, customer_exceeding_expectations, customer_achieving_goals, customer_responding_with_care, customer_thriving_through_teamwork)
    SELECT e.team, e.day, p_side,
           coalesce(sum(e.sign) FILTER (WHERE e.source = 'staff' AND e.value = 'helping_others'), 0)::integer,
           coalesce(sum(e.sign) FILTER (WHERE e.source = 'staff' AND e.value = 'exceeding_expectations'), 0)::integer,
           coalesce(sum(e.sign) FILTER (WHERE e.source = 'staff' AND e.value = 'achieving_goals'), 0)::integer,
           coalesce(sum(e.sign) FILTER (WHERE e.source = 'staff' AND e.value = 'responding_with_care'), 0)::integer,
           coalesce(sum(e.sign) FILTER (WHERE e.source = 'staff' AND e.value = 'thriving_through_teamwork'), 0)::integer,
           coalesce(sum(e.sign) FILTER (WHERE e.source = 'customer' AND e.value = 'helping_others'), 0)::integer,
           coalesce(sum(e.sign) FILTER (WHERE e.source = 'customer' AND e.value = 'exceeding_expectations'), 0)::integer,
           coalesce(sum(e.sign) FILTER (WHERE e.source = 'customer' AND e.value = 'achieving_goals'), 0)::integer,
           coalesce(sum(e.sign) FILTER (WHERE e.source = 'customer' AND e.value = 'responding_with_care'), 0)::integer,
           coalesce(sum(e.sign) FILTER (WHERE e.source = 'customer' AND e.value = 'thriving_through_teamwork'), 0)::integer
    FROM unnest(p_teams, p_days, p_values, p_sources, p_signs) AS e (team, day, value, source, sign)
    WHERE e.team IS NOT NULL
    GROUP BY e.team, e.day
    ORDER BY e.team, e.day
    ON CONFLICT (team_id, day, side) DO UPDATE SET
        staff_helping_others = d.staff_helping_others + excluded.staff_helping_others,
        staff_exceeding_expectations = d.staff_exceeding_expectations + excluded.staff_exceeding_expectations,
        staff_achieving_goals = d.staff_achieving_goals + excluded.staff_achieving_goals,
        staff_responding_with_care = d.staff_responding_with_care + excluded.staff_responding_with_care,
        staff_thriving_through_teamwork = d.staff_thriving_through_teamwork + excluded.staff_thriving_through_teamwork,
        customer_helping_others = d.customer_helping_others + excluded.customer_helping_others,
        customer_exceeding_expectations = d.customer_exceeding_expectations + excluded.customer_exceeding_expectations,
        customer_achieving_goals = d.customer_achieving_goals + excluded.customer_achieving_goals,
        customer_responding_with_care = d.customer_responding_with_care + excluded.customer_responding_with_care,
        customer_thriving_through_teamwork = d.customer_thriving_through_teamwork + excluded.customer_thriving_through_teamwork
$$;

-- Recounts the day roll-up of every team from the raw tables.
CREATE OR REPLACE FUNCTION report_count_days() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    tz text := (SELECT timezone FROM leaderboard_settings);
BEGIN
    DELETE FROM report_team_days;
    INSERT INTO report_team_days (team_id, day, side, staff_helping_others, staff_exceeding_expectations, staff_achieving_goals, staff_responding_with_care, staff_thriving_through_teamwork, customer_helping_others, customer_exceeding_expectations, customer_achieving_goals, customer_responding_with_care, customer_thriving_through_teamwork)
    WITH RECURSIVE closure (member, team) AS (
        SELECT id, id FROM teams
        UNION ALL
        SELECT c.member, t.parent_id FROM closure c JOIN teams t ON t.id = c.team
        WHERE t.parent_id IS NOT NULL
    )
    SELECT x.team, (x.created_at AT TIME ZONE tz)::date, 1,
           count(*) FILTER (WHERE x.source = 'staff' AND x.value = 'helping_others'),
           count(*) FILTER (WHERE x.source = 'staff' AND x.value = 'exceeding_expectations'),
           count(*) FILTER (WHERE x.source = 'staff' AND x.value = 'achieving_goals'),
           count(*) FILTER (WHERE x.source = 'staff' AND x.value = 'responding_with_care'),
           count(*) FILTER (WHERE x.source = 'staff' AND x.value = 'thriving_through_teamwork'),
           count(*) FILTER (WHERE x.source = 'customer' AND x.value = 'helping_others'),
           count(*) FILTER (WHERE x.source = 'customer' AND x.value = 'exceeding_expectations'),
           count(*) FILTER (WHERE x.source = 'customer' AND x.value = 'achieving_goals'),
           count(*) FILTER (WHERE x.source = 'customer' AND x.value = 'responding_with_care'),
           count(*) FILTER (WHERE x.source = 'customer' AND x.value = 'thriving_through_teamwork')
    FROM (
        SELECT DISTINCT r.shoutout_id, c.team, r.created_at, r.value, r.source
        FROM shoutout_recipients r JOIN closure c ON c.member = r.recipient_team_id
        WHERE r.status = 'published'
    ) x
    GROUP BY 1, 2
    UNION ALL
    SELECT c.team, (s.created_at AT TIME ZONE tz)::date, 2,
           count(*) FILTER (WHERE s.source = 'staff' AND s.value = 'helping_others'),
           count(*) FILTER (WHERE s.source = 'staff' AND s.value = 'exceeding_expectations'),
           count(*) FILTER (WHERE s.source = 'staff' AND s.value = 'achieving_goals'),
           count(*) FILTER (WHERE s.source = 'staff' AND s.value = 'responding_with_care'),
           count(*) FILTER (WHERE s.source = 'staff' AND s.value = 'thriving_through_teamwork'),
           count(*) FILTER (WHERE s.source = 'customer' AND s.value = 'helping_others'),
           count(*) FILTER (WHERE s.source = 'customer' AND s.value = 'exceeding_expectations'),
           count(*) FILTER (WHERE s.source = 'customer' AND s.value = 'achieving_goals'),
           count(*) FILTER (WHERE s.source = 'customer' AND s.value = 'responding_with_care'),
           count(*) FILTER (WHERE s.source = 'customer' AND s.value = 'thriving_through_teamwork')
    FROM shoutouts s JOIN closure c ON c.member = s.giver_team_id
    WHERE s.status = 'published' AND s.giver_id IS NOT NULL
    GROUP BY 1, 2;
END $$;

-- Recounts both roll-ups from the raw tables (as before; the team days' key is the new one).
CREATE OR REPLACE FUNCTION report_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    tz text := (SELECT timezone FROM leaderboard_settings);
BEGIN
    LOCK TABLE shoutouts, shoutout_recipients, cheers IN SHARE ROW EXCLUSIVE MODE;
    PERFORM set_config('work_mem', '256MB', true);
    PERFORM set_config('maintenance_work_mem', '512MB', true);
    -- Filled without their keys, which are then built in one sort each.
    TRUNCATE report_team_days, report_person_months;
    ALTER TABLE report_team_days DROP CONSTRAINT report_team_days_pkey;
    ALTER TABLE report_person_months DROP CONSTRAINT report_person_months_pkey;
    PERFORM report_count_days();
    INSERT INTO report_person_months (team_id, month, person_id, side, helping_others,
        exceeding_expectations, achieving_goals, responding_with_care,
        thriving_through_teamwork, cheers)
    SELECT team_id, month, person_id, side,
        count(*) FILTER (WHERE value = 'helping_others'),
        count(*) FILTER (WHERE value = 'exceeding_expectations'),
        count(*) FILTER (WHERE value = 'achieving_goals'),
        count(*) FILTER (WHERE value = 'responding_with_care'),
        count(*) FILTER (WHERE value = 'thriving_through_teamwork'),
        sum(cheers)
    FROM (
        SELECT r.recipient_team_id AS team_id,
               date_trunc('month', r.created_at AT TIME ZONE tz)::date AS month,
               r.recipient_id AS person_id, 1 AS side, r.value, coalesce(ch.n, 0) AS cheers
        FROM shoutout_recipients r
        LEFT JOIN (SELECT shoutout_id, count(*) AS n FROM cheers GROUP BY 1) ch
            ON ch.shoutout_id = r.shoutout_id
        WHERE r.status = 'published' AND r.recipient_team_id IS NOT NULL
        UNION ALL
        SELECT s.giver_team_id, date_trunc('month', s.created_at AT TIME ZONE tz)::date,
               s.giver_id, 2, s.value, 0
        FROM shoutouts s
        WHERE s.status = 'published' AND s.giver_id IS NOT NULL AND s.giver_team_id IS NOT NULL
    ) e
    GROUP BY team_id, month, person_id, side;
    ALTER TABLE report_team_days ADD CONSTRAINT report_team_days_pkey
        PRIMARY KEY (team_id, day, side);
    ALTER TABLE report_person_months ADD CONSTRAINT report_person_months_pkey
        PRIMARY KEY (team_id, month, person_id, side)
        INCLUDE (helping_others, exceeding_expectations, achieving_goals, responding_with_care,
                 thriving_through_teamwork, cheers);
END $$;
