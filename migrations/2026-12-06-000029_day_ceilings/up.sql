-- The most anyone counts in one day, per people's board: what bounds a span's edge days.
--
-- A span that does not start and end on a bucket's edges adds a few days from the raw rows
-- (`tiles_through` in src/domain/period.rs). The threshold algorithm (`top_by_threshold` in
-- src/models/tallies.rs) bounded what someone not yet seen may count in those days by the
-- week that holds them: the count at the depth it read that week's ranking to. On the givers'
-- board, where most people give once or twice a week, that bound is about a page's last
-- count, so the algorithm seldom settled and the board added up everyone (the givers' 7-day
-- spans at 10M shout-outs, slower than the naive GROUP BY). What one person gives in a single
-- day is far less than what they give in a week.
--
-- A ceiling may be above the truth (it never comes down: a retraction leaves it as it was,
-- and a bound only has to be high enough) but never below it. Every writer of a person's day
-- first updates that person's week row in `tallies` (`tally_apply`, from the tally triggers),
-- which holds its row lock to the end of the transaction; these triggers are named to fire
-- after those (statement triggers fire in the order of their names), and each counts the
-- person's day in a statement of its own, so of two writers of one person's day the later
-- waited for the earlier to commit and counts its row. Raising a ceiling locks its row; a
-- writer whose count is not above it reads it and moves on, so the day's writers do not queue
-- behind each other.
--
-- Every source, value and team: a bound for any filter. Boards 1 (recipients) and 2
-- (givers); the teams board adds up its days (it has too few subjects for the bound to pay).
CREATE TABLE tally_day_ceilings (
    board smallint NOT NULL CHECK (board IN (1, 2)),
    -- A day in the leaderboards' zone (`leaderboard_settings.timezone`), as the tallies.
    day date NOT NULL,
    most integer NOT NULL CHECK (most > 0),
    PRIMARY KEY (board, day)
);

