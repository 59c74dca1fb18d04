//! Webhook endpoints, their deliveries and every attempt. Workers claim an endpoint with
//! `FOR UPDATE SKIP LOCKED` and hold a lease on it while they deliver its events in order; a
//! lease that lapses (the instance died) lets another worker take over, so nothing is lost and
//! no two workers send to one endpoint at once.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{
    BigInt, Bool, Int4, Integer, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::domain::{HeartValue, ShoutoutSource};
use crate::schema::{webhook_attempts, webhook_deliveries, webhook_endpoints};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointRow {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<Option<String>>,
    pub format: String,
    pub filter_team_id: Option<Uuid>,
    pub filter_values: Option<Vec<Option<HeartValue>>>,
    pub filter_sources: Option<Vec<Option<ShoutoutSource>>>,
    pub description: Option<String>,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub enabled: bool,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<DateTime<Utc>>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl EndpointRow {
    pub fn events(&self) -> impl Iterator<Item = &str> {
        self.events.iter().flatten().map(String::as_str)
    }

    /// The secrets that sign a delivery now: the current one, and the previous one while its
    /// grace period lasts.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_secret_until)
            && until > now
        {
            secrets.push(previous);
        }
        secrets
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = webhook_endpoints)]
pub struct NewEndpoint {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<Option<String>>,
    pub format: String,
    pub filter_team_id: Option<Uuid>,
    pub filter_values: Option<Vec<Option<HeartValue>>>,
    pub filter_sources: Option<Vec<Option<ShoutoutSource>>>,
    pub description: Option<String>,
    pub secret: String,
    pub created_by: String,
}

