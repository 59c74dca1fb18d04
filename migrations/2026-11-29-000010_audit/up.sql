-- The audit trail: who changed what, when, with the row before and after. Written by triggers,
-- so every path that changes an audited row is recorded (the API, an import, moderation, or
-- someone with psql), in the same transaction as the change. The API sets the actor for its
-- transaction (`SET LOCAL shoutout.actor`); a change made without one is recorded as made by
-- the database role that made it.
CREATE TABLE audit_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor         text NOT NULL,
    action        text NOT NULL,
    subject_type  text NOT NULL,
    subject_id    text NOT NULL,
    before        jsonb,
    after         jsonb,
    CONSTRAINT audit_events_has_a_state CHECK (before IS NOT NULL OR after IS NOT NULL)
);
CREATE INDEX audit_events_subject_idx ON audit_events (subject_id, id);
CREATE INDEX audit_events_action_idx ON audit_events (action, id);

-- Append-only: nothing rewrites or removes what happened.
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only'
        USING ERRCODE = 'insufficient_privilege', CONSTRAINT = 'audit_events_append_only';
END $$;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- A row as the trail keeps it: secrets and bookkeeping left out, a customer's e-mail address
-- reduced to whether there is one (an erasure must not survive in the trail).
CREATE FUNCTION audit_snapshot(row_json jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN row_json IS NULL THEN NULL ELSE
        (row_json - ARRAY['key_hash', 'updated_at', 'message_hash', 'dedupe_until', 'customer_email'])
        || CASE WHEN row_json ? 'customer_email'
                THEN jsonb_build_object('has_customer_email', row_json->>'customer_email' IS NOT NULL)
                ELSE '{}'::jsonb END
    END
$$;

CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN audit_snapshot(to_jsonb(OLD)) END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN audit_snapshot(to_jsonb(NEW)) END;
    verb text;
    subject text;
BEGIN
    IF TG_OP = 'UPDATE' AND old_row = new_row THEN
        RETURN NULL;  -- an upsert that changed nothing
    END IF;
    subject := coalesce(new_row, old_row) ->> CASE TG_TABLE_NAME
        WHEN 'customer_praise' THEN 'shoutout_id' ELSE 'id' END;
    verb := CASE TG_TABLE_NAME
        WHEN 'shoutouts' THEN CASE
            WHEN old_row->>'status' = new_row->>'status' THEN 'shoutout.corrected'
            WHEN new_row->>'status' = 'retracted' THEN 'shoutout.retracted'
            WHEN old_row->>'status' = 'pending' AND new_row->>'status' = 'published' THEN 'shoutout.approved'
            WHEN new_row->>'status' = 'rejected' THEN 'shoutout.rejected'
            ELSE 'shoutout.status_changed' END
        WHEN 'customer_praise' THEN CASE
            WHEN (old_row->>'has_customer_email')::boolean
                 AND NOT (new_row->>'has_customer_email')::boolean THEN 'customer_email.erased'
            ELSE 'customer_praise.corrected' END
        WHEN 'employees' THEN CASE
            WHEN TG_OP = 'INSERT' THEN 'employee.created'
            WHEN TG_OP = 'DELETE' THEN 'employee.deleted'
            WHEN old_row->>'praise_handle' IS DISTINCT FROM new_row->>'praise_handle'
                 AND (old_row - 'praise_handle') = (new_row - 'praise_handle') THEN 'praise_handle.rotated'
            ELSE 'employee.updated' END
        WHEN 'teams' THEN 'team.' || CASE TG_OP WHEN 'INSERT' THEN 'created'
            WHEN 'DELETE' THEN 'deleted' ELSE 'updated' END
        WHEN 'widget_keys' THEN CASE
            WHEN TG_OP = 'INSERT' THEN 'widget_key.minted'
            WHEN old_row->>'revoked_at' IS NULL AND new_row->>'revoked_at' IS NOT NULL THEN 'widget_key.revoked'
            ELSE 'widget_key.updated' END
        WHEN 'campaigns' THEN 'campaign.' || CASE TG_OP WHEN 'INSERT' THEN 'created'
            WHEN 'DELETE' THEN 'deleted' ELSE 'updated' END
    END;
    INSERT INTO audit_events (actor, action, subject_type, subject_id, before, after)
    VALUES (
        coalesce(nullif(current_setting('shoutout.actor', true), ''), 'database:' || session_user),
        verb, TG_TABLE_NAME, subject, old_row, new_row
    );
    RETURN NULL;
END $$;

CREATE TRIGGER audit_shoutouts AFTER UPDATE ON shoutouts
FOR EACH ROW EXECUTE FUNCTION audit_row();
CREATE TRIGGER audit_customer_praise AFTER UPDATE ON customer_praise
FOR EACH ROW EXECUTE FUNCTION audit_row();
CREATE TRIGGER audit_employees AFTER INSERT OR UPDATE OR DELETE ON employees
FOR EACH ROW EXECUTE FUNCTION audit_row();
CREATE TRIGGER audit_teams AFTER INSERT OR UPDATE OR DELETE ON teams
FOR EACH ROW EXECUTE FUNCTION audit_row();
CREATE TRIGGER audit_widget_keys AFTER INSERT OR UPDATE OR DELETE ON widget_keys
FOR EACH ROW EXECUTE FUNCTION audit_row();
CREATE TRIGGER audit_campaigns AFTER INSERT OR UPDATE OR DELETE ON campaigns
FOR EACH ROW EXECUTE FUNCTION audit_row();
