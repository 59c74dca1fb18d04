//! Shout-outs, their recipients and cheers, the per-giver daily counter and remembered
//! idempotent responses.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::expression::BoxableExpression;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::domain::{HeartValue, ShoutoutSource, ShoutoutStatus};
use crate::models::employees::EmployeeRow;
use crate::schema::{cheers, employees, idempotency_keys, shoutout_recipients, shoutouts};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = shoutouts)]
pub struct ShoutoutRow {
    pub id: Uuid,
    pub source: ShoutoutSource,
    pub giver_id: Option<Uuid>,
    pub customer_name: Option<String>,
    pub value: HeartValue,
    pub message: String,
    pub status: ShoutoutStatus,
    pub created_at: DateTime<Utc>,
    pub retracted_at: Option<DateTime<Utc>>,
    pub retracted_by: Option<String>,
    pub visibility: String,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = shoutouts)]
pub struct NewShoutout {
    pub id: Uuid,
    pub source: ShoutoutSource,
    pub giver_id: Option<Uuid>,
    pub customer_name: Option<String>,
    pub value: HeartValue,
    pub message: String,
    pub status: ShoutoutStatus,
    pub created_at: DateTime<Utc>,
    pub visibility: &'static str,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = shoutout_recipients)]
struct NewRecipient {
    shoutout_id: Uuid,
    recipient_id: Uuid,
    giver_id: Option<Uuid>,
}

/// Inserts a shout-out and its recipients (the caller provides the transaction).
pub async fn insert(
    conn: &mut AsyncPgConnection,
    new: &NewShoutout,
    recipient_ids: &[Uuid],
) -> QueryResult<ShoutoutRow> {
    let row = diesel::insert_into(shoutouts::table)
        .values(new)
        .returning(ShoutoutRow::as_returning())
        .get_result(conn)
        .await?;
    let recipients: Vec<NewRecipient> = recipient_ids
        .iter()
        .map(|&recipient_id| NewRecipient {
            shoutout_id: new.id,
            recipient_id,
            giver_id: new.giver_id,
        })
        .collect();
    diesel::insert_into(shoutout_recipients::table)
        .values(&recipients)
        .execute(conn)
        .await?;
    Ok(row)
}

/// Share-locks the given employees that are active and returns their ids, so that none of them
/// can be deactivated until the calling transaction ends.
pub async fn lock_active_employees(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<Uuid>> {
    employees::table
        .filter(employees::id.eq_any(ids))
        .filter(employees::active.eq(true))
        .select(employees::id)
        .for_share()
        .load(conn)
        .await
}

/// Takes one of the giver's shout-outs for `day`, if fewer than `limit` were given. One
/// statement: concurrent calls for the same giver queue on the row, and each sees the count
/// the one before it left, so the limit cannot be overrun.
pub async fn take_daily_slot(
    conn: &mut AsyncPgConnection,
    giver_id: Uuid,
    day: NaiveDate,
    limit: u32,
) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Given {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        #[allow(dead_code)]
        given: i32,
    }
    let taken: Option<Given> = diesel::sql_query(
        "INSERT INTO giver_daily_counts AS c (giver_id, day, given) VALUES ($1, $2, 1) \
         ON CONFLICT (giver_id, day) DO UPDATE SET given = c.given + 1 WHERE c.given < $3 \
         RETURNING c.given",
    )
    .bind::<diesel::sql_types::Uuid, _>(giver_id)
    .bind::<diesel::sql_types::Date, _>(day)
    .bind::<diesel::sql_types::Integer, _>(i32::try_from(limit).unwrap_or(i32::MAX))
    .get_result(conn)
    .await
    .optional()?;
    Ok(taken.is_some())
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<ShoutoutRow> {
    shoutouts::table
        .find(id)
        .select(ShoutoutRow::as_select())
        .first(conn)
        .await
}

pub async fn find_for_update(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<ShoutoutRow> {
    shoutouts::table
        .find(id)
        .select(ShoutoutRow::as_select())
        .for_update()
        .first(conn)
        .await
}

pub async fn mark_retracted(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    by: &str,
) -> QueryResult<ShoutoutRow> {
    diesel::update(shoutouts::table.find(id))
        .set((
            shoutouts::status.eq(ShoutoutStatus::Retracted),
            shoutouts::retracted_at.eq(Utc::now()),
            shoutouts::retracted_by.eq(by),
        ))
        .returning(ShoutoutRow::as_returning())
        .get_result(conn)
        .await
}

/// Feed filters. Only published shout-outs are listed.
#[derive(Debug, Default)]
pub struct FeedFilter {
    pub recipient_id: Option<Uuid>,
    pub giver_id: Option<Uuid>,
    /// Recipients in any of these teams (a subtree, already expanded).
    pub team_ids: Option<Vec<Uuid>>,
    pub value: Option<HeartValue>,
    pub source: Option<ShoutoutSource>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Keyset position: (created_at, id) of the previous page's last item.
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
    /// Which private shout-outs the reader may see.
    pub private: PrivateAccess,
    /// A wall (a widget key): leave out shout-outs naming someone who chose not to appear on
    /// walls.
    pub wall: bool,
}

/// Shout-outs naming (as giver or thanked) someone hidden from walls, as SQL over `shoutouts`.
const NAMES_SOMEONE_OFF_WALLS: &str = "(shoutouts.giver_id IN (SELECT em.id FROM employees em \
     WHERE NOT em.show_on_wall) OR EXISTS (SELECT 1 FROM shoutout_recipients wr \
     JOIN employees we ON we.id = wr.recipient_id \
     WHERE wr.shoutout_id = shoutouts.id AND NOT we.show_on_wall))";

/// Which of `ids` name someone who chose not to appear on walls.
pub async fn naming_someone_off_walls(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<Uuid>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    shoutouts::table
        .filter(shoutouts::id.eq_any(ids))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            NAMES_SOMEONE_OFF_WALLS,
        ))
        .select(shoutouts::id)
        .load(conn)
        .await
}

/// Which private shout-outs a reader may see: none (a widget, a wall, someone outside the
/// directory), all (admins), or those a person gave, received, or that thanked someone they
/// manage (by team, or by reporting line).
#[derive(Debug, Clone, Default)]
pub enum PrivateAccess {
    #[default]
    None,
    All,
    Person {
        employee_id: Uuid,
        managed_teams: Vec<Uuid>,
    },
}

/// The condition "the reader may see this shout-out" as SQL over `shoutouts`.
fn readable(
    access: &PrivateAccess,
) -> Option<Box<dyn BoxableExpression<shoutouts::table, Pg, SqlType = diesel::sql_types::Bool>>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Array, Bool, Uuid as SqlUuid};
    match access {
        PrivateAccess::All => None,
        PrivateAccess::None => Some(Box::new(shoutouts::visibility.eq("public"))),
        PrivateAccess::Person {
            employee_id,
            managed_teams,
        } => Some(Box::new(
            sql::<Bool>("(shoutouts.visibility = 'public' OR shoutouts.giver_id = ")
                .bind::<SqlUuid, _>(*employee_id)
                .sql(
                    " OR shoutouts.id IN (SELECT r.shoutout_id FROM shoutout_recipients r \
                     JOIN employees e ON e.id = r.recipient_id WHERE r.recipient_id = ",
                )
                .bind::<SqlUuid, _>(*employee_id)
                .sql(" OR e.manager_id = ")
                .bind::<SqlUuid, _>(*employee_id)
                .sql(" OR e.team_id = ANY(")
                .bind::<Array<SqlUuid>, _>(managed_teams.clone())
                .sql(")))"),
        )),
    }
}

