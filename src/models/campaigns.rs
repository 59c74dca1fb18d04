//! Campaigns: named date ranges with boards of their own.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use uuid::Uuid;

use crate::schema::campaigns;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = campaigns)]
pub struct CampaignRow {
    pub id: Uuid,
    pub bucket_no: i32,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = campaigns)]
pub struct NewCampaign {
    pub id: Uuid,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<CampaignRow> {
    campaigns::table
        .find(id)
        .select(CampaignRow::as_select())
        .first(conn)
        .await
}

/// The campaign running on `day` (the latest to start, when several overlap), if any.
pub async fn running_on(
    conn: &mut AsyncPgConnection,
    day: NaiveDate,
) -> QueryResult<Option<CampaignRow>> {
    campaigns::table
        .filter(campaigns::starts_on.le(day))
        .filter(campaigns::ends_on.ge(day))
        .order((campaigns::starts_on.desc(), campaigns::id.desc()))
        .select(CampaignRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Newest campaigns first (by start), keyset-paged.
pub async fn list(
    conn: &mut AsyncPgConnection,
    before: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<CampaignRow>> {
    let mut query = campaigns::table
        .select(CampaignRow::as_select())
        .order((campaigns::starts_on.desc(), campaigns::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some((starts_on, id)) = before {
        query = query.filter(
            campaigns::starts_on
                .lt(starts_on)
                .or(campaigns::starts_on.eq(starts_on).and(campaigns::id.lt(id))),
        );
    }
    query.load(conn).await
}

/// Creates a campaign and counts what was already given in its dates onto its boards. Call
/// inside a transaction: writers are held off while the past is counted, so a shout-out
/// committed meanwhile is counted exactly once (by the backfill or by its own trigger).
pub async fn create(conn: &mut AsyncPgConnection, new: &NewCampaign) -> QueryResult<CampaignRow> {
    // Counting a long campaign over a large history takes longer than a request's usual
    // statement timeout allows.
    conn.batch_execute(
        "SET LOCAL statement_timeout = '300s'; \
         LOCK TABLE shoutouts, shoutout_recipients IN SHARE MODE",
    )
    .await?;
    let row: CampaignRow = diesel::insert_into(campaigns::table)
        .values(new)
        .returning(CampaignRow::as_returning())
        .get_result(conn)
        .await?;
    diesel::sql_query("SELECT tally_fill(7, $1)")
        .bind::<SqlUuid, _>(row.id)
        .execute(conn)
        .await?;
    Ok(row)
}

/// Renames a campaign or moves its dates; when the dates move, its boards are counted again
/// from the raw rows. Call inside a transaction, for the reason [`create`] gives.
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    name: &str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> QueryResult<CampaignRow> {
    conn.batch_execute(
        "SET LOCAL statement_timeout = '300s'; \
         LOCK TABLE shoutouts, shoutout_recipients IN SHARE MODE",
    )
    .await?;
    let before: CampaignRow = campaigns::table
        .find(id)
        .for_update()
        .select(CampaignRow::as_select())
        .first(conn)
        .await?;
    let row: CampaignRow = diesel::update(campaigns::table.find(id))
        .set((
            campaigns::name.eq(name),
            campaigns::starts_on.eq(starts_on),
            campaigns::ends_on.eq(ends_on),
        ))
        .returning(CampaignRow::as_returning())
        .get_result(conn)
        .await?;
    if (before.starts_on, before.ends_on) != (row.starts_on, row.ends_on) {
        diesel::sql_query("DELETE FROM tallies WHERE bucket = 100000000 + $1")
            .bind::<diesel::sql_types::Integer, _>(row.bucket_no)
            .execute(conn)
            .await?;
        diesel::sql_query("SELECT tally_fill(7, $1)")
            .bind::<SqlUuid, _>(row.id)
            .execute(conn)
            .await?;
    }
    Ok(row)
}

/// The zone the tallies and report roll-ups were cut in, and a full recount of both when it
/// is not `timezone`.
pub async fn sync_timezone(conn: &mut AsyncPgConnection, timezone: &str) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Zone {
        #[diesel(sql_type = Text)]
        timezone: String,
    }
    let current: Zone = diesel::sql_query("SELECT timezone FROM leaderboard_settings FOR UPDATE")
        .get_result(conn)
        .await?;
    if current.timezone == timezone {
        return Ok(false);
    }
    diesel::sql_query("UPDATE leaderboard_settings SET timezone = $1")
        .bind::<Text, _>(timezone)
        .execute(conn)
        .await?;
    // Report roll-ups are cut in local days and months too.
    conn.batch_execute("SELECT tally_rebuild(); SELECT report_rebuild()")
        .await?;
    Ok(true)
}
