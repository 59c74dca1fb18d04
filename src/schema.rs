// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "heart_value"))]
    pub struct HeartValue;

    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "shoutout_source"))]
    pub struct ShoutoutSource;

    #[derive(diesel::query_builder::QueryId, Clone, diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "shoutout_status"))]
    pub struct ShoutoutStatus;
}

diesel::table! {
    audit_events (id) {
        id -> Int8,
        at -> Timestamptz,
        actor -> Text,
        action -> Text,
        subject_type -> Text,
        subject_id -> Text,
        before -> Nullable<Jsonb>,
        after -> Nullable<Jsonb>,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Uuid,
        bucket_no -> Int4,
        name -> Text,
        starts_on -> Date,
        ends_on -> Date,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    cheers (shoutout_id, employee_id) {
        shoutout_id -> Uuid,
        employee_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    console_sessions (id_hash) {
        id_hash -> Bytea,
        subject -> Text,
        roles -> Array<Nullable<Text>>,
        csrf_token -> Text,
        via -> Text,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    console_sign_ins (id_hash) {
        id_hash -> Bytea,
        state -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        return_to -> Text,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    customer_praise (shoutout_id) {
        shoutout_id -> Uuid,
        employee_id -> Uuid,
        message_hash -> Bytea,
        received_at -> Timestamptz,
        dedupe_until -> Timestamptz,
        customer_email -> Nullable<Text>,
        value_suggested -> Bool,
        email_erased_at -> Nullable<Timestamptz>,
        email_consent -> Bool,
    }
}

diesel::table! {
    employees (id) {
        id -> Uuid,
        external_id -> Text,
        display_name -> Text,
        email -> Text,
        team_id -> Nullable<Uuid>,
        title -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        praise_handle -> Text,
        slack_user_id -> Nullable<Text>,
        scim_external_id -> Nullable<Text>,
        department -> Nullable<Text>,
        manager_id -> Nullable<Uuid>,
        scim_deleted_at -> Nullable<Timestamptz>,
        erased_at -> Nullable<Timestamptz>,
        show_on_boards -> Bool,
        show_on_wall -> Bool,
    }
}

diesel::table! {
    giver_daily_counts (giver_id, day) {
        giver_id -> Uuid,
        day -> Date,
        given -> Int4,
    }
}

diesel::table! {
    idempotency_keys (owner_id, idempotency_key) {
        owner_id -> Uuid,
        idempotency_key -> Text,
        request_hash -> Bytea,
        response_status -> Nullable<Int2>,
        response_body -> Nullable<Jsonb>,
        location -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    imported_shoutouts (import_key) {
        import_key -> Bytea,
        shoutout_id -> Uuid,
        source_id -> Nullable<Text>,
        imported_at -> Timestamptz,
    }
}

diesel::table! {
    leaderboard_settings (singleton) {
        singleton -> Bool,
        timezone -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::HeartValue;

    moderation_decisions (shoutout_id) {
        shoutout_id -> Uuid,
        decision -> Text,
        decided_by -> Text,
        decided_by_id -> Nullable<Uuid>,
        decided_at -> Timestamptz,
        reason -> Nullable<Text>,
        value_before -> HeartValue,
        value_after -> HeartValue,
        recipient_before -> Uuid,
        recipient_after -> Uuid,
    }
}

diesel::table! {
    outbox_events (id) {
        id -> Int8,
        event_id -> Uuid,
        event_type -> Text,
        shoutout_id -> Nullable<Uuid>,
        actor_id -> Nullable<Uuid>,
        endpoint_id -> Nullable<Uuid>,
        occurred_at -> Timestamptz,
        payload -> Nullable<Jsonb>,
        fanned_out_at -> Nullable<Timestamptz>,
        mailed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    praise_budgets (scope, key, window_start) {
        scope -> Text,
        key -> Text,
        window_start -> Timestamptz,
        used -> Int4,
    }
}

diesel::table! {
    report_person_months (team_id, month, person_id, side) {
        team_id -> Uuid,
        month -> Date,
        person_id -> Uuid,
        side -> Int2,
        helping_others -> Int4,
        exceeding_expectations -> Int4,
        achieving_goals -> Int4,
        responding_with_care -> Int4,
        thriving_through_teamwork -> Int4,
        cheers -> Int4,
    }
}

diesel::table! {
    report_team_days (team_id, day, side) {
        team_id -> Uuid,
        day -> Date,
        side -> Int2,
        staff_helping_others -> Int4,
        staff_exceeding_expectations -> Int4,
        staff_achieving_goals -> Int4,
        staff_responding_with_care -> Int4,
        staff_thriving_through_teamwork -> Int4,
        customer_helping_others -> Int4,
        customer_exceeding_expectations -> Int4,
        customer_achieving_goals -> Int4,
        customer_responding_with_care -> Int4,
        customer_thriving_through_teamwork -> Int4,
    }
}

diesel::table! {
    scim_tokens (id) {
        id -> Uuid,
        name -> Text,
        token_hash -> Bytea,
        token_prefix -> Text,
        created_by -> Text,
        created_at -> Timestamptz,
        last_used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        revoked_by -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::HeartValue;
    use super::sql_types::ShoutoutSource;
    use super::sql_types::ShoutoutStatus;

    shoutout_recipients (shoutout_id, recipient_id) {
        shoutout_id -> Uuid,
        recipient_id -> Uuid,
        giver_id -> Nullable<Uuid>,
        recipient_team_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        value -> HeartValue,
        source -> ShoutoutSource,
        status -> ShoutoutStatus,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::ShoutoutSource;
    use super::sql_types::HeartValue;
    use super::sql_types::ShoutoutStatus;

    shoutouts (id) {
        id -> Uuid,
        source -> ShoutoutSource,
        giver_id -> Nullable<Uuid>,
        customer_name -> Nullable<Text>,
        value -> HeartValue,
        message -> Text,
        status -> ShoutoutStatus,
        created_at -> Timestamptz,
        retracted_at -> Nullable<Timestamptz>,
        retracted_by -> Nullable<Text>,
        giver_team_id -> Nullable<Uuid>,
        visibility -> Text,
    }
}

diesel::table! {
    spent_challenges (nonce) {
        nonce -> Bytea,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    stream_events (id) {
        id -> Int8,
        tx -> Int8,
        kind -> Text,
        shoutout_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    tallies (board, bucket, source, subject_id) {
        board -> Int2,
        bucket -> Int4,
        source -> Int2,
        subject_id -> Uuid,
        team_id -> Nullable<Uuid>,
        sort_name -> Text,
        total -> Int4,
        helping_others -> Int4,
        exceeding_expectations -> Int4,
        achieving_goals -> Int4,
        responding_with_care -> Int4,
        thriving_through_teamwork -> Int4,
    }
}

diesel::table! {
    tally_day_ceilings (board, day) {
        board -> Int2,
        day -> Date,
        most -> Int4,
    }
}

diesel::table! {
    teams (id) {
        id -> Uuid,
        name -> Text,
        parent_id -> Nullable<Uuid>,
        manager_id -> Nullable<Uuid>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        external_id -> Nullable<Text>,
        scim_deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_attempts (id) {
        id -> Int8,
        delivery_id -> Uuid,
        attempted_at -> Timestamptz,
        status_code -> Nullable<Int4>,
        latency_ms -> Int4,
        succeeded -> Bool,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Uuid,
        seq -> Int8,
        endpoint_id -> Uuid,
        event_id -> Int8,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        created_at -> Timestamptz,
        completed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::HeartValue;
    use super::sql_types::ShoutoutSource;

    webhook_endpoints (id) {
        id -> Uuid,
        url -> Text,
        events -> Array<Nullable<Text>>,
        format -> Text,
        filter_team_id -> Nullable<Uuid>,
        filter_values -> Nullable<Array<Nullable<HeartValue>>>,
        filter_sources -> Nullable<Array<Nullable<ShoutoutSource>>>,
        description -> Nullable<Text>,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<Timestamptz>,
        enabled -> Bool,
        disabled_at -> Nullable<Timestamptz>,
        disabled_reason -> Nullable<Text>,
        failing_since -> Nullable<Timestamptz>,
        next_attempt_at -> Timestamptz,
        leased_until -> Nullable<Timestamptz>,
        lease_owner -> Nullable<Uuid>,
        created_by -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    widget_keys (id) {
        id -> Uuid,
        name -> Text,
        key_hash -> Bytea,
        key_prefix -> Text,
        scopes -> Array<Nullable<Text>>,
        origins -> Array<Nullable<Text>>,
        created_by -> Text,
        created_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        revoked_by -> Nullable<Text>,
    }
}

diesel::table! {
    notification_preferences (employee_id) {
        employee_id -> Uuid,
        thanked -> Nullable<Bool>,
        manager_copies -> Nullable<Bool>,
        moderation -> Nullable<Bool>,
        digest -> Nullable<Bool>,
        digest_day -> Nullable<Int2>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    mail_suppressions (address, kind) {
        address -> Text,
        kind -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    mail_messages (id) {
        id -> Int8,
        kind -> Text,
        dedupe_key -> Text,
        employee_id -> Nullable<Uuid>,
        to_address -> Nullable<Text>,
        shoutout_id -> Nullable<Uuid>,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        unsubscribe_url -> Nullable<Text>,
        status -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        leased_until -> Nullable<Timestamptz>,
        lease_owner -> Nullable<Uuid>,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
        completed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    moderation_notices (shoutout_id, address) {
        shoutout_id -> Uuid,
        address -> Text,
        employee_id -> Nullable<Uuid>,
        queued_at -> Timestamptz,
        told_at -> Nullable<Timestamptz>,
        reminded_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    signing_keys (name) {
        name -> Text,
        key -> Bytea,
    }
}

diesel::joinable!(cheers -> employees (employee_id));
diesel::joinable!(cheers -> shoutouts (shoutout_id));
diesel::joinable!(customer_praise -> employees (employee_id));
diesel::joinable!(customer_praise -> shoutouts (shoutout_id));
diesel::joinable!(moderation_decisions -> shoutouts (shoutout_id));
diesel::joinable!(giver_daily_counts -> employees (giver_id));
diesel::joinable!(idempotency_keys -> employees (owner_id));
diesel::joinable!(imported_shoutouts -> shoutouts (shoutout_id));
diesel::joinable!(shoutout_recipients -> employees (recipient_id));
diesel::joinable!(shoutout_recipients -> shoutouts (shoutout_id));
diesel::joinable!(shoutout_recipients -> teams (recipient_team_id));
diesel::joinable!(shoutouts -> employees (giver_id));
diesel::joinable!(outbox_events -> shoutouts (shoutout_id));
diesel::joinable!(notification_preferences -> employees (employee_id));
diesel::joinable!(mail_messages -> employees (employee_id));
diesel::joinable!(mail_messages -> shoutouts (shoutout_id));
diesel::joinable!(outbox_events -> webhook_endpoints (endpoint_id));
diesel::joinable!(stream_events -> shoutouts (shoutout_id));
diesel::joinable!(webhook_attempts -> webhook_deliveries (delivery_id));
diesel::joinable!(webhook_deliveries -> outbox_events (event_id));
diesel::joinable!(webhook_deliveries -> webhook_endpoints (endpoint_id));
diesel::joinable!(webhook_endpoints -> teams (filter_team_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_events,
    campaigns,
    cheers,
    console_sessions,
    console_sign_ins,
    customer_praise,
    employees,
    giver_daily_counts,
    idempotency_keys,
    imported_shoutouts,
    leaderboard_settings,
    mail_messages,
    mail_suppressions,
    moderation_decisions,
    moderation_notices,
    notification_preferences,
    outbox_events,
    praise_budgets,
    report_person_months,
    report_team_days,
    scim_tokens,
    shoutout_recipients,
    shoutouts,
    signing_keys,
    spent_challenges,
    stream_events,
    tallies,
    tally_day_ceilings,
    teams,
    webhook_attempts,
    webhook_deliveries,
    webhook_endpoints,
    widget_keys,
);
