-- A team and everything beneath it, as one array. Board reads call it inside their own
-- statement, as `= ANY((SELECT team_subtree($n))::uuid[])` (a one-off InitPlan), so that a
-- board filtered by team costs one round trip, not a lookup and then the board. PL/pgSQL,
-- not SQL: it keeps the recursive query's plan for the session instead of planning it on
-- every call.
CREATE FUNCTION team_subtree(root uuid) RETURNS uuid[]
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
BEGIN
    RETURN ARRAY(
        WITH RECURSIVE subtree (id) AS (
            SELECT id FROM teams WHERE id = root
            UNION
            SELECT t.id FROM teams t JOIN subtree s ON t.parent_id = s.id
        )
        SELECT id FROM subtree
    );
END $$;

-- Boards that add up several buckets read every row of each bucket, and a bucket's rows lie
-- scattered over the heap (one page each, for the most part). A primary key that carries the
-- counts answers them from the index alone. It costs no extra index on writes: a count
-- changes a ranking index, so updates are never HOT and rewrite the key entry anyway.
ALTER TABLE tallies DROP CONSTRAINT tallies_pkey,
    ADD CONSTRAINT tallies_pkey PRIMARY KEY (board, bucket, source, subject_id)
    INCLUDE (team_id, total, helping_others, exceeding_expectations, achieving_goals,
             responding_with_care, thriving_through_teamwork);
