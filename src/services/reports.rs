//! Manager reports: a team's recognition over a range of days (the rules: who may see which
//! team, which days a period covers and what it is compared with, where people count), its CSV,
//! and the raw export. Called by the API (`api::reports`) and the printable page
//! (`web::report_page`).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use diesel::OptionalExtension;
use diesel_async::AsyncPgConnection;
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Member, Oversight, oversight};
use crate::db::DbPool;
use crate::domain::period::{self, Period, PeriodKind, local_midnight, today};
use crate::domain::{HeartValue, ShoutoutSource};
use crate::error::{ApiError, ApiResult};
use crate::models::reports::{self as store, ExportLine, Person};
use crate::models::teams;
use crate::views::EmployeeSummary;

/// Longest range a report covers: three years of days.
pub const MAX_RANGE_DAYS: u64 = 3 * 366;
/// Rows the export reads per query while streaming.
const EXPORT_BATCH: i64 = 2_000;

#[derive(Debug, Clone, Default, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeQuery {
    /// A period as on the boards: `week`, `month`, `quarter`, `year` (the one holding `at`),
    /// `rolling_7d`, `rolling_30d`, `rolling_365d` (ending on `at`), or `custom` (`from` and
    /// `to`, the default). The previous range compared with is the previous period of the same
    /// kind (the quarter before a quarter), or the same number of days before.
    #[param(inline)]
    pub period: Option<PeriodKind>,
    /// Which period (any day in it; default today, in `SHOUTOUT_TIMEZONE`). Not with `custom`.
    pub at: Option<NaiveDate>,
    /// First day (inclusive, in `SHOUTOUT_TIMEZONE`); default 27 days before `to`. Only with
    /// `custom`.
    pub from: Option<NaiveDate>,
    /// Last day (inclusive); default today. Only with `custom`.
    pub to: Option<NaiveDate>,
}

/// A checked range of calendar days and the instants it spans.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub kind: PeriodKind,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Range {
    pub fn parse(query: &RangeQuery, tz: chrono_tz::Tz) -> ApiResult<Self> {
        let kind = query.period.unwrap_or(PeriodKind::Custom);
        if kind == PeriodKind::Custom {
            if query.at.is_some() {
                return Err(ApiError::invalid("at", "does not go with `period=custom`"));
            }
            let to = query.to.unwrap_or_else(|| today(tz));
            let from = query.from.unwrap_or_else(|| to - Days::new(27));
            if from > to {
                return Err(ApiError::invalid("to", "must not be before `from`"));
            }
            if (to - from).num_days() as u64 >= MAX_RANGE_DAYS {
                return Err(ApiError::invalid(
                    "from",
                    format!("a report covers at most {MAX_RANGE_DAYS} days"),
                ));
            }
            return Ok(Self::of(kind, from, to, tz));
        }
        for (field, given) in [("from", query.from.is_some()), ("to", query.to.is_some())] {
            if given {
                return Err(ApiError::invalid(field, "only goes with `period=custom`"));
            }
        }
        let at = query.at.unwrap_or_else(|| today(tz));
        if at < period::first_day() || at > period::last_day() {
            return Err(ApiError::invalid("at", "must be a day from 2000 to 2099"));
        }
        let (from, to) = Self::days_of(kind, at)?;
        Ok(Self::of(kind, from, to, tz))
    }

    /// The days of a period of `kind` holding (or, rolling, ending on) `at`.
    fn days_of(kind: PeriodKind, at: NaiveDate) -> ApiResult<(NaiveDate, NaiveDate)> {
        let resolved = match kind {
            PeriodKind::Week | PeriodKind::Month | PeriodKind::Quarter | PeriodKind::Year => {
                Period::calendar(kind, at)
            }
            PeriodKind::Rolling7d => Period::rolling(kind, 7, at),
            PeriodKind::Rolling30d => Period::rolling(kind, 30, at),
            PeriodKind::Rolling365d => Period::rolling(kind, 365, at),
            PeriodKind::AllTime | PeriodKind::Campaign | PeriodKind::Custom => {
                return Err(ApiError::invalid(
                    "period",
                    "a report takes week, month, quarter, year, a rolling period or custom dates",
                ));
            }
        };
        resolved
            .days
            .ok_or_else(|| ApiError::invalid("period", "has no days"))
    }

    pub fn of(kind: PeriodKind, from: NaiveDate, to: NaiveDate, tz: chrono_tz::Tz) -> Self {
        Self {
            kind,
            from,
            to,
            since: local_midnight(tz, from),
            until: local_midnight(tz, to + Days::new(1)),
        }
    }

    /// What this range is compared with: the previous calendar period of the same kind (the
    /// quarter before a quarter, however many days each has), else the same number of days
    /// just before.
    pub fn previous(&self, tz: chrono_tz::Tz) -> Self {
        let day_before = self.from - Days::new(1);
        if matches!(
            self.kind,
            PeriodKind::Week | PeriodKind::Month | PeriodKind::Quarter | PeriodKind::Year
        ) && let Ok((from, to)) = Self::days_of(self.kind, day_before)
        {
            return Self::of(self.kind, from, to, tz);
        }
        let days = (self.to - self.from).num_days() as u64 + 1;
        Self::of(self.kind, self.from - Days::new(days), day_before, tz)
    }
}

