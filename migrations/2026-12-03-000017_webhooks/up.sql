-- Reach: every recognition event is written to an outbox in the same transaction as the change
-- that causes it (by triggers, so no path that changes a shout-out can forget), then fanned out
-- to the webhook endpoints that want it and delivered by workers in every service instance.

-- Who someone is in Slack, so that a slash command knows who gives and whom they thank.
ALTER TABLE employees ADD COLUMN slack_user_id text;
ALTER TABLE employees ADD CONSTRAINT employees_slack_user_id_form
    CHECK (slack_user_id ~ '^[UW][A-Z0-9]{2,30}$');
CREATE UNIQUE INDEX employees_slack_user_id_key ON employees (slack_user_id)
    WHERE slack_user_id IS NOT NULL;

-- Where events go. The signing secret must be kept readable (it signs every delivery); it is
-- shown once, when made or rotated, and never listed. During a rotation the previous secret
-- also signs, until `previous_secret_until`.
CREATE TABLE webhook_endpoints (
    id                     uuid PRIMARY KEY,
    url                    text NOT NULL,
    events                 text[] NOT NULL,
    format                 text NOT NULL,
    filter_team_id         uuid REFERENCES teams (id),
    filter_values          heart_value[],
    filter_sources         shoutout_source[],
    description            text,
    secret                 text NOT NULL,
    previous_secret        text,
    previous_secret_until  timestamptz,
    enabled                boolean NOT NULL DEFAULT true,
    disabled_at            timestamptz,
    disabled_reason        text,
    -- The first failure of the current run of failures (cleared by a success).
    failing_since          timestamptz,
    -- Deliveries to one endpoint go in order: after a failure nothing is sent to it before then.
    next_attempt_at        timestamptz NOT NULL DEFAULT now(),
    -- A worker's claim on the endpoint; another may take it once it lapses (the worker died).
    leased_until           timestamptz,
    lease_owner            uuid,
    created_by             text NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_endpoints_url_length CHECK (char_length(url) BETWEEN 8 AND 2000),
    CONSTRAINT webhook_endpoints_events_known CHECK (
        cardinality(events) > 0
        AND events <@ ARRAY['shoutout.published', 'shoutout.retracted', 'shoutout.cheered',
                            'praise.pending', 'praise.rejected']::text[]),
    CONSTRAINT webhook_endpoints_format_known CHECK (format IN ('standard', 'slack', 'teams')),
    -- A channel is no place for what is not public yet, or any more.
    CONSTRAINT webhook_endpoints_channels_public CHECK (
        format = 'standard' OR events <@ ARRAY['shoutout.published', 'shoutout.cheered']::text[]),
    CONSTRAINT webhook_endpoints_description_length CHECK (char_length(description) <= 500),
    CONSTRAINT webhook_endpoints_disabling_recorded CHECK (
        enabled = (disabled_at IS NULL) AND (disabled_reason IS NULL OR NOT enabled)),
    CONSTRAINT webhook_endpoints_rotation_recorded CHECK (
        (previous_secret IS NULL) = (previous_secret_until IS NULL))
);
CREATE INDEX webhook_endpoints_due_idx ON webhook_endpoints (next_attempt_at) WHERE enabled;

-- What happened, in order. `event_id` is the id receivers de-duplicate on (`webhook-id`); the
-- payload is frozen when the event is fanned out, so every endpoint and every retry gets the
-- same body. A ping is an event for one endpoint only.
CREATE TABLE outbox_events (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    event_type     text NOT NULL,
    shoutout_id    uuid REFERENCES shoutouts (id) ON DELETE CASCADE,
    actor_id       uuid,
    endpoint_id    uuid REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    occurred_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    payload        jsonb,
    fanned_out_at  timestamptz,
    CONSTRAINT outbox_events_type_known CHECK (event_type IN (
        'shoutout.published', 'shoutout.retracted', 'shoutout.cheered', 'praise.pending',
        'praise.rejected', 'webhook.ping')),
    CONSTRAINT outbox_events_about_something CHECK (
        (event_type = 'webhook.ping') = (shoutout_id IS NULL) AND (event_type = 'webhook.ping') = (endpoint_id IS NOT NULL)),
    CONSTRAINT outbox_events_fanned_with_payload CHECK (fanned_out_at IS NULL OR payload IS NOT NULL)
);
CREATE INDEX outbox_events_waiting_idx ON outbox_events (id) WHERE fanned_out_at IS NULL;
CREATE INDEX outbox_events_fanned_idx ON outbox_events (fanned_out_at) WHERE fanned_out_at IS NOT NULL;

