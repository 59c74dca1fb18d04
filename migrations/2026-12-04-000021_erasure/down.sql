DROP FUNCTION erase_employee(uuid, text);
DROP FUNCTION jsonb_redact(jsonb, text[], text);
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only'
        USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'audit_events_append_only';
END $$;
ALTER TABLE employees DROP CONSTRAINT employees_erased_inactive, DROP COLUMN erased_at;
