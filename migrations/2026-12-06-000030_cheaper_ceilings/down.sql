DROP FUNCTION tally_raise_ceilings(smallint, uuid[], timestamptz[]);
ALTER FUNCTION tally_count_ceilings(smallint, uuid[], timestamptz[])
    RENAME TO tally_raise_ceilings;
