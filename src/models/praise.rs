//! Customer praise in the database: handles, the praise rows beside their shout-outs, spent
//! challenges, and moderation decisions.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::domain::{HeartValue, ShoutoutSource, ShoutoutStatus};
use crate::models::employees::EmployeeRow;
use crate::models::shoutouts::{NewShoutout, ShoutoutRow, insert as insert_shoutout};
use crate::schema::{
    customer_praise, employees, moderation_decisions, shoutout_recipients, shoutouts,
    spent_challenges,
};

/// The active employee a praise link names.
pub async fn find_by_handle(
    conn: &mut AsyncPgConnection,
    handle: &str,
) -> QueryResult<Option<EmployeeRow>> {
    employees::table
        .filter(employees::praise_handle.eq(handle))
        .filter(employees::active.eq(true))
        .select(EmployeeRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// An employee's current handle (None: no such employee).
pub async fn handle_of(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<String>> {
    employees::table
        .find(id)
        .select(employees::praise_handle)
        .first(conn)
        .await
        .optional()
}

/// Gives an employee a new handle; the old link stops working at once.
pub async fn rotate_handle(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<String>> {
    diesel::update(employees::table.find(id))
        .set(
            employees::praise_handle.eq(diesel::dsl::sql::<sql_types::Text>("new_praise_handle()")),
        )
        .returning(employees::praise_handle)
        .get_result(conn)
        .await
        .optional()
}

/// Marks a challenge used; false if it already was (a replay).
pub async fn spend_challenge(
    conn: &mut AsyncPgConnection,
    nonce: &[u8],
    expires_at: DateTime<Utc>,
) -> QueryResult<bool> {
    let inserted = diesel::insert_into(spent_challenges::table)
        .values((
            spent_challenges::nonce.eq(nonce),
            spent_challenges::expires_at.eq(expires_at),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

/// Forgets spent challenges that have expired anyway (an expired one is refused on its own).
pub async fn forget_spent_challenges(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    diesel::delete(spent_challenges::table.filter(spent_challenges::expires_at.lt(Utc::now())))
        .execute(conn)
        .await
}

/// One use of a shared hourly budget: how much of this hour's window is used (this use
/// included), how much the previous hour's was, and how far into this hour we are.
#[derive(Debug, Clone, Copy, PartialEq, QueryableByName)]
pub struct BudgetUse {
    #[diesel(sql_type = sql_types::Integer)]
    pub used: i32,
    #[diesel(sql_type = sql_types::Integer)]
    pub previous: i32,
    #[diesel(sql_type = sql_types::Double)]
    pub seconds_in: f64,
}

/// Takes one from the shared budget of `key` in `scope` (`address` or `employee`). Call inside
/// the transaction that stores the praise: the row lock orders racing instances, and a rollback
/// gives the use back.
pub async fn take_budget(
    conn: &mut AsyncPgConnection,
    scope: &str,
    key: &str,
) -> QueryResult<BudgetUse> {
    diesel::sql_query(
        "WITH taken AS ( \
             INSERT INTO praise_budgets AS b (scope, key, window_start, used) \
             VALUES ($1, $2, date_trunc('hour', now()), 1) \
             ON CONFLICT (scope, key, window_start) DO UPDATE SET used = b.used + 1 \
             RETURNING used, window_start \
         ) \
         SELECT taken.used, \
                coalesce((SELECT p.used FROM praise_budgets p WHERE p.scope = $1 AND p.key = $2 \
                          AND p.window_start = taken.window_start - interval '1 hour'), 0) AS previous, \
                extract(epoch FROM now() - taken.window_start)::float8 AS seconds_in \
         FROM taken",
    )
    .bind::<sql_types::Text, _>(scope)
    .bind::<sql_types::Text, _>(key)
    .get_result(conn)
    .await
}

/// Forgets budget windows that no longer count (older than the previous hour).
pub async fn forget_budgets(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM praise_budgets WHERE window_start < now() - interval '2 hours'")
        .execute(conn)
        .await
}

#[derive(Debug, Clone)]
pub struct NewPraise {
    pub id: Uuid,
    pub employee_id: Uuid,
    pub message: String,
    pub value: HeartValue,
    pub value_suggested: bool,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    pub email_consent: bool,
    pub received_at: DateTime<Utc>,
    /// The shout-out's, chosen by the customer.
    pub visibility: crate::domain::Visibility,
}

pub enum Stored {
    New(Uuid),
    /// The id of the same message to the same person, stored within the day before.
    Duplicate(Uuid),
}

/// What makes two messages "the same": their words, ignoring case and spacing.
pub fn message_hash(message: &str) -> Vec<u8> {
    let normalised = message
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    Sha256::digest(normalised.as_bytes()).to_vec()
}

/// Stores a pending customer shout-out, once: the praise row goes first, and the exclusion
/// constraint `customer_praise_once_a_day` decides (waiting for a racing transaction if need
/// be) whether the same message reached the same person within a day. The caller provides the
/// transaction.
pub async fn insert(conn: &mut AsyncPgConnection, new: &NewPraise) -> QueryResult<Stored> {
    let hash = message_hash(&new.message);
    let inserted: Option<Uuid> = diesel::insert_into(customer_praise::table)
        .values((
            customer_praise::shoutout_id.eq(new.id),
            customer_praise::employee_id.eq(new.employee_id),
            customer_praise::message_hash.eq(&hash),
            customer_praise::received_at.eq(new.received_at),
            customer_praise::dedupe_until.eq(new.received_at + chrono::Duration::hours(24)),
            customer_praise::customer_email.eq(&new.customer_email),
            customer_praise::email_consent.eq(new.email_consent),
            customer_praise::value_suggested.eq(new.value_suggested),
        ))
        .on_conflict_do_nothing()
        .returning(customer_praise::shoutout_id)
        .get_result(conn)
        .await
        .optional()?;
    if inserted.is_none() {
        let first: Uuid = customer_praise::table
            .filter(customer_praise::employee_id.eq(new.employee_id))
            .filter(customer_praise::message_hash.eq(&hash))
            .order(customer_praise::received_at.desc())
            .select(customer_praise::shoutout_id)
            .first(conn)
            .await?;
        return Ok(Stored::Duplicate(first));
    }
    let shoutout = NewShoutout {
        id: new.id,
        source: ShoutoutSource::Customer,
        giver_id: None,
        customer_name: new.customer_name.clone(),
        value: new.value,
        message: new.message.clone(),
        status: ShoutoutStatus::Pending,
        created_at: new.received_at,
        visibility: new.visibility.as_str(),
    };
    insert_shoutout(conn, &shoutout, &[new.employee_id]).await?;
    Ok(Stored::New(new.id))
}

/// What moderators see beside the shout-out.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = customer_praise)]
pub struct PraiseRow {
    pub shoutout_id: Uuid,
    pub employee_id: Uuid,
    pub received_at: DateTime<Utc>,
    pub customer_email: Option<String>,
    pub value_suggested: bool,
    pub email_erased_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = moderation_decisions)]
pub struct DecisionRow {
    pub shoutout_id: Uuid,
    pub decision: String,
    pub decided_by: String,
    pub decided_by_id: Option<Uuid>,
    pub decided_at: DateTime<Utc>,
    pub reason: Option<String>,
    pub value_before: HeartValue,
    pub value_after: HeartValue,
    pub recipient_before: Uuid,
    pub recipient_after: Uuid,
}

pub struct QueueFilter {
    pub status: ShoutoutStatus,
    /// Only praise for people in these teams (a manager's); None for everything (an admin).
    pub team_ids: Option<Vec<Uuid>>,
    /// Keyset position: (created_at, id) of the previous page's last item.
    pub after: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

/// Customer shout-outs in one status, oldest first, with their praise rows and decisions.
pub async fn queue(
    conn: &mut AsyncPgConnection,
    filter: &QueueFilter,
) -> QueryResult<Vec<(ShoutoutRow, PraiseRow, Option<DecisionRow>)>> {
    let mut query = shoutouts::table
        .inner_join(customer_praise::table)
        .left_join(moderation_decisions::table)
        .filter(shoutouts::status.eq(filter.status))
        .filter(shoutouts::source.eq(ShoutoutSource::Customer))
        .select((
            ShoutoutRow::as_select(),
            PraiseRow::as_select(),
            Option::<DecisionRow>::as_select(),
        ))
        .order((shoutouts::created_at.asc(), shoutouts::id.asc()))
        .limit(filter.limit)
        .into_boxed();
    if let Some(teams) = &filter.team_ids {
        // The person the praise is about now (a moderator may have moved it), in their
        // current team.
        query = query.filter(
            shoutouts::id.eq_any(
                shoutout_recipients::table
                    .inner_join(employees::table)
                    .filter(employees::team_id.eq_any(teams.clone()))
                    .select(shoutout_recipients::shoutout_id),
            ),
        );
    }
    if let Some((at, id)) = filter.after {
        query = query.filter(
            shoutouts::created_at
                .gt(at)
                .or(shoutouts::created_at.eq(at).and(shoutouts::id.gt(id))),
        );
    }
    query.load(conn).await
}

/// How much customer praise waits for a decision, for people in `team_ids` (the same rule as
/// [`queue`]), or everywhere.
pub async fn count_pending(
    conn: &mut AsyncPgConnection,
    team_ids: Option<&[Uuid]>,
) -> QueryResult<i64> {
    let mut query = shoutouts::table
        .inner_join(customer_praise::table)
        .filter(shoutouts::status.eq(ShoutoutStatus::Pending))
        .filter(shoutouts::source.eq(ShoutoutSource::Customer))
        .count()
        .into_boxed();
    if let Some(teams) = team_ids {
        query = query.filter(
            shoutouts::id.eq_any(
                shoutout_recipients::table
                    .inner_join(employees::table)
                    .filter(employees::team_id.eq_any(teams.to_vec()))
                    .select(shoutout_recipients::shoutout_id),
            ),
        );
    }
    query.get_result(conn).await
}

pub async fn find_praise(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<PraiseRow>> {
    customer_praise::table
        .find(id)
        .select(PraiseRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn find_decision(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> QueryResult<Option<DecisionRow>> {
    moderation_decisions::table
        .find(id)
        .select(DecisionRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Moves pending praise to another person (before it is published, so no board has counted
/// it yet).
pub async fn move_recipient(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    from: Uuid,
    to: Uuid,
) -> QueryResult<()> {
    diesel::delete(
        shoutout_recipients::table
            .filter(shoutout_recipients::shoutout_id.eq(id))
            .filter(shoutout_recipients::recipient_id.eq(from)),
    )
    .execute(conn)
    .await?;
    diesel::insert_into(shoutout_recipients::table)
        .values((
            shoutout_recipients::shoutout_id.eq(id),
            shoutout_recipients::recipient_id.eq(to),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Publishes or rejects pending praise with its (possibly corrected) value. Only a `pending`
/// row changes: the caller holds its lock, so two moderators cannot both decide.
pub async fn decide(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status: ShoutoutStatus,
    value: HeartValue,
    decision: &NewDecision<'_>,
) -> QueryResult<ShoutoutRow> {
    let row = diesel::update(
        shoutouts::table
            .find(id)
            .filter(shoutouts::status.eq(ShoutoutStatus::Pending)),
    )
    .set((shoutouts::status.eq(status), shoutouts::value.eq(value)))
    .returning(ShoutoutRow::as_returning())
    .get_result(conn)
    .await?;
    diesel::insert_into(moderation_decisions::table)
        .values((
            moderation_decisions::shoutout_id.eq(id),
            moderation_decisions::decision.eq(decision.decision),
            moderation_decisions::decided_by.eq(decision.decided_by),
            moderation_decisions::decided_by_id.eq(decision.decided_by_id),
            moderation_decisions::reason.eq(decision.reason),
            moderation_decisions::value_before.eq(decision.value_before),
            moderation_decisions::value_after.eq(value),
            moderation_decisions::recipient_before.eq(decision.recipient_before),
            moderation_decisions::recipient_after.eq(decision.recipient_after),
        ))
        .execute(conn)
        .await?;
    Ok(row)
}

pub struct NewDecision<'a> {
    pub decision: &'a str,
    pub decided_by: &'a str,
    pub decided_by_id: Option<Uuid>,
    pub reason: Option<&'a str>,
    pub value_before: HeartValue,
    pub recipient_before: Uuid,
    pub recipient_after: Uuid,
}

/// Erases a customer's e-mail; the praise itself stays. Returns false when there is no
/// customer praise with this id.
pub async fn erase_email(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    let updated = diesel::update(customer_praise::table.find(id))
        .set((
            customer_praise::customer_email.eq(None::<String>),
            customer_praise::email_erased_at.eq(diesel::dsl::sql::<
                sql_types::Nullable<sql_types::Timestamptz>,
            >("coalesce(email_erased_at, now())")),
        ))
        .execute(conn)
        .await?;
    // A mail to the address that has not gone out never will.
    super::mail::cancel_customer_mail(conn, id).await?;
    Ok(updated == 1)
}