/// A partial update; `None` leaves a column as it is, `Some(None)` clears a nullable one.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointChanges {
    pub url: Option<String>,
    pub events: Option<Vec<Option<String>>>,
    pub format: Option<String>,
    pub filter_team_id: Option<Option<Uuid>>,
    pub filter_values: Option<Option<Vec<Option<HeartValue>>>>,
    pub filter_sources: Option<Option<Vec<Option<ShoutoutSource>>>>,
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
    pub disabled_at: Option<Option<DateTime<Utc>>>,
    pub disabled_reason: Option<Option<String>>,
    pub failing_since: Option<Option<DateTime<Utc>>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewEndpoint) -> QueryResult<EndpointRow> {
    diesel::insert_into(webhook_endpoints::table)
        .values(new)
        .returning(EndpointRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<EndpointRow> {
    webhook_endpoints::table
        .find(id)
        .select(EndpointRow::as_select())
        .first(conn)
        .await
}

/// Newest first, before the cursor's id (ids are v7 UUIDs: time-ordered).
pub async fn list(
    conn: &mut AsyncPgConnection,
    before: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<EndpointRow>> {
    let mut query = webhook_endpoints::table
        .select(EndpointRow::as_select())
        .order(webhook_endpoints::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(webhook_endpoints::id.lt(before));
    }
    query.load(conn).await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    mut changes: EndpointChanges,
) -> QueryResult<EndpointRow> {
    changes.updated_at = Some(Utc::now());
    diesel::update(webhook_endpoints::table.find(id))
        .set(&changes)
        .returning(EndpointRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn delete(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    diesel::delete(webhook_endpoints::table.find(id))
        .execute(conn)
        .await
        .map(|n| n > 0)
}

/// A new secret; the old one keeps signing until `previous_until`.
pub async fn rotate_secret(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    secret: &str,
    previous_until: DateTime<Utc>,
) -> QueryResult<EndpointRow> {
    diesel::update(webhook_endpoints::table.find(id))
        .set((
            webhook_endpoints::previous_secret.eq(webhook_endpoints::secret.nullable()),
            webhook_endpoints::previous_secret_until.eq(Some(previous_until)),
            webhook_endpoints::secret.eq(secret),
            webhook_endpoints::updated_at.eq(Utc::now()),
        ))
        .returning(EndpointRow::as_returning())
        .get_result(conn)
        .await
}

/// Every endpoint that takes new events (for the fan-out).
pub async fn enabled(conn: &mut AsyncPgConnection) -> QueryResult<Vec<EndpointRow>> {
    webhook_endpoints::table
        .filter(webhook_endpoints::enabled)
        .select(EndpointRow::as_select())
        .load(conn)
        .await
}

/// Takes an enabled endpoint with a delivery due and no live lease, for `lease` from now:
/// `SKIP LOCKED`, so workers of every instance claim different endpoints without waiting on
/// each other.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    owner: Uuid,
    lease: std::time::Duration,
) -> QueryResult<Option<EndpointRow>> {
    let id: Option<Uuid> = diesel::sql_query(
        "UPDATE webhook_endpoints e SET leased_until = now() + $2 * interval '1 millisecond', \
                lease_owner = $1 \
         WHERE e.id = ( \
             SELECT c.id FROM webhook_endpoints c \
             WHERE c.enabled AND c.next_attempt_at <= now() \
               AND (c.leased_until IS NULL OR c.leased_until < now()) \
               AND EXISTS (SELECT 1 FROM webhook_deliveries d \
                           WHERE d.endpoint_id = c.id AND d.status IN ('pending', 'retrying') \
                             AND d.next_attempt_at <= now()) \
             ORDER BY c.next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING e.id",
    )
    .bind::<SqlUuid, _>(owner)
    .bind::<BigInt, _>(lease.as_millis() as i64)
    .get_result::<IdRow>(conn)
    .await
    .optional()?
    .map(|r| r.id);
    match id {
        Some(id) => find(conn, id).await.map(Some),
        None => Ok(None),
    }
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// Extends this worker's lease before an attempt; `false` when it lapsed and may be someone
/// else's now (the worker then stops: the attempt must not happen twice).
pub async fn renew_lease(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    owner: Uuid,
    lease: std::time::Duration,
) -> QueryResult<bool> {
    diesel::sql_query(
        "UPDATE webhook_endpoints SET leased_until = now() + $3 * interval '1 millisecond' \
         WHERE id = $1 AND lease_owner = $2 AND leased_until > now() AND enabled",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(owner)
    .bind::<BigInt, _>(lease.as_millis() as i64)
    .execute(conn)
    .await
    .map(|n| n == 1)
}

/// Gives the endpoint back.
pub async fn release(conn: &mut AsyncPgConnection, id: Uuid, owner: Uuid) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE webhook_endpoints SET leased_until = NULL, lease_owner = NULL \
         WHERE id = $1 AND lease_owner = $2",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(owner)
    .execute(conn)
    .await
    .map(drop)
}

/// A delivery waiting to be sent, with its event.
#[derive(Debug, Clone, QueryableByName)]
pub struct OpenDelivery {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    pub next_attempt_at: DateTime<Utc>,
    #[diesel(sql_type = SqlUuid)]
    pub event_id: Uuid,
    #[diesel(sql_type = Text)]
    pub event_type: String,
    #[diesel(sql_type = Timestamptz)]
    pub occurred_at: DateTime<Utc>,
    #[diesel(sql_type = Jsonb)]
    pub payload: serde_json::Value,
}

/// The endpoint's open deliveries, oldest first.
pub async fn open_deliveries(
    conn: &mut AsyncPgConnection,
    endpoint_id: Uuid,
    limit: i64,
) -> QueryResult<Vec<OpenDelivery>> {
    diesel::sql_query(
        "SELECT d.id, d.attempts, d.next_attempt_at, o.event_id, o.event_type, o.occurred_at, \
                o.payload \
         FROM webhook_deliveries d JOIN outbox_events o ON o.id = d.event_id \
         WHERE d.endpoint_id = $1 AND d.status IN ('pending', 'retrying') \
         ORDER BY d.seq LIMIT $2",
    )
    .bind::<SqlUuid, _>(endpoint_id)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

/// What became of one attempt.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    pub succeeded: bool,
    pub error: Option<String>,
}

/// What follows an attempt, decided by the worker.
#[derive(Debug, Clone, Copy)]
pub enum NextStep {
    /// Delivered.
    Succeeded,
    /// Failed; try again at this time (and nothing else to this endpoint before).
    RetryAt(DateTime<Utc>),
    /// Failed for the last time: the delivery is dead and the endpoint goes on to the next.
    Dead,
}

/// Records an attempt and its consequence for the delivery and the endpoint, in one
/// transaction (the caller's). The endpoint's row is locked first, as `DELETE` of an endpoint
/// locks it before its deliveries: the same order everywhere, so the two never deadlock.
/// Whether the endpoint still takes deliveries (not deleted or disabled meanwhile).
pub async fn record_attempt(
    conn: &mut AsyncPgConnection,
    endpoint_id: Uuid,
    delivery_id: Uuid,
    attempt: &Attempt,
    next: NextStep,
) -> QueryResult<bool> {
    let now = Utc::now();
    let endpoint = webhook_endpoints::table.find(endpoint_id);
    let failing_since = diesel::dsl::sql::<Nullable<Timestamptz>>("coalesce(failing_since, now())");
    let enabled: Option<bool> = match next {
        NextStep::Succeeded => diesel::update(endpoint)
            .set((
                webhook_endpoints::failing_since.eq(None::<DateTime<Utc>>),
                webhook_endpoints::next_attempt_at.eq(now),
            ))
            .returning(webhook_endpoints::enabled)
            .get_result(conn)
            .await
            .optional()?,
        NextStep::RetryAt(at) => diesel::update(endpoint)
            .set((
                webhook_endpoints::failing_since.eq(failing_since),
                webhook_endpoints::next_attempt_at.eq(at),
            ))
            .returning(webhook_endpoints::enabled)
            .get_result(conn)
            .await
            .optional()?,
        NextStep::Dead => diesel::update(endpoint)
            .set(webhook_endpoints::failing_since.eq(failing_since))
            .returning(webhook_endpoints::enabled)
            .get_result(conn)
            .await
            .optional()?,
    };
    let (status, next_at, completed) = match next {
        NextStep::Succeeded => ("succeeded", now, Some(now)),
        NextStep::RetryAt(at) => ("retrying", at, None),
        NextStep::Dead => ("dead", now, Some(now)),
    };
    let updated = diesel::update(webhook_deliveries::table.find(delivery_id))
        .set((
            webhook_deliveries::status.eq(status),
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::next_attempt_at.eq(next_at),
            webhook_deliveries::completed_at.eq(completed),
        ))
        .execute(conn)
        .await?;
    // The endpoint was deleted while its delivery was on the way: nothing left to record.
    if updated == 0 {
        return Ok(false);
    }
    diesel::insert_into(webhook_attempts::table)
        .values((
            webhook_attempts::delivery_id.eq(delivery_id),
            webhook_attempts::status_code.eq(attempt.status_code),
            webhook_attempts::latency_ms.eq(attempt.latency_ms),
            webhook_attempts::succeeded.eq(attempt.succeeded),
            webhook_attempts::error.eq(attempt.error.as_deref()),
        ))
        .execute(conn)
        .await?;
    Ok(enabled.unwrap_or(false))
}

/// Disables an endpoint, saying why (the audit trail records it as `webhook.disabled`).
pub async fn disable(conn: &mut AsyncPgConnection, id: Uuid, reason: &str) -> QueryResult<()> {
    diesel::update(
        webhook_endpoints::table
            .find(id)
            .filter(webhook_endpoints::enabled),
    )
    .set((
        webhook_endpoints::enabled.eq(false),
        webhook_endpoints::disabled_at.eq(Some(Utc::now())),
        webhook_endpoints::disabled_reason.eq(Some(reason)),
        webhook_endpoints::leased_until.eq(None::<DateTime<Utc>>),
        webhook_endpoints::lease_owner.eq(None::<Uuid>),
    ))
    .execute(conn)
    .await
    .map(drop)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct DeliveryRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = SqlUuid)]
    pub event_id: Uuid,
    #[diesel(sql_type = Text)]
    pub event_type: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub next_attempt_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub completed_at: Option<DateTime<Utc>>,
}

const DELIVERY_COLUMNS: &str = "d.id, d.seq, o.event_id, o.event_type, d.status, d.attempts, \
     d.created_at, d.next_attempt_at, d.completed_at";

/// An endpoint's deliveries, newest first, before the cursor's `seq`.
pub async fn deliveries(
    conn: &mut AsyncPgConnection,
    endpoint_id: Uuid,
    status: Option<&str>,
    before_seq: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    diesel::sql_query(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d \
         JOIN outbox_events o ON o.id = d.event_id \
         WHERE d.endpoint_id = $1 AND ($2::text IS NULL OR d.status = $2) \
           AND ($3::bigint IS NULL OR d.seq < $3) \
         ORDER BY d.seq DESC LIMIT $4"
    ))
    .bind::<SqlUuid, _>(endpoint_id)
    .bind::<Nullable<Text>, _>(status)
    .bind::<Nullable<BigInt>, _>(before_seq)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

pub async fn delivery(
    conn: &mut AsyncPgConnection,
    endpoint_id: Uuid,
    id: Uuid,
) -> QueryResult<DeliveryRow> {
    diesel::sql_query(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d \
         JOIN outbox_events o ON o.id = d.event_id WHERE d.endpoint_id = $1 AND d.id = $2"
    ))
    .bind::<SqlUuid, _>(endpoint_id)
    .bind::<SqlUuid, _>(id)
    .get_result(conn)
    .await
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_attempts)]
pub struct AttemptRow {
    pub delivery_id: Uuid,
    pub attempted_at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    pub succeeded: bool,
    pub error: Option<String>,
}

/// The attempts of these deliveries, oldest first.
pub async fn attempts_of(
    conn: &mut AsyncPgConnection,
    delivery_ids: &[Uuid],
) -> QueryResult<Vec<AttemptRow>> {
    webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(delivery_ids))
        .order(webhook_attempts::id)
        .select(AttemptRow::as_select())
        .load(conn)
        .await
}

