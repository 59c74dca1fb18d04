-- Tallies packed full: the heap and its indexes were left a tenth empty for updates that
-- never use the room.
--
-- The heap's fillfactor of 90 kept space on each page for HOT updates, but every update of a
-- tally changes a count that a ranking index holds, so none is HOT (pg_stat_user_tables on
-- the benchmark's 100k set: 99,534 updates, 0 HOT). B-trees leave a tenth of each leaf free
-- when built (their default of 90), yet a tally's index entries only move while its bucket
-- is current: a week's once the week is over, a month's once it is over. The past, nearly all
-- of the rows, never changes, and the few current buckets split pages as they would anyway.
--
-- The primary key keeps the default: a recount adds it back from `pg_get_constraintdef`,
-- which does not carry an index's options, so a setting here would last only to the next one
-- (a tenth of 99 bytes a shout-out at 10M).
--
-- These settings take hold as pages are written: a recount (`tally_rebuild()`, which builds
-- the indexes again from the catalogue's definitions, options included) packs the whole
-- table, so a large database gains the space at its next recount, not in this migration.
ALTER TABLE tallies SET (fillfactor = 100);
ALTER INDEX tallies_rank_total SET (fillfactor = 100);
ALTER INDEX tallies_rank_helping_others SET (fillfactor = 100);
ALTER INDEX tallies_rank_exceeding_expectations SET (fillfactor = 100);
ALTER INDEX tallies_rank_achieving_goals SET (fillfactor = 100);
ALTER INDEX tallies_rank_responding_with_care SET (fillfactor = 100);
ALTER INDEX tallies_rank_thriving_through_teamwork SET (fillfactor = 100);
ALTER INDEX tallies_subject_idx SET (fillfactor = 100);
ALTER INDEX tallies_team_idx SET (fillfactor = 100);
