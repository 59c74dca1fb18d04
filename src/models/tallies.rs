//! Reading the leaderboards from `tallies` (kept exact by triggers; see the leaderboards
//! migration).
//!
//! Two ways to answer. A board of one bucket (a calendar period, all time, a campaign) with
//! every source or customers only is a short walk down a ranking index: the page's rows come
//! out already ordered, and only the first row of a later page needs a count for its rank.
//! Anything else (rolling and custom spans, which add up several buckets and the days at
//! their edges; staff only, which is every source minus customers; teams per head) adds up
//! the buckets' rows first and ranks the sums. Days have no buckets: they are counted from
//! the shout-outs themselves, through indexes that hold what a board counts in time order
//! (see the migration `day_edges_from_rows`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use diesel::sql_types::{
    Array, BigInt, Bool, Date, Double, Integer, Nullable, SmallInt, Text, Timestamptz,
    Uuid as SqlUuid,
};
use diesel::{QueryResult, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::db::prepared::Prepared;
use crate::domain::period::DayWeek;
use crate::domain::{HeartValue, ShoutoutSource};

/// Which board, as numbered in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BoardKind {
    Recipients = 1,
    Givers = 2,
    Teams = 3,
}

/// Source rows as stored: every source, or customers only.
pub const SOURCE_ALL: i16 = 0;
pub const SOURCE_CUSTOMER: i16 = 2;

/// What to count and whom: one board, some buckets, signed sources, optional filters.
/// The stored source rows a board adds up: rows are kept for every source and for customers,
/// so staff alone is the difference (givers are staff by definition).
pub fn sources(source: Option<ShoutoutSource>, board: BoardKind) -> Vec<(i16, i32)> {
    match (source, board) {
        (None, _) | (Some(ShoutoutSource::Staff), BoardKind::Givers) => vec![(SOURCE_ALL, 1)],
        (Some(ShoutoutSource::Customer), _) => vec![(SOURCE_CUSTOMER, 1)],
        (Some(ShoutoutSource::Staff), _) => vec![(SOURCE_ALL, 1), (SOURCE_CUSTOMER, -1)],
    }
}

#[derive(Debug, Clone)]
pub struct BoardQuery {
    pub board: BoardKind,
    /// (bucket, sign): what is added up, and what is taken away (a span may be a month minus
    /// the days it lacks).
    pub buckets: Vec<(i32, i32)>,
    /// Runs of days counted from the shout-outs themselves: (first instant, the instant after
    /// the last day, sign).
    pub days: Vec<(DateTime<Utc>, DateTime<Utc>, i32)>,
    /// The week buckets holding the days added, with those days (see
    /// [`crate::domain::period::Tiles`]).
    pub day_weeks: Vec<DayWeek>,
    /// (source, sign): `[(0, 1)]` for every source, `[(2, 1)]` for customers, and
    /// `[(0, 1), (2, -1)]` for staff only.
    pub sources: Vec<(i16, i32)>,
    /// Count only this value.
    pub value: Option<HeartValue>,
    /// Only people currently in (or teams among) this team and its subtree.
    pub team: Option<Uuid>,
    /// Teams: rank by shout-outs per current active member.
    pub per_head: bool,
    /// Buckets holding fewer rows than this (for the ranked column and filter) are added up
    /// whole, without trying the threshold algorithm first. 0: always try it, whatever it
    /// costs (the tests use this to check its answers on small data).
    pub sum_below: i64,
    /// About how many rows the added buckets and days hold, by the span's tiling (an upper
    /// bound in expectation; `u64::MAX` when not known): well below `sum_below`, they are
    /// summed whole without counting them first.
    pub added_rows: u64,
    /// The days a span covers (0 for other periods): with the board, what says how flat it is.
    pub span_days: u32,
    /// How the threshold algorithm fared lately on boards like this one.
    pub threshold_log: Arc<ThresholdLog>,
    /// People who chose not to appear on boards are left out of the person boards before
    /// ranking (ranks close up), except this one: someone asking for their own standing.
    pub shown_anyway: Option<Uuid>,
}

/// How the threshold algorithm fared lately, per shape of board (which board, column, stored
/// source and size: [`Shape`]). On flat boards (givers: most people give about once a week) it
/// cannot stop early, and each try costs a count, the heads and the candidates' sums before
/// everything is summed anyway: a third of the request at a million shout-outs. After a
/// failure, boards of that shape are summed whole for the next [`ThresholdLog::REST`]
/// requests, then tried again (data changes); each failure in a row doubles the rest, up to
/// [`ThresholdLog::LONGEST_REST`]. A failed try costs several times the board it gave up on
/// (at 10M shout-outs, 40-70 ms against 8 for the givers' 30 days), so with a fixed rest of
/// 31 one request in 32 paid it, and that is a p99; doubled, a board that stays flat pays it
/// once in a thousand requests. A success clears the rest, and spares the next tries of that
/// shape the count of its rows. The algorithm is only an optimisation: answers are the same
/// either way.
#[derive(Debug, Default)]
pub struct ThresholdLog {
    /// How the last try on each shape ended.
    lasts: Mutex<HashMap<Shape, LastTry>>,
    /// Tries that settled the page, and tries that gave up (for `/metrics`).
    settled: AtomicU64,
    gave_up: AtomicU64,
}

/// (board, ranked column, stored source, size class, length class): a short span is flatter
/// than a long one on the same board (givers' counts over a week are mostly 1-2, over a year
/// they spread), so a failure on one says nothing of the other. The size class is the binary
/// order of the rows the tiling expects to add up; the length class that of the span's days.
/// Size alone put the givers' 7 days (flat: every try fails) and their 30 days to 1 November
/// (settled in 5 ms) in one class at 10M, and the week's failures had the month summed whole
/// in 42 ms.
type Shape = (i16, &'static str, i16, u32, u32);

/// How the last try on a shape ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LastTry {
    /// It settled its page.
    Settled,
    /// It gave up, the `failures`-th time in a row; `rest` requests are still to be summed
    /// whole.
    GaveUp { rest: u32, failures: u32 },
}

impl ThresholdLog {
    /// Requests summed whole after a first failure before the algorithm is tried again.
    pub const REST: u32 = 31;
    /// How many times the rest doubles at most.
    const DOUBLINGS: u32 = 5;
    /// The longest rest, after `DOUBLINGS + 1` failures in a row or more.
    pub const LONGEST_REST: u32 = ((Self::REST + 1) << Self::DOUBLINGS) - 1;

    /// The rest after the `failures`-th failure in a row (from 1): 31, 63, 127 ... 1023.
    fn rest_after(failures: u32) -> u32 {
        ((Self::REST + 1) << failures.saturating_sub(1).min(Self::DOUBLINGS)) - 1
    }

    fn shape(query: &BoardQuery) -> Shape {
        (
            query.board as i16,
            query.column(),
            bound_source(query),
            query.added_rows.checked_ilog2().unwrap_or(0),
            query.span_days.checked_ilog2().unwrap_or(0),
        )
    }

    /// Whether to try the algorithm on `query` now (counting down a rest).
    fn should_try(&self, query: &BoardQuery) -> bool {
        let mut lasts = self.lasts.lock().unwrap_or_else(|e| e.into_inner());
        match lasts.get_mut(&Self::shape(query)) {
            Some(LastTry::GaveUp { rest, .. }) if *rest > 0 => {
                *rest -= 1;
                false
            }
            _ => true,
        }
    }

    /// Whether the last try on `query`'s shape settled its page. Such a shape was large
    /// enough to try (its rows were counted then), so counting them again before each try
    /// only costs time: 3 ms of a 17 ms board at 10M shout-outs.
    fn last_settled(&self, query: &BoardQuery) -> bool {
        let lasts = self.lasts.lock().unwrap_or_else(|e| e.into_inner());
        lasts.get(&Self::shape(query)) == Some(&LastTry::Settled)
    }

    /// Tries so far: (settled, gave up).
    pub fn outcomes(&self) -> (u64, u64) {
        // (Spelled out: diesel's `RunQueryDsl::load` is in scope.)
        (
            AtomicU64::load(&self.settled, Ordering::Relaxed),
            AtomicU64::load(&self.gave_up, Ordering::Relaxed),
        )
    }

    fn record(&self, query: &BoardQuery, settled: bool) {
        let outcome = if settled {
            &self.settled
        } else {
            &self.gave_up
        };
        outcome.fetch_add(1, Ordering::Relaxed);
        let mut lasts = self.lasts.lock().unwrap_or_else(|e| e.into_inner());
        let shape = Self::shape(query);
        let last = if settled {
            LastTry::Settled
        } else {
            let failures = match lasts.get(&shape) {
                Some(LastTry::GaveUp { failures, .. }) => failures.saturating_add(1),
                _ => 1,
            };
            LastTry::GaveUp {
                rest: Self::rest_after(failures),
                failures,
            }
        };
        lasts.insert(shape, last);
    }
}

impl BoardQuery {
    fn is_single_index_walk(&self) -> bool {
        self.buckets.len() == 1
            && self.buckets[0].1 == 1
            && self.days.is_empty()
            && self.sources.len() == 1
            && self.sources[0].1 == 1
            && !self.per_head
    }

    /// The buckets as sent to SQL: a bucket taken away is sent negated (bucket numbers are
    /// positive). See [`BUCKET_ROWS`] and [`BUCKET_SIGN`].
    fn signed_buckets(&self) -> Vec<i32> {
        self.buckets.iter().map(|&(b, sign)| b * sign).collect()
    }

    /// The buckets that are added up (their lists bound a sum from above).
    fn added_buckets(&self) -> Vec<i32> {
        self.buckets
            .iter()
            .filter(|&&(_, sign)| sign > 0)
            .map(|&(b, _)| b)
            .collect()
    }

