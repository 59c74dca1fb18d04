-- The ceilings' filter (000030) planned once per connection, not on every give.
--
-- PL/pgSQL keeps a statement's plan, but PostgreSQL re-plans it for each call's values until
-- a generic plan looks no dearer than those it made, and with the subjects and times passed as
-- arrays it never did: each give planned the filter's three-way join afresh, and the filter
-- cost 0.9 ms a call where counting every day cost 0.45 (pgbench, one client, the 100k set).
-- With the plan made once it costs 0.2 ms. Its one shape fits every call: a probe of the
-- ceiling and of the week row per written subject, through their primary keys, for one
-- subject or thousands (a bulk import). The count it calls for the few others runs under the
-- same setting: one index range per subject over the days written, whatever their number.
ALTER FUNCTION tally_raise_ceilings(smallint, uuid[], timestamptz[])
    SET plan_cache_mode = force_generic_plan;
