-- Manager reports over a large team, from two roll-ups that triggers keep exact in the same
-- transaction as every write (as the leaderboards' tallies are). The raw tables stay the
-- truth; `report_rebuild()` recounts both from them.
--
-- A report counts people in the team they were in when a shout-out was given (kept on each
-- line), over the team's subtree as the tree is now, and each shout-out once however many of
-- its recipients were in that subtree. That last count does not add up from the teams below
-- (one shout-out may thank people in two of them), so `report_team_days` keeps it for every
-- team at or above the one a person was in: a report reads its own team's rows alone, at most
-- 366 days x 5 values x 2 sources x 2 sides for a year, however large the team. Moving a team
-- takes what its subtree counts for off the teams it left and puts it on the teams it joined.

-- Locks: what a giver gave and what recipients received are kept in different rows (`side`),
-- and every writer changes givers' rows before recipients' rows (see the trigger names below),
-- so concurrent writers take row locks in one order and never deadlock.

-- Per team (and everything beneath it) and local day in leaderboard_settings.timezone.
-- side 1: published shout-outs that thanked at least one person in the subtree; side 2:
-- published shout-outs that someone in the subtree gave.
CREATE TABLE report_team_days (
    team_id    uuid NOT NULL,
    day        date NOT NULL,
    side       smallint NOT NULL CHECK (side IN (1, 2)),
    value      heart_value NOT NULL,
    source     shoutout_source NOT NULL,
    n          integer NOT NULL,
    CONSTRAINT report_team_days_pkey PRIMARY KEY (team_id, day, side, value, source) INCLUDE (n)
);

-- Per person, team they were in and local month, by value: side 1 what they received (and
-- the cheers on it), side 2 what they gave. A report adds the whole months of its range from
-- here and reads the days at either end from the raw lines. Rows are per person, so writers
-- for different people never wait for each other here.
CREATE TABLE report_person_months (
    team_id                    uuid NOT NULL,
    month                      date NOT NULL,
    person_id                  uuid NOT NULL,
    side                       smallint NOT NULL CHECK (side IN (1, 2)),
    helping_others             integer NOT NULL,
    exceeding_expectations     integer NOT NULL,
    achieving_goals            integer NOT NULL,
    responding_with_care       integer NOT NULL,
    thriving_through_teamwork  integer NOT NULL,
    cheers                     integer NOT NULL,
    CONSTRAINT report_person_months_pkey PRIMARY KEY (team_id, month, person_id, side)
        INCLUDE (helping_others, exceeding_expectations, achieving_goals, responding_with_care,
                 thriving_through_teamwork, cheers)
);

-- A team and every team above it, the team first (empty for no team).
CREATE FUNCTION team_ancestors(team uuid) RETURNS uuid[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN ARRAY(
        WITH RECURSIVE up (id, depth) AS (
            SELECT team, 0 WHERE team IS NOT NULL
            UNION ALL
            SELECT t.parent_id, up.depth + 1 FROM teams t JOIN up ON t.id = up.id
            WHERE t.parent_id IS NOT NULL
        )
        SELECT id FROM up ORDER BY depth
    );
END $$;

-- Adds signed counts, creating rows on first use and updating them in key order, so
-- concurrent writers never deadlock on them.
CREATE FUNCTION report_days_add(
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

-- The same for people: each event counts `p_signs` under its value and `p_cheers` cheers.
CREATE FUNCTION report_months_add(
    p_side smallint, p_teams uuid[], p_months date[], p_people uuid[], p_values heart_value[],
    p_signs integer[], p_cheers integer[]
) RETURNS void LANGUAGE sql AS $$
    INSERT INTO report_person_months AS m (team_id, month, person_id, side, helping_others,
        exceeding_expectations, achieving_goals, responding_with_care,
        thriving_through_teamwork, cheers)
    SELECT e.team, e.month, e.person, p_side,
        coalesce(sum(e.sign) FILTER (WHERE e.value = 'helping_others'), 0)::integer,
        coalesce(sum(e.sign) FILTER (WHERE e.value = 'exceeding_expectations'), 0)::integer,
        coalesce(sum(e.sign) FILTER (WHERE e.value = 'achieving_goals'), 0)::integer,
        coalesce(sum(e.sign) FILTER (WHERE e.value = 'responding_with_care'), 0)::integer,
        coalesce(sum(e.sign) FILTER (WHERE e.value = 'thriving_through_teamwork'), 0)::integer,
        sum(e.cheers)::integer
    FROM unnest(p_teams, p_months, p_people, p_values, p_signs, p_cheers)
        AS e (team, month, person, value, sign, cheers)
    WHERE e.team IS NOT NULL AND e.person IS NOT NULL
    GROUP BY e.team, e.month, e.person
    ORDER BY e.team, e.month, e.person
    ON CONFLICT (team_id, month, person_id, side) DO UPDATE SET
        helping_others = m.helping_others + excluded.helping_others,
        exceeding_expectations = m.exceeding_expectations + excluded.exceeding_expectations,
        achieving_goals = m.achieving_goals + excluded.achieving_goals,
        responding_with_care = m.responding_with_care + excluded.responding_with_care,
        thriving_through_teamwork = m.thriving_through_teamwork + excluded.thriving_through_teamwork,
        cheers = m.cheers + excluded.cheers
$$;

-- Givers' side of new shout-outs: what members gave, where they were when they gave it.
CREATE FUNCTION report_given_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tz text := (SELECT timezone FROM leaderboard_settings);
BEGIN
    PERFORM report_days_add(2::smallint, array_agg(a.team),
        array_agg((i.created_at AT TIME ZONE tz)::date), array_agg(i.value), array_agg(i.source),
        array_agg(1))
    FROM inserted i CROSS JOIN LATERAL unnest(team_ancestors(i.giver_team_id)) AS a (team)
    WHERE i.status = 'published' AND i.giver_id IS NOT NULL;
    PERFORM report_months_add(2::smallint, array_agg(i.giver_team_id),
        array_agg(date_trunc('month', i.created_at AT TIME ZONE tz)::date), array_agg(i.giver_id),
        array_agg(i.value), array_agg(1), array_agg(0))
    FROM inserted i
    WHERE i.status = 'published' AND i.giver_id IS NOT NULL AND i.giver_team_id IS NOT NULL;
    RETURN NULL;
END $$;

-- Recipients' side of new lines of published shout-outs. A shout-out counts once for each team
-- its new lines reach, unless a line it already had (from an earlier statement) reached it.
CREATE FUNCTION report_received_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tz text := (SELECT timezone FROM leaderboard_settings);
    teams uuid[]; days date[]; vals heart_value[]; sources shoutout_source[];
BEGIN
    WITH reached AS (
        SELECT DISTINCT i.shoutout_id, a.team, i.created_at, i.value, i.source
        FROM inserted i CROSS JOIN LATERAL unnest(team_ancestors(i.recipient_team_id)) AS a (team)
        WHERE i.status = 'published'
    ), earlier AS (
        SELECT r.shoutout_id, r.recipient_id, r.recipient_team_id FROM shoutout_recipients r
        WHERE r.shoutout_id IN (SELECT shoutout_id FROM reached)
        EXCEPT
        SELECT shoutout_id, recipient_id, recipient_team_id FROM inserted
    ), counted AS (
        SELECT DISTINCT e.shoutout_id, a.team
        FROM earlier e CROSS JOIN LATERAL unnest(team_ancestors(e.recipient_team_id)) AS a (team)
    )
    SELECT array_agg(n.team), array_agg((n.created_at AT TIME ZONE tz)::date),
           array_agg(n.value), array_agg(n.source)
    INTO teams, days, vals, sources
    FROM reached n
    WHERE NOT EXISTS (SELECT 1 FROM counted c WHERE c.shoutout_id = n.shoutout_id AND c.team = n.team);
    -- (An IF, not a WHERE: the planner folds array_fill's arguments even when nothing matches.)
    IF teams IS NOT NULL THEN
        PERFORM report_days_add(1::smallint, teams, days, vals, sources,
            array_fill(1, ARRAY[cardinality(teams)]));
    END IF;
    PERFORM report_months_add(1::smallint, array_agg(i.recipient_team_id),
        array_agg(date_trunc('month', i.created_at AT TIME ZONE tz)::date), array_agg(i.recipient_id),
        array_agg(i.value), array_agg(1), array_agg(ch.n))
    FROM inserted i
    CROSS JOIN LATERAL (SELECT count(*)::integer AS n FROM cheers c WHERE c.shoutout_id = i.shoutout_id) ch
    WHERE i.status = 'published' AND i.recipient_team_id IS NOT NULL;
    RETURN NULL;
END $$;

-- What a statement changed in published shout-outs (publishing, retraction, rejection, a
-- corrected value or date): the old version with -1, the new one with +1.
CREATE FUNCTION report_changes(old_rows shoutouts[], new_rows shoutouts[])
RETURNS TABLE (id uuid, giver_id uuid, giver_team_id uuid, at timestamptz, value heart_value,
               source shoutout_source, sign integer)
LANGUAGE sql STABLE AS $$
    SELECT o.id, o.giver_id, o.giver_team_id, o.created_at, o.value, o.source, -1
    FROM unnest(old_rows) o JOIN unnest(new_rows) n USING (id)
    WHERE o.status = 'published'
      AND (n.status <> 'published' OR n.value <> o.value OR n.created_at <> o.created_at
           OR n.source <> o.source OR n.giver_id IS DISTINCT FROM o.giver_id
           OR n.giver_team_id IS DISTINCT FROM o.giver_team_id)
    UNION ALL
    SELECT n.id, n.giver_id, n.giver_team_id, n.created_at, n.value, n.source, 1
    FROM unnest(old_rows) o JOIN unnest(new_rows) n USING (id)
    WHERE n.status = 'published'
      AND (o.status <> 'published' OR n.value <> o.value OR n.created_at <> o.created_at
           OR n.source <> o.source OR n.giver_id IS DISTINCT FROM o.giver_id
           OR n.giver_team_id IS DISTINCT FROM o.giver_team_id)
$$;

CREATE FUNCTION report_given_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tz text := (SELECT timezone FROM leaderboard_settings);
BEGIN
    PERFORM report_days_add(2::smallint, array_agg(a.team),
        array_agg((c.at AT TIME ZONE tz)::date), array_agg(c.value), array_agg(c.source),
        array_agg(c.sign))
    FROM report_changes(ARRAY(SELECT o::shoutouts FROM old_rows o), ARRAY(SELECT n::shoutouts FROM new_rows n)) c
    CROSS JOIN LATERAL unnest(team_ancestors(c.giver_team_id)) AS a (team)
    WHERE c.giver_id IS NOT NULL;
    PERFORM report_months_add(2::smallint, array_agg(c.giver_team_id),
        array_agg(date_trunc('month', c.at AT TIME ZONE tz)::date), array_agg(c.giver_id),
        array_agg(c.value), array_agg(c.sign), array_agg(0))
    FROM report_changes(ARRAY(SELECT o::shoutouts FROM old_rows o), ARRAY(SELECT n::shoutouts FROM new_rows n)) c
    WHERE c.giver_id IS NOT NULL AND c.giver_team_id IS NOT NULL;
    RETURN NULL;
END $$;

CREATE FUNCTION report_received_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tz text := (SELECT timezone FROM leaderboard_settings);
BEGIN
    -- Once per team reached, however many lines reach it.
    PERFORM report_days_add(1::smallint, array_agg(x.team), array_agg((x.at AT TIME ZONE tz)::date),
        array_agg(x.value), array_agg(x.source), array_agg(x.sign))
    FROM (
        SELECT DISTINCT c.id, c.sign, a.team, c.at, c.value, c.source
        FROM report_changes(ARRAY(SELECT o::shoutouts FROM old_rows o), ARRAY(SELECT n::shoutouts FROM new_rows n)) c
        JOIN shoutout_recipients r ON r.shoutout_id = c.id
        CROSS JOIN LATERAL unnest(team_ancestors(r.recipient_team_id)) AS a (team)
    ) x;
    PERFORM report_months_add(1::smallint, array_agg(r.recipient_team_id),
        array_agg(date_trunc('month', c.at AT TIME ZONE tz)::date), array_agg(r.recipient_id),
        array_agg(c.value), array_agg(c.sign), array_agg(c.sign * ch.n))
    FROM report_changes(ARRAY(SELECT o::shoutouts FROM old_rows o), ARRAY(SELECT n::shoutouts FROM new_rows n)) c
    JOIN shoutout_recipients r ON r.shoutout_id = c.id
    CROSS JOIN LATERAL (SELECT count(*)::integer AS n FROM cheers h WHERE h.shoutout_id = c.id) ch
    WHERE r.recipient_team_id IS NOT NULL;
    RETURN NULL;
END $$;

-- PostgreSQL fires the triggers of one event in name order. The tallies' triggers also take
-- givers' rows (`tally_shoutouts_*`, board 2) before recipients' rows (board 1 and 3), so the
-- givers' side here is named to fire before them and the recipients' side after them: every
-- writer, whatever it writes, then locks rows in the same order.
CREATE TRIGGER report_given_inserted AFTER INSERT ON shoutouts
REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION report_given_inserted();
CREATE TRIGGER report_given_updated AFTER UPDATE ON shoutouts
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION report_given_updated();
CREATE TRIGGER tally_then_report_received_inserted AFTER INSERT ON shoutout_recipients
REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION report_received_inserted();
CREATE TRIGGER tally_then_report_received_updated AFTER UPDATE ON shoutouts
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION report_received_updated();

-- Cheers count for the people a published shout-out thanked, in the month it was given.
CREATE FUNCTION report_cheers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tz text := (SELECT timezone FROM leaderboard_settings);
    delta integer := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    PERFORM report_months_add(1::smallint, array_agg(r.recipient_team_id),
        array_agg(date_trunc('month', r.created_at AT TIME ZONE tz)::date), array_agg(r.recipient_id),
        array_agg(r.value), array_agg(0), array_agg(delta * ch.n))
    FROM (SELECT shoutout_id, count(*)::integer AS n FROM changed GROUP BY shoutout_id) ch
    JOIN shoutout_recipients r ON r.shoutout_id = ch.shoutout_id
    WHERE r.status = 'published' AND r.recipient_team_id IS NOT NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER report_cheers_inserted AFTER INSERT ON cheers
REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION report_cheers_changed();
CREATE TRIGGER report_cheers_deleted AFTER DELETE ON cheers
REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION report_cheers_changed();

-- Recounts the day roll-up of every team from the raw tables.
CREATE FUNCTION report_count_days() RETURNS void LANGUAGE plpgsql AS $$
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

-- Adds (`p_sign` 1) or takes away (-1) what the subtree `p_subtree` counts for at each team of
-- `p_teams`, just after it was moved beneath them (1) or away from them (-1): all it gave, and
-- each shout-out that thanked someone in it unless that shout-out also thanked someone
-- elsewhere beneath the team (then it counts there either way). Reads the subtree's lines only.
CREATE FUNCTION report_move_subtree(p_subtree uuid[], p_teams uuid[], p_sign integer)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    tz text := (SELECT timezone FROM leaderboard_settings);
    teams uuid[]; days date[]; vals heart_value[]; sources shoutout_source[]; counts integer[];
BEGIN
    IF cardinality(p_teams) = 0 THEN
        RETURN;
    END IF;
    PERFORM report_days_add(2::smallint, array_agg(t.team), array_agg(g.day), array_agg(g.value),
        array_agg(g.source), array_agg(p_sign * g.n))
    FROM (
        SELECT (created_at AT TIME ZONE tz)::date AS day, value, source, count(*)::integer AS n
        FROM shoutouts
        WHERE status = 'published' AND giver_id IS NOT NULL AND giver_team_id = ANY(p_subtree)
        GROUP BY 1, 2, 3
    ) g
    CROSS JOIN unnest(p_teams) AS t (team);
    -- Every set here is read through the recipients' (team, time) index and joined by hashing:
    -- probing each moved shout-out's other lines one by one was twice as slow at 10M.
    WITH moved AS MATERIALIZED (
        SELECT DISTINCT shoutout_id, created_at, value, source FROM shoutout_recipients
        WHERE status = 'published' AND recipient_team_id = ANY(p_subtree)
    ), beneath AS MATERIALIZED (
        SELECT u.team,
               ARRAY(SELECT unnest(team_subtree(u.team)) EXCEPT SELECT unnest(p_subtree)) AS others
        FROM unnest(p_teams) AS u (team)
    ), elsewhere AS MATERIALIZED (
        SELECT DISTINCT b.team, o.shoutout_id
        FROM beneath b
        CROSS JOIN LATERAL (
            SELECT shoutout_id FROM shoutout_recipients
            WHERE status = 'published' AND recipient_team_id = ANY(b.others)
        ) o
    ), counted AS (
        SELECT b.team, (m.created_at AT TIME ZONE tz)::date AS day, m.value, m.source,
               count(*)::integer AS n
        FROM moved m CROSS JOIN beneath b
        WHERE NOT EXISTS (
            SELECT 1 FROM elsewhere e WHERE e.team = b.team AND e.shoutout_id = m.shoutout_id)
        GROUP BY 1, 2, 3, 4
    )
    SELECT array_agg(team), array_agg(day), array_agg(value), array_agg(source),
           array_agg(p_sign * n)
    INTO teams, days, vals, sources, counts
    FROM counted;
    IF teams IS NOT NULL THEN
        PERFORM report_days_add(1::smallint, teams, days, vals, sources, counts);
    END IF;
END $$;

-- A team moved: what its subtree counts for comes off the teams it left and goes on the teams
-- it joined (the teams above both keep it). Moving more than one team in a statement recounts
-- every team. Writers of shout-outs wait meanwhile, so nothing committed during the move is
-- counted twice or missed.
CREATE FUNCTION report_teams_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved integer;
    team uuid;
    before_chain uuid[];
    after_chain uuid[];
BEGIN
    SELECT count(*) INTO moved
    FROM old_rows o JOIN new_rows n USING (id)
    WHERE o.parent_id IS DISTINCT FROM n.parent_id;
    IF moved = 0 THEN
        RETURN NULL;
    END IF;
    LOCK TABLE shoutouts, shoutout_recipients IN SHARE ROW EXCLUSIVE MODE;
    IF moved > 1 THEN
        PERFORM report_count_days();
        RETURN NULL;
    END IF;
    SELECT n.id, team_ancestors(o.parent_id), team_ancestors(n.parent_id)
    INTO team, before_chain, after_chain
    FROM old_rows o JOIN new_rows n USING (id)
    WHERE o.parent_id IS DISTINCT FROM n.parent_id;
    PERFORM report_move_subtree(team_subtree(team),
        ARRAY(SELECT unnest(before_chain) EXCEPT SELECT unnest(after_chain)), -1);
    PERFORM report_move_subtree(team_subtree(team),
        ARRAY(SELECT unnest(after_chain) EXCEPT SELECT unnest(before_chain)), 1);
    RETURN NULL;
END $$;
CREATE TRIGGER report_teams_moved AFTER UPDATE ON teams
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION report_teams_moved();

-- Recounts both roll-ups from the raw tables: after the organisation's time zone changes, after
-- a bulk load with the triggers off, or to prove them right. Writers wait meanwhile.
CREATE FUNCTION report_rebuild() RETURNS void LANGUAGE plpgsql AS $$
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

SELECT report_rebuild();
