-- The directory: teams form a tree (department > team > ...), employees belong to at most one team.
-- Rows are never deleted: a leaver is deactivated so their history keeps its names.

CREATE TABLE teams (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    parent_id   uuid REFERENCES teams (id),
    manager_id  uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT teams_name_length CHECK (char_length(name) BETWEEN 1 AND 200 AND name = btrim(name)),
    CONSTRAINT teams_not_own_parent CHECK (parent_id <> id)
);

-- Sibling teams need distinct names (case-insensitively); top-level teams are siblings too.
CREATE UNIQUE INDEX teams_sibling_name_key
    ON teams (coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name));
CREATE INDEX teams_parent_idx ON teams (parent_id);

-- A move that would put a team beneath itself is refused here, not in the application, so two
-- concurrent moves (A under B, B under A) cannot close a loop between them: every re-parenting
-- takes the same transaction-scoped advisory lock before it looks at the tree.
CREATE FUNCTION teams_forbid_cycles() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.parent_id IS NULL THEN
        RETURN NEW;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('shoutout.teams.tree'));
    IF EXISTS (
        WITH RECURSIVE ancestors (id) AS (
            SELECT NEW.parent_id
            UNION
            SELECT t.parent_id FROM teams t JOIN ancestors a ON t.id = a.id
            WHERE t.parent_id IS NOT NULL
        )
        SELECT 1 FROM ancestors WHERE id = NEW.id
    ) THEN
        RAISE EXCEPTION 'team % cannot be placed beneath itself', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'teams_no_cycle';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER teams_no_cycle
    BEFORE UPDATE OF parent_id ON teams
    FOR EACH ROW
    WHEN (NEW.parent_id IS DISTINCT FROM OLD.parent_id)
    EXECUTE FUNCTION teams_forbid_cycles();

CREATE TABLE employees (
    id            uuid PRIMARY KEY,
    external_id   text NOT NULL,
    display_name  text NOT NULL,
    email         text NOT NULL,
    team_id       uuid REFERENCES teams (id),
    title         text,
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT employees_external_id_key UNIQUE (external_id),
    CONSTRAINT employees_external_id_length CHECK (char_length(external_id) BETWEEN 1 AND 200),
    CONSTRAINT employees_display_name_length
        CHECK (char_length(display_name) BETWEEN 1 AND 200 AND display_name = btrim(display_name)),
    CONSTRAINT employees_email_shape CHECK (char_length(email) BETWEEN 3 AND 320 AND email LIKE '%_@_%'),
    CONSTRAINT employees_title_length CHECK (char_length(title) BETWEEN 1 AND 200)
);

CREATE UNIQUE INDEX employees_email_key ON employees (lower(email));
CREATE INDEX employees_team_idx ON employees (team_id);
CREATE INDEX employees_name_idx ON employees (lower(display_name), id);

ALTER TABLE teams
    ADD CONSTRAINT teams_manager_id_fkey FOREIGN KEY (manager_id) REFERENCES employees (id);
CREATE INDEX teams_manager_idx ON teams (manager_id);
