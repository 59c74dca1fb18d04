-- What 4-byte keys for people would do to the time of adding up a span for everyone (not part
-- of the service). A standing on a summed board adds up every subject's span; auto_explain put
-- half of such a statement at 10M in hashing the tally rows into per-person sums (the rest is
-- reading the ranking index). This copies the rows such a sum reads (one board, source 0, the
-- month buckets of `months` months from `first_month`) into two temporary tables, one keyed by
-- the person's uuid and one by an int4 numbered in the boards' tie order (name, then id), and
-- times the same GROUP BY over each, five times in turn.
--
--   psql -h $BENCH_DIR/pg-SIZE/run -U postgres -d shoutout -f bench/narrow_sums.sql \
--        [-v board=1] [-v first_month=2026-09-01] [-v months=3]
--
-- Writes nothing but temporary tables.
\set ON_ERROR_STOP on
\if :{?board} \else \set board 1 \endif
\if :{?first_month} \else \set first_month 2026-09-01 \endif
\if :{?months} \else \set months 3 \endif
CREATE TEMP TABLE sums_uuid AS
SELECT t.bucket, t.subject_id, t.total FROM tallies t
WHERE t.board = :board AND t.source = 0
  AND t.bucket IN (SELECT tally_bucket(3, m::date)
                   FROM generate_series(:'first_month'::date,
                                        :'first_month'::date + (:months - 1) * interval '1 month',
                                        interval '1 month') AS m);
CREATE TEMP TABLE person_no AS
SELECT id, (row_number() OVER (ORDER BY display_name, id))::int4 AS no FROM employees;
CREATE TEMP TABLE sums_int AS
SELECT s.bucket, p.no AS subject, s.total FROM sums_uuid s JOIN person_no p ON p.id = s.subject_id;
VACUUM ANALYZE sums_uuid;
VACUUM ANALYZE sums_int;
SELECT count(*) AS rows, count(DISTINCT subject_id) AS people FROM sums_uuid;
\timing on
SELECT count(*) AS uuid_sums FROM (SELECT subject_id, sum(total) FROM sums_uuid GROUP BY 1) x;
SELECT count(*) AS int4_sums FROM (SELECT subject, sum(total) FROM sums_int GROUP BY 1) x;
SELECT count(*) AS uuid_sums FROM (SELECT subject_id, sum(total) FROM sums_uuid GROUP BY 1) x;
SELECT count(*) AS int4_sums FROM (SELECT subject, sum(total) FROM sums_int GROUP BY 1) x;
SELECT count(*) AS uuid_sums FROM (SELECT subject_id, sum(total) FROM sums_uuid GROUP BY 1) x;
SELECT count(*) AS int4_sums FROM (SELECT subject, sum(total) FROM sums_int GROUP BY 1) x;
SELECT count(*) AS uuid_sums FROM (SELECT subject_id, sum(total) FROM sums_uuid GROUP BY 1) x;
SELECT count(*) AS int4_sums FROM (SELECT subject, sum(total) FROM sums_int GROUP BY 1) x;
SELECT count(*) AS uuid_sums FROM (SELECT subject_id, sum(total) FROM sums_uuid GROUP BY 1) x;
SELECT count(*) AS int4_sums FROM (SELECT subject, sum(total) FROM sums_int GROUP BY 1) x;
