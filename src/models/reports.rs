//! What a team's report is made of, read from the raw tables (the truth), for the team's
//! subtree and a range of instants. People count where they were when a shout-out was given:
//! `shoutout_recipients.recipient_team_id` and `shoutouts.giver_team_id` are kept at the time.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::domain::{HeartValue, ShoutoutSource};

/// Everything a report counts: what members received and gave in the range, and the totals of
/// the previous range. Received counts are per member thanked unless named `shoutouts` (each
/// shout-out once however many members it thanked).
#[derive(Debug, Clone, Default)]
pub struct Gathered {
    pub breakdown: Vec<Breakdown>,
    pub previous_shoutouts: i64,
    pub previous_given: i64,
    pub weekly_received: Vec<WeekCount>,
    pub weekly_given: Vec<WeekCount>,
    pub received: Vec<PersonValue>,
    pub given: Vec<PersonCount>,
    pub cheers: Vec<PersonCount>,
}

impl Gathered {
    /// Everyone a count names: members now, and people who were members when thanked or
    /// when they gave.
    pub fn people_counted(&self) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = (self.received.iter().map(|r| r.id))
            .chain(self.given.iter().map(|g| g.id))
            .chain(self.cheers.iter().map(|c| c.id))
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

#[derive(Debug, Clone)]
pub struct Breakdown {
    pub value: HeartValue,
    pub source: ShoutoutSource,
    pub shoutouts: i64,
}

#[derive(Debug, Clone)]
pub struct WeekCount {
    pub week_start: NaiveDate,
    pub n: i64,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct PersonValue {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = crate::schema::sql_types::HeartValue)]
    pub value: HeartValue,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct PersonCount {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// The recipients' lines of a range (the `WHERE` every received count shares): from the
/// recipients' (team, time) index alone, which carries each thank's value, source and status.
const LINES: &str = "FROM shoutout_recipients \
     WHERE recipient_team_id = ANY($1) AND status = 'published' \
       AND created_at >= $2 AND created_at < $3";

/// What the members gave in a range, through the givers' (team, time) index.
const GAVE: &str = "FROM shoutouts \
     WHERE giver_team_id = ANY($1) AND status = 'published' \
       AND created_at >= $2 AND created_at < $3";

/// A statement over `LINES` or `GAVE`, with their three parameters bound ($1 teams, $2 from,
/// $3 until); further parameters are bound after.
fn in_range<'a>(
    sql: String,
    teams: &'a [Uuid],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> diesel::query_builder::BoxedSqlQuery<'a, diesel::pg::Pg, diesel::query_builder::SqlQuery> {
    diesel::sql_query(sql)
        .into_boxed()
        .bind::<Array<SqlUuid>, _>(teams)
        .bind::<Timestamptz, _>(since)
        .bind::<Timestamptz, _>(until)
}

#[derive(QueryableByName)]
struct ShoutoutWeek {
    #[diesel(sql_type = crate::schema::sql_types::HeartValue)]
    value: HeartValue,
    #[diesel(sql_type = crate::schema::sql_types::ShoutoutSource)]
    source: ShoutoutSource,
    #[diesel(sql_type = Date)]
    week_start: NaiveDate,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Previous {
    #[diesel(sql_type = BigInt)]
    shoutouts: i64,
    #[diesel(sql_type = BigInt)]
    given: i64,
}

#[derive(QueryableByName)]
struct GivenRow {
    #[diesel(sql_type = Nullable<SqlUuid>)]
    id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Date>)]
    week_start: Option<NaiveDate>,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Reads everything a report counts for the teams `teams`, from `since` to `until`, and the
/// totals of the previous range (`previous_since` to `since`).
///
/// Several plain statements, each one index range scan and one hash aggregate returning rows,
/// rather than one statement building JSON: at a department of a 10M data set that was half
/// the time (materialised CTEs and `jsonb_agg` cost more per line than the scans). The caller
/// runs them in one repeatable-read transaction, so they all see the same moment.
pub async fn gather(
    conn: &mut AsyncPgConnection,
    teams: &[Uuid],
    previous_since: DateTime<Utc>,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    timezone: &str,
) -> QueryResult<Gathered> {
    // Each shout-out once, however many members it thanked: grouped by id first.
    let weeks: Vec<ShoutoutWeek> = in_range(
        format!(
            "SELECT value, source, date_trunc('week', created_at AT TIME ZONE $4)::date AS week_start, \
                    count(*) AS n \
             FROM (SELECT shoutout_id, value, source, created_at {LINES} \
                   GROUP BY shoutout_id, value, source, created_at) s \
             GROUP BY 1, 2, 3"
        ),
        teams,
        since,
        until,
    )
    .bind::<Text, _>(timezone)
    .load(conn)
    .await?;

    let received: Vec<PersonValue> = in_range(
        format!("SELECT recipient_id AS id, value, count(*) AS n {LINES} GROUP BY 1, 2"),
        teams,
        since,
        until,
    )
    .load(conn)
    .await?;

    // Per giver and per week in one pass: GROUPING SETS leaves the other column null.
    let given_rows: Vec<GivenRow> = in_range(
        format!(
            "SELECT giver_id AS id, date_trunc('week', created_at AT TIME ZONE $4)::date AS week_start, \
                    count(*) AS n {GAVE} \
             GROUP BY GROUPING SETS ((1), (2))"
        ),
        teams,
        since,
        until,
    )
    .bind::<Text, _>(timezone)
    .load(conn)
    .await?;

    let cheers: Vec<PersonCount> = in_range(
        format!(
            "SELECT l.recipient_id AS id, count(*) AS n \
             FROM (SELECT recipient_id, shoutout_id {LINES}) l \
             JOIN cheers ch ON ch.shoutout_id = l.shoutout_id GROUP BY 1"
        ),
        teams,
        since,
        until,
    )
    .load(conn)
    .await?;

    let previous: Previous = in_range(
        format!(
            "SELECT (SELECT count(DISTINCT shoutout_id) {LINES}) AS shoutouts, \
                    (SELECT count(*) {GAVE}) AS given"
        ),
        teams,
        previous_since,
        since,
    )
    .get_result(conn)
    .await?;

    let mut breakdown: BTreeMap<(HeartValue, ShoutoutSource), i64> = BTreeMap::new();
    let mut weekly_received: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for w in weeks {
        *breakdown.entry((w.value, w.source)).or_default() += w.n;
        *weekly_received.entry(w.week_start).or_default() += w.n;
    }
    let mut given = Vec::new();
    let mut weekly_given = Vec::new();
    for row in given_rows {
        match (row.id, row.week_start) {
            (Some(id), None) => given.push(PersonCount { id, n: row.n }),
            (None, Some(week_start)) => weekly_given.push(WeekCount {
                week_start,
                n: row.n,
            }),
            // Customers' praise has no giver and never reaches this index's teams.
            _ => {}
        }
    }
    Ok(Gathered {
        breakdown: breakdown
            .into_iter()
            .map(|((value, source), shoutouts)| Breakdown {
                value,
                source,
                shoutouts,
            })
            .collect(),
        previous_shoutouts: previous.shoutouts,
        previous_given: previous.given,
        weekly_received: weekly_received
            .into_iter()
            .map(|(week_start, n)| WeekCount { week_start, n })
            .collect(),
        weekly_given,
        received,
        given,
        cheers,
    })
}

/// The people a report lists: current members of the subtree (leavers included) and `others`
/// (who received or gave while in it).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::employees)]
pub struct Person {
    pub id: Uuid,
    pub display_name: String,
    pub team_id: Option<Uuid>,
    pub title: Option<String>,
    pub active: bool,
}

pub async fn people(
    conn: &mut AsyncPgConnection,
    teams: &[Uuid],
    others: &[Uuid],
) -> QueryResult<Vec<Person>> {
    use crate::schema::employees;
    employees::table
        .filter(
            employees::team_id
                .eq_any(teams)
                .or(employees::id.eq_any(others)),
        )
        .select(Person::as_select())
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
