-- Raising the day ceilings without counting the raw rows on most gives.
--
-- Each give counted its giver's and its recipients' rows of the day (`tally_raise_ceilings`,
-- migration day_ceilings): with pgbench on 100k shout-outs, 0.7-1.2 ms of a 6.7 ms give. Yet
-- nobody counts more in a day than in the week that holds it, and the week's count is already
-- at hand: the tally triggers, which fire first, have just written it (`tallies`, source 0,
-- every value). Where that count is not above the day's ceiling, neither is the day's, and the
-- ceiling stays as it is: most people give and are thanked a few times a week, far below a
-- day's most (9-13 gives at 10M shout-outs). Only the others are counted, as before.
--
-- The week row is as safe a bound as the count was. Of two writers of one person's day, the
-- later waited on that week row for the earlier to commit (`tally_apply` holds its lock to the
-- end of the transaction), so the week count it reads here holds both writers' rows, and the
-- ceiling it compares with holds whatever the earlier raised it to. A ceiling read before
-- another person's writer raised it is only lower: that costs a count, never a wrong skip.
ALTER FUNCTION tally_raise_ceilings(smallint, uuid[], timestamptz[])
    RENAME TO tally_count_ceilings;

CREATE FUNCTION tally_raise_ceilings(p_board smallint, p_subjects uuid[], p_at timestamptz[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    tz text := (SELECT timezone FROM leaderboard_settings);
    subjects uuid[];
    ats timestamptz[];
BEGIN
    IF p_subjects IS NULL THEN
        RETURN;
    END IF;
    SELECT array_agg(e.subject), array_agg(e.at) INTO subjects, ats
    FROM unnest(p_subjects, p_at) AS e (subject, at)
    CROSS JOIN LATERAL (SELECT (e.at AT TIME ZONE tz)::date AS day) local
    LEFT JOIN tally_day_ceilings c ON c.board = p_board AND c.day = local.day
    LEFT JOIN tallies t ON t.board = p_board AND t.bucket = tally_bucket(2, local.day)
        AND t.source = 0 AND t.subject_id = e.subject
    WHERE e.subject IS NOT NULL
      AND (c.most IS NULL OR t.total IS NULL OR t.total > c.most);
    IF subjects IS NOT NULL THEN
        PERFORM tally_count_ceilings(p_board, subjects, ats);
    END IF;
END $$;
