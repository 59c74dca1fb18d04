DROP FUNCTION report_team_totals(uuid, date, date);
DROP FUNCTION report_team_weeks(uuid, date, date);
DROP FUNCTION report_day_counts(report_team_days);

CREATE TABLE report_team_days_unpivoted (
    team_id    uuid NOT NULL,
    day        date NOT NULL,
    side       smallint NOT NULL CHECK (side IN (1, 2)),
    value      heart_value NOT NULL,
    source     shoutout_source NOT NULL,
    n          integer NOT NULL,
    CONSTRAINT report_team_days_unpivoted_pkey PRIMARY KEY (team_id, day, side, value, source) INCLUDE (n)
);
INSERT INTO report_team_days_unpivoted (team_id, day, side, value, source, n)
SELECT d.team_id, d.day, d.side, c.value, c.source, c.n
FROM report_team_days d CROSS JOIN LATERAL (VALUES
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
WHERE c.n <> 0;
DROP TABLE report_team_days;
ALTER TABLE report_team_days_unpivoted RENAME TO report_team_days;
ALTER TABLE report_team_days RENAME CONSTRAINT report_team_days_unpivoted_pkey TO report_team_days_pkey;
ALTER TABLE report_team_days RENAME CONSTRAINT report_team_days_unpivoted_side_check
    TO report_team_days_side_check;

CREATE OR REPLACE FUNCTION report_days_add(
    p_side smallint, p_teams uuid[], p_days date[], p_values heart_value[],
    p_sources shoutout_source[], p_signs integer[]
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO report_team_days AS d (team_id, day, side, value, source, n)
    SELECT e.team, e.day, p_side, e.value, e.source, sum(e.sign)::integer
    FROM unnest(p_teams, p_days, p_values, p_sources, p_signs) AS e (team, day, value, source, sign)
    WHERE e.team IS NOT NULL
    GROUP BY e.team, e.day, e.value, e.source
    ORDER BY e.team, e.day, e.value, e.source
    ON CONFLICT (team_id, day, side, value, source) DO UPDATE SET n = d.n + excluded.n
$$;

CREATE OR REPLACE FUNCTION report_count_days() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    tz text := (SELECT timezone FROM leaderboard_settings);
BEGIN
    DELETE FROM report_team_days;
    INSERT INTO report_team_days (team_id, day, side, value, source, n)
    WITH RECURSIVE closure (member, team) AS (
        SELECT id, id FROM teams
        UNION ALL
        SELECT c.member, t.parent_id FROM closure c JOIN teams t ON t.id = c.team
        WHERE t.parent_id IS NOT NULL
    )
    SELECT x.team, (x.created_at AT TIME ZONE tz)::date, 1, x.value, x.source, count(*)
    FROM (
        SELECT DISTINCT r.shoutout_id, c.team, r.created_at, r.value, r.source
        FROM shoutout_recipients r JOIN closure c ON c.member = r.recipient_team_id
        WHERE r.status = 'published'
    ) x
    GROUP BY 1, 2, 4, 5
    UNION ALL
    SELECT c.team, (s.created_at AT TIME ZONE tz)::date, 2, s.value, s.source, count(*)
    FROM shoutouts s JOIN closure c ON c.member = s.giver_team_id
    WHERE s.status = 'published' AND s.giver_id IS NOT NULL
    GROUP BY 1, 2, 4, 5;
END $$;

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
        PRIMARY KEY (team_id, day, side, value, source) INCLUDE (n);
    ALTER TABLE report_person_months ADD CONSTRAINT report_person_months_pkey
        PRIMARY KEY (team_id, month, person_id, side)
        INCLUDE (helping_others, exceeding_expectations, achieving_goals, responding_with_care,
                 thriving_through_teamwork, cheers);
END $$;
