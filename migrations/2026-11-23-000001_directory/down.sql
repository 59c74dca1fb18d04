ALTER TABLE teams DROP CONSTRAINT teams_manager_id_fkey;
DROP TABLE employees;
DROP TRIGGER teams_no_cycle ON teams;
DROP FUNCTION teams_forbid_cycles();
DROP TABLE teams;
