//! The outbox (`outbox_events`): what happened, written by triggers in the same transaction as
//! the change. The fan-out turns each event into deliveries, one fan-out at a time (an advisory
//! lock), in the order the events became visible, so an endpoint hears of a shout-out's
//! publication before its retraction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::outbox_events;

/// The advisory lock that makes the fan-out one at a time across instances.
const FAN_OUT_LOCK: i64 = 0x5348_4f55_545f_4f42; // "SHOUT_OB"

#[derive(Debug, Clone, QueryableByName)]
pub struct WaitingEvent {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = SqlUuid)]
    pub event_id: Uuid,
    #[diesel(sql_type = Text)]
    pub event_type: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub shoutout_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub actor_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub endpoint_id: Option<Uuid>,
    #[diesel(sql_type = Timestamptz)]
    pub occurred_at: DateTime<Utc>,
}

/// Marks the current transaction as bringing in history (an import, demo data): what it writes
/// happened long ago and announces nothing.
pub async fn quiet_for_history(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT set_config('shoutout.history_import', 'on', true)")
        .execute(conn)
        .await
        .map(drop)
}

/// Takes the fan-out lock for the rest of the transaction; `false` when another instance is
/// fanning out now.
pub async fn try_lock_fan_out(conn: &mut AsyncPgConnection) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Bool)]
        locked: bool,
    }
    diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
        .bind::<BigInt, _>(FAN_OUT_LOCK)
        .get_result::<Locked>(conn)
        .await
        .map(|l| l.locked)
}

/// Events not fanned out yet, oldest first.
pub async fn waiting(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<WaitingEvent>> {
    diesel::sql_query(
        "SELECT id, event_id, event_type, shoutout_id, actor_id, endpoint_id, occurred_at \
         FROM outbox_events WHERE fanned_out_at IS NULL ORDER BY id LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

/// Freezes the event's payload: every delivery of it sends this.
pub async fn mark_fanned_out(
    conn: &mut AsyncPgConnection,
    id: i64,
    payload: &serde_json::Value,
) -> QueryResult<()> {
    diesel::update(outbox_events::table.find(id))
        .set((
            outbox_events::payload.eq(Some(payload)),
            outbox_events::fanned_out_at.eq(Some(Utc::now())),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// A test message for one endpoint: its row id and its event id.
pub async fn insert_ping(
    conn: &mut AsyncPgConnection,
    endpoint_id: Uuid,
) -> QueryResult<(i64, Uuid)> {
    diesel::insert_into(outbox_events::table)
        .values((
            outbox_events::event_type.eq(crate::domain::events::PING),
            outbox_events::endpoint_id.eq(Some(endpoint_id)),
        ))
        .returning((outbox_events::id, outbox_events::event_id))
        .get_result(conn)
        .await
}

/// The teams the recipients of these shout-outs were in when thanked (for team filters).
pub async fn recipient_teams_of(
    conn: &mut AsyncPgConnection,
    shoutout_ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, Option<Uuid>)>> {
    use crate::schema::shoutout_recipients as r;
    r::table
        .filter(r::shoutout_id.eq_any(shoutout_ids))
        .select((r::shoutout_id, r::recipient_team_id))
        .load(conn)
        .await
}

/// A team and every team beneath it.
pub async fn subtree(conn: &mut AsyncPgConnection, team_id: Uuid) -> QueryResult<Vec<Uuid>> {
    #[derive(QueryableByName)]
    struct Team {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    diesel::sql_query("SELECT unnest(team_subtree($1)) AS id")
        .bind::<SqlUuid, _>(team_id)
        .load::<Team>(conn)
        .await
        .map(|rows| rows.into_iter().map(|t| t.id).collect())
}