/// Whether the caller may see a team's report: whoever oversees it (`auth::oversight`).
pub async fn authorize(conn: &mut AsyncPgConnection, member: &Member, team: Uuid) -> ApiResult<()> {
    if oversight(conn, member).await?.covers(Some(team)) {
        return Ok(());
    }
    Err(ApiError::forbidden(
        "reports are for admins and for the managers of this team or a team above it",
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportTeam {
    pub id: Uuid,
    pub name: String,
    /// The team and every team beneath it, which the report covers.
    pub team_ids: Vec<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Totals {
    /// Shout-outs members received, each once however many members it thanked.
    pub shoutouts_received: i64,
    /// Thanks received, one per member thanked.
    pub recognitions: i64,
    /// Shout-outs members gave.
    pub given: i64,
    /// Cheers on the shout-outs members received.
    pub cheers: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberLine {
    pub employee: EmployeeSummary,
    /// Whether they are in the team now; others were when a shout-out was given.
    pub current_member: bool,
    pub received: i64,
    pub given: i64,
    pub cheers: i64,
    /// Received, by value code.
    #[schema(value_type = BTreeMap<String, i64>)]
    pub by_value: BTreeMap<&'static str, i64>,
    /// The last day (in `SHOUTOUT_TIMEZONE`) they were thanked, up to the end of the range, in
    /// this range or before it; null if never.
    pub last_thanked_on: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Participation {
    /// Current, active members.
    pub members: i64,
    pub gave: i64,
    pub received: i64,
    /// Share of members who gave at least one (0 to 1).
    pub gave_share: f64,
    /// Share of members who received at least one (0 to 1).
    pub received_share: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeekLine {
    /// Monday of the week, in `SHOUTOUT_TIMEZONE`.
    pub week_start: NaiveDate,
    pub received: i64,
    pub given: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Comparison {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub shoutouts_received: i64,
    pub given: i64,
    /// Change in shout-outs received, as a share of the previous range (null when it had none).
    pub received_change: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TeamReport {
    pub team: ReportTeam,
    /// The kind of range: a calendar or rolling period, or `custom` dates.
    pub period: PeriodKind,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub timezone: String,
    pub totals: Totals,
    /// Shout-outs received, by value code.
    #[schema(value_type = BTreeMap<String, i64>)]
    pub by_value: BTreeMap<&'static str, i64>,
    /// Shout-outs received, by source (`staff`, `customer`).
    #[schema(value_type = BTreeMap<String, i64>)]
    pub by_source: BTreeMap<&'static str, i64>,
    /// Everyone in the team now, and anyone who was when they received or gave in the range
    /// (leavers included), most thanked first.
    pub members: Vec<MemberLine>,
    pub participation: Participation,
    /// Current, active members who received nothing in the range.
    pub unrecognised: Vec<EmployeeSummary>,
    /// Every week the range touches.
    pub weekly: Vec<WeekLine>,
    /// The previous period of the same kind (for custom dates: as many days just before).
    pub previous: Comparison,
}

fn summary(p: &Person) -> EmployeeSummary {
    EmployeeSummary {
        id: p.id,
        display_name: p.display_name.clone(),
        team_id: p.team_id,
        title: p.title.clone(),
        active: p.active,
    }
}

fn zero_values() -> BTreeMap<&'static str, i64> {
    HeartValue::ALL.iter().map(|v| (v.code(), 0)).collect()
}

fn share(n: i64, of: i64) -> f64 {
    if of == 0 {
        0.0
    } else {
        (n as f64 / of as f64 * 1000.0).round() / 1000.0
    }
}

/// Builds a team's report (the caller has authorized it).
pub async fn build(
    conn: &mut AsyncPgConnection,
    tz: chrono_tz::Tz,
    team_id: Uuid,
    range: Range,
) -> ApiResult<TeamReport> {
    let previous = range.previous(tz);
    // One snapshot for every statement, so the parts of a report always add up.
    let (team, team_ids, g, people, last_thanked) = conn
        .build_transaction()
        .read_only()
        .repeatable_read()
        .run(async |conn| -> ApiResult<_> {
            let team = teams::find(conn, team_id)
                .await
                .optional()?
                .ok_or_else(|| ApiError::not_found(format!("no team with id {team_id}")))?;
            let team_ids = teams::subtree_ids(conn, team_id).await?;
            let g = store::gather(
                conn,
                team_id,
                &team_ids,
                (range.from, range.to),
                previous.from,
                tz,
            )
            .await?;
            let people = store::people(conn, &team_ids, &g.people_counted()).await?;
            let ids: Vec<Uuid> = people.iter().map(|p| p.id).collect();
            let last = store::last_thanked(conn, &ids, range.until).await?;
            Ok((team, team_ids, g, people, last))
        })
        .await?;

    // Per person: received by value, given, cheers.
    #[derive(Default)]
    struct Counts {
        by_value: BTreeMap<&'static str, i64>,
        received: i64,
        given: i64,
        cheers: i64,
    }
    let mut counts: HashMap<Uuid, Counts> = HashMap::new();
    fn entry(counts: &mut HashMap<Uuid, Counts>, id: Uuid) -> &mut Counts {
        counts.entry(id).or_insert_with(|| Counts {
            by_value: zero_values(),
            ..Counts::default()
        })
    }
    for r in &g.received {
        let c = entry(&mut counts, r.id);
        *c.by_value.entry(r.value.code()).or_default() += r.n;
        c.received += r.n;
    }
    for r in &g.given {
        entry(&mut counts, r.id).given += r.n;
    }
    for r in &g.cheers {
        entry(&mut counts, r.id).cheers += r.n;
    }

    let mut members: Vec<MemberLine> = people
        .iter()
        .map(|p| {
            let c = counts.remove(&p.id).unwrap_or_else(|| Counts {
                by_value: zero_values(),
                ..Counts::default()
            });
            MemberLine {
                employee: summary(p),
                current_member: p.team_id.is_some_and(|t| team_ids.contains(&t)),
                received: c.received,
                given: c.given,
                cheers: c.cheers,
                by_value: c.by_value,
                last_thanked_on: last_thanked
                    .get(&p.id)
                    .map(|at| at.with_timezone(&tz).date_naive()),
            }
        })
        .collect();
    members.sort_by(|a, b| {
        b.received
            .cmp(&a.received)
            .then_with(|| a.employee.display_name.cmp(&b.employee.display_name))
            .then(a.employee.id.cmp(&b.employee.id))
    });

    let mut by_value = zero_values();
    let mut by_source: BTreeMap<&'static str, i64> = [("staff", 0), ("customer", 0)].into();
    for b in &g.breakdown {
        *by_value.entry(b.value.code()).or_default() += b.shoutouts;
        let source = match b.source {
            ShoutoutSource::Staff => "staff",
            ShoutoutSource::Customer => "customer",
        };
        *by_source.entry(source).or_default() += b.shoutouts;
    }
    let shoutouts_received: i64 = g.breakdown.iter().map(|b| b.shoutouts).sum();
    let current: Vec<&MemberLine> = members
        .iter()
        .filter(|m| m.current_member && m.employee.active)
        .collect();
    let gave = current.iter().filter(|m| m.given > 0).count() as i64;
    let received = current.iter().filter(|m| m.received > 0).count() as i64;
    let mut unrecognised: Vec<EmployeeSummary> = current
        .iter()
        .filter(|m| m.received == 0)
        .map(|m| m.employee.clone())
        .collect();
    unrecognised.sort_by(|a, b| a.display_name.cmp(&b.display_name).then(a.id.cmp(&b.id)));

    // Every week the range touches, Monday first, with what happened in it.
    let received_in: HashMap<NaiveDate, i64> = g
        .weekly_received
        .iter()
        .map(|w| (w.week_start, w.n))
        .collect();
    let given_in: HashMap<NaiveDate, i64> =
        g.weekly_given.iter().map(|w| (w.week_start, w.n)).collect();
    let mut weekly = Vec::new();
    let mut week = range.from - Days::new(u64::from(range.from.weekday().num_days_from_monday()));
    while week <= range.to {
        weekly.push(WeekLine {
            week_start: week,
            received: received_in.get(&week).copied().unwrap_or(0),
            given: given_in.get(&week).copied().unwrap_or(0),
        });
        week = week + Days::new(7);
    }

    Ok(TeamReport {
        team: ReportTeam {
            id: team.id,
            name: team.name,
            team_ids,
        },
        period: range.kind,
        from: range.from,
        to: range.to,
        timezone: tz.name().to_owned(),
        totals: Totals {
            shoutouts_received,
            recognitions: members.iter().map(|m| m.received).sum(),
            given: members.iter().map(|m| m.given).sum(),
            cheers: members.iter().map(|m| m.cheers).sum(),
        },
        by_value,
        by_source,
        participation: Participation {
            members: current.len() as i64,
            gave,
            received,
            gave_share: share(gave, current.len() as i64),
            received_share: share(received, current.len() as i64),
        },
        unrecognised,
        weekly,
        previous: Comparison {
            from: previous.from,
            to: previous.to,
            shoutouts_received: g.previous_shoutouts,
            given: g.previous_given,
            received_change: (g.previous_shoutouts > 0).then(|| {
                ((shoutouts_received - g.previous_shoutouts) as f64 / g.previous_shoutouts as f64
                    * 1000.0)
                    .round()
                    / 1000.0
            }),
        },
        members,
    })
}

/// A spreadsheet cannot be made to run a formula from a cell: text that starts with `=`, `+`,
/// `-`, `@`, a tab or a carriage return gets a leading apostrophe (the OWASP advice).
pub fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new())
}

fn finish(writer: csv::Writer<Vec<u8>>) -> ApiResult<Vec<u8>> {
    writer
        .into_inner()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("writing CSV: {e}")))
}

fn csv_error(e: csv::Error) -> ApiError {
    ApiError::Internal(anyhow::anyhow!("writing CSV: {e}"))
}

/// One row per member; every row also says its team and range, so rows pasted together from
/// several reports still say where each came from.
pub fn report_csv(report: &TeamReport) -> ApiResult<Vec<u8>> {
    let mut w = csv_writer();
    let mut header = vec![
        "employee_id",
        "display_name",
        "title",
        "active",
        "current_member",
        "received",
        "given",
        "cheers",
    ];
    header.extend(HeartValue::ALL.iter().map(|v| v.code()));
    header.extend(["last_thanked_on", "team_id", "team_name", "from", "to"]);
    w.write_record(&header).map_err(csv_error)?;
    let team_id = report.team.id.to_string();
    let team_name = cell(&report.team.name).into_owned();
    let (from, to) = (report.from.to_string(), report.to.to_string());
    for m in &report.members {
        let mut row: Vec<String> = vec![
            m.employee.id.to_string(),
            cell(&m.employee.display_name).into_owned(),
            cell(m.employee.title.as_deref().unwrap_or("")).into_owned(),
            m.employee.active.to_string(),
            m.current_member.to_string(),
            m.received.to_string(),
            m.given.to_string(),
            m.cheers.to_string(),
        ];
        row.extend(
            HeartValue::ALL
                .iter()
                .map(|v| m.by_value[v.code()].to_string()),
        );
        row.extend([
            m.last_thanked_on.map(|d| d.to_string()).unwrap_or_default(),
            team_id.clone(),
            team_name.clone(),
            from.clone(),
            to.clone(),
        ]);
        w.write_record(&row).map_err(csv_error)?;
    }
    finish(w)
}

/// Which teams' shout-outs an export may hold: a team of the caller's (and everything beneath
/// it), or everything for an admin who names none (`None`).
pub async fn export_scope(
    conn: &mut AsyncPgConnection,
    member: &Member,
    team_id: Option<Uuid>,
) -> ApiResult<Option<Vec<Uuid>>> {
    Ok(match team_id {
        Some(team) => {
            authorize(conn, member, team).await?;
            teams::find(conn, team)
                .await
                .optional()?
                .ok_or_else(|| ApiError::invalid("team_id", format!("no team with id {team}")))?;
            Some(teams::subtree_ids(conn, team).await?)
        }
        None if member.caller.is_admin() => None,
        None => {
            return Err(if oversight(conn, member).await? != Oversight::Nothing {
                ApiError::invalid(
                    "team_id",
                    "managers export one of their teams: give `team_id`",
                )
            } else {
                ApiError::forbidden("exports are for admins and managers")
            });
        }
    })
}

/// Every published shout-out of `teams` (all when `None`) in the range, one CSV row per
/// shout-out and recipient, read in keyset batches so any range streams in constant memory.
/// An error mid-way ends the stream with it (headers are sent by then: the client sees a
/// broken download, never a complete-looking file).
pub fn export_csv(
    pool: DbPool,
    teams: Option<Vec<Uuid>>,
    range: Range,
) -> impl Stream<Item = ApiResult<Vec<u8>>> {
    struct Cursor {
        after: Option<(DateTime<Utc>, Uuid, Uuid)>,
        header: bool,
        done: bool,
    }
    let start = Cursor {
        after: None,
        header: true,
        done: false,
    };
    futures_util::stream::unfold(start, move |mut cursor| {
        let pool = pool.clone();
        let teams = teams.clone();
        async move {
            if cursor.done {
                return None;
            }
            let mut w = csv_writer();
            if cursor.header {
                cursor.header = false;
                let _ = w.write_record(EXPORT_HEADER);
            }
            let batch = async {
                let mut conn = pool.get().await.map_err(ApiError::from)?;
                Ok::<_, ApiError>(
                    store::export_batch(
                        &mut conn,
                        teams.as_deref(),
                        range.since,
                        range.until,
                        cursor.after,
                        EXPORT_BATCH,
                    )
                    .await?,
                )
            }
            .await;
            let lines = match batch {
                Ok(lines) => lines,
                Err(e) => {
                    // Headers are sent; all that is left is to cut the body short, which a
                    // client sees as a broken download rather than a complete file.
                    tracing::error!(error = %e, "export failed mid-stream");
                    return Some((Err(e), cursor));
                }
            };
            if (lines.len() as i64) < EXPORT_BATCH {
                cursor.done = true;
            }
            if let Some(last) = lines.last() {
                cursor.after = Some((last.created_at, last.shoutout_id, last.recipient_id));
            }
            for line in &lines {
                let _ = w.write_record(export_row(line));
            }
            let bytes = w.into_inner().unwrap_or_default();
            Some((Ok(bytes), cursor))
        }
    })
}

const EXPORT_HEADER: [&str; 11] = [
    "shoutout_id",
    "created_at",
    "source",
    "value",
    "giver_id",
    "giver_name",
    "customer_name",
    "recipient_id",
    "recipient_name",
    "recipient_team_id",
    "message",
];

fn export_row(line: &ExportLine) -> [String; 11] {
    let opt = |id: Option<Uuid>| id.map(|i| i.to_string()).unwrap_or_default();
    [
        line.shoutout_id.to_string(),
        line.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        match line.source {
            ShoutoutSource::Staff => "staff".into(),
            ShoutoutSource::Customer => "customer".into(),
        },
        line.value.code().into(),
        opt(line.giver_id),
        cell(line.giver_name.as_deref().unwrap_or("")).into_owned(),
        cell(line.customer_name.as_deref().unwrap_or("")).into_owned(),
        line.recipient_id.to_string(),
        cell(&line.recipient_name).into_owned(),
        opt(line.recipient_team_id),
        cell(&line.message).into_owned(),
    ]
}
