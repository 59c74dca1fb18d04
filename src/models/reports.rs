//! What a team's report is made of, read from the raw tables (the truth), for the team's
//! subtree and a range of instants. People count where they were when a shout-out was given:
//! `shoutout_recipients.recipient_team_id` and `shoutouts.giver_team_id` are kept at the time.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::domain::{HeartValue, ShoutoutSource};

/// One person's counts in the range.
#[derive(Debug, Clone, QueryableByName)]
pub struct MemberCounts {
    #[diesel(sql_type = SqlUuid)]
    pub employee_id: Uuid,
    #[diesel(sql_type = Text)]
    pub display_name: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub team_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub title: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub active: bool,
    /// Whether they are in the subtree now (not only were, when a shout-out was given).
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub current_member: bool,
    #[diesel(sql_type = BigInt)]
    pub received: i64,
    #[diesel(sql_type = BigInt)]
    pub given: i64,
    #[diesel(sql_type = BigInt)]
    pub cheers: i64,
    #[diesel(sql_type = BigInt)]
    pub helping_others: i64,
    #[diesel(sql_type = BigInt)]
    pub exceeding_expectations: i64,
    #[diesel(sql_type = BigInt)]
    pub achieving_goals: i64,
    #[diesel(sql_type = BigInt)]
    pub responding_with_care: i64,
    #[diesel(sql_type = BigInt)]
    pub thriving_through_teamwork: i64,
}

/// Everyone who belongs in the report: current members of the subtree (leavers included, so
/// their history shows) and anyone who received or gave while in it during the range, with
/// their counts. Received counts are per shout-out received; cheers are those on shout-outs
/// they received in the range.
pub async fn members(
    conn: &mut AsyncPgConnection,
    teams: &[Uuid],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> QueryResult<Vec<MemberCounts>> {
    diesel::sql_query(
        "WITH got AS ( \
             SELECT r.recipient_id AS id, s.id AS shoutout_id, s.value \
             FROM shoutout_recipients r JOIN shoutouts s ON s.id = r.shoutout_id \
             WHERE r.recipient_team_id = ANY($1) AND s.status = 'published' \
               AND s.created_at >= $2 AND s.created_at < $3 \
         ), received AS ( \
             SELECT id, count(*) AS received, \
                    count(*) FILTER (WHERE value = 'helping_others') AS helping_others, \
                    count(*) FILTER (WHERE value = 'exceeding_expectations') AS exceeding_expectations, \
                    count(*) FILTER (WHERE value = 'achieving_goals') AS achieving_goals, \
                    count(*) FILTER (WHERE value = 'responding_with_care') AS responding_with_care, \
                    count(*) FILTER (WHERE value = 'thriving_through_teamwork') AS thriving_through_teamwork \
             FROM got GROUP BY id \
         ), cheered AS ( \
             SELECT g.id, count(*) AS cheers FROM got g JOIN cheers c ON c.shoutout_id = g.shoutout_id \
             GROUP BY g.id \
         ), given AS ( \
             SELECT giver_id AS id, count(*) AS given FROM shoutouts \
             WHERE giver_team_id = ANY($1) AND status = 'published' \
               AND created_at >= $2 AND created_at < $3 \
             GROUP BY giver_id \
         ), people AS ( \
             SELECT id FROM employees WHERE team_id = ANY($1) \
             UNION SELECT id FROM received UNION SELECT id FROM given \
         ) \
         SELECT e.id AS employee_id, e.display_name, e.team_id, e.title, e.active, \
                coalesce(e.team_id = ANY($1), false) AS current_member, \
                coalesce(r.received, 0) AS received, coalesce(g.given, 0) AS given, \
                coalesce(c.cheers, 0) AS cheers, \
                coalesce(r.helping_others, 0) AS helping_others, \
                coalesce(r.exceeding_expectations, 0) AS exceeding_expectations, \
                coalesce(r.achieving_goals, 0) AS achieving_goals, \
                coalesce(r.responding_with_care, 0) AS responding_with_care, \
                coalesce(r.thriving_through_teamwork, 0) AS thriving_through_teamwork \
         FROM people p JOIN employees e ON e.id = p.id \
         LEFT JOIN received r ON r.id = p.id \
         LEFT JOIN given g ON g.id = p.id \
         LEFT JOIN cheered c ON c.id = p.id \
         ORDER BY received DESC, e.display_name, e.id",
    )
    .bind::<Array<SqlUuid>, _>(teams)
    .bind::<Timestamptz, _>(since)
    .bind::<Timestamptz, _>(until)
    .load(conn)
    .await
}

/// The shout-outs the team received in the range, by value and source: each counts once,
/// however many members it thanked.
#[derive(Debug, Clone, QueryableByName)]
pub struct Breakdown {
    #[diesel(sql_type = crate::schema::sql_types::HeartValue)]
    pub value: HeartValue,
    #[diesel(sql_type = crate::schema::sql_types::ShoutoutSource)]
    pub source: ShoutoutSource,
    #[diesel(sql_type = BigInt)]
    pub shoutouts: i64,
}

pub async fn breakdown(
    conn: &mut AsyncPgConnection,
    teams: &[Uuid],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> QueryResult<Vec<Breakdown>> {
    diesel::sql_query(
        "SELECT s.value, s.source, count(*) AS shoutouts FROM shoutouts s \
         WHERE s.status = 'published' AND s.created_at >= $2 AND s.created_at < $3 \
           AND s.id IN (SELECT shoutout_id FROM shoutout_recipients WHERE recipient_team_id = ANY($1)) \
         GROUP BY s.value, s.source",
    )
    .bind::<Array<SqlUuid>, _>(teams)
    .bind::<Timestamptz, _>(since)
    .bind::<Timestamptz, _>(until)
    .load(conn)
    .await
}

/// Shout-outs received (each once) and given by the team, per week (weeks start on Monday in
/// the organisation's time zone `$4`).
#[derive(Debug, Clone, QueryableByName)]
pub struct Week {
    #[diesel(sql_type = Date)]
    pub week_start: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub received: i64,
    #[diesel(sql_type = BigInt)]
    pub given: i64,
}

pub async fn weekly(
    conn: &mut AsyncPgConnection,
    teams: &[Uuid],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    timezone: &str,
) -> QueryResult<Vec<Week>> {
    diesel::sql_query(
        "WITH r AS ( \
             SELECT date_trunc('week', s.created_at AT TIME ZONE $4)::date AS week_start, count(*) AS n \
             FROM shoutouts s WHERE s.status = 'published' AND s.created_at >= $2 AND s.created_at < $3 \
               AND s.id IN (SELECT shoutout_id FROM shoutout_recipients WHERE recipient_team_id = ANY($1)) \
             GROUP BY 1 \
         ), g AS ( \
             SELECT date_trunc('week', created_at AT TIME ZONE $4)::date AS week_start, count(*) AS n \
             FROM shoutouts WHERE giver_team_id = ANY($1) AND status = 'published' \
               AND created_at >= $2 AND created_at < $3 \
             GROUP BY 1 \
         ) \
         SELECT w::date AS week_start, coalesce(r.n, 0) AS received, coalesce(g.n, 0) AS given \
         FROM generate_series(date_trunc('week', $2 AT TIME ZONE $4), \
                              $3 AT TIME ZONE $4 - interval '1 microsecond', interval '1 week') w \
         LEFT JOIN r ON r.week_start = w::date LEFT JOIN g ON g.week_start = w::date \
         ORDER BY 1",
    )
    .bind::<Array<SqlUuid>, _>(teams)
    .bind::<Timestamptz, _>(since)
    .bind::<Timestamptz, _>(until)
    .bind::<Text, _>(timezone)
    .load(conn)
    .await
}

/// One line of the raw export: a shout-out and one of its recipients.
#[derive(Debug, Clone, QueryableByName)]
pub struct ExportLine {
    #[diesel(sql_type = SqlUuid)]
    pub shoutout_id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = crate::schema::sql_types::ShoutoutSource)]
    pub source: ShoutoutSource,
    #[diesel(sql_type = crate::schema::sql_types::HeartValue)]
    pub value: HeartValue,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub giver_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub giver_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub customer_name: Option<String>,
    #[diesel(sql_type = SqlUuid)]
    pub recipient_id: Uuid,
    #[diesel(sql_type = Text)]
    pub recipient_name: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub recipient_team_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub message: String,
}

