ALTER TABLE tallies SET (fillfactor = 90);
ALTER INDEX tallies_rank_total RESET (fillfactor);
ALTER INDEX tallies_rank_helping_others RESET (fillfactor);
ALTER INDEX tallies_rank_exceeding_expectations RESET (fillfactor);
ALTER INDEX tallies_rank_achieving_goals RESET (fillfactor);
ALTER INDEX tallies_rank_responding_with_care RESET (fillfactor);
ALTER INDEX tallies_rank_thriving_through_teamwork RESET (fillfactor);
ALTER INDEX tallies_subject_idx RESET (fillfactor);
ALTER INDEX tallies_team_idx RESET (fillfactor);
