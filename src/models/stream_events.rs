//! The live stream's event log (`stream_events`, written by triggers in the same transaction as
//! each publication and retraction). Readers take only events of transactions older than every
//! one still running (`pg_snapshot_xmin`), in (transaction, id) order: that part of the table
//! can no longer change, so no cursor skips anything.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// One event as stored.
#[derive(QueryableByName)]
pub struct EventRow {
    #[diesel(sql_type = BigInt)]
    pub tx: i64,
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = SqlUuid)]
    pub shoutout_id: Uuid,
}

/// The last event that can no longer change.
pub async fn last_settled(conn: &mut AsyncPgConnection) -> QueryResult<Option<EventRow>> {
    diesel::sql_query(
        "SELECT tx, id, kind, shoutout_id FROM stream_events \
         WHERE tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint \
         ORDER BY tx DESC, id DESC LIMIT 1",
    )
    .get_result(conn)
    .await
    .optional()
}

/// Up to `limit` settled events after the cursor `(tx, id)`, oldest first.
pub async fn settled_after(
    conn: &mut AsyncPgConnection,
    tx: i64,
    id: i64,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    diesel::sql_query(
        "SELECT tx, id, kind, shoutout_id FROM stream_events \
         WHERE (tx, id) > ($1, $2) \
           AND tx < pg_snapshot_xmin(pg_current_snapshot())::text::bigint \
         ORDER BY tx, id LIMIT $3",
    )
    .bind::<BigInt, _>(tx)
    .bind::<BigInt, _>(id)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

/// Whether events after the cursor wait on a transaction still running.
pub async fn waiting_after(conn: &mut AsyncPgConnection, tx: i64, id: i64) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Waiting {
        #[diesel(sql_type = Bool)]
        waiting: bool,
    }
    let waiting: Waiting = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM stream_events WHERE (tx, id) > ($1, $2) \
           AND tx >= pg_snapshot_xmin(pg_current_snapshot())::text::bigint) AS waiting",
    )
    .bind::<BigInt, _>(tx)
    .bind::<BigInt, _>(id)
    .get_result(conn)
    .await?;
    Ok(waiting.waiting)
}

/// Forgets events older than `days` (a client away longer starts afresh).
pub async fn forget_older_than(conn: &mut AsyncPgConnection, days: u32) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "DELETE FROM stream_events WHERE created_at < now() - interval '{days} days'"
    ))
    .execute(conn)
    .await
}
