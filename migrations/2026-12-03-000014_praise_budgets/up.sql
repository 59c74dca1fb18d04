-- Customer praise rate limits shared by every instance: per client (address or /64) and per
-- employee, hourly windows, weighed as a sliding hour (the previous window counts for the part
-- of it still inside the last hour). Taken in the same transaction as the praise is stored, so a
-- refused or failed submission uses nothing, and the row lock makes racing instances count one
-- after the other. Unlogged: a crash forgets the counts (a fresh hour for everyone), which is
-- cheaper than logging every increment and harmless for a limit.
CREATE UNLOGGED TABLE praise_budgets (
    scope text NOT NULL CHECK (scope IN ('address', 'employee')),
    key text NOT NULL CHECK (char_length(key) BETWEEN 1 AND 64),
    window_start timestamptz NOT NULL,
    used integer NOT NULL CHECK (used > 0),
    PRIMARY KEY (scope, key, window_start)
);
