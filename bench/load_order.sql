-- What the order rows arrive in does to the indexes of shoutouts and shoutout_recipients.
-- The benchmark loads rows in random time order (COPY, indexes in place); a live service writes
-- them in time order. Each table is copied into a scratch schema with the same indexes in place,
-- in time order, row by row, and the sizes printed beside the loaded set's. Run with psql
-- against a loaded set (bench/results/2026-12-07-load-order.md); it drops its schema at the end.

DROP SCHEMA IF EXISTS ord CASCADE; CREATE SCHEMA ord;
CREATE TABLE ord.shoutouts (LIKE public.shoutouts);
CREATE TABLE ord.shoutout_recipients (LIKE public.shoutout_recipients);
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def, indrelid::regclass::text AS tbl
           FROM pg_index WHERE indrelid IN ('public.shoutouts'::regclass, 'public.shoutout_recipients'::regclass) LOOP
    EXECUTE replace(replace(replace(r.def, 'ON public.shoutouts ', 'ON ord.shoutouts '), 'ON public.shoutout_recipients ', 'ON ord.shoutout_recipients '), 'INDEX ' || r.name, 'INDEX ord_' || r.name);
  END LOOP;
END $$;
INSERT INTO ord.shoutouts SELECT * FROM public.shoutouts ORDER BY created_at, id;
INSERT INTO ord.shoutout_recipients SELECT * FROM public.shoutout_recipients ORDER BY created_at, shoutout_id, recipient_id;
SELECT regexp_replace(c.relname, '^ord_', '') AS structure,
       round(sum(pg_relation_size(c.oid)) FILTER (WHERE n.nspname = 'public') / s.n, 1) AS loaded,
       round(sum(pg_relation_size(c.oid)) FILTER (WHERE n.nspname = 'ord') / s.n, 1) AS time_order
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN (SELECT count(*) AS n FROM public.shoutouts) s
WHERE c.relkind IN ('r', 'i')
  AND ((n.nspname = 'ord') OR (n.nspname = 'public' AND (c.relname IN ('shoutouts', 'shoutout_recipients')
       OR c.oid IN (SELECT indexrelid FROM pg_index WHERE indrelid IN ('public.shoutouts'::regclass, 'public.shoutout_recipients'::regclass)))))
GROUP BY 1, s.n ORDER BY 1;
DROP SCHEMA ord CASCADE;
