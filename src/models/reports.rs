//! What a team's report is made of, for the team's subtree and a range of local days: from the
//! report roll-ups (migration `report_rollups`, kept exact by triggers) and, for the days at
//! the ends of a range that no whole month covers, from the raw lines. People count where they
//! were when a shout-out was given: `shoutout_recipients.recipient_team_id` and
//! `shoutouts.giver_team_id` are kept at the time.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use diesel::sql_types::{
    Array, BigInt, Date, Nullable, SmallInt, Text, Timestamptz, Uuid as SqlUuid,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::domain::period::local_midnight;
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
/// $3 until).
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

/// `side` in the roll-ups: what people received, what they gave.
const RECEIVED: i16 = 1;
const GIVEN: i16 = 2;

#[derive(QueryableByName)]
struct TeamWeek {
    #[diesel(sql_type = SmallInt)]
    side: i16,
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
struct PersonMonths {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SmallInt)]
    side: i16,
    #[diesel(sql_type = BigInt)]
    helping_others: i64,
    #[diesel(sql_type = BigInt)]
    exceeding_expectations: i64,
    #[diesel(sql_type = BigInt)]
    achieving_goals: i64,
    #[diesel(sql_type = BigInt)]
    responding_with_care: i64,
    #[diesel(sql_type = BigInt)]
    thriving_through_teamwork: i64,
    #[diesel(sql_type = BigInt)]
    cheers: i64,
}

/// Days `from..=to`, both ends included.
pub type DayRange = (NaiveDate, NaiveDate);

/// Which days of `from..=to` the monthly roll-up answers (whole local months, as a half-open
/// range of month starts) and which are left at either end, to be read from the raw lines.
pub fn split_months(from: NaiveDate, to: NaiveDate) -> (Option<DayRange>, Vec<DayRange>) {
    let month_start = |d: NaiveDate| d.with_day(1).expect("the first exists");
    let first = if from.day() == 1 {
        from
    } else {
        month_start(from) + Months::new(1)
    };
    let after = to + Days::new(1);
    let last = month_start(after);
    if first >= last {
        return (None, vec![(from, to)]);
    }
    let mut edges = Vec::new();
    if from < first {
        edges.push((from, first - Days::new(1)));
    }
    if last < after {
        edges.push((last, to));
    }
    (Some((first, last)), edges)
}