/// A batch of the raw export after `after` (created_at, shoutout id, recipient id), in that
/// order: the export pages through the range so that memory stays constant however long it is.
pub async fn export_batch(
    conn: &mut AsyncPgConnection,
    teams: Option<&[Uuid]>,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    after: Option<(DateTime<Utc>, Uuid, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<ExportLine>> {
    let (at, id, recipient) = match after {
        Some((at, id, recipient)) => (Some(at), Some(id), Some(recipient)),
        None => (None, None, None),
    };
    diesel::sql_query(
        "SELECT s.id AS shoutout_id, s.created_at, s.source, s.value, s.giver_id, \
                g.display_name AS giver_name, s.customer_name, r.recipient_id, \
                e.display_name AS recipient_name, r.recipient_team_id, s.message \
         FROM shoutouts s \
         JOIN shoutout_recipients r ON r.shoutout_id = s.id \
         JOIN employees e ON e.id = r.recipient_id \
         LEFT JOIN employees g ON g.id = s.giver_id \
         WHERE s.status = 'published' AND s.created_at >= $2 AND s.created_at < $3 \
           AND ($1::uuid[] IS NULL OR r.recipient_team_id = ANY($1)) \
           AND ($4::timestamptz IS NULL OR (s.created_at, s.id, r.recipient_id) > ($4, $5, $6)) \
         ORDER BY s.created_at, s.id, r.recipient_id \
         LIMIT $7",
    )
    .bind::<Nullable<Array<SqlUuid>>, _>(teams)
    .bind::<Timestamptz, _>(since)
    .bind::<Timestamptz, _>(until)
    .bind::<Nullable<Timestamptz>, _>(at)
    .bind::<Nullable<SqlUuid>, _>(id)
    .bind::<Nullable<SqlUuid>, _>(recipient)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}
