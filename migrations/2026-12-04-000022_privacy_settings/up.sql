-- Each person decides whether they appear on public boards and on walls. Hidden people still
-- count for their team, in their manager's report, and in their own standing.
ALTER TABLE employees
    ADD COLUMN show_on_boards boolean NOT NULL DEFAULT true,
    ADD COLUMN show_on_wall boolean NOT NULL DEFAULT true;
-- The few who opt out, found without reading everyone.
CREATE INDEX employees_hidden_on_boards ON employees (id) WHERE NOT show_on_boards;
CREATE INDEX employees_hidden_on_wall ON employees (id) WHERE NOT show_on_wall;
