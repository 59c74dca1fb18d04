-- Back to migration 000034's erasure.
CREATE OR REPLACE FUNCTION erase_employee(target uuid, erased_by text) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    e employees%ROWTYPE;
    erased text[];
    stand_in text := 'erased:' || target::text;
    html_name text;
    value text;
BEGIN
    SELECT * INTO e FROM employees WHERE id = target FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF e.erased_at IS NOT NULL THEN
        RAISE EXCEPTION 'employee % is already erased', target
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'employees_already_erased';
    END IF;
    -- What identifies them; title and department are cleared on their row too, but are not
    -- hunted through other records (they are shared by many).
    erased := ARRAY[e.display_name, e.email, e.external_id, e.praise_handle, e.slack_user_id,
                    e.scim_external_id];
    -- And what they were called before: the trail's snapshots of their row remember it.
    erased := erased || ARRAY(
        SELECT DISTINCT v FROM audit_events a,
            LATERAL (VALUES (a.before), (a.after)) AS s (doc),
            LATERAL unnest(ARRAY[doc->>'display_name', doc->>'email', doc->>'external_id',
                                 doc->>'praise_handle', doc->>'slack_user_id',
                                 doc->>'scim_external_id']) AS v
        WHERE a.subject_id = target::text AND a.subject_type = 'employees'
          AND v IS NOT NULL AND v <> '[erased]');
    PERFORM set_config('shoutout.erasing', 'on', true);

    UPDATE employees SET
        display_name = 'Erased person',
        email = 'erased-' || target::text || '@erased.invalid',
        external_id = stand_in,
        praise_handle = new_praise_handle(),
        slack_user_id = NULL, title = NULL, department = NULL, scim_external_id = NULL,
        manager_id = NULL, active = false, erased_at = now(),
        scim_deleted_at = coalesce(scim_deleted_at, now()), updated_at = now()
    WHERE id = target;

    -- What they did is kept, as done by someone erased.
    UPDATE shoutouts SET retracted_by = stand_in WHERE retracted_by = e.external_id;
    UPDATE moderation_decisions SET decided_by = stand_in WHERE decided_by = e.external_id;
    UPDATE widget_keys SET created_by = stand_in WHERE created_by = e.external_id;
    UPDATE widget_keys SET revoked_by = stand_in WHERE revoked_by = e.external_id;
    UPDATE scim_tokens SET created_by = stand_in WHERE created_by = e.external_id;
    UPDATE scim_tokens SET revoked_by = stand_in WHERE revoked_by = e.external_id;
    UPDATE webhook_endpoints SET created_by = stand_in WHERE created_by = e.external_id;

    -- Copies made for delivery: cached answers go, frozen event data and mails lose the values.
    DELETE FROM idempotency_keys
    WHERE owner_id = target OR response_body::text LIKE '%' || target::text || '%';
    -- Events are locked in id order, as the mail fan-out locks them (`mark_mailed`): in scan
    -- order, an event rewritten since it was written (mailed, fanned out) comes after later
    -- ones, and an erasure holding a later event while waiting for an earlier one that the
    -- fan-out holds, while the fan-out waits for the later one, was a deadlock.
    UPDATE outbox_events SET payload = jsonb_redact(payload, erased, 'Erased person')
    WHERE id IN (SELECT id FROM outbox_events
                 WHERE payload::text LIKE '%' || target::text || '%'
                 ORDER BY id FOR UPDATE);
    DELETE FROM mail_messages WHERE employee_id = target OR lower(to_address) = lower(e.email);
    -- Other people's mails that name them (a manager's copy, a digest): the names go.
    FOREACH value IN ARRAY erased LOOP
        CONTINUE WHEN value IS NULL OR value = '';
        html_name := replace(replace(replace(replace(value, '&', '&amp;'), '<', '&lt;'),
                                     '>', '&gt;'), '"', '&quot;');
        UPDATE mail_messages SET
            subject = replace(subject, value, 'Erased person'),
            text_body = replace(text_body, value, 'Erased person'),
            html_body = replace(replace(html_body, value, 'Erased person'), html_name, 'Erased person'),
            dedupe_key = replace(dedupe_key, value, 'erased')
        WHERE strpos(subject || text_body || html_body || dedupe_key, value) > 0
           OR strpos(html_body, html_name) > 0;
    END LOOP;
    DELETE FROM mail_suppressions WHERE lower(address) = lower(e.email);
    DELETE FROM moderation_notices WHERE employee_id = target OR lower(address) = lower(e.email);
    DELETE FROM praise_budgets WHERE key IN (target::text, e.praise_handle);

    -- The audit trail: the values leave every event (this erasure's own update included).
    UPDATE audit_events a SET
        actor = CASE WHEN a.actor = e.external_id THEN stand_in ELSE a.actor END,
        before = jsonb_redact(a.before, erased, '[erased]'),
        after = jsonb_redact(a.after, erased, '[erased]')
    WHERE a.actor = e.external_id
       OR a.subject_id = target::text
       OR EXISTS (SELECT 1 FROM unnest(erased) v WHERE v IS NOT NULL AND v <> ''
                  AND (strpos(coalesce(a.before::text, ''), to_jsonb(v)::text) > 0
                       OR strpos(coalesce(a.after::text, ''), to_jsonb(v)::text) > 0));
    PERFORM set_config('shoutout.erasing', 'off', true);

    INSERT INTO audit_events (actor, action, subject_type, subject_id, before, after)
    VALUES (erased_by, 'employee.erased', 'employees', target::text, NULL,
            jsonb_build_object('erased', ARRAY['display_name', 'email', 'external_id',
                'praise_handle', 'slack_user_id', 'scim_external_id'],
                'cleared', ARRAY['title', 'department', 'manager_id']));
    RETURN ARRAY['display_name', 'email', 'external_id', 'praise_handle', 'slack_user_id',
                 'scim_external_id'];
END $$;
