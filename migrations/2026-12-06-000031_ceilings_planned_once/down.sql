ALTER FUNCTION tally_raise_ceilings(smallint, uuid[], timestamptz[]) RESET plan_cache_mode;