/// Reads everything a report counts for the team `root` (whose subtree is `teams`) over the
/// local days `from..=to`, and the totals of the days from `previous_from` to the day before
/// `from`.
///
/// Team totals come from `report_team_days` (the team's own rows: each shout-out already
/// counted once for the whole subtree), through `report_team_weeks` and `report_team_totals`,
/// which know its columns; per-person counts from `report_person_months` for the
/// whole months of the range and from the raw lines for the days at either end. The caller
/// runs these statements in one repeatable-read transaction, so they all see the same moment.
pub async fn gather(
    conn: &mut AsyncPgConnection,
    root: Uuid,
    teams: &[Uuid],
    (from, to): DayRange,
    previous_from: NaiveDate,
    tz: Tz,
) -> QueryResult<Gathered> {
    let weeks: Vec<TeamWeek> = diesel::sql_query(
        "SELECT side, value, source, week_start, n FROM report_team_weeks($1, $2, $3)",
    )
    .bind::<SqlUuid, _>(root)
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(conn)
    .await?;

    let previous: Previous = diesel::sql_query(
        "SELECT coalesce(sum(n) FILTER (WHERE side = 1), 0)::bigint AS shoutouts, \
                coalesce(sum(n) FILTER (WHERE side = 2), 0)::bigint AS given \
         FROM report_team_totals($1, $2, $3)",
    )
    .bind::<SqlUuid, _>(root)
    .bind::<Date, _>(previous_from)
    .bind::<Date, _>(from)
    .get_result(conn)
    .await?;

    let mut received: Vec<PersonValue> = Vec::new();
    let mut given: Vec<PersonCount> = Vec::new();
    let mut cheers: Vec<PersonCount> = Vec::new();
    let (months, edges) = split_months(from, to);
    if let Some((first, last)) = months {
        let rows: Vec<PersonMonths> = diesel::sql_query(
            "SELECT person_id AS id, side, \
                    sum(helping_others)::bigint AS helping_others, \
                    sum(exceeding_expectations)::bigint AS exceeding_expectations, \
                    sum(achieving_goals)::bigint AS achieving_goals, \
                    sum(responding_with_care)::bigint AS responding_with_care, \
                    sum(thriving_through_teamwork)::bigint AS thriving_through_teamwork, \
                    sum(cheers)::bigint AS cheers \
             FROM report_person_months \
             WHERE team_id = ANY($1) AND month >= $2 AND month < $3 \
             GROUP BY 1, 2",
        )
        .bind::<Array<SqlUuid>, _>(teams)
        .bind::<Date, _>(first)
        .bind::<Date, _>(last)
        .load(conn)
        .await?;
        for r in rows {
            let by_value = [
                (HeartValue::HelpingOthers, r.helping_others),
                (HeartValue::ExceedingExpectations, r.exceeding_expectations),
                (HeartValue::AchievingGoals, r.achieving_goals),
                (HeartValue::RespondingWithCare, r.responding_with_care),
                (
                    HeartValue::ThrivingThroughTeamwork,
                    r.thriving_through_teamwork,
                ),
            ];
            if r.side == GIVEN {
                let n = by_value.iter().map(|(_, n)| n).sum();
                if n != 0 {
                    given.push(PersonCount { id: r.id, n });
                }
                continue;
            }
            for (value, n) in by_value {
                if n != 0 {
                    received.push(PersonValue { id: r.id, value, n });
                }
            }
            if r.cheers != 0 {
                cheers.push(PersonCount {
                    id: r.id,
                    n: r.cheers,
                });
            }
        }
    }
    for (first, last) in edges {
        let since = local_midnight(tz, first);
        let until = local_midnight(tz, last + Days::new(1));
        received.extend(
            in_range(
                format!("SELECT recipient_id AS id, value, count(*) AS n {LINES} GROUP BY 1, 2"),
                teams,
                since,
                until,
            )
            .load::<PersonValue>(conn)
            .await?,
        );
        given.extend(
            in_range(
                format!("SELECT giver_id AS id, count(*) AS n {GAVE} GROUP BY 1"),
                teams,
                since,
                until,
            )
            .load::<PersonCount>(conn)
            .await?,
        );
        cheers.extend(
            in_range(
                format!(
                    "SELECT l.recipient_id AS id, count(*) AS n \
                     FROM (SELECT recipient_id, shoutout_id {LINES}) l \
                     JOIN cheers ch ON ch.shoutout_id = l.shoutout_id GROUP BY 1"
                ),
                teams,
                since,
                until,
            )
            .load::<PersonCount>(conn)
            .await?,
        );
    }

    let mut breakdown: BTreeMap<(HeartValue, ShoutoutSource), i64> = BTreeMap::new();
    let mut weekly_received: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    let mut weekly_given: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for w in weeks.into_iter().filter(|w| w.n != 0) {
        if w.side == RECEIVED {
            *breakdown.entry((w.value, w.source)).or_default() += w.n;
            *weekly_received.entry(w.week_start).or_default() += w.n;
        } else {
            *weekly_given.entry(w.week_start).or_default() += w.n;
        }
    }
    let series = |weeks: BTreeMap<NaiveDate, i64>| -> Vec<WeekCount> {
        weeks
            .into_iter()
            .map(|(week_start, n)| WeekCount { week_start, n })
            .collect()
    };
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
        weekly_received: series(weekly_received),
        weekly_given: series(weekly_given),
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

#[derive(QueryableByName)]
struct LastThanked {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
}

/// When each of `people` was last thanked (published) before `until`; those never thanked are
/// absent. One index probe per person (`shoutout_recipients_by_recipient`).
pub async fn last_thanked(
    conn: &mut AsyncPgConnection,
    people: &[Uuid],
    until: DateTime<Utc>,
) -> QueryResult<std::collections::HashMap<Uuid, DateTime<Utc>>> {
    let rows: Vec<LastThanked> = diesel::sql_query(
        "SELECT p.id, l.created_at AS at FROM unnest($1::uuid[]) AS p (id) \
         CROSS JOIN LATERAL ( \
             SELECT r.created_at FROM shoutout_recipients r \
             WHERE r.recipient_id = p.id AND r.status = 'published' AND r.created_at < $2 \
             ORDER BY r.created_at DESC LIMIT 1 \
         ) l",
    )
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(people)
    .bind::<Timestamptz, _>(until)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.at)).collect())
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
         WHERE s.status = 'published' AND s.visibility = 'public' \
           AND s.created_at >= $2 AND s.created_at < $3 \
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

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_range_splits_into_whole_months_and_the_days_at_either_end() {
        // A year ending today: one odd day, eleven months, 29 odd days.
        assert_eq!(
            split_months(d(2025, 11, 30), d(2026, 11, 29)),
            (
                Some((d(2025, 12, 1), d(2026, 11, 1))),
                vec![
                    (d(2025, 11, 30), d(2025, 11, 30)),
                    (d(2026, 11, 1), d(2026, 11, 29))
                ]
            )
        );
        // Whole months only.
        assert_eq!(
            split_months(d(2026, 1, 1), d(2026, 3, 31)),
            (Some((d(2026, 1, 1), d(2026, 4, 1))), vec![])
        );
        // No whole month: every day from the raw lines.
        assert_eq!(
            split_months(d(2026, 1, 5), d(2026, 2, 20)),
            (None, vec![(d(2026, 1, 5), d(2026, 2, 20))])
        );
        assert_eq!(
            split_months(d(2026, 2, 1), d(2026, 2, 27)),
            (None, vec![(d(2026, 2, 1), d(2026, 2, 27))])
        );
        assert_eq!(
            split_months(d(2026, 2, 1), d(2026, 2, 28)),
            (Some((d(2026, 2, 1), d(2026, 3, 1))), vec![])
        );
        assert_eq!(
            split_months(d(2026, 12, 31), d(2027, 1, 1)),
            (None, vec![(d(2026, 12, 31), d(2027, 1, 1))])
        );
    }
}
