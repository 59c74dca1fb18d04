-- What 4-byte keys for people and teams would save, measured on a loaded set (not part of the
-- service): each structure that names people or teams by uuid is built twice in a scratch
-- schema from the same rows, once as it is and once with an int4 number per person and team,
-- in the same order and with the same index options, and their sizes are compared. Both
-- copies are built fresh (indexes packed as CREATE INDEX leaves them), so the ratio is like
-- for like; the set's own indexes, grown row by row, are larger than either. The tallies are
-- built a third time, numbered in name order and without the name (see below).
--
--   psql -h $BENCH_DIR/pg-SIZE/run -U postgres -d shoutout -f bench/narrow_keys.sql
--
-- Writes nothing outside the schema `narrow_probe`, which it drops at the end.
\set ON_ERROR_STOP on
SET maintenance_work_mem = '2GB';
DROP SCHEMA IF EXISTS narrow_probe CASCADE;
CREATE SCHEMA narrow_probe;
SET search_path = narrow_probe, public;

CREATE TABLE person_no AS SELECT id, (row_number() OVER (ORDER BY id))::int4 AS no FROM public.employees;
CREATE UNIQUE INDEX ON person_no (id) INCLUDE (no);
CREATE TABLE team_no AS SELECT id, (row_number() OVER (ORDER BY id))::int4 AS no FROM public.teams;
CREATE UNIQUE INDEX ON team_no (id) INCLUDE (no);

-- The tallies (a team board's subject is a team).
CREATE TABLE tallies_uuid (LIKE public.tallies) WITH (fillfactor = 100);
INSERT INTO tallies_uuid SELECT * FROM public.tallies ORDER BY board, bucket, source, subject_id;
CREATE TABLE tallies_int (board int2, bucket int4, source int2, subject_no int4, team_no int4,
    sort_name text, total int4, helping_others int4, exceeding_expectations int4,
    achieving_goals int4, responding_with_care int4, thriving_through_teamwork int4)
    WITH (fillfactor = 100);
INSERT INTO tallies_int
SELECT t.board, t.bucket, t.source,
       CASE WHEN t.board = 3 THEN (SELECT no FROM team_no WHERE id = t.subject_id)
            ELSE (SELECT no FROM person_no WHERE id = t.subject_id) END,
       (SELECT no FROM team_no WHERE id = t.team_id), t.sort_name, t.total, t.helping_others,
       t.exceeding_expectations, t.achieving_goals, t.responding_with_care,
       t.thriving_through_teamwork
FROM public.tallies t ORDER BY board, bucket, source, subject_id;
ALTER TABLE tallies_uuid ADD CONSTRAINT tallies_uuid_pkey PRIMARY KEY (board, bucket, source, subject_id);
ALTER TABLE tallies_int ADD CONSTRAINT tallies_int_pkey PRIMARY KEY (board, bucket, source, subject_no);
CREATE UNIQUE INDEX tallies_int_pkey_ff100 ON tallies_int (board, bucket, source, subject_no) WITH (fillfactor = 100);
CREATE INDEX tallies_uuid_rank_total ON tallies_uuid (board, bucket, source, total DESC, sort_name, subject_id) WITH (fillfactor = 100) WHERE total > 0;
CREATE INDEX tallies_int_rank_total ON tallies_int (board, bucket, source, total DESC, sort_name, subject_no) WITH (fillfactor = 100) WHERE total > 0;
CREATE INDEX tallies_uuid_rank_helping_others ON tallies_uuid (board, bucket, source, helping_others DESC, sort_name, subject_id) WITH (fillfactor = 100) WHERE helping_others > 0;
CREATE INDEX tallies_int_rank_helping_others ON tallies_int (board, bucket, source, helping_others DESC, sort_name, subject_no) WITH (fillfactor = 100) WHERE helping_others > 0;
CREATE INDEX tallies_uuid_team ON tallies_uuid (board, bucket, source, team_id) WITH (fillfactor = 100) WHERE team_id IS NOT NULL;
CREATE INDEX tallies_int_team ON tallies_int (board, bucket, source, team_no) WITH (fillfactor = 100) WHERE team_no IS NOT NULL;
CREATE INDEX tallies_uuid_subject ON tallies_uuid (subject_id) WITH (fillfactor = 100);
CREATE INDEX tallies_int_subject ON tallies_int (subject_no) WITH (fillfactor = 100);

-- A third copy of the tallies, numbered in name order: each person's (and team's) int4 is
-- their place in the boards' tie order (name, then id), so the number alone orders a tie and
-- the rankings need no name. (Renaming someone, or hiring between two numbers with no gap
-- left, would renumber them and their rows: what this saves decides whether that is worth
-- designing.)
CREATE TABLE person_ord AS
    SELECT id, (row_number() OVER (ORDER BY display_name, id))::int4 AS ord FROM public.employees;