    /// The column that is counted. Only these fixed names are ever put into SQL text.
    fn column(&self) -> &'static str {
        match self.value {
            None => "total",
            Some(value) => value.code(),
        }
    }

    /// The subtree is expanded inside the statement (a one-off InitPlan), not by a query of
    /// its own: a team-filtered board costs one round trip.
    /// With it, the people hidden from boards are left out (see `hidden_filter`): every
    /// statement that reads the tallies goes through here.
    fn team_filter(&self, alias: &str, param: usize) -> String {
        let hidden = self.hidden_filter(&format!("{alias}.subject_id"));
        match self.team {
            Some(_) => {
                format!(
                    " AND {alias}.team_id = ANY((SELECT team_subtree(${param}))::uuid[]){hidden}"
                )
            }
            None => hidden,
        }
    }

    /// Leaves out of a person board the people who chose not to appear on boards (a hashed
    /// sub-plan over the few of them, by a partial index). Team boards count everyone.
    fn hidden_filter(&self, subject: &str) -> String {
        if self.board == BoardKind::Teams {
            return String::new();
        }
        let hidden = "SELECT em.id FROM employees em WHERE NOT em.show_on_boards";
        match self.shown_anyway {
            // A Uuid prints as hex and dashes only: safe inside SQL text.
            Some(id) => format!(" AND ({subject} = '{id}' OR {subject} NOT IN ({hidden}))"),
            None => format!(" AND {subject} NOT IN ({hidden})"),
        }
    }

    /// The sources as stored, when they are a single one counted positively (every source, or
    /// customers only): then no join with `$2`/`$3` is needed, and each row counts once.
    fn single_source(&self) -> Option<i16> {
        match self.sources[..] {
            [(source, 1)] => Some(source),
            _ => None,
        }
    }

    /// Whether some bucket is taken away (only then does a row's sign need working out).
    fn has_negative_buckets(&self) -> bool {
        self.buckets.iter().any(|&(_, sign)| sign < 0)
    }

    /// The raw rows of the days `$6..$7` (signs `$8`), one per thanks counted, as
    /// (subject_id, value, sign), with the sources (`$2`, `$3`) and team filter (`$4`) of the
    /// board. Mirrors what the tally triggers count for each board. `only`: an expression
    /// naming the one subject to read (a line already chosen), whose rows are then found
    /// through the subject's own index rather than the days' time index.
    fn day_rows(&self, only: Option<&str>) -> String {
        let windows =
            "unnest($6::timestamptz[], $7::timestamptz[], $8::int4[]) AS w (since, until, sign)";
        let subtree = "ANY((SELECT team_subtree($4))::uuid[])";
        let (subject, table, condition, team) = match self.board {
            BoardKind::Recipients => (
                "r.recipient_id",
                "shoutout_recipients",
                "",
                format!(
                    " AND r.recipient_id IN (SELECT em.id FROM employees em WHERE em.team_id = {subtree})"
                ),
            ),
            BoardKind::Givers => (
                "r.giver_id",
                "shoutouts",
                " AND r.giver_id IS NOT NULL",
                format!(
                    " AND r.giver_id IN (SELECT em.id FROM employees em WHERE em.team_id = {subtree})"
                ),
            ),
            BoardKind::Teams => (
                "r.recipient_team_id",
                "shoutout_recipients",
                " AND r.recipient_team_id IS NOT NULL",
                format!(" AND r.recipient_team_id = {subtree}"),
            ),
        };
        let team = if self.team.is_some() {
            team
        } else {
            String::new()
        } + &self.hidden_filter(subject);
        let only = only
            .map(|expr| format!(" AND {subject} = {expr}"))
            .unwrap_or_default();
        // Every source, or customers only, is a condition on the row; staff only counts every
        // row once and takes customers' away again.
        let (sources, sign, customers) = match self.single_source() {
            Some(SOURCE_ALL) => ("", "w.sign", ""),
            Some(_) => ("", "w.sign", " AND r.source = 'customer'"),
            None => (
                " JOIN unnest($2::int2[], $3::int4[]) AS x (source, sign) \
                  ON x.source = 0 OR (x.source = 2 AND r.source = 'customer')",
                "w.sign * x.sign",
                "",
            ),
        };
        // Each window's rows are read by their own range scan of the time index, and only
        // then filtered (`OFFSET 0` keeps the subquery apart): joined freely, the planner
        // would rather hash a team's people against every line ever written.
        // Only what is counted and filtered on: a subject's own rows are then read from its
        // index alone (see the migrations `subject_days` and `one_recipient_index`).
        let columns = match self.board {
            BoardKind::Givers => "r.giver_id, r.value, r.source",
            BoardKind::Recipients => "r.recipient_id, r.value, r.source",
            BoardKind::Teams => "r.recipient_team_id, r.value, r.source",
        };
        format!(
            "SELECT {subject} AS subject_id, r.value, {sign} AS sign FROM {windows} \
             CROSS JOIN LATERAL ( \
                 SELECT {columns} FROM {table} r \
                 WHERE r.created_at >= w.since AND r.created_at < w.until \
                   AND r.status = 'published'{condition}{customers}{only} OFFSET 0 \
             ) r{sources} WHERE true{team}"
        )
    }

    /// Each subject's signed counts over the days, per value and in all, from `rows` (a
    /// [`BoardQuery::day_rows`]) as the columns of a line.
    fn day_counts(rows: &str) -> String {
        format!(
            "SELECT d.subject_id, sum(d.sign)::int4 AS total, \
                coalesce(sum(d.sign) FILTER (WHERE d.value = 'helping_others'), 0)::int4 AS helping_others, \
                coalesce(sum(d.sign) FILTER (WHERE d.value = 'exceeding_expectations'), 0)::int4 AS exceeding_expectations, \
                coalesce(sum(d.sign) FILTER (WHERE d.value = 'achieving_goals'), 0)::int4 AS achieving_goals, \
                coalesce(sum(d.sign) FILTER (WHERE d.value = 'responding_with_care'), 0)::int4 AS responding_with_care, \
                coalesce(sum(d.sign) FILTER (WHERE d.value = 'thriving_through_teamwork'), 0)::int4 AS thriving_through_teamwork \
             FROM ({rows}) d GROUP BY d.subject_id"
        )
    }

    /// `days`: each subject's signed count of the ranked column over the days, as
    /// (subject_id, n); empty when the board has no days. For the threshold algorithm, which
    /// needs the days' own ranking and the candidates' counts: one column is summed, not the
    /// six of a line (at 10M the days of a span's edges are ~100,000 rows, and each `FILTER`
    /// sum costs about as much per row as reading it).
    fn days_cte(&self) -> String {
        format!(
            "days AS MATERIALIZED (SELECT d.subject_id, sum(d.sign)::int4 AS n \
             FROM ({rows}) d WHERE true{value} GROUP BY d.subject_id)",
            rows = self.day_rows(None),
            value = self.day_value_filter(),
        )
    }

    /// The condition on day rows `d` (a [`BoardQuery::day_rows`]) that keeps the counted
    /// value's: nothing for every value.
    fn day_value_filter(&self) -> String {
        match self.value {
            Some(value) => format!(" AND d.value = '{}'", value.code()),
            None => String::new(),
        }
    }
}