/// Whether the reader may see shout-out `id` (published or not: only its visibility counts).
pub async fn may_read(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    access: &PrivateAccess,
) -> QueryResult<bool> {
    let mut query = shoutouts::table
        .filter(shoutouts::id.eq(id))
        .select(shoutouts::id)
        .into_boxed();
    if let Some(condition) = readable(access) {
        query = query.filter(condition);
    }
    Ok(query.first::<Uuid>(conn).await.optional()?.is_some())
}

pub async fn feed(
    conn: &mut AsyncPgConnection,
    filter: &FeedFilter,
) -> QueryResult<Vec<ShoutoutRow>> {
    let mut query = shoutouts::table
        .filter(shoutouts::status.eq(ShoutoutStatus::Published))
        .select(ShoutoutRow::as_select())
        .into_boxed();
    if let Some(condition) = readable(&filter.private) {
        query = query.filter(condition);
    }
    if filter.wall {
        query = query.filter(diesel::dsl::not(
            diesel::dsl::sql::<diesel::sql_types::Bool>(NAMES_SOMEONE_OFF_WALLS),
        ));
    }
    if let Some(recipient) = filter.recipient_id {
        query = query.filter(
            shoutouts::id.eq_any(
                shoutout_recipients::table
                    .filter(shoutout_recipients::recipient_id.eq(recipient))
                    .select(shoutout_recipients::shoutout_id),
            ),
        );
    }
    if let Some(giver) = filter.giver_id {
        query = query.filter(shoutouts::giver_id.eq(giver));
    }
    if let Some(team_ids) = &filter.team_ids {
        query = query.filter(
            shoutouts::id.eq_any(
                shoutout_recipients::table
                    .inner_join(employees::table)
                    .filter(employees::team_id.eq_any(team_ids.clone()))
                    .select(shoutout_recipients::shoutout_id),
            ),
        );
    }
    if let Some(value) = filter.value {
        query = query.filter(shoutouts::value.eq(value));
    }
    if let Some(source) = filter.source {
        query = query.filter(shoutouts::source.eq(source));
    }
    if let Some(since) = filter.since {
        query = query.filter(shoutouts::created_at.ge(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(shoutouts::created_at.lt(until));
    }
    if let Some((at, id)) = filter.before {
        query = query.filter(
            shoutouts::created_at
                .lt(at)
                .or(shoutouts::created_at.eq(at).and(shoutouts::id.lt(id))),
        );
    }
    query
        .order((shoutouts::created_at.desc(), shoutouts::id.desc()))
        .limit(filter.limit)
        .load(conn)
        .await
}

/// A shout-out with the people it names and its cheer count: what the API shows.
#[derive(Debug, Clone)]
pub struct ShoutoutDetails {
    pub row: ShoutoutRow,
    pub giver: Option<EmployeeRow>,
    pub recipients: Vec<EmployeeRow>,
    pub cheers: i64,
}

/// Loads givers, recipients and cheer counts for a page of shout-outs in three queries.
pub async fn details(
    conn: &mut AsyncPgConnection,
    rows: Vec<ShoutoutRow>,
) -> QueryResult<Vec<ShoutoutDetails>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let recipient_rows: Vec<(Uuid, EmployeeRow)> = shoutout_recipients::table
        .inner_join(employees::table)
        .filter(shoutout_recipients::shoutout_id.eq_any(&ids))
        .select((shoutout_recipients::shoutout_id, EmployeeRow::as_select()))
        .order((employees::display_name.asc(), employees::id.asc()))
        .load(conn)
        .await?;
    let mut recipients: HashMap<Uuid, Vec<EmployeeRow>> = HashMap::new();
    for (shoutout_id, employee) in recipient_rows {
        recipients.entry(shoutout_id).or_default().push(employee);
    }
    let giver_ids: Vec<Uuid> = rows.iter().filter_map(|r| r.giver_id).collect();
    let givers: HashMap<Uuid, EmployeeRow> = employees::table
        .filter(employees::id.eq_any(&giver_ids))
        .select(EmployeeRow::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let cheer_counts: HashMap<Uuid, i64> = cheers::table
        .filter(cheers::shoutout_id.eq_any(&ids))
        .group_by(cheers::shoutout_id)
        .select((cheers::shoutout_id, diesel::dsl::count_star()))
        .load::<(Uuid, i64)>(conn)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| ShoutoutDetails {
            giver: row.giver_id.and_then(|id| givers.get(&id).cloned()),
            recipients: recipients.remove(&row.id).unwrap_or_default(),
            cheers: cheer_counts.get(&row.id).copied().unwrap_or(0),
            row,
        })
        .collect())
}