CREATE UNIQUE INDEX ON person_ord (id) INCLUDE (ord);
CREATE TABLE team_ord AS
    SELECT id, (row_number() OVER (ORDER BY name, id))::int4 AS ord FROM public.teams;
CREATE UNIQUE INDEX ON team_ord (id) INCLUDE (ord);
CREATE TABLE tallies_ord (board int2, bucket int4, source int2, subject_ord int4, team_no int4,
    total int4, helping_others int4, exceeding_expectations int4, achieving_goals int4,
    responding_with_care int4, thriving_through_teamwork int4)
    WITH (fillfactor = 100);
INSERT INTO tallies_ord
SELECT t.board, t.bucket, t.source,
       CASE WHEN t.board = 3 THEN (SELECT ord FROM team_ord WHERE id = t.subject_id)
            ELSE (SELECT ord FROM person_ord WHERE id = t.subject_id) END,
       (SELECT no FROM team_no WHERE id = t.team_id), t.total, t.helping_others,
       t.exceeding_expectations, t.achieving_goals, t.responding_with_care,
       t.thriving_through_teamwork
FROM public.tallies t ORDER BY board, bucket, source, subject_id;
ALTER TABLE tallies_ord ADD CONSTRAINT tallies_ord_pkey PRIMARY KEY (board, bucket, source, subject_ord);
CREATE INDEX tallies_ord_rank_total ON tallies_ord (board, bucket, source, total DESC, subject_ord) WITH (fillfactor = 100) WHERE total > 0;
CREATE INDEX tallies_ord_rank_helping_others ON tallies_ord (board, bucket, source, helping_others DESC, subject_ord) WITH (fillfactor = 100) WHERE helping_others > 0;
CREATE INDEX tallies_ord_team ON tallies_ord (board, bucket, source, team_no) WITH (fillfactor = 100) WHERE team_no IS NOT NULL;
CREATE INDEX tallies_ord_subject ON tallies_ord (subject_ord) WITH (fillfactor = 100);

