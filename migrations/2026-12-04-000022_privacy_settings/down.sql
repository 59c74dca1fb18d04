DROP INDEX employees_hidden_on_wall;
DROP INDEX employees_hidden_on_boards;
ALTER TABLE employees DROP COLUMN show_on_wall, DROP COLUMN show_on_boards;