/// Who cheered these shout-outs, by name, as (shout-out, name), in the order they cheered.
pub async fn cheerers(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, String)>> {
    cheers::table
        .inner_join(employees::table)
        .filter(cheers::shoutout_id.eq_any(ids))
        .order((cheers::shoutout_id, cheers::created_at, employees::id))
        .select((cheers::shoutout_id, employees::display_name))
        .load(conn)
        .await
}

pub async fn recipient_ids(
    conn: &mut AsyncPgConnection,
    shoutout_id: Uuid,
) -> QueryResult<Vec<Uuid>> {
    shoutout_recipients::table
        .filter(shoutout_recipients::shoutout_id.eq(shoutout_id))
        .select(shoutout_recipients::recipient_id)
        .load(conn)
        .await
}

/// Adds a cheer; returns whether it is new (a second cheer by the same person changes nothing).
pub async fn add_cheer(
    conn: &mut AsyncPgConnection,
    shoutout_id: Uuid,
    employee_id: Uuid,
) -> QueryResult<bool> {
    let inserted = diesel::insert_into(cheers::table)
        .values((
            cheers::shoutout_id.eq(shoutout_id),
            cheers::employee_id.eq(employee_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// The shout-outs with these ids (those that exist), in no particular order.
pub async fn find_many(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<ShoutoutRow>> {
    shoutouts::table
        .filter(shoutouts::id.eq_any(ids))
        .select(ShoutoutRow::as_select())
        .load(conn)
        .await
}

/// Adds many cheers at once (demo data); existing ones are left as they are.
pub async fn add_cheers(
    conn: &mut AsyncPgConnection,
    cheers: &[(Uuid, Uuid)],
) -> QueryResult<usize> {
    let rows: Vec<_> = cheers
        .iter()
        .map(|&(shoutout_id, employee_id)| {
            (
                cheers::shoutout_id.eq(shoutout_id),
                cheers::employee_id.eq(employee_id),
            )
        })
        .collect();
    diesel::insert_into(cheers::table)
        .values(rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .await
}

pub async fn remove_cheer(
    conn: &mut AsyncPgConnection,
    shoutout_id: Uuid,
    employee_id: Uuid,
) -> QueryResult<bool> {
    let deleted = diesel::delete(cheers::table.find((shoutout_id, employee_id)))
        .execute(conn)
        .await?;
    Ok(deleted == 1)
}

pub async fn cheer_count(conn: &mut AsyncPgConnection, shoutout_id: Uuid) -> QueryResult<i64> {
    cheers::table
        .filter(cheers::shoutout_id.eq(shoutout_id))
        .count()
        .get_result(conn)
        .await
}

/// What a request with an `Idempotency-Key` finds.
#[derive(Debug)]
pub enum IdempotencyClaim {
    /// The key is new: this transaction owns it and must record its response.
    Fresh,
    /// A request with this key already succeeded: replay its response.
    Replay {
        status: u16,
        body: serde_json::Value,
        location: Option<String>,
    },
    /// The key was used for a different request.
    Mismatch,
}

/// Claims `key` for `owner`. If another transaction holds the same key, this waits for it to
/// finish (that is how `INSERT ... ON CONFLICT` behaves), then replays what it recorded, so racing
/// retries create exactly one shout-out.
pub async fn claim_idempotency_key(
    conn: &mut AsyncPgConnection,
    owner_id: Uuid,
    key: &str,
    request_hash: &[u8],
) -> QueryResult<IdempotencyClaim> {
    use idempotency_keys::dsl as k;
    let inserted = diesel::insert_into(k::idempotency_keys)
        .values((
            k::owner_id.eq(owner_id),
            k::idempotency_key.eq(key),
            k::request_hash.eq(request_hash),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    if inserted == 1 {
        return Ok(IdempotencyClaim::Fresh);
    }
    let (hash, status, body, location): (
        Vec<u8>,
        Option<i16>,
        Option<serde_json::Value>,
        Option<String>,
    ) = k::idempotency_keys
        .find((owner_id, key))
        .select((
            k::request_hash,
            k::response_status,
            k::response_body,
            k::location,
        ))
        .first(conn)
        .await?;
    if hash != request_hash {
        return Ok(IdempotencyClaim::Mismatch);
    }
    match (status, body) {
        (Some(status), Some(body)) => Ok(IdempotencyClaim::Replay {
            status: status as u16,
            body,
            location,
        }),
        // Only committed rows are visible and every committed row has its response.
        _ => Err(diesel::result::Error::NotFound),
    }
}

pub async fn record_idempotent_response(
    conn: &mut AsyncPgConnection,
    owner_id: Uuid,
    key: &str,
    status: u16,
    body: &serde_json::Value,
    location: &str,
) -> QueryResult<()> {
    use idempotency_keys::dsl as k;
    diesel::update(k::idempotency_keys.find((owner_id, key)))
        .set((
            k::response_status.eq(status as i16),
            k::response_body.eq(body),
            k::location.eq(location),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets keys older than `age`; a retry after that creates a new shout-out.
pub async fn expire_idempotency_keys(
    conn: &mut AsyncPgConnection,
    age: chrono::Duration,
) -> QueryResult<usize> {
    diesel::delete(
        idempotency_keys::table.filter(idempotency_keys::created_at.lt(Utc::now() - age)),
    )
    .execute(conn)
    .await
}

/// Inserts many shout-outs and their recipients (an import), in chunks that stay under
/// PostgreSQL's bind-parameter limit. Statement-level triggers count each chunk in one pass.
pub async fn insert_many(
    conn: &mut AsyncPgConnection,
    new: &[NewShoutout],
    recipients: &[(Uuid, Uuid, Option<Uuid>)],
) -> QueryResult<()> {
    for chunk in new.chunks(4000) {
        diesel::insert_into(shoutouts::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    let rows: Vec<NewRecipient> = recipients
        .iter()
        .map(|&(shoutout_id, recipient_id, giver_id)| NewRecipient {
            shoutout_id,
            recipient_id,
            giver_id,
        })
        .collect();
    for chunk in rows.chunks(10_000) {
        diesel::insert_into(shoutout_recipients::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// One imported row's claim: its key, the shout-out it would create, the id it had elsewhere.
pub struct ImportClaim<'a> {
    pub key: [u8; 32],
    pub shoutout_id: Uuid,
    pub source_id: Option<&'a str>,
}

/// Claims the keys of imported rows; returns the keys that were free (and are now this
/// transaction's). Claims go in key order, so two imports of overlapping files wait on each
/// other rather than deadlock; a key another transaction holds waits for its outcome.
pub async fn claim_import_keys(
    conn: &mut AsyncPgConnection,
    claims: &mut [ImportClaim<'_>],
) -> QueryResult<std::collections::HashSet<Vec<u8>>> {
    use crate::schema::imported_shoutouts;
    claims.sort_by_key(|c| c.key);
    let mut claimed = std::collections::HashSet::with_capacity(claims.len());
    for chunk in claims.chunks(5_000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|c| {
                (
                    imported_shoutouts::import_key.eq(c.key.to_vec()),
                    imported_shoutouts::shoutout_id.eq(c.shoutout_id),
                    imported_shoutouts::source_id.eq(c.source_id),
                )
            })
            .collect();
        let keys: Vec<Vec<u8>> = diesel::insert_into(imported_shoutouts::table)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(imported_shoutouts::import_key)
            .get_results(conn)
            .await?;
        claimed.extend(keys);
    }
    Ok(claimed)
}

/// Employee ids by external id, for the ones that exist.
pub async fn ids_by_external_id(
    conn: &mut AsyncPgConnection,
    external_ids: &[String],
) -> QueryResult<HashMap<String, Uuid>> {
    let rows: Vec<(String, Uuid)> = employees::table
        .filter(employees::external_id.eq_any(external_ids))
        .select((employees::external_id, employees::id))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}
