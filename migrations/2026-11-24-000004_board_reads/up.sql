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

-- A board filtered by team reads that team's rows alone (a department is ~1% of a bucket)
-- instead of walking or summing the whole bucket: everything such a board needs is here.
CREATE INDEX tallies_team_idx ON tallies (board, bucket, source, team_id)
    INCLUDE (subject_id, sort_name, total, helping_others, exceeding_expectations,
             achieving_goals, responding_with_care, thriving_through_teamwork)
    WHERE team_id IS NOT NULL;

-- A board page is a walk down a ranking index; with every count carried in the index, the
-- walk never visits the heap (at 10M shout-outs the heap is far larger than the cache, and
-- those visits were most of a page's time and nearly all of its variance).
DROP INDEX tallies_rank_total;
CREATE INDEX tallies_rank_total ON tallies (board, bucket, source, total DESC, sort_name, subject_id)
    INCLUDE (team_id, helping_others, exceeding_expectations, achieving_goals, responding_with_care, thriving_through_teamwork) WHERE total > 0;
DROP INDEX tallies_rank_helping_others;
CREATE INDEX tallies_rank_helping_others ON tallies (board, bucket, source, helping_others DESC, sort_name, subject_id)
    INCLUDE (team_id, total, exceeding_expectations, achieving_goals, responding_with_care, thriving_through_teamwork) WHERE helping_others > 0;
DROP INDEX tallies_rank_exceeding_expectations;
CREATE INDEX tallies_rank_exceeding_expectations ON tallies (board, bucket, source, exceeding_expectations DESC, sort_name, subject_id)
    INCLUDE (team_id, total, helping_others, achieving_goals, responding_with_care, thriving_through_teamwork) WHERE exceeding_expectations > 0;
DROP INDEX tallies_rank_achieving_goals;
CREATE INDEX tallies_rank_achieving_goals ON tallies (board, bucket, source, achieving_goals DESC, sort_name, subject_id)
    INCLUDE (team_id, total, helping_others, exceeding_expectations, responding_with_care, thriving_through_teamwork) WHERE achieving_goals > 0;
DROP INDEX tallies_rank_responding_with_care;
CREATE INDEX tallies_rank_responding_with_care ON tallies (board, bucket, source, responding_with_care DESC, sort_name, subject_id)
    INCLUDE (team_id, total, helping_others, exceeding_expectations, achieving_goals, thriving_through_teamwork) WHERE responding_with_care > 0;
DROP INDEX tallies_rank_thriving_through_teamwork;
CREATE INDEX tallies_rank_thriving_through_teamwork ON tallies (board, bucket, source, thriving_through_teamwork DESC, sort_name, subject_id)
    INCLUDE (team_id, total, helping_others, exceeding_expectations, achieving_goals, responding_with_care) WHERE thriving_through_teamwork > 0;
