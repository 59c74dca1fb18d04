DROP FUNCTION team_subtree(uuid);