/// The delivery of event `event_id` (its public id) to this endpoint.
pub async fn delivery_of_event(
    conn: &mut AsyncPgConnection,
    endpoint_id: Uuid,
    event_id: Uuid,
) -> QueryResult<DeliveryRow> {
    diesel::sql_query(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d \
         JOIN outbox_events o ON o.id = d.event_id WHERE d.endpoint_id = $1 AND o.event_id = $2"
    ))
    .bind::<SqlUuid, _>(endpoint_id)
    .bind::<SqlUuid, _>(event_id)
    .get_result(conn)
    .await
}

/// Sends a delivery again: it is open once more, due now, and the endpoint's pause is over.
/// The endpoint is updated first (the lock order `record_attempt` and `DELETE` keep). Run it
/// in a transaction.
pub async fn redeliver(
    conn: &mut AsyncPgConnection,
    endpoint_id: Uuid,
    id: Uuid,
) -> QueryResult<DeliveryRow> {
    diesel::update(webhook_endpoints::table.find(endpoint_id))
        .set(webhook_endpoints::next_attempt_at.eq(Utc::now()))
        .execute(conn)
        .await?;
    let n = diesel::update(
        webhook_deliveries::table
            .find(id)
            .filter(webhook_deliveries::endpoint_id.eq(endpoint_id)),
    )
    .set((
        webhook_deliveries::status.eq("pending"),
        webhook_deliveries::next_attempt_at.eq(Utc::now()),
        webhook_deliveries::completed_at.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)
    .await?;
    if n == 0 {
        return Err(diesel::result::Error::NotFound);
    }
    delivery(conn, endpoint_id, id).await
}

/// Deliveries of one event to several endpoints (the fan-out); an existing pair is kept.
pub async fn insert_deliveries(
    conn: &mut AsyncPgConnection,
    event_id: i64,
    endpoint_ids: &[Uuid],
) -> QueryResult<usize> {
    if endpoint_ids.is_empty() {
        return Ok(0);
    }
    let rows: Vec<_> = endpoint_ids
        .iter()
        .map(|endpoint| {
            (
                webhook_deliveries::id.eq(Uuid::now_v7()),
                webhook_deliveries::endpoint_id.eq(*endpoint),
                webhook_deliveries::event_id.eq(event_id),
            )
        })
        .collect();
    diesel::insert_into(webhook_deliveries::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .await
}

/// How far behind delivery is: open deliveries, the age of the oldest (seconds), and events
/// not fanned out yet.
#[derive(Debug, Clone, Copy, QueryableByName)]
pub struct Backlog {
    #[diesel(sql_type = BigInt)]
    pub open: i64,
    #[diesel(sql_type = Nullable<diesel::sql_types::Double>)]
    pub oldest_secs: Option<f64>,
    #[diesel(sql_type = BigInt)]
    pub waiting_events: i64,
}

pub async fn backlog(conn: &mut AsyncPgConnection) -> QueryResult<Backlog> {
    diesel::sql_query(
        "SELECT (SELECT count(*) FROM webhook_deliveries WHERE status IN ('pending', 'retrying')) AS open, \
                (SELECT extract(epoch FROM now() - min(created_at))::float8 FROM webhook_deliveries \
                  WHERE status IN ('pending', 'retrying')) AS oldest_secs, \
                (SELECT count(*) FROM outbox_events WHERE fanned_out_at IS NULL) AS waiting_events",
    )
    .get_result(conn)
    .await
}

/// Forgets finished deliveries older than `days` (with their attempts), and events fanned
/// out that long ago whose deliveries are all gone.
pub async fn forget_older_than(conn: &mut AsyncPgConnection, days: u32) -> QueryResult<usize> {
    let deliveries = diesel::sql_query(
        "DELETE FROM webhook_deliveries WHERE status IN ('succeeded', 'dead') \
           AND completed_at < now() - $1 * interval '1 day'",
    )
    .bind::<Int4, _>(days as i32)
    .execute(conn)
    .await?;
    // Locked in id order, as the mail fan-out locks events (`mark_mailed`): deleted in scan
    // order, an event rewritten since it was written comes after later ones, and each side
    // could hold an event the other waits for.
    let events = diesel::sql_query(
        "DELETE FROM outbox_events WHERE id IN ( \
             SELECT o.id FROM outbox_events o \
             WHERE o.fanned_out_at < now() - $1 * interval '1 day' \
               AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = o.id) \
             ORDER BY o.id FOR UPDATE)",
    )
    .bind::<Int4, _>(days as i32)
    .execute(conn)
    .await?;
    Ok(deliveries + events)
}

/// Whether an endpoint exists (for a 404 before anything else).
pub async fn exists(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Bool)]
        found: bool,
    }
    diesel::sql_query("SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = $1) AS found")
        .bind::<SqlUuid, _>(id)
        .get_result::<Found>(conn)
        .await
        .map(|f| f.found)
}
