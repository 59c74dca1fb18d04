-- Leaderboards that answer in milliseconds at millions of shout-outs.
--
-- The raw tables stay the truth. `tallies` holds, for every board (recipients, givers, teams),
-- every period bucket (each day, ISO week, month, quarter and year in the organisation's time
-- zone, all time, and each campaign), a count per person or team, split by value. Triggers on
-- the raw tables keep it exact in the same transaction as each write: a published shout-out
-- adds one to each of its recipients (and to its giver and to each recipient's team), a
-- retraction or rejection takes it away again, whatever path wrote it (API, import, moderation).
-- Rows are per (bucket, person), so writes for different people never touch the same row.

-- Which team a recipient was in when thanked: team boards and reports count people where they
-- were, not where they are now.
ALTER TABLE shoutout_recipients ADD COLUMN recipient_team_id uuid REFERENCES teams (id);
UPDATE shoutout_recipients r SET recipient_team_id = e.team_id
FROM employees e WHERE e.id = r.recipient_id;

CREATE FUNCTION shoutout_recipients_fill_team() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.recipient_team_id IS NULL THEN
        NEW.recipient_team_id := (SELECT team_id FROM employees WHERE id = NEW.recipient_id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER shoutout_recipients_fill_team BEFORE INSERT ON shoutout_recipients
FOR EACH ROW EXECUTE FUNCTION shoutout_recipients_fill_team();

-- The zone the buckets were cut in. The service keeps it equal to SHOUTOUT_TIMEZONE and
-- rebuilds the tallies when it changes (see `tally_rebuild`).
CREATE TABLE leaderboard_settings (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    timezone   text NOT NULL
);
INSERT INTO leaderboard_settings (timezone) VALUES ('UTC');

-- Named date ranges with boards of their own, e.g. "Customer Service Week 2026". Dates are
-- calendar days in the organisation's zone, both ends included.
CREATE TABLE campaigns (
    id          uuid PRIMARY KEY,
    -- The campaign's tally bucket is 100000000 + bucket_no (see `tally_buckets`).
    bucket_no   integer GENERATED ALWAYS AS IDENTITY UNIQUE,
    name        text NOT NULL,
    starts_on   date NOT NULL,
    ends_on     date NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT campaigns_name_length CHECK (char_length(name) BETWEEN 1 AND 200 AND name = btrim(name)),
    CONSTRAINT campaigns_dates_ordered CHECK (ends_on >= starts_on),
    CONSTRAINT campaigns_at_most_a_year CHECK (ends_on - starts_on < 366)
);
CREATE UNIQUE INDEX campaigns_name_key ON campaigns (lower(name));
CREATE INDEX campaigns_dates_idx ON campaigns (starts_on, ends_on);

-- board: 1 recipients, 2 givers, 3 teams. source: 0 every source, 2 customers only (the staff
-- board is "every source minus customers"). bucket: kind * 1000000 + days from 1900-01-01 to
-- the period's first day, kind 1 day, 2 ISO week, 3 month, 4 quarter, 5 year, 6 all time (day
-- 0); campaigns are 100000000 + campaigns.bucket_no.
CREATE TABLE tallies (
    board                      smallint NOT NULL,
    bucket                     integer NOT NULL,
    source                     smallint NOT NULL,
    subject_id                 uuid NOT NULL,
    -- For people, their current team (for the `team_id` filter); for teams, the team itself.
    team_id                    uuid,
    -- Ties are ranked by name; kept here so the ranking index alone orders a board.
    sort_name                  text NOT NULL,
    total                      integer NOT NULL,
    helping_others             integer NOT NULL,
    exceeding_expectations     integer NOT NULL,
    achieving_goals            integer NOT NULL,
    responding_with_care       integer NOT NULL,
    thriving_through_teamwork  integer NOT NULL,
    PRIMARY KEY (board, bucket, source, subject_id)
) WITH (fillfactor = 90);

-- One ranking index per way of counting: a board page is a short walk down one of these.
CREATE INDEX tallies_rank_total ON tallies (board, bucket, source, total DESC, sort_name, subject_id)
    INCLUDE (team_id) WHERE total > 0;
CREATE INDEX tallies_rank_helping_others ON tallies
    (board, bucket, source, helping_others DESC, sort_name, subject_id) INCLUDE (team_id)
    WHERE helping_others > 0;
CREATE INDEX tallies_rank_exceeding_expectations ON tallies
    (board, bucket, source, exceeding_expectations DESC, sort_name, subject_id) INCLUDE (team_id)
    WHERE exceeding_expectations > 0;
CREATE INDEX tallies_rank_achieving_goals ON tallies
    (board, bucket, source, achieving_goals DESC, sort_name, subject_id) INCLUDE (team_id)
    WHERE achieving_goals > 0;
CREATE INDEX tallies_rank_responding_with_care ON tallies
    (board, bucket, source, responding_with_care DESC, sort_name, subject_id) INCLUDE (team_id)
    WHERE responding_with_care > 0;
CREATE INDEX tallies_rank_thriving_through_teamwork ON tallies
    (board, bucket, source, thriving_through_teamwork DESC, sort_name, subject_id) INCLUDE (team_id)
    WHERE thriving_through_teamwork > 0;
-- Renames and moves update a person's rows.
CREATE INDEX tallies_subject_idx ON tallies (subject_id);

-- The bucket of the period of `kind` (1 day .. 6 all time) that a local day falls in. The
-- service computes the same numbers when it reads (src/leaderboards/period.rs).
CREATE FUNCTION tally_bucket(kind integer, day date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT kind * 1000000 + CASE kind
        WHEN 1 THEN day - DATE '1900-01-01'
        WHEN 2 THEN date_trunc('week', day::timestamp)::date - DATE '1900-01-01'
        WHEN 3 THEN date_trunc('month', day::timestamp)::date - DATE '1900-01-01'
        WHEN 4 THEN date_trunc('quarter', day::timestamp)::date - DATE '1900-01-01'
        WHEN 5 THEN date_trunc('year', day::timestamp)::date - DATE '1900-01-01'
        ELSE 0
    END
$$;

-- Every bucket a local day counts in: its day, week, month, quarter, year, all time, and the
-- campaigns that include it.
CREATE FUNCTION tally_buckets(day date) RETURNS integer[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT ARRAY[tally_bucket(1, day), tally_bucket(2, day), tally_bucket(3, day),
                 tally_bucket(4, day), tally_bucket(5, day), 6000000]
        || ARRAY(SELECT 100000000 + c.bucket_no FROM campaigns c
                 WHERE day BETWEEN c.starts_on AND c.ends_on ORDER BY c.bucket_no)
$$;

-- Adds signed counts to one board. Each event is a subject (person or team), when the
-- shout-out was given, its value, whether a customer gave it, and +1 or -1. Rows are created
-- on first use and updated in key order, so concurrent writers never deadlock on them.
CREATE FUNCTION tally_apply(
    p_board smallint, p_subjects uuid[], p_at timestamptz[], p_values heart_value[],
    p_customer boolean[], p_signs integer[]
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    tz text := (SELECT timezone FROM leaderboard_settings);
BEGIN
    INSERT INTO tallies AS t (board, bucket, source, subject_id, team_id, sort_name, total,
        helping_others, exceeding_expectations, achieving_goals, responding_with_care,
        thriving_through_teamwork)
    SELECT p_board, d.bucket, d.source, d.subject, n.team_id, n.name, d.total, d.h, d.e, d.a,
        d.r, d.t
    FROM (
        SELECT b.bucket, s.source, e.subject,
            sum(e.sign)::integer AS total,
            coalesce(sum(e.sign) FILTER (WHERE e.value = 'helping_others'), 0)::integer AS h,
            coalesce(sum(e.sign) FILTER (WHERE e.value = 'exceeding_expectations'), 0)::integer AS e,
            coalesce(sum(e.sign) FILTER (WHERE e.value = 'achieving_goals'), 0)::integer AS a,
            coalesce(sum(e.sign) FILTER (WHERE e.value = 'responding_with_care'), 0)::integer AS r,
            coalesce(sum(e.sign) FILTER (WHERE e.value = 'thriving_through_teamwork'), 0)::integer AS t
        FROM unnest(p_subjects, p_at, p_values, p_customer, p_signs)
            AS e (subject, at, value, customer, sign)
        CROSS JOIN LATERAL (SELECT (e.at AT TIME ZONE tz)::date AS day) local
        CROSS JOIN LATERAL unnest(tally_buckets(local.day)) AS b (bucket)
        CROSS JOIN LATERAL (VALUES (0::smallint), (CASE WHEN e.customer THEN 2::smallint END))
            AS s (source)
        WHERE e.subject IS NOT NULL AND s.source IS NOT NULL
        GROUP BY b.bucket, s.source, e.subject
    ) d
    CROSS JOIN LATERAL (
        SELECT em.team_id, em.display_name AS name FROM employees em
        WHERE p_board <> 3 AND em.id = d.subject
        UNION ALL
        SELECT tm.id, tm.name FROM teams tm WHERE p_board = 3 AND tm.id = d.subject
    ) n
    ORDER BY d.bucket, d.source, d.subject
    ON CONFLICT (board, bucket, source, subject_id) DO UPDATE SET
        total = t.total + excluded.total,
        helping_others = t.helping_others + excluded.helping_others,
        exceeding_expectations = t.exceeding_expectations + excluded.exceeding_expectations,
        achieving_goals = t.achieving_goals + excluded.achieving_goals,
        responding_with_care = t.responding_with_care + excluded.responding_with_care,
        thriving_through_teamwork = t.thriving_through_teamwork + excluded.thriving_through_teamwork;
END $$;

-- Statement-level triggers see every row a statement wrote (an import writes thousands at
-- once) and count them in one pass.
CREATE FUNCTION tally_shoutouts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tally_apply(2::smallint,
        array_agg(giver_id), array_agg(created_at), array_agg(value),
        array_agg(source = 'customer'), array_agg(1))
    FROM inserted WHERE status = 'published' AND giver_id IS NOT NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER tally_shoutouts_inserted AFTER INSERT ON shoutouts
REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION tally_shoutouts_inserted();

CREATE FUNCTION tally_recipients_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM tally_apply(1::smallint,
        array_agg(r.recipient_id), array_agg(s.created_at), array_agg(s.value),
        array_agg(s.source = 'customer'), array_agg(1))
    FROM inserted r JOIN shoutouts s ON s.id = r.shoutout_id WHERE s.status = 'published';
    PERFORM tally_apply(3::smallint,
        array_agg(r.recipient_team_id), array_agg(s.created_at), array_agg(s.value),
        array_agg(s.source = 'customer'), array_agg(1))
    FROM inserted r JOIN shoutouts s ON s.id = r.shoutout_id
    WHERE s.status = 'published' AND r.recipient_team_id IS NOT NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER tally_recipients_inserted AFTER INSERT ON shoutout_recipients
REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION tally_recipients_inserted();

-- Publishing (approval), retraction, rejection, or a corrected value or date: take the old
-- version off the boards and put the new one on.
CREATE FUNCTION tally_shoutouts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids uuid[]; givers uuid[]; ats timestamptz[]; vals heart_value[]; customers boolean[];
    signs integer[];
BEGIN
    SELECT array_agg(c.id), array_agg(c.giver_id), array_agg(c.at), array_agg(c.value),
           array_agg(c.customer), array_agg(c.sign)
    INTO ids, givers, ats, vals, customers, signs
    FROM (
        SELECT o.id, o.giver_id, o.created_at AS at, o.value, o.source = 'customer' AS customer,
               -1 AS sign
        FROM old_rows o JOIN new_rows n USING (id)
        WHERE o.status = 'published'
          AND (n.status <> 'published' OR n.value <> o.value OR n.created_at <> o.created_at
               OR n.source <> o.source OR n.giver_id IS DISTINCT FROM o.giver_id)
        UNION ALL
        SELECT n.id, n.giver_id, n.created_at, n.value, n.source = 'customer', 1
        FROM old_rows o JOIN new_rows n USING (id)
        WHERE n.status = 'published'
          AND (o.status <> 'published' OR n.value <> o.value OR n.created_at <> o.created_at
               OR n.source <> o.source OR n.giver_id IS DISTINCT FROM o.giver_id)
    ) c;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM tally_apply(2::smallint, givers, ats, vals, customers, signs);
    PERFORM tally_apply(1::smallint, array_agg(r.recipient_id), array_agg(c.at),
        array_agg(c.value), array_agg(c.customer), array_agg(c.sign))
    FROM unnest(ids, ats, vals, customers, signs) AS c (id, at, value, customer, sign)
    JOIN shoutout_recipients r ON r.shoutout_id = c.id;
    PERFORM tally_apply(3::smallint, array_agg(r.recipient_team_id), array_agg(c.at),
        array_agg(c.value), array_agg(c.customer), array_agg(c.sign))
    FROM unnest(ids, ats, vals, customers, signs) AS c (id, at, value, customer, sign)
    JOIN shoutout_recipients r ON r.shoutout_id = c.id;
    RETURN NULL;
END $$;
CREATE TRIGGER tally_shoutouts_updated AFTER UPDATE ON shoutouts
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION tally_shoutouts_updated();

-- What has been counted is never deleted or rewritten underneath the boards: retract instead,
-- and correct recipients only while a shout-out is not yet published.
CREATE FUNCTION shoutouts_guard_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'shoutouts' THEN
        IF OLD.status = 'published' THEN
            RAISE EXCEPTION 'a published shout-out cannot be deleted; retract it'
                USING ERRCODE = 'check_violation', CONSTRAINT = 'shoutouts_published_kept';
        END IF;
    ELSIF EXISTS (SELECT 1 FROM shoutouts WHERE id = OLD.shoutout_id AND status = 'published') THEN
        RAISE EXCEPTION 'the recipients of a published shout-out cannot change'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'shoutout_recipients_published_kept';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER shoutouts_guard_published BEFORE DELETE ON shoutouts
FOR EACH ROW EXECUTE FUNCTION shoutouts_guard_published();
CREATE TRIGGER shoutout_recipients_guard_published BEFORE DELETE OR UPDATE ON shoutout_recipients
FOR EACH ROW EXECUTE FUNCTION shoutouts_guard_published();

-- Names and teams shown on (and filtering) the boards follow the directory.
CREATE FUNCTION tally_follow_employee() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tallies SET sort_name = NEW.display_name, team_id = NEW.team_id
    WHERE subject_id = NEW.id AND board IN (1, 2);
    RETURN NULL;
END $$;
CREATE TRIGGER tally_follow_employee AFTER UPDATE OF display_name, team_id ON employees
FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name
                   OR OLD.team_id IS DISTINCT FROM NEW.team_id)
EXECUTE FUNCTION tally_follow_employee();

CREATE FUNCTION tally_follow_team() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tallies SET sort_name = NEW.name WHERE subject_id = NEW.id AND board = 3;
    RETURN NULL;
END $$;
CREATE TRIGGER tally_follow_team AFTER UPDATE OF name ON teams
FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name)
EXECUTE FUNCTION tally_follow_team();

-- Counts the raw tables into one kind of bucket (1 day .. 6 all time, 7 campaigns), or into
-- one campaign's bucket. Used to rebuild and to backfill a new campaign.
CREATE FUNCTION tally_fill(p_kind integer, p_campaign uuid DEFAULT NULL) RETURNS void
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
            SELECT 1::smallint, r.recipient_id, sh.created_at, sh.value, sh.source = 'customer'
            FROM shoutout_recipients r JOIN shoutouts sh ON sh.id = r.shoutout_id
            WHERE sh.status = 'published'
              AND sh.created_at >= since AND sh.created_at < until
            UNION ALL
            SELECT 3::smallint, r.recipient_team_id, sh.created_at, sh.value,
                   sh.source = 'customer'
            FROM shoutout_recipients r JOIN shoutouts sh ON sh.id = r.shoutout_id
            WHERE sh.status = 'published' AND r.recipient_team_id IS NOT NULL
              AND sh.created_at >= since AND sh.created_at < until
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

-- Recounts every board from the raw tables: after the organisation's time zone changes, after
-- a bulk load with the triggers off, or to prove the tallies right. Writers wait meanwhile.
CREATE FUNCTION tally_rebuild() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    definitions text[];
    definition text;
    key_name text;
    key_definition text;
BEGIN
    LOCK TABLE shoutouts, shoutout_recipients, campaigns IN SHARE MODE;
    TRUNCATE tallies;
    -- Filling an unindexed table and then building each index in one sort is many times
    -- faster than keeping eight indexes up to date row by row. The definitions are read back
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
    FOR kind IN 1..7 LOOP
        PERFORM tally_fill(kind);
    END LOOP;
    EXECUTE format('ALTER TABLE tallies ADD CONSTRAINT %I %s', key_name, key_definition);
    FOREACH definition IN ARRAY coalesce(definitions, '{}') LOOP
        EXECUTE definition;
    END LOOP;
END $$;
