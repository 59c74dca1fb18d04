ALTER TABLE tallies DROP CONSTRAINT tallies_pkey,
    ADD CONSTRAINT tallies_pkey PRIMARY KEY (board, bucket, source, subject_id);
DROP FUNCTION team_subtree(uuid);