-- One event for one endpoint. `seq` orders an endpoint's deliveries (the order events were
-- fanned out, which follows their commits).
CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    seq              bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         bigint NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    status           text NOT NULL DEFAULT 'pending',
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    CONSTRAINT webhook_deliveries_once UNIQUE (endpoint_id, event_id),
    CONSTRAINT webhook_deliveries_status_known
        CHECK (status IN ('pending', 'retrying', 'succeeded', 'dead')),
    CONSTRAINT webhook_deliveries_completion_recorded
        CHECK ((completed_at IS NOT NULL) = (status IN ('succeeded', 'dead')))
);
CREATE INDEX webhook_deliveries_open_idx ON webhook_deliveries (endpoint_id, seq)
    WHERE status IN ('pending', 'retrying');
CREATE INDEX webhook_deliveries_listing_idx ON webhook_deliveries (endpoint_id, seq DESC);

-- Every attempt, as the receiver answered it (or why it could not).
CREATE TABLE webhook_attempts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id   uuid NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at  timestamptz NOT NULL DEFAULT now(),
    status_code   integer,
    latency_ms    integer NOT NULL,
    succeeded     boolean NOT NULL,
    error         text,
    CONSTRAINT webhook_attempts_error_bounded CHECK (char_length(error) <= 1000)
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);

-- The outbox writer. History imported from another tool is not news: its transaction says so
-- (`SET LOCAL shoutout.history_import = 'on'`), and nothing is announced.
CREATE FUNCTION outbox_record_shoutout() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text;
BEGIN
    IF current_setting('shoutout.history_import', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        kind := CASE NEW.status WHEN 'published' THEN 'shoutout.published'
                                WHEN 'pending' THEN 'praise.pending' END;
    ELSIF NEW.status = 'published' AND OLD.status <> 'published' THEN
        kind := 'shoutout.published';
    ELSIF OLD.status = 'published' AND NEW.status = 'retracted' THEN
        kind := 'shoutout.retracted';
    ELSIF OLD.status = 'pending' AND NEW.status = 'rejected' THEN
        kind := 'praise.rejected';
    END IF;
    IF kind IS NOT NULL THEN
        INSERT INTO outbox_events (event_type, shoutout_id) VALUES (kind, NEW.id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_shoutouts_inserted AFTER INSERT ON shoutouts
FOR EACH ROW EXECUTE FUNCTION outbox_record_shoutout();
CREATE TRIGGER outbox_shoutouts_updated AFTER UPDATE OF status ON shoutouts
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION outbox_record_shoutout();

CREATE FUNCTION outbox_record_cheer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('shoutout.history_import', true) = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO outbox_events (event_type, shoutout_id, actor_id)
    VALUES ('shoutout.cheered', NEW.shoutout_id, NEW.employee_id);
    RETURN NULL;
END $$;

CREATE TRIGGER outbox_cheers_inserted AFTER INSERT ON cheers
FOR EACH ROW EXECUTE FUNCTION outbox_record_cheer();

-- The audit trail for endpoints, with the secrets and the workers' bookkeeping left out.
CREATE FUNCTION audit_webhook_endpoints() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    hidden text[] := ARRAY['secret', 'previous_secret', 'previous_secret_until', 'failing_since',
                           'next_attempt_at', 'leased_until', 'lease_owner', 'updated_at'];
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) - hidden END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) - hidden END;
    verb text;
BEGIN
    IF TG_OP = 'UPDATE' AND old_row = new_row THEN
        IF OLD.secret IS DISTINCT FROM NEW.secret THEN
            verb := 'webhook.secret_rotated';
        ELSE
            RETURN NULL;  -- only the workers' bookkeeping changed
        END IF;
    ELSIF TG_OP = 'INSERT' THEN
        verb := 'webhook.created';
    ELSIF TG_OP = 'DELETE' THEN
        verb := 'webhook.deleted';
    ELSIF OLD.enabled AND NOT NEW.enabled THEN
        verb := 'webhook.disabled';
    ELSIF NOT OLD.enabled AND NEW.enabled THEN
        verb := 'webhook.enabled';
    ELSE
        verb := 'webhook.updated';
    END IF;
    INSERT INTO audit_events (actor, action, subject_type, subject_id, before, after)
    VALUES (coalesce(nullif(current_setting('shoutout.actor', true), ''), 'database:' || session_user),
            verb, TG_TABLE_NAME, coalesce(NEW.id, OLD.id)::text, old_row, new_row);
    RETURN NULL;
END $$;

CREATE TRIGGER audit_webhook_endpoints AFTER INSERT OR UPDATE OR DELETE ON webhook_endpoints
FOR EACH ROW EXECUTE FUNCTION audit_webhook_endpoints();