-- A fourth copy: the keys stay uuids (so the raw lines, which the boards add to the tallies at
-- a span's edges, need no translation) and only the name gives way to its place in name order
-- (`name_no`; people of one name share it, and the uuid still breaks their tie). Columns in the
-- order a new table would have them (uuids, then int4s, then int2s), which wastes no padding.
CREATE TABLE tallies_named (subject_id uuid, team_id uuid, bucket int4, name_no int4,
    total int4, helping_others int4, exceeding_expectations int4, achieving_goals int4,
    responding_with_care int4, thriving_through_teamwork int4, board int2, source int2)
    WITH (fillfactor = 100);
CREATE TABLE person_name_no AS
    SELECT id, (dense_rank() OVER (ORDER BY display_name))::int4 AS no FROM public.employees;
CREATE UNIQUE INDEX ON person_name_no (id) INCLUDE (no);
CREATE TABLE team_name_no AS
    SELECT id, (dense_rank() OVER (ORDER BY name))::int4 AS no FROM public.teams;
CREATE UNIQUE INDEX ON team_name_no (id) INCLUDE (no);
INSERT INTO tallies_named
SELECT t.subject_id, t.team_id, t.bucket,
       CASE WHEN t.board = 3 THEN (SELECT no FROM team_name_no WHERE id = t.subject_id)
            ELSE (SELECT no FROM person_name_no WHERE id = t.subject_id) END,
       t.total, t.helping_others, t.exceeding_expectations, t.achieving_goals,
       t.responding_with_care, t.thriving_through_teamwork, t.board, t.source
FROM public.tallies t ORDER BY board, bucket, source, subject_id;
ALTER TABLE tallies_named ADD CONSTRAINT tallies_named_pkey PRIMARY KEY (board, bucket, source, subject_id);
CREATE INDEX tallies_named_rank_total ON tallies_named (board, bucket, source, total DESC, name_no, subject_id) WITH (fillfactor = 100) WHERE total > 0;
CREATE INDEX tallies_named_rank_helping_others ON tallies_named (board, bucket, source, helping_others DESC, name_no, subject_id) WITH (fillfactor = 100) WHERE helping_others > 0;
CREATE INDEX tallies_named_team ON tallies_named (board, bucket, source, team_id) WITH (fillfactor = 100) WHERE team_id IS NOT NULL;
CREATE INDEX tallies_named_subject ON tallies_named (subject_id) WITH (fillfactor = 100);

-- The recipients' lines; the int copy also without the giver (which only the "not thanking
-- oneself" check reads, and the shout-out holds).
CREATE TABLE recipients_uuid AS SELECT * FROM public.shoutout_recipients ORDER BY created_at;
CREATE TABLE recipients_int AS
SELECT r.shoutout_id, p.no AS recipient_no, tm.no AS recipient_team_no, r.created_at, r.value,
       r.source, r.status
FROM public.shoutout_recipients r JOIN person_no p ON p.id = r.recipient_id
LEFT JOIN team_no tm ON tm.id = r.recipient_team_id ORDER BY r.created_at;
ALTER TABLE recipients_uuid ADD CONSTRAINT recipients_uuid_pkey PRIMARY KEY (shoutout_id, recipient_id);
ALTER TABLE recipients_int ADD CONSTRAINT recipients_int_pkey PRIMARY KEY (shoutout_id, recipient_no);
CREATE INDEX recipients_uuid_by_recipient ON recipients_uuid (recipient_id, created_at DESC) INCLUDE (value, source, status, shoutout_id);
CREATE INDEX recipients_int_by_recipient ON recipients_int (recipient_no, created_at DESC) INCLUDE (value, source, status, shoutout_id);
CREATE INDEX recipients_uuid_day ON recipients_uuid (created_at) INCLUDE (recipient_id, recipient_team_id, value, source) WHERE status = 'published';
CREATE INDEX recipients_int_day ON recipients_int (created_at) INCLUDE (recipient_no, recipient_team_no, value, source) WHERE status = 'published';
CREATE INDEX recipients_uuid_team ON recipients_uuid (recipient_team_id, created_at) INCLUDE (shoutout_id, recipient_id, value, source) WHERE status = 'published';
CREATE INDEX recipients_int_team ON recipients_int (recipient_team_no, created_at) INCLUDE (shoutout_id, recipient_no, value, source) WHERE status = 'published';

-- The shout-outs (their own id stays a uuid: the API names them by it).
CREATE TABLE shoutouts_uuid AS SELECT * FROM public.shoutouts ORDER BY created_at;
CREATE TABLE shoutouts_int AS
SELECT s.id, s.source, g.no AS giver_no, s.customer_name, s.value, s.message, s.status,
       s.created_at, s.retracted_at, s.retracted_by, tm.no AS giver_team_no, s.visibility
FROM public.shoutouts s LEFT JOIN person_no g ON g.id = s.giver_id
LEFT JOIN team_no tm ON tm.id = s.giver_team_id ORDER BY s.created_at;
CREATE INDEX shoutouts_uuid_feed ON shoutouts_uuid (created_at, id) INCLUDE (giver_id, value, source) WHERE status = 'published';
CREATE INDEX shoutouts_int_feed ON shoutouts_int (created_at, id) INCLUDE (giver_no, value, source) WHERE status = 'published';
CREATE INDEX shoutouts_uuid_giver ON shoutouts_uuid (giver_id, created_at DESC);
CREATE INDEX shoutouts_int_giver ON shoutouts_int (giver_no, created_at DESC);
CREATE INDEX shoutouts_uuid_giver_team ON shoutouts_uuid (giver_team_id, created_at) INCLUDE (giver_id) WHERE status = 'published';
CREATE INDEX shoutouts_int_giver_team ON shoutouts_int (giver_team_no, created_at) INCLUDE (giver_no) WHERE status = 'published';

-- The report roll-ups.
CREATE TABLE person_months_uuid AS SELECT * FROM public.report_person_months ORDER BY team_id, month, person_id, side;
CREATE TABLE person_months_int AS
SELECT tm.no AS team_no, m.month, p.no AS person_no, m.side, m.helping_others,
       m.exceeding_expectations, m.achieving_goals, m.responding_with_care,
       m.thriving_through_teamwork, m.cheers
FROM public.report_person_months m JOIN team_no tm ON tm.id = m.team_id
JOIN person_no p ON p.id = m.person_id ORDER BY 1, 2, 3, 4;
ALTER TABLE person_months_uuid ADD CONSTRAINT person_months_uuid_pkey PRIMARY KEY (team_id, month, person_id, side)
    INCLUDE (helping_others, exceeding_expectations, achieving_goals, responding_with_care, thriving_through_teamwork, cheers);
ALTER TABLE person_months_int ADD CONSTRAINT person_months_int_pkey PRIMARY KEY (team_no, month, person_no, side)
    INCLUDE (helping_others, exceeding_expectations, achieving_goals, responding_with_care, thriving_through_teamwork, cheers);
CREATE TABLE team_days_uuid AS SELECT * FROM public.report_team_days ORDER BY team_id, day, side;
CREATE TABLE team_days_int AS
SELECT tm.no AS team_no, d.day, d.side, d.staff_helping_others, d.staff_exceeding_expectations,
       d.staff_achieving_goals, d.staff_responding_with_care, d.staff_thriving_through_teamwork,
       d.customer_helping_others, d.customer_exceeding_expectations, d.customer_achieving_goals,
       d.customer_responding_with_care, d.customer_thriving_through_teamwork
FROM public.report_team_days d JOIN team_no tm ON tm.id = d.team_id ORDER BY 1, 2, 3;
ALTER TABLE team_days_uuid ADD CONSTRAINT team_days_uuid_pkey PRIMARY KEY (team_id, day, side);
ALTER TABLE team_days_int ADD CONSTRAINT team_days_int_pkey PRIMARY KEY (team_no, day, side);

-- Each structure: bytes per shout-out as uuid, as int4 and (the tallies) numbered in name
-- order, and the ratios to uuid.
WITH sizes AS (
    SELECT c.relname, pg_relation_size(c.oid) AS bytes FROM pg_class c
    WHERE c.relnamespace = 'narrow_probe'::regnamespace AND c.relkind IN ('r', 'i')
      AND c.relname NOT LIKE 'person_no%' AND c.relname NOT LIKE 'team_no%'
      AND c.relname NOT LIKE 'person_ord%' AND c.relname NOT LIKE 'team_ord%'
      AND c.relname NOT LIKE 'person_name_no%' AND c.relname NOT LIKE 'team_name_no%'
), n AS (SELECT count(*)::numeric AS n FROM public.shoutouts)
SELECT replace(u.relname, '_uuid', '') AS structure,
       round(u.bytes / n.n, 1) AS uuid_b, round(i.bytes / n.n, 1) AS int_b,
       round(i.bytes::numeric / u.bytes, 3) AS int_ratio,
       round(o.bytes / n.n, 1) AS name_ordered_b, round(o.bytes::numeric / u.bytes, 3) AS name_ordered_ratio,
       round(m.bytes / n.n, 1) AS name_no_b, round(m.bytes::numeric / u.bytes, 3) AS name_no_ratio
FROM sizes u JOIN sizes i ON i.relname = replace(u.relname, '_uuid', '_int')
LEFT JOIN sizes o ON o.relname = replace(u.relname, '_uuid', '_ord')
LEFT JOIN sizes m ON m.relname = replace(u.relname, '_uuid', '_named'), n
WHERE u.relname LIKE '%\_uuid%'
UNION ALL
SELECT 'tallies_pkey at fillfactor 100', round(u.bytes / n.n, 1), round(i.bytes / n.n, 1),
       round(i.bytes::numeric / u.bytes, 3), NULL, NULL, NULL, NULL
FROM sizes u, sizes i, n WHERE u.relname = 'tallies_int_pkey' AND i.relname = 'tallies_int_pkey_ff100'
ORDER BY 1;

RESET search_path;
DROP SCHEMA narrow_probe CASCADE;
