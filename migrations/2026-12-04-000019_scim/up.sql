-- SCIM 2.0 provisioning: the identity provider keeps the directory in step. A SCIM User is an
-- employee (userName = external_id), a SCIM Group is a team.

-- Bearer tokens an identity provider presents; only a SHA-256 of each is kept.
CREATE TABLE scim_tokens (
    id uuid PRIMARY KEY,
    name text NOT NULL CONSTRAINT scim_tokens_name CHECK (char_length(name) BETWEEN 1 AND 100),
    token_hash bytea NOT NULL CONSTRAINT scim_tokens_token_hash_key UNIQUE,
    token_prefix text NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz,
    revoked_by text
);

-- What the identity provider says of a person beyond the directory's own columns: its own id
-- for them (SCIM `externalId`), their department and manager (the enterprise extension). A
-- person the provider deleted keeps their row (their shout-outs are history): they are
-- inactive and no longer a SCIM resource, until the provider creates the same userName again.
ALTER TABLE employees
    ADD COLUMN scim_external_id text
        CONSTRAINT employees_scim_external_id_length CHECK (char_length(scim_external_id) BETWEEN 1 AND 255),
    ADD COLUMN department text
        CONSTRAINT employees_department_length CHECK (char_length(department) BETWEEN 1 AND 200),
    ADD COLUMN manager_id uuid REFERENCES employees (id) ON DELETE SET NULL
        CONSTRAINT employees_manager_not_self CHECK (manager_id <> id),
    ADD COLUMN scim_deleted_at timestamptz,
    ADD CONSTRAINT employees_scim_deleted_inactive CHECK (scim_deleted_at IS NULL OR NOT active);
CREATE INDEX employees_manager_idx ON employees (manager_id) WHERE manager_id IS NOT NULL;

-- Teams get an id of the source system (a SCIM Group's `externalId`, an HR system's code).
-- A team the provider deleted that still has history stays, out of SCIM and emptied.
ALTER TABLE teams
    ADD COLUMN external_id text
        CONSTRAINT teams_external_id_length CHECK (char_length(external_id) BETWEEN 1 AND 255),
    ADD COLUMN scim_deleted_at timestamptz;
CREATE UNIQUE INDEX teams_external_id_key ON teams (external_id);
-- A removed team's name is free again for a new one beside it.
DROP INDEX teams_sibling_name_key;
CREATE UNIQUE INDEX teams_sibling_name_key
    ON teams (coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), lower(name))
    WHERE scim_deleted_at IS NULL;

-- Minting and revoking tokens is in the audit trail (without the hash).
CREATE FUNCTION audit_scim_tokens() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - ARRAY['token_hash', 'last_used_at'] END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - ARRAY['token_hash', 'last_used_at'] END;
    verb text;
BEGIN
    IF TG_OP = 'UPDATE' AND old_row = new_row THEN
        RETURN NULL;  -- only the last use changed
    END IF;
    verb := CASE
        WHEN TG_OP = 'INSERT' THEN 'scim_token.minted'
        WHEN TG_OP = 'DELETE' THEN 'scim_token.deleted'
        WHEN OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL THEN 'scim_token.revoked'
        ELSE 'scim_token.updated' END;
    INSERT INTO audit_events (actor, action, subject_type, subject_id, before, after)
    VALUES (coalesce(nullif(current_setting('shoutout.actor', true), ''), 'database:' || session_user),
            verb, TG_TABLE_NAME, coalesce(NEW.id, OLD.id)::text, old_row, new_row);
    RETURN NULL;
END $$;
CREATE TRIGGER audit_scim_tokens AFTER INSERT OR UPDATE OR DELETE ON scim_tokens
FOR EACH ROW EXECUTE FUNCTION audit_scim_tokens();
