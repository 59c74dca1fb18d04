DROP INDEX tallies_rank_total;
CREATE INDEX tallies_rank_total ON tallies (board, bucket, source, total DESC, sort_name, subject_id)
    INCLUDE (team_id) WHERE total > 0;
DROP INDEX tallies_rank_helping_others;
CREATE INDEX tallies_rank_helping_others ON tallies (board, bucket, source, helping_others DESC, sort_name, subject_id)
    INCLUDE (team_id) WHERE helping_others > 0;
DROP INDEX tallies_rank_exceeding_expectations;
CREATE INDEX tallies_rank_exceeding_expectations ON tallies (board, bucket, source, exceeding_expectations DESC, sort_name, subject_id)
    INCLUDE (team_id) WHERE exceeding_expectations > 0;
DROP INDEX tallies_rank_achieving_goals;
CREATE INDEX tallies_rank_achieving_goals ON tallies (board, bucket, source, achieving_goals DESC, sort_name, subject_id)
    INCLUDE (team_id) WHERE achieving_goals > 0;
DROP INDEX tallies_rank_responding_with_care;
CREATE INDEX tallies_rank_responding_with_care ON tallies (board, bucket, source, responding_with_care DESC, sort_name, subject_id)
    INCLUDE (team_id) WHERE responding_with_care > 0;
DROP INDEX tallies_rank_thriving_through_teamwork;
CREATE INDEX tallies_rank_thriving_through_teamwork ON tallies (board, bucket, source, thriving_through_teamwork DESC, sort_name, subject_id)
    INCLUDE (team_id) WHERE thriving_through_teamwork > 0;
DROP INDEX tallies_team_idx;
ALTER TABLE tallies DROP CONSTRAINT tallies_pkey,
    ADD CONSTRAINT tallies_pkey PRIMARY KEY (board, bucket, source, subject_id);
DROP FUNCTION team_subtree(uuid);
