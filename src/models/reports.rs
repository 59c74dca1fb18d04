//! What a team's report is made of, read from the raw tables (the truth), for the team's
//! subtree and a range of instants. People count where they were when a shout-out was given:
//! `shoutout_recipients.recipient_team_id` and `shoutouts.giver_team_id` are kept at the time.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::domain::{HeartValue, ShoutoutSource};

/// Everything a report counts, read in one statement: the thanks members received from
/// `$2` (the start of the previous range) to `$4`, once, from the recipients' (team, time)
/// index alone (it carries each thank's value, source and status), and what they gave, through the givers' (team, time) index; then summed every way
/// the report needs. Received counts are per member thanked unless named `shoutouts` (each
/// shout-out once however many members it thanked). `$3` is where the range proper begins.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Gathered {
    #[serde(default)]
    pub breakdown: Vec<Breakdown>,
    pub previous_shoutouts: i64,
    pub previous_given: i64,
    #[serde(default)]
    pub weekly_received: Vec<WeekCount>,
    #[serde(default)]
    pub weekly_given: Vec<WeekCount>,
    #[serde(default)]
    pub received: Vec<PersonValue>,
    #[serde(default)]
    pub given: Vec<PersonCount>,
    #[serde(default)]
    pub cheers: Vec<PersonCount>,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct Breakdown {
    pub value: HeartValue,
    pub source: ShoutoutSource,
    pub shoutouts: i64,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct WeekCount {
    pub week_start: NaiveDate,
    pub n: i64,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct PersonValue {
    pub id: Uuid,
    pub value: HeartValue,
    pub n: i64,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct PersonCount {
    pub id: Uuid,
    pub n: i64,
}

pub async fn gather(
    conn: &mut AsyncPgConnection,
    teams: &[Uuid],
    previous_since: DateTime<Utc>,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    timezone: &str,
) -> QueryResult<Gathered> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Jsonb)]
        report: serde_json::Value,
    }
    let row: Row = diesel::sql_query(
        "WITH lines AS MATERIALIZED ( \
             SELECT r.recipient_id, r.shoutout_id AS id, r.value, r.source, r.created_at \
             FROM shoutout_recipients r \
             WHERE r.recipient_team_id = ANY($1) AND r.status = 'published' \
               AND r.created_at >= $2 AND r.created_at < $4 \
         ), cur AS MATERIALIZED (SELECT * FROM lines WHERE created_at >= $3), \
         shoutouts_in AS MATERIALIZED ( \
             SELECT id, value, source, created_at FROM cur GROUP BY id, value, source, created_at \
         ), \
         gave AS MATERIALIZED ( \
             SELECT giver_id, created_at FROM shoutouts \
             WHERE giver_team_id = ANY($1) AND status = 'published' \
               AND created_at >= $2 AND created_at < $4 \
         ) \
         SELECT jsonb_build_object( \
             'breakdown', (SELECT jsonb_agg(x) FROM (SELECT value, source, count(*) AS shoutouts \
                                                    FROM shoutouts_in GROUP BY value, source) x), \
             'previous_shoutouts', (SELECT count(*) FROM (SELECT id FROM lines WHERE created_at < $3 \
                                                        GROUP BY id) p), \
             'previous_given', (SELECT count(*) FROM gave WHERE created_at < $3), \
             'weekly_received', (SELECT jsonb_agg(x) FROM ( \
                 SELECT date_trunc('week', created_at AT TIME ZONE $5)::date AS week_start, \
                        count(*) AS n FROM shoutouts_in GROUP BY 1) x), \
             'weekly_given', (SELECT jsonb_agg(x) FROM ( \
                 SELECT date_trunc('week', created_at AT TIME ZONE $5)::date AS week_start, \
                        count(*) AS n FROM gave WHERE created_at >= $3 GROUP BY 1) x), \
             'received', (SELECT jsonb_agg(x) FROM ( \
                 SELECT recipient_id AS id, value, count(*) AS n FROM cur GROUP BY 1, 2) x), \
             'given', (SELECT jsonb_agg(x) FROM ( \
                 SELECT giver_id AS id, count(*) AS n FROM gave WHERE created_at >= $3 GROUP BY 1) x), \
             'cheers', (SELECT jsonb_agg(x) FROM ( \
                 SELECT c.recipient_id AS id, count(*) AS n FROM cur c \
                 JOIN cheers ch ON ch.shoutout_id = c.id GROUP BY 1) x) \
         ) AS report",
    )
    .bind::<Array<SqlUuid>, _>(teams)
    .bind::<Timestamptz, _>(previous_since)
    .bind::<Timestamptz, _>(since)
    .bind::<Timestamptz, _>(until)
    .bind::<Text, _>(timezone)
    .get_result(conn)
    .await?;
    // jsonb_agg of nothing is null: the serde defaults make those empty lists.
    let mut value = row.report;
    if let Some(object) = value.as_object_mut() {
        object.retain(|_, v| !v.is_null());
    }
    serde_json::from_value(value)
        .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
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