/// How busy `board` is over `since..until`, from the planner's statistics (kept by
/// autovacuum): raw rows a day in that time, and people (or teams) who may appear on it. What a
/// span's tiling weighs buckets against days with ([`crate::domain::period::Density`]).
///
/// The rate is the share of the table's rows the planner's histogram of `created_at` puts
/// in the span (its buckets hold equal numbers of rows; a span covering part of one gets that
/// part of its rows), so a company that gives more each year is weighed as busy as it is now,
/// not as its average over the years. Without a histogram (a table never analyzed), the rate
/// is the average since the first shout-out.
pub async fn density(
    conn: &mut AsyncPgConnection,
    statistics: &Statistics,
    board: BoardKind,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> QueryResult<crate::domain::period::Density> {
    let counts = statistics.of(conn, board).await?;
    // Days still to come hold nothing yet: the rate is that of the days the span has had.
    let now = Utc::now();
    let until = until.min(now);
    let span_days = (until - since).num_seconds() as f64 / 86_400.0;
    let per_day = match counts
        .bounds
        .as_deref()
        .map(|b| share_between(b, since, until))
    {
        Some(Some(share)) if span_days >= 1.0 => counts.rows * share / span_days,
        _ => {
            let days = counts.first.map_or(1.0, |first| {
                ((now - first).num_seconds() as f64 / 86_400.0).max(1.0)
            });
            counts.rows / days
        }
    };
    Ok(crate::domain::period::Density {
        per_day,
        subjects: counts.subjects,
    })
}

/// What the planner knows of a board's rows and subjects, which a span's density is worked
/// out from ([`density`]), kept by the application for [`Statistics::KEEP`].
///
/// They change when `ANALYZE` runs (autovacuum, after a tenth of a table has changed), and
/// they only weigh a tiling, never change an answer: asking for them on every span request
/// cost a round trip and 0.3 ms (of a 5-6 ms span at 100k shout-outs on a 2-core machine).
#[derive(Debug, Default)]
pub struct Statistics {
    kept: Mutex<HashMap<BoardKind, (std::time::Instant, Arc<TableStatistics>)>>,
}

/// A board's statistics as last read.
#[derive(Debug, QueryableByName)]
pub struct TableStatistics {
    /// Rows of the table a board's days are read from (the planner's count).
    #[diesel(sql_type = Double)]
    rows: f64,
    /// People (or teams) who may be on the board.
    #[diesel(sql_type = Double)]
    subjects: f64,
    /// When the first published shout-out was made; none yet: `None`.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    first: Option<DateTime<Utc>>,
    /// The planner's histogram of the rows' `created_at`, if it has one.
    #[diesel(sql_type = Nullable<Array<Timestamptz>>)]
    bounds: Option<Vec<DateTime<Utc>>>,
}

impl Statistics {
    /// How long statistics are used before they are read again.
    pub const KEEP: std::time::Duration = std::time::Duration::from_secs(60);

    /// `board`'s statistics: those kept, if read less than [`Self::KEEP`] ago.
    pub async fn of(
        &self,
        conn: &mut AsyncPgConnection,
        board: BoardKind,
    ) -> QueryResult<Arc<TableStatistics>> {
        if let Some(kept) = self.kept_for(board, std::time::Instant::now()) {
            return Ok(kept);
        }
        let read = Arc::new(read_statistics(conn, board).await?);
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.insert(board, (std::time::Instant::now(), read.clone()));
        Ok(read)
    }

    fn kept_for(&self, board: BoardKind, now: std::time::Instant) -> Option<Arc<TableStatistics>> {
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(&board)
            .filter(|(read_at, _)| now.duration_since(*read_at) < Self::KEEP)
            .map(|(_, stats)| stats.clone())
    }

    /// Forgets what was read, so the next span reads the statistics again.
    pub fn forget(&self) {
        self.kept.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

async fn read_statistics(
    conn: &mut AsyncPgConnection,
    board: BoardKind,
) -> QueryResult<TableStatistics> {
    let (rows, subjects) = match board {
        BoardKind::Givers => ("shoutouts", "employees"),
        BoardKind::Recipients => ("shoutout_recipients", "employees"),
        BoardKind::Teams => ("shoutout_recipients", "teams"),
    };
    // reltuples is -1 for a table never analyzed: count it as empty (days are then cheap).
    Prepared(diesel::sql_query(format!(
        "SELECT greatest((SELECT reltuples FROM pg_class WHERE oid = '{rows}'::regclass), 0)::float8 AS rows, \
                greatest((SELECT reltuples FROM pg_class WHERE oid = '{subjects}'::regclass), 1)::float8 AS subjects, \
                (SELECT min(created_at) FROM shoutouts WHERE status = 'published') AS first, \
                (SELECT histogram_bounds::text::timestamptz[] FROM pg_stats \
                  WHERE schemaname = current_schema() AND tablename = '{rows}' \
                    AND attname = 'created_at') AS bounds"
    )))
    .get_result(conn)
    .await
}

/// The share of a column's rows between `since` and `until` by its histogram `bounds` (each
/// bucket between two bounds holds as many rows; a bucket partly inside counts for the part
/// of its time inside). None for a histogram of fewer than two bounds.
fn share_between(
    bounds: &[DateTime<Utc>],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Option<f64> {
    if bounds.len() < 2 {
        return None;
    }
    let inside: f64 = bounds
        .windows(2)
        .map(|w| {
            let (lo, hi) = (w[0], w[1]);
            let overlap = (until.min(hi) - since.max(lo)).num_milliseconds().max(0) as f64;
            let width = (hi - lo).num_milliseconds() as f64;
            if width > 0.0 {
                overlap / width
            } else if since <= lo && lo < until {
                1.0
            } else {
                0.0
            }
        })
        .sum();
    Some(inside / (bounds.len() - 1) as f64)
}

/// Rows of every bucket of `$5` (signed buckets, see `signed_buckets`), whatever its sign: an
/// array computed once per statement, so the bucket lookups stay index scans.
const BUCKET_ROWS: &str = "ARRAY(SELECT abs(b) FROM unnest($5::int4[]) b)";
/// The sign a row of `t` is counted with.
const BUCKET_SIGN: &str = "(CASE WHEN -t.bucket = ANY($5::int4[]) THEN -1 ELSE 1 END)";

/// Position in a board's order: (count, name, id). Counts are shout-outs, or per-head
/// shout-outs for teams per head.
#[derive(Debug, Clone, PartialEq)]
pub struct RankKey {
    pub count: f64,
    pub name: String,
    pub id: Uuid,
}

/// One ranked line of a board.
#[derive(Debug, Clone, QueryableByName)]
pub struct BoardRow {
    #[diesel(sql_type = SqlUuid)]
    pub subject_id: Uuid,
    #[diesel(sql_type = Text)]
    pub sort_name: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub team_id: Option<Uuid>,
    #[diesel(sql_type = Integer)]
    pub total: i32,
    #[diesel(sql_type = Integer)]
    pub helping_others: i32,
    #[diesel(sql_type = Integer)]
    pub exceeding_expectations: i32,
    #[diesel(sql_type = Integer)]
    pub achieving_goals: i32,
    #[diesel(sql_type = Integer)]
    pub responding_with_care: i32,
    #[diesel(sql_type = Integer)]
    pub thriving_through_teamwork: i32,
    /// Shout-outs counted: the total, or the filtered value's count.
    #[diesel(sql_type = Integer)]
    pub count: i32,
    /// What the board ranks by: the count, or the count per head.
    #[diesel(sql_type = Double)]
    pub score: f64,
    #[diesel(sql_type = BigInt)]
    pub rank: i64,
    /// For teams per head: current active members.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub members: Option<i64>,
    /// People: their title and whether they are still here; teams: their parent.
    #[diesel(sql_type = Nullable<Text>)]
    pub title: Option<String>,
    #[diesel(sql_type = Nullable<Bool>)]
    pub active: Option<bool>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub parent_id: Option<Uuid>,
}

impl BoardRow {
    pub fn key(&self) -> RankKey {
        RankKey {
            count: self.score,
            name: self.sort_name.clone(),
            id: self.subject_id,
        }
    }
}

const VALUE_COLUMNS: &str = "helping_others, exceeding_expectations, achieving_goals, \
    responding_with_care, thriving_through_teamwork";

/// Who a row is about, for the answer: people's titles and status, teams' parents.
fn subject_join(board: BoardKind, alias: &str) -> String {
    match board {
        BoardKind::Teams => format!(
            "NULL::text AS title, NULL::boolean AS active, tm.parent_id \
             FROM {alias} LEFT JOIN teams tm ON tm.id = {alias}.subject_id"
        ),
        _ => format!(
            "e.title, e.active, NULL::uuid AS parent_id \
             FROM {alias} LEFT JOIN employees e ON e.id = {alias}.subject_id"
        ),
    }
}

/// A page of a board: up to `limit` rows after `after` (or from the top).
pub async fn page(
    conn: &mut AsyncPgConnection,
    query: &BoardQuery,
    after: Option<&RankKey>,
    limit: i64,
) -> QueryResult<Vec<BoardRow>> {
    if query.is_single_index_walk() {
        walk_page(conn, query, after, limit).await
    } else {
        summed_page(conn, query, after, limit).await
    }
}

/// The fast path: rows straight off a ranking index, ranked from their position. A page after
/// a cursor also counts, in the same statement, how many lines rank above its first line and
/// how many come before it (see [`lines_from`] and [`counted_before`]).
async fn walk_page(
    conn: &mut AsyncPgConnection,
    query: &BoardQuery,
    after: Option<&RankKey>,
    limit: i64,
) -> QueryResult<Vec<BoardRow>> {
    let Some(after) = after else {
        let col = query.column();
        let base = walk_base(query);
        let sql = format!(
            "WITH page AS ( \
                 SELECT {line} FROM tallies t WHERE {base} \
                 ORDER BY t.{col} DESC, t.sort_name, t.subject_id LIMIT $5 \
             ) SELECT page.*, {join} ORDER BY page.score DESC, page.sort_name, page.subject_id",
            line = walked_line(query),
            join = subject_join(query.board, "page"),
        );
        let mut rows: Vec<BoardRow> = Prepared(bind_walk(query, sql).bind::<BigInt, _>(limit))
            .load(conn)
            .await?;
        rank_walked(&mut rows, 0, 0);
        return Ok(rows);
    };
    let sql = format!(
        "WITH page AS MATERIALIZED ({page}), \
         first AS MATERIALIZED ( \
             SELECT count, sort_name, subject_id FROM page \
             ORDER BY score DESC, sort_name, subject_id LIMIT 1 \
         ), counts AS MATERIALIZED ({counts}) \
         SELECT page.*, c.above, c.above + c.tied_before AS before, {join} \
         CROSS JOIN counts c ORDER BY page.score DESC, page.sort_name, page.subject_id",
        page = lines_from(
            query,
            &walked_line(query),
            "$5",
            "($6, $7)",
            Toward::Bottom { inclusive: false },
            "$8"
        ),
        counts = counted_before(query, "first"),
        join = subject_join(query.board, "page"),
    );
    let walked: Vec<Walked> = Prepared(
        bind_walk(query, sql)
            .bind::<Integer, _>(after.count as i32)
            .bind::<Text, _>(after.name.clone())
            .bind::<SqlUuid, _>(after.id)
            .bind::<BigInt, _>(limit),
    )
    .load(conn)
    .await?;
    Ok(Walked::ranked(walked))
}

/// What every walk of a one-bucket board filters on: `$1` board, `$2` bucket, `$3` source, `$4`
/// team (and the people hidden from boards).
fn walk_base(query: &BoardQuery) -> String {
    format!(
        "t.board = $1 AND t.bucket = $2 AND t.source = $3 AND t.{col} > 0{team_filter}",
        col = query.column(),
        team_filter = query.team_filter("t", 4),
    )
}

/// A tally `t` as a line of a one-bucket board (ranked afterwards).
fn walked_line(query: &BoardQuery) -> String {
    let col = query.column();
    format!(
        "t.subject_id, t.sort_name, t.team_id, t.total, {VALUE_COLUMNS}, \
         t.{col} AS count, t.{col}::float8 AS score, 0::int8 AS rank, NULL::int8 AS members"
    )
}

/// Binds `$1`-`$4` of a walk ([`walk_base`]).
fn bind_walk(
    query: &BoardQuery,
    sql: String,
) -> diesel::query_builder::BoxedSqlQuery<'static, diesel::pg::Pg, diesel::query_builder::SqlQuery>
{
    diesel::sql_query(sql)
        .into_boxed()
        .bind::<SmallInt, _>(query.board as i16)
        .bind::<Integer, _>(query.buckets[0].0)
        .bind::<SmallInt, _>(query.sources[0].0)
        .bind::<Nullable<SqlUuid>, _>(query.team)
}

/// Which way a walk of a one-bucket board goes from a line ([`lines_from`]).
#[derive(Clone, Copy)]
enum Toward {
    /// Down the board: the lines after the line (and the line itself, if `inclusive`).
    Bottom { inclusive: bool },
    /// Up the board: the lines before the line, nearest first.
    Top,
}

/// The first `limit` lines (as `columns` of a tally `t`, among them `count`, `sort_name` and
/// `subject_id`) of a one-bucket board from the line (`count`, `key` = (name, id)), going
/// `toward` the top or the bottom, nearest first. The ranking index is ordered by count
/// (descending), then name and id (ascending), so "after a line" is no single range of it but
/// two, each read from where it starts: the line's own count after its name, and the lower
/// counts (before a line: the same, the other way). (As one condition,
/// `count < x OR (count = x AND (name, id) > ...)`, a walk read the bucket from one end and
/// filtered: a page or standing 40,000 lines down read 40,000 entries first.)
fn lines_from(
    query: &BoardQuery,
    columns: &str,
    count: &str,
    key: &str,
    toward: Toward,
    limit: &str,
) -> String {
    let col = query.column();
    let base = walk_base(query);
    let (own, other, names, counts) = match toward {
        Toward::Bottom { inclusive: true } => (">=", "<", "", "DESC"),
        Toward::Bottom { inclusive: false } => (">", "<", "", "DESC"),
        Toward::Top => ("<", ">", "DESC", ""),
    };
    format!(
        "SELECT p.* FROM ( \
             (SELECT {columns} FROM tallies t \
              WHERE {base} AND t.{col} = {count} AND (t.sort_name, t.subject_id) {own} {key} \
              ORDER BY t.sort_name {names}, t.subject_id {names} LIMIT {limit}) \
             UNION ALL \
             (SELECT {columns} FROM tallies t WHERE {base} AND t.{col} {other} {count} \
              ORDER BY t.{col} {counts}, t.sort_name {names}, t.subject_id {names} LIMIT {limit}) \
         ) p ORDER BY p.count {counts}, p.sort_name {names}, p.subject_id {names} LIMIT {limit}"
    )
}

/// For the line in the one-row relation `line` (count, sort_name, subject_id): how many lines
/// of its one-bucket board have a higher count (`above`), and how many of its own count come
/// before it (`tied_before`). Counted from the ranking index alone, each a range of it.
fn counted_before(query: &BoardQuery, line: &str) -> String {
    let col = query.column();
    let base = walk_base(query);
    format!(
        "SELECT (SELECT count(*) FROM tallies t WHERE {base} \
                   AND t.{col} > (SELECT count FROM {line})) AS above, \
                (SELECT count(*) FROM tallies t WHERE {base} \
                   AND t.{col} = (SELECT count FROM {line}) \
                   AND (t.sort_name, t.subject_id) \
                       < ((SELECT sort_name FROM {line}), (SELECT subject_id FROM {line}))) AS tied_before"
    )
}

/// A walked line with the counts that rank the first line read.
#[derive(QueryableByName)]
struct Walked {
    #[diesel(embed)]
    line: BoardRow,
    #[diesel(sql_type = BigInt)]
    above: i64,
    #[diesel(sql_type = BigInt)]
    before: i64,
}

impl Walked {
    /// The lines, ranked from their first line's counts.
    fn ranked(walked: Vec<Walked>) -> Vec<BoardRow> {
        let (above, before) = <[Walked]>::first(&walked).map_or((0, 0), |w| (w.above, w.before));
        let mut rows: Vec<BoardRow> = walked.into_iter().map(|w| w.line).collect();
        rank_walked(&mut rows, above, before);
        rows
    }
}

/// Ranks lines read in board order: 1 + how many rank strictly above. The first line's is
/// `above` + 1 (`above` lines have a higher count, `before` lines come before it); each later
/// line's follows from its position.
fn rank_walked(rows: &mut [BoardRow], above: i64, before: i64) {
    let mut rank = above + 1;
    let mut previous: Option<f64> = None;
    for (offset, row) in rows.iter_mut().enumerate() {
        if previous.is_some_and(|p| p != row.score) {
            rank = before + offset as i64 + 1;
        }
        previous = Some(row.score);
        row.rank = rank;
    }
}

/// Whose sums a summing statement adds up.
#[derive(Debug, Clone, Copy)]
enum Subjects {
    /// Everyone's.
    All,
    /// Only those in the parameter `$n`, whose counts over the days are in `$n+1` (in the
    /// same order), already summed.
    DaysGiven(usize),
    /// Only those in the parameter `$n`, whose days are read for them alone.
    DaysRead(usize),
    /// Only the one subject an SQL expression names (a correlated probe such as `em.id`):
    /// its bucket rows by primary key, its days through its own index.
    One(&'static str),
}

/// The summing path: every subject's sum of the ranked column over the buckets, the days and
/// the signed sources, as rows (subject_id, count, score, members), subjects summing to
/// nothing left out. One number each: grouping by id is cheap, sorting 50,000 names is not.
/// Rows whose ranked count is 0 add nothing, so only the others are read: for one value, that
/// is the value's own (partial) ranking index, often a small part of the bucket. `subjects`:
/// whose sums ([`Subjects`]).
///
/// The statement is cut to the board: one stored source counted once needs no join with the
/// sources, and a sum of buckets none of which is taken away needs no sign per row (on the
/// benchmark's givers, each of these costs as much per row as reading it).
fn scored_sql(query: &BoardQuery, subjects: Subjects) -> String {
    let parts = summed_parts(query, subjects);
    let (members_join, members, score) = if query.per_head {
        (
            " JOIN (SELECT team_id, count(*) AS members FROM employees \
                    WHERE active AND team_id IS NOT NULL GROUP BY team_id) m \
                  ON m.team_id = s.subject_id",
            "m.members",
            "s.count::float8 / m.members",
        )
    } else {
        ("", "NULL::int8", "s.count::float8")
    };
    format!(
        "SELECT s.subject_id, s.count, {score} AS score, {members} AS members FROM ( \
             SELECT u.subject_id, sum(u.n)::int4 AS count FROM ({parts}) u \
             GROUP BY u.subject_id HAVING sum(u.n) > 0 \
         ) s{members_join}"
    )
}

/// One person's score on a person board (never per head) as a scalar subquery: their
/// [`summed_parts`] added up, null where they have nothing (as [`scored_sql`] leaves them
/// out). `subject`: an SQL expression naming them. A plain sum, where grouping by subject
/// would set up a hash table sized for the whole board each time the statement starts.
fn person_score(query: &BoardQuery, subject: &'static str) -> String {
    format!(
        "(SELECT CASE WHEN sum(u.n) > 0 THEN sum(u.n)::float8 END FROM ({parts}) u)",
        parts = summed_parts(query, Subjects::One(subject)),
    )
}

/// The rows [`scored_sql`] adds up, as one `UNION ALL` of (subject_id, n).
fn summed_parts(query: &BoardQuery, subjects: Subjects) -> String {
    let col = query.column();
    let only = |expr: &str| match subjects {
        Subjects::DaysGiven(param) | Subjects::DaysRead(param) => {
            format!(" AND {expr} = ANY(${param})")
        }
        Subjects::One(subject) => format!(" AND {expr} = {subject}"),
        Subjects::All => String::new(),
    };
    let mut parts = Vec::new();
    if !query.buckets.is_empty() {
        let team_filter = query.team_filter("t", 4);
        let bucket_sign = if query.has_negative_buckets() {
            format!("{BUCKET_SIGN} * ")
        } else {
            String::new()
        };
        let (join, sources, n) = match query.single_source() {
            Some(source) => (
                "",
                format!(" AND t.source = {source}"),
                format!("{bucket_sign}t.{col}"),
            ),
            None => (
                " CROSS JOIN unnest($2::int2[], $3::int4[]) AS x (source, sign)",
                " AND x.source = t.source".to_string(),
                format!("x.sign * {bucket_sign}t.{col}"),
            ),
        };
        parts.push(format!(
            "SELECT t.subject_id, {n} AS n FROM tallies t{join} \
             WHERE t.board = $1 AND t.bucket = ANY({BUCKET_ROWS}){sources} AND t.{col} > 0{team_filter}{only}",
            only = only("t.subject_id"),
        ));
    }
    let value = query.day_value_filter();
    match subjects {
        _ if query.days.is_empty() => {}
        // The chosen subjects' counts over the days, already summed (the threshold
        // algorithm's heads statement summed every subject's days once; reading them again
        // for a few hundred subjects would read all of them again).
        Subjects::DaysGiven(param) => parts.push(format!(
            "SELECT d.subject_id, d.n FROM unnest(${param}::uuid[], ${counts}::int4[]) AS d (subject_id, n)",
            counts = param + 1,
        )),
        // Each chosen subject's own rows of the days, through its own index.
        Subjects::DaysRead(param) => parts.push(format!(
            "SELECT d.subject_id, d.sign AS n FROM ({rows}) d WHERE true{value}",
            rows = query.day_rows(Some(&format!("ANY(${param}::uuid[])"))),
        )),
        Subjects::One(subject) => parts.push(format!(
            "SELECT d.subject_id, d.sign AS n FROM ({rows}) d WHERE true{value}",
            rows = query.day_rows(Some(subject)),
        )),
        Subjects::All => parts.push(format!(
            "SELECT d.subject_id, d.sign AS n FROM ({rows}) d WHERE true{value}",
            rows = query.day_rows(None),
        )),
    }
    if parts.is_empty() {
        parts.push("SELECT NULL::uuid AS subject_id, 0 AS n WHERE false".to_string());
    }
    parts.join(" UNION ALL ")
}

/// Names (the tie-break), current teams and the rest of a line, for the few rows chosen.
fn named(board: BoardKind, alias: &str) -> String {
    match board {
        BoardKind::Teams => format!(
            "{alias}.*, tm.name AS sort_name, tm.id AS team_id, NULL::text AS title, \
             NULL::boolean AS active, tm.parent_id \
             FROM {alias} JOIN teams tm ON tm.id = {alias}.subject_id"
        ),
        // One primary-key probe per line, never a hash of the whole directory: the planner
        // cannot know how few lines `chosen` holds, and guessing thousands it would read all
        // 50,000 people to name twenty (`OFFSET 0` keeps the lookup a per-line subquery).
        _ => format!(
            "{alias}.*, e.display_name AS sort_name, e.team_id, e.title, e.active, \
             NULL::uuid AS parent_id \
             FROM {alias} CROSS JOIN LATERAL ( \
                 SELECT em.display_name, em.team_id, em.title, em.active FROM employees em \
                 WHERE em.id = {alias}.subject_id OFFSET 0 \
             ) e"
        ),
    }
}

/// The lines `rows` (already chosen and ordered) with their counts per value, summed for
/// them alone: one primary-key probe per bucket and line, and each line's own rows of the days
/// (through its own index: a handful of rows, where the whole days may be most of a span).
fn with_values(query: &BoardQuery, rows: &str) -> String {
    let (days, plus_days): (String, fn(&str) -> String) = if query.days.is_empty() {
        (String::new(), |column| format!("v.{column}"))
    } else {
        (
            format!(
                " LEFT JOIN LATERAL ({}) dd ON true",
                BoardQuery::day_counts(&query.day_rows(Some("l.subject_id")))
            ),
            |column| format!("v.{column} + coalesce(dd.{column}, 0) AS {column}"),
        )
    };
    // A span of days alone (seven days to a Thursday) has no buckets to probe: each line's
    // probe would read its every tally to find none.
    let buckets = if query.buckets.is_empty() {
        format!(
            "SELECT 0 AS total, {}",
            VALUE_COLUMNS
                .split(", ")
                .map(|column| format!("0 AS {column}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        bucket_values()
    };
    format!(
        "SELECT l.*, {total}, {h}, {e}, {a}, {r}, {t} FROM ({rows}) l CROSS JOIN LATERAL ( \
             {buckets} \
         ) v{days}",
        total = plus_days("total"),
        h = plus_days("helping_others"),
        e = plus_days("exceeding_expectations"),
        a = plus_days("achieving_goals"),
        r = plus_days("responding_with_care"),
        t = plus_days("thriving_through_teamwork"),
    )
}

/// A line's counts per value over the buckets (`l.subject_id`'s rows, signed): one
/// primary-key probe per bucket and source (`OFFSET 0` keeps each a probe of its own). Left to
/// itself, the planner's generic plan (which PostgreSQL settles on after a prepared
/// statement's fifth run) read every tally of the line through `tallies_subject_idx` and
/// filtered them: 38 rows for a giver at 100k shout-outs, hundreds at 10M, a third of a
/// 2 ms statement. Each bucket counts once, with the sign [`BUCKET_SIGN`] gives its rows in
/// the sums, so a line's counts always add up to its place on the board.
fn bucket_values() -> String {
    "SELECT coalesce(sum(b.sign * x.sign * t.total), 0)::int4 AS total, \
            coalesce(sum(b.sign * x.sign * t.helping_others), 0)::int4 AS helping_others, \
            coalesce(sum(b.sign * x.sign * t.exceeding_expectations), 0)::int4 AS exceeding_expectations, \
            coalesce(sum(b.sign * x.sign * t.achieving_goals), 0)::int4 AS achieving_goals, \
            coalesce(sum(b.sign * x.sign * t.responding_with_care), 0)::int4 AS responding_with_care, \
            coalesce(sum(b.sign * x.sign * t.thriving_through_teamwork), 0)::int4 AS thriving_through_teamwork \
     FROM ( \
         SELECT a.bucket, CASE WHEN -a.bucket = ANY($5::int4[]) THEN -1 ELSE 1 END AS sign \
         FROM (SELECT DISTINCT abs(sb) AS bucket FROM unnest($5::int4[]) sb) a \
     ) b \
     CROSS JOIN unnest($2::int2[], $3::int4[]) AS x (source, sign) \
     CROSS JOIN LATERAL ( \
         SELECT t.total, t.helping_others, t.exceeding_expectations, t.achieving_goals, \
                t.responding_with_care, t.thriving_through_teamwork \
         FROM tallies t \
         WHERE t.board = $1 AND t.bucket = b.bucket AND t.source = x.source \
           AND t.subject_id = l.subject_id OFFSET 0 \
     ) t"
        .to_string()
}

/// Walk the directory in name order for a page's tied lines when (tied lines)² exceeds this
/// times the page's length times the people in the directory. A walk reads about
/// `page × people / tied` index entries (~0.2 µs each, from the index alone), naming each tied
/// line costs a primary-key probe (~2.5 µs): they cost the same near 0.08.
const WALK_NAMES: f64 = 0.1;

/// Walk the directory for a standing's tie probing each person walked, rather than testing
/// them against a hash of the tie, when (tied lines)² exceeds this times the lines wanted
/// times the people in the directory. A probe sums the person's own rows (a primary-key probe
/// per bucket, their own rows of the days: ~30 µs on the benchmark's 1M set); the hash costs
/// about 0.2 µs per tied line to read and build (the tie of 10,000 in a 90-day span of givers
/// at 1M: about 3 ms a hash, and the person's own tie is walked both ways).
const PROBE_NAMES: f64 = 150.0;

/// The people in the directory, as the planner last counted them (a one-off InitPlan).
const DIRECTORY_SIZE: &str =
    "(SELECT greatest(reltuples, 1) FROM pg_class WHERE oid = 'employees'::regclass)";

/// Whether to walk the directory in name order for `wanted` of `tied` lines (SQL expressions),
/// rather than name each tied line, for a walk that costs `weighing` times as much per person
/// walked as naming costs per tied line ([`WALK_NAMES`], [`PROBE_NAMES`]). A walk meets a tied
/// line every `people / tied` people, so it reads `wanted × people / tied` of them.
fn walk_names(tied: &str, wanted: &str, weighing: f64) -> String {
    format!("coalesce({tied}, 0)::float8 ^ 2 > {weighing} * {wanted} * {DIRECTORY_SIZE}")
}

/// The first `limit` people of `members` (a query of ids) in name order (`dir`: `ASC` or
/// `DESC`), from a bound (`AND (em.display_name, em.id) ...`, or nothing), by walking the
/// directory's name index while `walk` (a one-off InitPlan) holds. The members are a hashed
/// sub-plan; `IS TRUE` keeps them a filter on the ordered walk.
fn name_walk(walk: &str, members: &str, bound: &str, dir: &str, limit: &str) -> String {
    format!(
        "SELECT em.id FROM employees em \
         WHERE {walk} AND (em.id IN ({members})) IS TRUE{bound} \
         ORDER BY em.display_name {dir}, em.id {dir} LIMIT {limit}"
    )
}

/// A page of a summed board after the cursor ($9 score, $10 name, $11 id; all null for the
/// first page), `$12` lines. The sums are ranked as they stream out of one sort (rank = 1 +
/// how many score higher, which is the board's rank), and only the lines that can be on the
/// page are kept, named and ordered: on the first page, those ranked at most `$12` (the
/// window stops there); after a cursor, those at the cursor's score and those with fewer than
/// `$12` scores between theirs and the cursor's. Nothing holds every subject's sum at once:
/// at a million shout-outs, keeping the sums to read them twice cost as much as adding
/// them up.
fn summed_page_sql(query: &BoardQuery, subjects: Subjects, cursor: bool) -> String {
    let (above, choose) = if cursor {
        (
            ", count(*) FILTER (WHERE s.score >= $9) OVER (ORDER BY s.score DESC) AS above",
            "ranked.score <= $9 AND (ranked.score = $9 OR ranked.rank - ranked.above <= $12)",
        )
    } else {
        ("", "ranked.rank <= $12")
    };
    // On a person board's first page, the lines tied at its last score may be hundreds (a
    // week of givers: most gave once) where the page takes a few of them, first by name.
    // Naming every tied line costs a probe each; past a point, walking the directory in name
    // order until enough of them turn up costs less (expected walk: the page's share of the
    // directory over the tied share). The lowest score's lines share the highest rank, so one
    // pass over `chosen` tells how many rank above them (that rank - 1) and how many tie (the
    // rest): three passes cost 0.5 ms of a 3 ms statement on a week of givers at 100k.
    let (first_tied, kept) = if !cursor && query.board != BoardKind::Teams {
        (
            format!(
                ", edge AS MATERIALIZED ( \
                     SELECT e.score, e.above, {walk} AS walk \
                     FROM (SELECT min(c.score) AS score, max(c.rank) - 1 AS above, \
                                  count(*) AS lines FROM chosen c) e \
                 ), first_tied AS MATERIALIZED ({first_tied}), \
                 kept AS MATERIALIZED ( \
                     SELECT c.* FROM chosen c \
                     WHERE NOT (SELECT walk FROM edge) OR c.score > (SELECT score FROM edge) \
                        OR c.subject_id IN (SELECT id FROM first_tied) \
                 )",
                walk = walk_names("e.lines - e.above", "$12", WALK_NAMES),
                first_tied = name_walk(
                    "(SELECT walk FROM edge)",
                    "SELECT c.subject_id FROM chosen c WHERE c.score = (SELECT score FROM edge)",
                    "",
                    "ASC",
                    "(SELECT $12 - above FROM edge)",
                ),
            ),
            "kept",
        )
    } else {
        (String::new(), "chosen")
    };
    let page = format!(
        "WITH chosen AS MATERIALIZED ( \
             SELECT * FROM ( \
                 SELECT s.*, rank() OVER (ORDER BY s.score DESC) AS rank{above} \
                 FROM ({scored}) s \
             ) ranked WHERE {choose} \
         ){first_tied}, lines AS MATERIALIZED (SELECT {named}) \
         SELECT lines.* FROM lines \
         WHERE $9::float8 IS NULL OR lines.score < $9 \
            OR (lines.sort_name, lines.subject_id) > ($10, $11) \
         ORDER BY lines.score DESC, lines.sort_name, lines.subject_id LIMIT $12",
        scored = scored_sql(query, subjects),
        named = named(query.board, kept),
    );
    format!(
        "{} ORDER BY l.score DESC, l.sort_name, l.subject_id",
        with_values(query, &page)
    )
}

/// One subject's line ($9) and `$10` lines either side on a summed board.
///
/// Only the lines that can be among the neighbours are named. In board order (score, then
/// name, then id) they come from, above the subject: the subject's own score's lines with a
/// smaller name (the last `$10` of them by name), every line of the scores between theirs and
/// `up` (the score of the `$10`-th line above theirs: fewer than `$10` lines), and the last
/// `$10` by name of `up`'s own lines; below, the same the other way round. So at most
/// `6 × $10` lines are named, where naming every line between `up` and `down` named a whole
/// tie: someone who gave once in 30 days stands among thousands who gave once (about 2,500
/// names at 100k shout-outs, 12-16 ms in all; 13,000 at 1M, 105 ms; then 8 and 44 ms,
/// `bench/results/2026-12-07-ab-standings.md`).
///
/// A short tie's nearest names are found by naming its every line, from the band (the sums
/// between `down` and `up`, kept apart once so that each short tie is not read from every sum)
/// when the band is a small part of the board.
/// A longer tie's are found by walking the directory in name order from the bound (the
/// subject's own name, or an end of the directory), testing each person walked against a hash
/// of the tie (see [`WALK_NAMES`]). On a flat board a tie is thousands of lines (10,000 people
/// gave twice in 90 days at 1M), and those hashes cost more than the whole rest of the
/// statement but the sums; there each person walked is probed for their own sum instead
/// ([`PROBE_NAMES`]). A probing walk stops after a few times the people it should need
/// (`cap`); a tie whose names bunch away from the bound, so that the walk meets too few of its
/// lines by then, is walked again against the hash. Ranks come from a histogram of the scores
/// (1 + how many score higher).
fn summed_around_sql(query: &BoardQuery) -> String {
    let people = query.board != BoardKind::Teams;
    // The sums the ties and the lines near are read from: on a person board, the band when it
    // is at most half of them, kept apart on first reading, else every sum, read again. On a
    // flat board the band is nearly every sum, and keeping it apart cost more than reading the
    // sums twice; at the top of a board it is a few lines among thousands. Teams are few.
    let pool = if people {
        "(SELECT * FROM band WHERE (SELECT narrow FROM walks) \
         UNION ALL SELECT * FROM scored WHERE NOT (SELECT narrow FROM walks))"
    } else {
        "band"
    };
    // How one tie's nearest `$10` names are found. `tie`: the CTE's name for the walk (u, b,
    // a, d: up, before, after, down); `score`: the tie's score; `flag`: the `walks` columns
    // saying whether and how it is walked; `bound`: a bound on (name, id), if any, after which
    // (before which, `descending`) to look. The bound is strict, so the subject's own line,
    // which bounds its own tie, is never among the lines found.
    struct Tie<'a> {
        tie: &'a str,
        score: &'a str,
        flag: &'a str,
        bound: Option<&'a str>,
        descending: bool,
    }
    // Each person a probing walk meets, probed for their own sum.
    let one = person_score(query, "em.id");
    // The tie's probing walk, as a CTE (people only), and the query of the ids it contributes.
    let nearest = |t: &Tie| -> (Option<String>, String) {
        let dir = if t.descending { "DESC" } else { "ASC" };
        let cmp = if t.descending { "<" } else { ">" };
        let bound = |name: &str, id: &str| {
            t.bound
                .map(|key| format!(" AND ({name}, {id}) {cmp} {key}"))
                .unwrap_or_default()
        };
        let set = format!("c.score = {}", t.score);
        if !people {
            // Teams are few: their names are always read one by one.
            return (
                None,
                format!(
                    "(SELECT c.subject_id AS id FROM {pool} c JOIN teams tm ON tm.id = c.subject_id \
                     WHERE {score} IS NOT NULL AND {set}{b} \
                     ORDER BY tm.name {dir}, c.subject_id {dir} LIMIT $10)",
                    score = t.score,
                    b = bound("tm.name", "c.subject_id"),
                ),
            );
        }
        // Walked at all (else named), and walked with probes (else against a hash).
        let walk = format!("(SELECT {} FROM walks)", t.flag);
        let probed = format!("(SELECT {}_probe FROM walks)", t.flag);
        let cap = format!("(SELECT {}_cap FROM walks)", t.flag);
        let em_bound = bound("em.display_name", "em.id");
        let name = format!("walk_{}", t.tie);
        // Each person walked is probed for their own sum (the same parts as everyone's, for
        // them alone); people not on the board have none. The walk is read lazily: it stops at
        // the `$10`-th line of the tie.
        let probe = format!(
            "{name} AS MATERIALIZED ( \
                 SELECT w.id FROM ( \
                     SELECT em.id, em.display_name, {one} AS score \
                     FROM employees em WHERE {probed}{em_bound} \
                     ORDER BY em.display_name {dir}, em.id {dir} LIMIT {cap} \
                 ) w WHERE w.score = {score} \
                 ORDER BY w.display_name {dir}, w.id {dir} LIMIT $10 \
             )",
            score = t.score,
        );
        // Too few lines of the tie within the cap, and the directory went on past it.
        let short = format!(
            "{probed} AND (SELECT count(*) FROM {name}) < $10 \
             AND (SELECT count(*) FROM (SELECT 1 FROM employees em WHERE true{em_bound} \
                  ORDER BY em.display_name {dir}, em.id {dir} LIMIT {cap}) c) >= {cap}"
        );
        // Exactly one of the three runs: the probing walk (then the hashed walk if it fell
        // short), the hashed walk, or the naming of each line of a short tie. A tie that is
        // not there (no one above, or below) reads nothing: naming reads the band, which is
        // kept apart only when it is first read.
        let ids = format!(
            "SELECT id FROM {name} \
             UNION ALL ({hashed}) \
             UNION ALL \
             (SELECT c.subject_id AS id FROM {pool} c CROSS JOIN LATERAL ( \
                  SELECT em.display_name FROM employees em WHERE em.id = c.subject_id OFFSET 0 \
              ) e WHERE NOT {walk} AND {score} IS NOT NULL AND {set}{bc} \
              ORDER BY e.display_name {dir}, c.subject_id {dir} LIMIT $10)",
            score = t.score,
            hashed = name_walk(
                &format!("(({walk} AND NOT {probed}) OR ({short}))"),
                &format!("SELECT c.subject_id FROM {pool} c WHERE {set}"),
                &em_bound,
                dir,
                "$10",
            ),
            bc = bound("e.display_name", "c.subject_id"),
        );
        (Some(probe), ids)
    };
    let own_name = if people {
        "(SELECT em.display_name FROM employees em WHERE em.id = $9)"
    } else {
        "(SELECT tm.name FROM teams tm WHERE tm.id = $9)"
    };
    let own_key = "((SELECT name FROM own), $9::uuid)";
    let own_score = "(SELECT score FROM own)";
    let up_score = "(SELECT score FROM up)";
    let down_score = "(SELECT score FROM down)";
    let ties = [
        Tie {
            tie: "u",
            score: up_score,
            flag: "up",
            bound: None,
            descending: true,
        },
        Tie {
            tie: "b",
            score: own_score,
            flag: "own",
            bound: Some(own_key),
            descending: true,
        },
        Tie {
            tie: "a",
            score: own_score,
            flag: "own",
            bound: Some(own_key),
            descending: false,
        },
        Tie {
            tie: "d",
            score: down_score,
            flag: "down",
            bound: None,
            descending: false,
        },
    ];
    let (probes, ids): (Vec<Option<String>>, Vec<String>) = ties.iter().map(nearest).unzip();
    let probes: String = probes
        .into_iter()
        .flatten()
        .map(|w| format!(", {w}"))
        .collect();
    // Whether to walk a tie of `n` lines for `$10` of them, and how far.
    let walk = |n: &str| walk_names(n, "$10", WALK_NAMES);
    let probe = |n: &str| walk_names(n, "$10", PROBE_NAMES);
    let cap = |n: &str| {
        format!("(4 * $10 * {DIRECTORY_SIZE} / greatest(coalesce({n}, 0), 1))::int8 + 16")
    };
    let tie = |score: &str| format!("(SELECT h.n FROM hist h WHERE h.score = {score})");
    let own_tie = format!("{} - 1", tie(own_score));
    let around = format!(
        "WITH scored AS MATERIALIZED ({scored}), \
         own AS MATERIALIZED (SELECT s.score, {own_name} AS name FROM scored s WHERE s.subject_id = $9), \
         hist AS MATERIALIZED (SELECT score, count(*) AS n FROM scored GROUP BY score), \
         ranks AS MATERIALIZED ( \
             SELECT h.score, 1 + coalesce(sum(h.n) OVER (ORDER BY h.score DESC \
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::int8 AS rank \
             FROM hist h \
         ), \
         up AS MATERIALIZED ( \
             SELECT min(a.score) AS score FROM ( \
                 SELECT h.score, sum(h.n) OVER (ORDER BY h.score) AS lines FROM hist h \
                 WHERE h.score > {own_score} \
             ) a WHERE a.lines >= $10 \
         ), \
         down AS MATERIALIZED ( \
             SELECT max(b.score) AS score FROM ( \
                 SELECT h.score, sum(h.n) OVER (ORDER BY h.score DESC) AS lines FROM hist h \
                 WHERE h.score < {own_score} \
             ) b WHERE b.lines >= $10 \
         ), \
         walks AS MATERIALIZED ( \
             SELECT {walk_up} AS up, {walk_own} AS own, {walk_down} AS down, \
                    {probe_up} AS up_probe, {probe_own} AS own_probe, \
                    {probe_down} AS down_probe, \
                    {cap_up} AS up_cap, {cap_own} AS own_cap, {cap_down} AS down_cap, \
                    (SELECT coalesce(sum(h.n), 0) FROM hist h \
                     WHERE h.score >= coalesce({down_score}, '-infinity') \
                       AND h.score <= coalesce({up_score}, 'infinity')) * 2 \
                    < (SELECT sum(h.n) FROM hist h) AS narrow \
         ), \
         band AS MATERIALIZED ( \
             SELECT s.* FROM scored s \
             WHERE EXISTS (SELECT 1 FROM own) \
               AND s.score >= coalesce({down_score}, '-infinity') \
               AND s.score <= coalesce({up_score}, 'infinity') \
         ){probes}, \
         chosen AS MATERIALIZED ({ids}), \
         near AS MATERIALIZED ( \
             SELECT s.* FROM {pool} s \
             WHERE ( \
                 s.subject_id = $9 \
                 OR (s.score > {own_score} AND s.score < coalesce({up_score}, 'infinity')) \
                 OR (s.score < {own_score} AND s.score > coalesce({down_score}, '-infinity')) \
                 OR s.subject_id IN (SELECT id FROM chosen) \
             ) \
         ), lines AS MATERIALIZED ( \
             SELECT l.*, row_number() OVER (ORDER BY l.score DESC, l.sort_name, l.subject_id) AS position \
             FROM (SELECT {named}) l \
         ) \
         SELECT lines.*, (SELECT r.rank FROM ranks r WHERE r.score = lines.score) AS rank \
         FROM lines \
         WHERE abs(lines.position - (SELECT position FROM lines WHERE subject_id = $9)) <= $10",
        scored = scored_sql(query, Subjects::All),
        walk_up = walk(&tie(up_score)),
        walk_own = walk(&own_tie),
        walk_down = walk(&tie(down_score)),
        probe_up = probe(&tie(up_score)),
        probe_own = probe(&own_tie),
        probe_down = probe(&tie(down_score)),
        cap_up = cap(&tie(up_score)),
        cap_own = cap(&own_tie),
        cap_down = cap(&tie(down_score)),
        ids = ids.join(" UNION ALL "),
        named = named(query.board, "near"),
    );
    format!("{} ORDER BY l.position", with_values(query, &around))
}

/// Binds what every summing statement reads: `$1` board, `$2`/`$3` sources and their signs,
/// `$4` team, `$5` signed buckets, `$6`..`$8` days (starts, ends, signs).
fn bind_summed(
    query: &BoardQuery,
    sql: String,
) -> diesel::query_builder::BoxedSqlQuery<'static, diesel::pg::Pg, diesel::query_builder::SqlQuery>
{
    bind_summed_with(query, sql, query.signed_buckets())
}

/// [`bind_summed`] with other buckets as `$5`.
fn bind_summed_with(
    query: &BoardQuery,
    sql: String,
    buckets: Vec<i32>,
) -> diesel::query_builder::BoxedSqlQuery<'static, diesel::pg::Pg, diesel::query_builder::SqlQuery>
{
    let (sources, signs): (Vec<i16>, Vec<i32>) = query.sources.iter().copied().unzip();
    diesel::sql_query(sql)
        .into_boxed()
        .bind::<SmallInt, _>(query.board as i16)
        .bind::<Array<SmallInt>, _>(sources)
        .bind::<Array<Integer>, _>(signs)
        .bind::<Nullable<SqlUuid>, _>(query.team)
        .bind::<Array<Integer>, _>(buckets)
        .bind::<Array<Timestamptz>, _>(query.days.iter().map(|d| d.0).collect::<Vec<_>>())
        .bind::<Array<Timestamptz>, _>(query.days.iter().map(|d| d.1).collect::<Vec<_>>())
        .bind::<Array<Integer>, _>(query.days.iter().map(|d| d.2).collect::<Vec<_>>())
}

fn bind_cursor(
    sql: diesel::query_builder::BoxedSqlQuery<
        'static,
        diesel::pg::Pg,
        diesel::query_builder::SqlQuery,
    >,
    after: Option<&RankKey>,
    limit: i64,
) -> diesel::query_builder::BoxedSqlQuery<'static, diesel::pg::Pg, diesel::query_builder::SqlQuery>
{
    let (count, name, id) = after
        .map(|k| (Some(k.count), Some(k.name.clone()), Some(k.id)))
        .unwrap_or((None, None, None));
    sql.bind::<Nullable<Double>, _>(count)
        .bind::<Nullable<Text>, _>(name)
        .bind::<Nullable<SqlUuid>, _>(id)
        .bind::<BigInt, _>(limit)
}

async fn summed_page(
    conn: &mut AsyncPgConnection,
    query: &BoardQuery,
    after: Option<&RankKey>,
    limit: i64,
) -> QueryResult<Vec<BoardRow>> {
    // With a team filter, summing the team's rows (tallies_team_idx) is cheaper than walking
    // each bucket's whole ranking index for the team's few lines.
    if after.is_none()
        && !query.per_head
        && query.team.is_none()
        && let Some(rows) = top_by_threshold(conn, query, limit).await?
    {
        return Ok(rows);
    }
    Prepared(bind_cursor(
        bind_summed(
            query,
            summed_page_sql(query, Subjects::All, after.is_some()),
        ),
        after,
        limit,
    ))
    .load(conn)
    .await
}

/// The stored source whose lists bound every sum from above: every source, or customers only.
fn bound_source(query: &BoardQuery) -> i16 {
    if query.sources.iter().any(|&(s, _)| s == SOURCE_CUSTOMER) && query.sources.len() == 1 {
        SOURCE_CUSTOMER
    } else {
        SOURCE_ALL
    }
}

/// How many rows of `source` the `buckets` hold for `query`'s column and filter, counting no
/// further than `cap` in all (an index-only range scan of each bucket until then).
async fn bucket_rows(
    conn: &mut AsyncPgConnection,
    query: &BoardQuery,
    source: i16,
    buckets: &[i32],
    cap: i64,
) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Rows {
        #[diesel(sql_type = BigInt)]
        rows: i64,
    }
    if buckets.is_empty() {
        return Ok(0);
    }
    let col = query.column();
    let team_filter = query.team_filter("t", 4);
    let sql = format!(
        "SELECT count(*) AS rows FROM ( \
             SELECT 1 FROM unnest($2::int4[]) AS b (bucket) \
             CROSS JOIN LATERAL ( \
                 SELECT 1 FROM tallies t \
                 WHERE t.board = $1 AND t.bucket = b.bucket AND t.source = $3 \
                   AND t.{col} > 0{team_filter} \
             ) r LIMIT $5 \
         ) c"
    );
    let counted: Rows = Prepared(
        diesel::sql_query(sql)
            .bind::<SmallInt, _>(query.board as i16)
            .bind::<Array<Integer>, _>(buckets.to_vec())
            .bind::<SmallInt, _>(source)
            .bind::<Nullable<SqlUuid>, _>(query.team)
            .bind::<BigInt, _>(cap),
    )
    .get_result(conn)
    .await?;
    Ok(counted.rows)
}

/// The first `limit` lines of a board that adds up several buckets, without adding up every
/// subject: Fagin's threshold algorithm over the buckets' ranking indexes. Read the top `depth`
/// of every bucket; anyone not yet seen has at most, in each bucket, the last count read there,
/// so at most their sum (the threshold). Once the `limit`-th best exact sum among those seen is
/// above the threshold, nobody unseen can reach the page (or tie with it), and ranks among
/// those seen are exact. Staff-only boards read the every-source lists, an upper bound.
///
/// The days (which have no buckets) are bounded in one of two ways. On the people's boards,
/// by the week buckets that hold them (list `-week`): nobody counts more in some days than in
/// their week, and a week's ranking index is read like any bucket's; nor more than the days'
/// ceilings add up to ([`day_caps`]), whichever is lower. The candidates' own days are then
/// read for them alone, through each one's own index. At 10M shout-outs the days at
/// a span's edges are ~100,000 rows, and adding them up for 30,000 people cost more than the
/// rest of the board. Teams are too few for that (each has hundreds of rows a day, so their
/// candidates' days are most of the days): theirs are one more list (pseudo-bucket 0), each
/// team's exact signed count over the days, summed once for every team, the candidates' exact
/// sums reusing it.
/// The lists are read to a depth, then, if that does not settle, four times as deep ([`Read`]).
/// Gives up (None) when they are too flat to stop early; the caller then sums everything.
async fn top_by_threshold(
    conn: &mut AsyncPgConnection,
    query: &BoardQuery,
    limit: i64,
) -> QueryResult<Option<Vec<BoardRow>>> {
    let col = query.column();
    let team_filter = query.team_filter("t", 4);
    let bound_source = bound_source(query);
    // Small buckets (only days, a quiet span, a small company) are cheaper to sum in one
    // statement than to read from the top, check and probe in two or three. Counting stops
    // at the first `sum_below` rows (an index-only scan of at most that many entries; on the
    // benchmark's machine summing 20,000 takes a few milliseconds).
    let added = query.added_buckets();
    // `sum_below` 0 tries the algorithm every time, whatever it cost last time.
    let log = &query.threshold_log;
    // The tiling's estimate assumes thanks fall at random (the most rows for their number)
    // at the board's average rate over its history; twice it still below `sum_below` leaves
    // room for a busier time than average, and spares the count.
    let surely_small = query.added_rows.saturating_mul(2) < query.sum_below.unsigned_abs();
    let by_weeks = query.board != BoardKind::Teams;
    // The lists read: the buckets added, and the weeks around the days (negated, so that a
    // week both added and holding days would be two lists). A span of days alone is bounded
    // by its weeks.
    let mut read = added.clone();
    if by_weeks && !query.days.is_empty() {
        read.extend(query.day_weeks.iter().map(|week| -week.bucket));
    }
    // (The weeks' rows stand for their days' in the count: about as many on the people's
    // boards, where few are thanked twice in a week.)
    let counted: Vec<i32> = read.iter().map(|b| b.abs()).collect();
    if read.is_empty()
        || (query.sum_below > 0 && surely_small)
        || (query.sum_below > 0 && !log.should_try(query))
        || (query.sum_below > 0
            && !log.last_settled(query)
            && bucket_rows(conn, query, bound_source, &counted, query.sum_below).await?
                < query.sum_below)
    {
        return Ok(None);
    }
    let heads = format!(
        "SELECT l.bucket, l.subject_id, l.score FROM unnest($5::int4[]) AS b (bucket) \
         CROSS JOIN LATERAL ( \
             SELECT b.bucket, t.subject_id, t.{col} AS score FROM tallies t \
             WHERE t.board = $1 AND t.bucket = abs(b.bucket) AND t.source = $9 \
               AND t.{col} > 0{team_filter} \
             ORDER BY t.{col} DESC, t.sort_name, t.subject_id LIMIT $10 \
         ) l"
    );
    // Without weeks: the heads of every list, the days' own among them, and (as list -1) every
    // candidate's exact count over the days: the days are summed once, here, and the exact
    // sums take them as they are.
    let heads_sql = if by_weeks || query.days.is_empty() {
        heads
    } else {
        format!(
            "WITH {days}, heads AS MATERIALIZED ( \
                 {heads} \
                 UNION ALL \
                 (SELECT 0, dd.subject_id, dd.n FROM days dd WHERE dd.n <> 0 \
                  ORDER BY dd.n DESC LIMIT $10) \
             ) SELECT h.bucket, h.subject_id, h.score FROM heads h \
             UNION ALL SELECT -1, c.subject_id, coalesce(dd.n, 0) \
             FROM (SELECT DISTINCT h.subject_id FROM heads h) c \
             LEFT JOIN days dd ON dd.subject_id = c.subject_id",
            days = query.days_cte(),
        )
    };
    // The candidates' exact sums, ranked among themselves: where the page settles, everyone
    // who ranks above or ties with a line on it is a candidate, so those ranks are exact.
    let exact_sql = summed_page_sql(
        query,
        if by_weeks {
            Subjects::DaysRead(13)
        } else {
            Subjects::DaysGiven(13)
        },
        false,
    );
    // A week standing for its days is also capped by the most anyone counted in each of them:
    // a single day's counts are far lower than a week's on a flat board (where the week's
    // own bound is about a page's last count, and the page would never settle).
    let caps = if by_weeks && !query.day_weeks.is_empty() {
        day_caps(conn, query).await?
    } else {
        HashMap::new()
    };
    let reader = Read {
        heads_sql: &heads_sql,
        exact_sql: &exact_sql,
        lists: &read,
        caps: &caps,
        by_weeks,
        bound_source,
        limit,
    };
    // Where the first read does not settle, a second four times as deep. The threshold falls
    // with depth faster than a page's edge: on the 10M set's givers, a week's 84th count
    // (14-17) leaves the threshold of two weeks above a page ending at 23-31, its 336th (7-9)
    // well below it. Where even that is too flat, the lists are flat (many equal counts), and
    // reading deeper still costs more than summing everything.
    let first = (4 * limit).max(64);
    for depth in [first, 4 * first] {
        if let Some(rows) = reader.to_depth(conn, query, depth).await? {
            log.record(query, true);
            return Ok(Some(rows));
        }
    }
    log.record(query, false);
    Ok(None)
}

/// A line read from the top of a list: its subject's count there (list -1: a candidate's
/// exact count over the days).
#[derive(QueryableByName)]
struct Head {
    #[diesel(sql_type = Integer)]
    bucket: i32,
    #[diesel(sql_type = SqlUuid)]
    subject_id: Uuid,
    #[diesel(sql_type = Integer)]
    score: i32,
}

/// One read of the threshold algorithm's lists ([`top_by_threshold`]): the statements and
/// what stays the same from one depth to the next.
struct Read<'a> {
    heads_sql: &'a str,
    exact_sql: &'a str,
    /// The lists read: buckets added, and `-week` for the weeks standing for days.
    lists: &'a [i32],
    /// What anyone counts in the days a `-week` list stands for, at most.
    caps: &'a HashMap<i32, i64>,
    by_weeks: bool,
    bound_source: i16,
    limit: i64,
}

impl Read<'_> {
    /// The first `limit` lines, if reading every list to `depth` settles them.
    async fn to_depth(
        &self,
        conn: &mut AsyncPgConnection,
        query: &BoardQuery,
        depth: i64,
    ) -> QueryResult<Option<Vec<BoardRow>>> {
        let (by_weeks, limit) = (self.by_weeks, self.limit);
        let mut lists = self.lists.to_vec();
        let (days_of, heads): (Vec<Head>, Vec<Head>) = Prepared(
            bind_summed_with(query, self.heads_sql.to_string(), lists.clone())
                .bind::<SmallInt, _>(self.bound_source)
                .bind::<BigInt, _>(depth),
        )
        .load::<Head>(conn)
        .await?
        .into_iter()
        .partition(|h| h.bucket == -1);
        let days_of: HashMap<Uuid, i32> = days_of
            .into_iter()
            .map(|h| (h.subject_id, h.score))
            .collect();
        // Per bucket: the last count read, where the list was read to the depth (a list read to
        // its end bounds the unseen by nothing).
        let bound_of = |bucket: i32| -> i64 {
            let list: Vec<&Head> = heads.iter().filter(|h| h.bucket == bucket).collect();
            match list.last() {
                Some(last) if list.len() as i64 == depth => i64::from(last.score),
                _ => 0,
            }
        };
        // Buckets taken away only lower a sum: the bound is what the added ones (and the days)
        // allow.
        if !by_weeks && !query.days.is_empty() {
            lists.push(0);
        }
        let capped =
            |list: i32, count: i64| self.caps.get(&list).map_or(count, |&cap| count.min(cap));
        let bounds: HashMap<i32, i64> = lists
            .iter()
            .map(|&b| (b, capped(b, bound_of(b)).max(0)))
            .collect();
        let threshold: i64 = bounds.values().sum();
        // What each candidate could at most add up to: its counts where read, and the bound of
        // every other list. If fewer than a page can beat the threshold, the page cannot settle:
        // skip the exact sums and let the caller sum everything.
        let mut most: HashMap<Uuid, i64> = HashMap::new();
        for head in &heads {
            *most.entry(head.subject_id).or_insert(threshold) +=
                capped(head.bucket, i64::from(head.score)) - bounds[&head.bucket];
        }
        if threshold > 0 && most.values().filter(|&&m| m > threshold).count() < limit as usize {
            return Ok(None);
        }
        // The exact sums cost an index probe per candidate and bucket; summing everything costs
        // a row per subject and bucket, read in order, about a tenth of a probe (measured on the
        // benchmark's 100k set: ~3 µs a probe, ~0.2 µs a row). On small buckets (a small company, a
        // quiet span) summing is cheaper: find out how many rows the lists not read to their end
        // hold, counting no further than the probes would cost.
        const ROWS_PER_PROBE: i64 = 10;
        let probes = most.len() as i64 * query.buckets.len() as i64 * ROWS_PER_PROBE;
        // (The days' list, read to its depth, counts as that long: it is summed whole anyway.)
        let lengths: HashMap<i32, i64> = lists
            .iter()
            .map(|&b| (b, heads.iter().filter(|h| h.bucket == b).count() as i64))
            .collect();
        let read_whole: i64 = lengths
            .iter()
            .filter(|&(&b, &n)| n < depth || b == 0)
            .map(|(_, &n)| n)
            .sum();
        let truncated: Vec<i32> = lengths
            .iter()
            .filter(|&(&b, &n)| n == depth && b != 0)
            .map(|(&b, _)| b.abs())
            .collect();
        // The count before the heads already found at least `sum_below` rows in these buckets:
        // only a larger `probes` needs counting again.
        if query.sum_below > 0
            && probes > query.sum_below
            && read_whole + bucket_rows(conn, query, self.bound_source, &truncated, probes).await?
                < probes
        {
            return Ok(None);
        }
        let mut candidates: Vec<Uuid> = most.into_keys().collect();
        candidates.sort_unstable();
        let candidates_days: Vec<i32> = candidates
            .iter()
            .map(|id| days_of.get(id).copied().unwrap_or(0))
            .collect();
        let exact = bind_cursor(bind_summed(query, self.exact_sql.to_string()), None, limit)
            .bind::<Array<SqlUuid>, _>(candidates);
        // (Only a board with days summed for every subject takes their counts.)
        let exact = if by_weeks || query.days.is_empty() {
            exact
        } else {
            exact.bind::<Array<Integer>, _>(candidates_days)
        };
        let rows: Vec<BoardRow> = Prepared(exact).load(conn).await?;
        let settled = match rows.get(limit as usize - 1) {
            Some(last_on_page) => last_on_page.score > threshold as f64,
            None => threshold == 0,
        };
        if settled {
            let mut rows = rows;
            rows.truncate(limit as usize);
            return Ok(Some(rows));
        }
        Ok(None)
    }
}

/// For each week that stands for some of a span's days (list `-week`, as in
/// [`top_by_threshold`]), the most anyone can count in those days: the sum of each day's
/// ceiling (the most any one person counted that day, kept by the migration `day_ceilings`,
/// never below the truth). A day without a ceiling counted nobody.
async fn day_caps(
    conn: &mut AsyncPgConnection,
    query: &BoardQuery,
) -> QueryResult<HashMap<i32, i64>> {
    #[derive(QueryableByName)]
    struct Ceiling {
        #[diesel(sql_type = Date)]
        day: NaiveDate,
        #[diesel(sql_type = Integer)]
        most: i32,
    }
    let days: Vec<NaiveDate> = query
        .day_weeks
        .iter()
        .flat_map(|week| week.days.iter().copied())
        .collect();
    let ceilings: HashMap<NaiveDate, i64> = Prepared(
        diesel::sql_query(
            "SELECT day, most FROM tally_day_ceilings WHERE board = $1 AND day = ANY($2)",
        )
        .bind::<SmallInt, _>(query.board as i16)
        .bind::<Array<Date>, _>(days),
    )
    .load::<Ceiling>(conn)
    .await?
    .into_iter()
    .map(|c| (c.day, i64::from(c.most)))
    .collect();
    Ok(query
        .day_weeks
        .iter()
        .map(|week| {
            let cap = week.days.iter().filter_map(|day| ceilings.get(day)).sum();
            (-week.bucket, cap)
        })
        .collect())
}

/// One subject's line and up to `neighbours` lines either side; empty when the subject has
/// nothing in the period.
pub async fn around(
    conn: &mut AsyncPgConnection,
    query: &BoardQuery,
    subject_id: Uuid,
    neighbours: i64,
) -> QueryResult<Vec<BoardRow>> {
    if !query.is_single_index_walk() {
        return Prepared(
            bind_summed(query, summed_around_sql(query))
                .bind::<SqlUuid, _>(subject_id)
                .bind::<BigInt, _>(neighbours),
        )
        .load(conn)
        .await;
    }
    let walked: Vec<Walked> = Prepared(
        bind_walk(query, walked_around_sql(query))
            .bind::<SqlUuid, _>(subject_id)
            .bind::<BigInt, _>(neighbours),
    )
    .load(conn)
    .await?;
    Ok(Walked::ranked(walked))
}

/// One subject's line ($5) and `$6` lines either side on a one-bucket board, in one statement,
/// straight off the ranking index, with how many lines score above the first line and how many
/// come before it. The lines above and below are each two ranges of the ranking index
/// ([`lines_from`]). (Each walk read the bucket from
/// one end before: a standing on a month at 1M shout-outs took 40-58 ms, now about 1 ms,
/// `bench/results/2026-12-07-ab-standings.md`.)
fn walked_around_sql(query: &BoardQuery) -> String {
    let col = query.column();
    let base = walk_base(query);
    format!(
        "WITH own AS MATERIALIZED ( \
             SELECT t.{col} AS count, t.sort_name, t.subject_id FROM tallies t \
             WHERE {base} AND t.subject_id = $5 \
         ), up AS MATERIALIZED ({up}), \
         start AS MATERIALIZED ( \
             SELECT s.count, s.sort_name, s.subject_id FROM ( \
                 SELECT count, sort_name, subject_id, 0 AS o FROM up \
                 UNION ALL SELECT count, sort_name, subject_id, 1 FROM own \
             ) s ORDER BY s.o, s.count DESC, s.sort_name, s.subject_id LIMIT 1 \
         ), counts AS MATERIALIZED ({counts}), \
         page AS MATERIALIZED ({page}) \
         SELECT page.*, c.above, c.above + c.tied_before AS before, {join} \
         CROSS JOIN counts c WHERE EXISTS (SELECT 1 FROM own) \
         ORDER BY page.score DESC, page.sort_name, page.subject_id",
        up = lines_from(
            query,
            &format!("t.{col} AS count, t.sort_name, t.subject_id"),
            "(SELECT count FROM own)",
            "((SELECT sort_name FROM own), $5)",
            Toward::Top,
            "$6",
        ),
        counts = counted_before(query, "start"),
        page = lines_from(
            query,
            &walked_line(query),
            "(SELECT count FROM start)",
            "((SELECT sort_name FROM start), (SELECT subject_id FROM start))",
            Toward::Bottom { inclusive: true },
            "((SELECT count(*) FROM up) + 1 + $6)",
        ),
        join = subject_join(query.board, "page"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_are_kept_for_a_minute() {
        let statistics = Statistics::default();
        let read_at = std::time::Instant::now();
        let stats = Arc::new(TableStatistics {
            rows: 1.0,
            subjects: 1.0,
            first: None,
            bounds: None,
        });
        statistics
            .kept
            .lock()
            .unwrap()
            .insert(BoardKind::Givers, (read_at, stats));
        let after = |secs| read_at + std::time::Duration::from_secs(secs);
        assert!(statistics.kept_for(BoardKind::Givers, after(59)).is_some());
        assert!(statistics.kept_for(BoardKind::Givers, after(60)).is_none());
        assert!(
            statistics
                .kept_for(BoardKind::Recipients, after(0))
                .is_none()
        );
    }

    fn query(board: BoardKind, value: Option<HeartValue>) -> BoardQuery {
        BoardQuery {
            board,
            buckets: vec![(3_046_264, 1)],
            days: Vec::new(),
            day_weeks: Vec::new(),
            sources: vec![(SOURCE_ALL, 1)],
            value,
            team: None,
            per_head: false,
            sum_below: 20_000,
            added_rows: u64::MAX,
            span_days: 0,
            threshold_log: Arc::default(),
            shown_anyway: None,
        }
    }

    #[test]
    fn a_failed_shape_rests_then_is_tried_again_and_a_success_clears_it() {
        let log = ThresholdLog::default();
        let givers = query(BoardKind::Givers, None);
        let recipients = query(BoardKind::Recipients, None);
        let one_value = query(BoardKind::Givers, Some(HeartValue::HelpingOthers));
        let mut longer = query(BoardKind::Givers, None);
        longer.added_rows = 400_000;
        let mut shorter = query(BoardKind::Givers, None);
        shorter.added_rows = 40_000;
        // As many rows, but a week against a month.
        let mut week = query(BoardKind::Givers, None);
        week.added_rows = 40_000;
        week.span_days = 7;
        let mut month = week.clone();
        month.span_days = 30;
        assert!(log.should_try(&givers));
        log.record(&shorter, false);
        assert!(log.should_try(&longer), "a flat month does not rest a year");
        assert!(!log.should_try(&shorter));
        log.record(&week, false);
        assert!(
            log.should_try(&month),
            "a flat week does not rest a month as large"
        );
        assert!(!log.should_try(&week));
        log.record(&givers, false);
        for _ in 0..ThresholdLog::REST {
            assert!(!log.should_try(&givers));
            // Other shapes are not held back by it.
            assert!(log.should_try(&recipients));
            assert!(log.should_try(&one_value));
        }
        assert!(log.should_try(&givers), "tried again after its rest");
        assert!(!log.last_settled(&givers), "a rest run out is no success");
        // Each failure in a row doubles the rest, up to the longest.
        for rest in [63, 127, 255, 511, 1023, 1023] {
            log.record(&givers, false);
            for _ in 0..rest {
                assert!(!log.should_try(&givers), "rests {rest}");
            }
            assert!(log.should_try(&givers), "tried again after {rest}");
        }
        assert_eq!(ThresholdLog::LONGEST_REST, 1023);
        log.record(&givers, false);
        assert!(!log.should_try(&givers));
        assert!(!log.last_settled(&givers));
        log.record(&givers, true);
        assert!(log.should_try(&givers));
        assert!(log.should_try(&givers));
        assert!(log.last_settled(&givers), "a settled shape skips the count");
        assert!(!log.last_settled(&shorter));
        log.record(&givers, false);
        assert!(!log.last_settled(&givers), "a failure forgets it");
        // A success ends the run of failures: the next failure rests the shortest again.
        for _ in 0..ThresholdLog::REST {
            assert!(!log.should_try(&givers));
        }
        assert!(
            log.should_try(&givers),
            "a success started the count afresh"
        );
    }

    #[test]
    fn a_histogram_gives_the_share_of_rows_in_a_span() {
        let at = |day: u32| {
            chrono::NaiveDate::from_ymd_opt(2026, 1, day)
                .unwrap()
                .and_hms_opt(0, 0, 0)
                .unwrap()
                .and_utc()
        };
        // Four buckets of equal rows: the last two days hold half the rows.
        let bounds = [at(1), at(11), at(21), at(29), at(31)];
        assert_eq!(share_between(&bounds, at(1), at(31)), Some(1.0));
        assert_eq!(share_between(&bounds, at(29), at(31)), Some(0.25));
        assert_eq!(share_between(&bounds, at(21), at(31)), Some(0.5));
        // Half of the first bucket's time: half its rows.
        assert_eq!(share_between(&bounds, at(1), at(6)), Some(0.125));
        // Before and after the histogram: nothing.
        assert_eq!(
            share_between(&bounds, at(31), at(31) + chrono::Days::new(5)),
            Some(0.0)
        );
        assert_eq!(share_between(&bounds[..1], at(1), at(31)), None);
    }

    #[test]
    fn summing_is_cut_to_the_board() {
        let mut q = query(BoardKind::Givers, None);
        let plain = scored_sql(&q, Subjects::All);
        assert!(
            !plain.contains("unnest($2"),
            "one source needs no join: {plain}"
        );
        assert!(
            !plain.contains("CASE WHEN"),
            "no bucket taken away: {plain}"
        );
        q.buckets.push((1, -1));
        q.sources = vec![(SOURCE_ALL, 1), (SOURCE_CUSTOMER, -1)];
        let signed = scored_sql(&q, Subjects::All);
        assert!(signed.contains("unnest($2") && signed.contains("CASE WHEN"));
        q.buckets.clear();
        let nothing = scored_sql(&q, Subjects::All);
        assert!(nothing.contains("WHERE false"), "{nothing}");
    }
}