-- Raises the ceilings of the days `p_at` (instants) for the subjects `p_subjects` of board
-- `p_board`, counting each subject's published rows of the day.
CREATE FUNCTION tally_raise_ceilings(p_board smallint, p_subjects uuid[], p_at timestamptz[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    tz text := (SELECT timezone FROM leaderboard_settings);
    subjects uuid[];
    first_at timestamptz;
    last_at timestamptz;
    days date[];
    mosts integer[];
BEGIN
    IF p_subjects IS NULL THEN
        RETURN;
    END IF;
    -- A statement of its own, after the tally triggers': it sees every row committed by
    -- those who held this subject's week row first (see the note at the top).
    -- One pass over the subjects' rows of those days (a probe per subject and day would be
    -- planned blind inside a trigger, and a bulk insert would scan a table per row).
    SELECT array_agg(DISTINCT e.subject), min(e.at), max(e.at)
    INTO subjects, first_at, last_at
    FROM unnest(p_subjects, p_at) AS e (subject, at) WHERE e.subject IS NOT NULL;
    first_at := (first_at AT TIME ZONE tz)::date::timestamp AT TIME ZONE tz;
    last_at := ((last_at AT TIME ZONE tz)::date + 1)::timestamp AT TIME ZONE tz;
    SELECT array_agg(c.day), array_agg(c.most) INTO days, mosts
    FROM (
        SELECT n.day, max(n.n)::integer AS most
        FROM (
            SELECT s.giver_id AS subject, (s.created_at AT TIME ZONE tz)::date AS day,
                   count(*) AS n
            FROM shoutouts s
            WHERE p_board = 2 AND s.giver_id = ANY(subjects) AND s.status = 'published'
              AND s.created_at >= first_at AND s.created_at < last_at
            GROUP BY 1, 2
            UNION ALL
            SELECT r.recipient_id, (r.created_at AT TIME ZONE tz)::date, count(*)
            FROM shoutout_recipients r
            WHERE p_board = 1 AND r.recipient_id = ANY(subjects) AND r.status = 'published'
              AND r.created_at >= first_at AND r.created_at < last_at
            GROUP BY 1, 2
        ) n
        -- Only the days each subject was written on (a subject's other days in the range
        -- are someone else's business, and were counted when they were written).
        WHERE (n.subject, n.day) IN (
            SELECT e.subject, (e.at AT TIME ZONE tz)::date
            FROM unnest(p_subjects, p_at) AS e (subject, at)
        )
        GROUP BY n.day
    ) c;
    IF days IS NULL THEN
        RETURN;
    END IF;
    -- A day's first ceiling. Only the day's first writers get this far (the others see its
    -- row); of two at once, the second waits for the first and does nothing...
    INSERT INTO tally_day_ceilings (board, day, most)
    SELECT p_board, c.day, c.most FROM unnest(days, mosts) AS c (day, most)
    WHERE NOT EXISTS (SELECT 1 FROM tally_day_ceilings t WHERE t.board = p_board AND t.day = c.day)
    ON CONFLICT (board, day) DO NOTHING;
    -- ...and raises it here, in a statement that sees the first one's row. Only a higher count
    -- locks the row (and, if another writer raised it meanwhile, is checked again against
    -- what that writer left).
    UPDATE tally_day_ceilings t SET most = c.most
    FROM unnest(days, mosts) AS c (day, most)
    WHERE t.board = p_board AND t.day = c.day AND t.most < c.most;
END $$;

-- The writers: every path that publishes a thanks, as the tally triggers.
CREATE FUNCTION tally_shoutouts_inserted_ceilings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tally_raise_ceilings(2::smallint, array_agg(giver_id), array_agg(created_at))
    FROM inserted WHERE status = 'published' AND giver_id IS NOT NULL;
    RETURN NULL;
END $$;

CREATE TRIGGER tally_shoutouts_inserted_ceilings AFTER INSERT ON shoutouts
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION tally_shoutouts_inserted_ceilings();

-- (A recipient line carries its shout-out's time and status: `shoutout_recipients_created_at`.)
CREATE FUNCTION tally_recipients_inserted_ceilings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tally_raise_ceilings(1::smallint, array_agg(recipient_id), array_agg(created_at))
    FROM inserted WHERE status = 'published';
    RETURN NULL;
END $$;

CREATE TRIGGER tally_recipients_inserted_ceilings AFTER INSERT ON shoutout_recipients
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION tally_recipients_inserted_ceilings();

-- Published later (moderation), moved in time or given another giver: counted again. The
-- recipient lines already follow (`shoutouts_follow_created_at` is a row trigger, and row
-- triggers run before statement triggers).
CREATE FUNCTION tally_shoutouts_updated_ceilings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tally_raise_ceilings(2::smallint, array_agg(n.giver_id), array_agg(n.created_at))
    FROM old_rows o JOIN new_rows n USING (id)
    WHERE n.status = 'published' AND n.giver_id IS NOT NULL
      AND (o.status <> 'published' OR n.created_at <> o.created_at
           OR n.giver_id IS DISTINCT FROM o.giver_id);
    PERFORM tally_raise_ceilings(1::smallint, array_agg(r.recipient_id), array_agg(n.created_at))
    FROM old_rows o JOIN new_rows n USING (id)
    JOIN shoutout_recipients r ON r.shoutout_id = n.id
    WHERE n.status = 'published'
      AND (o.status <> 'published' OR n.created_at <> o.created_at);
    RETURN NULL;
END $$;

CREATE TRIGGER tally_shoutouts_updated_ceilings AFTER UPDATE ON shoutouts
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION tally_shoutouts_updated_ceilings();

-- Every ceiling counted afresh from the raw rows (a new zone moves every day's edges).
CREATE FUNCTION tally_ceilings_fill() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    tz text := (SELECT timezone FROM leaderboard_settings);
BEGIN
    DELETE FROM tally_day_ceilings;
    INSERT INTO tally_day_ceilings (board, day, most)
    SELECT c.board, c.day, max(c.n)::integer
    FROM (
        SELECT 2::smallint AS board, s.giver_id AS subject,
               (s.created_at AT TIME ZONE tz)::date AS day, count(*) AS n
        FROM shoutouts s WHERE s.status = 'published' AND s.giver_id IS NOT NULL
        GROUP BY 1, 2, 3
        UNION ALL
        SELECT 1::smallint, r.recipient_id, (r.created_at AT TIME ZONE tz)::date, count(*)
        FROM shoutout_recipients r WHERE r.status = 'published'
        GROUP BY 1, 2, 3
    ) c
    GROUP BY c.board, c.day;
END $$;

SELECT tally_ceilings_fill();

-- A rebuild of the tallies (a new zone, a bulk load) counts the ceilings too.
ALTER FUNCTION tally_rebuild() RENAME TO tally_rebuild_counts;

CREATE FUNCTION tally_rebuild() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tally_rebuild_counts();
    PERFORM tally_ceilings_fill();
END $$;
