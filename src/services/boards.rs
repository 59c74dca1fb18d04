//! Leaderboards: which days a board's period covers (cut in the organisation's zone; a
//! campaign's own dates, by default the campaign running today), which filters go together,
//! and the query the tallies answer.

use std::future::Future;
use std::sync::Arc;

use chrono::NaiveDate;
use diesel_async::AsyncPgConnection;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::period::{self, Period, PeriodKind};
use crate::error::{ApiError, ApiResult};
use crate::models::tallies::{
    self, BoardKind, BoardQuery, BoardRow, RankKey, Statistics, ThresholdLog,
};
use crate::models::{campaigns, employees, teams};

/// The longest custom period, in days (ten years).
const MAX_SPAN_DAYS: i64 = 3660;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Board {
    /// People, by shout-outs received (each recipient of a shout-out counts it once).
    Recipients,
    /// People, by shout-outs given.
    Givers,
    /// Teams, by shout-outs their members received while in the team.
    Teams,
}

impl Board {
    pub fn kind(self) -> BoardKind {
        match self {
            Board::Recipients => BoardKind::Recipients,
            Board::Givers => BoardKind::Givers,
            Board::Teams => BoardKind::Teams,
        }
    }
}

/// Declares a board endpoint's query parameters: the choices every board takes (listed once,
/// here), then the endpoint's own, and how they become a [`Choice`].
macro_rules! board_params {
    ($(#[$meta:meta])* pub struct $name:ident { $($own:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, serde::Deserialize, validator::Validate, utoipa::IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// Default `month`.
            pub period: Option<$crate::domain::period::PeriodKind>,
            /// A day inside the wanted week, month, quarter or year, or the last day of a
            /// rolling period (default: today in `SHOUTOUT_TIMEZONE`).
            pub at: Option<chrono::NaiveDate>,
            /// First day of a `custom` period (included).
            pub from: Option<chrono::NaiveDate>,
            /// Last day of a `custom` period (included).
            pub to: Option<chrono::NaiveDate>,
            /// The campaign of a `campaign` period (default: the one running today).
            pub campaign_id: Option<uuid::Uuid>,
            /// Count only shout-outs with this value.
            pub value: Option<$crate::domain::HeartValue>,
            /// Only people currently in this team or beneath it (for `teams`: only these teams).
            pub team_id: Option<uuid::Uuid>,
            /// Count only shout-outs from staff or from customers.
            pub source: Option<$crate::domain::ShoutoutSource>,
            /// `teams` only: rank by shout-outs per current active member.
            pub per_head: Option<bool>,
            $($own)*
        }

        impl From<&$name> for $crate::services::boards::Choice {
            fn from(p: &$name) -> Self {
                Self {
                    period: p.period,
                    at: p.at,
                    from: p.from,
                    to: p.to,
                    campaign_id: p.campaign_id,
                    value: p.value,
                    team_id: p.team_id,
                    source: p.source,
                    per_head: p.per_head,
                }
            }
        }
    };
}
pub(crate) use board_params;

board_params! {
    /// What a board counts: the period and the filters (see [`board_params`]).
    pub struct Choice {}
}

/// A board's period, the query that counts it, and the campaign it is (if any).
pub struct Resolved {
    pub period: Period,
    pub query: BoardQuery,
    pub campaign_id: Option<Uuid>,
}

/// A day boards and campaigns may name: 2000 to 2099.
pub fn check_day(field: &str, day: NaiveDate) -> ApiResult<NaiveDate> {
    if day < period::first_day() || day > period::last_day() {
        return Err(ApiError::invalid(
            field,
            "must be between 2000-01-01 and 2099-12-31",
        ));
    }
    Ok(day)
}

/// A campaign's dates, checked: both in range, in order, at most 366 days (the API and the
/// console share this rule).
pub fn campaign_dates(
    starts_on: NaiveDate,
    ends_on: NaiveDate,
) -> ApiResult<(NaiveDate, NaiveDate)> {
    let starts_on = check_day("starts_on", starts_on)?;
    let ends_on = check_day("ends_on", ends_on)?;
    if ends_on < starts_on {
        return Err(ApiError::invalid(
            "ends_on",
            "must not be before `starts_on`",
        ));
    }
    if (ends_on - starts_on).num_days() >= 366 {
        return Err(ApiError::invalid(
            "ends_on",
            "a campaign lasts at most 366 days",
        ));
    }
    Ok((starts_on, ends_on))
}

/// How boards are counted: the organisation's time zone, below how many bucket rows a
/// summed board is added up whole (`SHOUTOUT_BOARD_SUM_BELOW`), how the threshold
/// algorithm fared lately and the planner's statistics a span is weighed with (both kept by
/// the application, shared by its requests).
#[derive(Debug, Clone)]
pub struct Counting {
    pub tz: chrono_tz::Tz,
    pub sum_below: i64,
    pub threshold_log: Arc<ThresholdLog>,
    pub statistics: Arc<Statistics>,
}

impl Counting {
    pub fn of(
        config: &crate::config::Config,
        threshold_log: &Arc<ThresholdLog>,
        statistics: &Arc<Statistics>,
    ) -> Self {
        Self {
            tz: config.timezone,
            sum_below: i64::from(config.board_sum_below),
            threshold_log: threshold_log.clone(),
            statistics: statistics.clone(),
        }
    }
}

/// Works out the period and the query from the parameters, naming any that do not fit.
pub async fn resolve(
    conn: &mut AsyncPgConnection,
    counting: Counting,
    board: Board,
    choice: &Choice,
) -> ApiResult<Resolved> {
    let tz = counting.tz;
    let kind = choice.period.unwrap_or(PeriodKind::Month);
    let custom = kind == PeriodKind::Custom;
    if !custom {
        for (field, given) in [("from", choice.from.is_some()), ("to", choice.to.is_some())] {
            if given {
                return Err(ApiError::invalid(field, "only goes with `period=custom`"));
            }
        }
    }
    if kind != PeriodKind::Campaign && choice.campaign_id.is_some() {
        return Err(ApiError::invalid(
            "campaign_id",
            "only goes with `period=campaign`",
        ));
    }
    if matches!(
        kind,
        PeriodKind::Custom | PeriodKind::Campaign | PeriodKind::AllTime
    ) && choice.at.is_some()
    {
        return Err(ApiError::invalid("at", "does not go with this period"));
    }
    let at = match choice.at {
        Some(at) => check_day("at", at)?,
        None => period::today(tz),
    };
    let mut campaign_id = None;
    let resolved = match kind {
        PeriodKind::Week
        | PeriodKind::Month
        | PeriodKind::Quarter
        | PeriodKind::Year
        | PeriodKind::AllTime => Period::calendar(kind, at),
        PeriodKind::Rolling7d => Period::rolling(kind, 7, at),
        PeriodKind::Rolling30d => Period::rolling(kind, 30, at),
        PeriodKind::Rolling365d => Period::rolling(kind, 365, at),
        PeriodKind::Custom => {
            let from = check_day(
                "from",
                choice
                    .from
                    .ok_or_else(|| ApiError::invalid("from", "is required with `period=custom`"))?,
            )?;
            let to = check_day(
                "to",
                choice
                    .to
                    .ok_or_else(|| ApiError::invalid("to", "is required with `period=custom`"))?,
            )?;
            if to < from {
                return Err(ApiError::invalid("to", "must not be before `from`"));
            }
            if (to - from).num_days() >= MAX_SPAN_DAYS {
                return Err(ApiError::invalid(
                    "to",
                    "a custom period spans at most 3660 days",
                ));
            }
            Period::custom(from, to)
        }
        PeriodKind::Campaign => {
            let campaign = match choice.campaign_id {
                Some(id) => campaigns::find(conn, id).await.map_err(|e| match e {
                    diesel::result::Error::NotFound => {
                        ApiError::invalid("campaign_id", "no such campaign")
                    }
                    other => other.into(),
                })?,
                // The campaign running today (the latest to start, when several overlap).
                None => campaigns::running_on(conn, at).await?.ok_or_else(|| {
                    ApiError::invalid(
                        "campaign_id",
                        "no campaign is running today: name one with `campaign_id`",
                    )
                })?,
            };
            campaign_id = Some(campaign.id);
            Period::campaign(campaign.starts_on, campaign.ends_on, campaign.bucket_no)
        }
    };
    let per_head = choice.per_head.unwrap_or(false);
    if per_head && board != Board::Teams {
        return Err(ApiError::invalid(
            "per_head",
            "only goes with the `teams` board",
        ));
    }
    let sources = tallies::sources(choice.source, board.kind());
    // Only a span weighs buckets against days: it needs to know how busy the board is.
    let span = resolved.kind.is_span();
    let density = match resolved.instants(tz) {
        Some((since, until)) if span => {
            tallies::density(conn, &counting.statistics, board.kind(), since, until).await?
        }
        _ => period::Density::EXAMPLE,
    };
    let tiles = resolved.tiles_through(period::today(tz), density);
    let query = BoardQuery {
        board: board.kind(),
        buckets: tiles.buckets,
        day_weeks: tiles.day_weeks,
        days: tiles
            .days
            .into_iter()
            .map(|(first, last, sign)| {
                (
                    period::local_midnight(tz, first),
                    period::local_midnight(tz, last + chrono::Days::new(1)),
                    sign,
                )
            })
            .collect(),
        sources,
        value: choice.value,
        team: choice.team_id,
        per_head,
        sum_below: counting.sum_below,
        // Weighed only for spans (other periods are one bucket, weighed by counting it).
        added_rows: if span { tiles.added_rows } else { u64::MAX },
        span_days: match resolved.days {
            Some((from, to)) if span => u32::try_from((to - from).num_days() + 1).unwrap_or(0),
            _ => 0,
        },
        threshold_log: counting.threshold_log.clone(),
        shown_anyway: None,
    };
    Ok(Resolved {
        period: resolved,
        query,
        campaign_id,
    })
}

/// One page of a board: its lines after `after`, and whether more follow.
pub struct BoardPage {
    pub resolved: Resolved,
    pub rows: Vec<BoardRow>,
    pub has_more: bool,
}

/// The lines of `board` after `after` (at most `limit`).
pub async fn page(
    conn: &mut AsyncPgConnection,
    counting: Counting,
    board: Board,
    choice: &Choice,
    after: Option<&RankKey>,
    limit: u32,
) -> ApiResult<BoardPage> {
    let resolved = resolve(conn, counting, board, choice).await?;
    let mut rows = tallies::page(conn, &resolved.query, after, i64::from(limit) + 1).await?;
    if rows.is_empty() {
        check_team(conn, resolved.query.team).await?;
    }
    let has_more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    Ok(BoardPage {
        resolved,
        rows,
        has_more,
    })
}

/// One person's or team's line on a board, and `neighbours` lines either side.
pub struct Standing {
    pub resolved: Resolved,
    /// `None` with no shout-outs in the period.
    pub rank: Option<i64>,
    pub count: i32,
    pub rows: Vec<BoardRow>,
}

/// Where `subject` stands on `board`: a 404 when no such person (or team) exists.
pub async fn standing(
    conn: &mut AsyncPgConnection,
    counting: Counting,
    board: Board,
    choice: &Choice,
    subject: Uuid,
    neighbours: u32,
    asked_by: impl Future<Output = ApiResult<Option<Uuid>>>,
) -> ApiResult<Standing> {
    // Who is asking (the viewer's directory look-up, on a connection of its own) is learnt
    // while the subject's is made: the two round trips overlap. A refusal is the answer
    // before anything the board would say, even that the subject does not exist.
    let (asked_by, exists) = futures_util::future::join(asked_by, async {
        match board {
            Board::Teams => teams::find(conn, subject).await.map(drop),
            _ => employees::find(conn, subject).await.map(drop),
        }
    })
    .await;
    let asked_by = asked_by?;
    exists.map_err(|e| ApiError::missing(e, "no such employee or team"))?;
    let mut resolved = resolve(conn, counting, board, choice).await?;
    // Someone hidden from boards still sees where they stand (among the people shown).
    if asked_by == Some(subject) {
        resolved.query.shown_anyway = Some(subject);
    }
    let rows = tallies::around(conn, &resolved.query, subject, i64::from(neighbours)).await?;
    if rows.is_empty() {
        check_team(conn, resolved.query.team).await?;
    }
    let (rank, count) = rows
        .iter()
        .find(|r| r.subject_id == subject)
        .map_or((None, 0), |row| (Some(row.rank), row.count));
    Ok(Standing {
        resolved,
        rank,
        count,
        rows,
    })
}

/// The `team_id` filter is expanded inside the board's own statement, so an unknown team shows
/// only as an empty board: only then is it worth a look-up to tell the caller.
async fn check_team(conn: &mut AsyncPgConnection, team: Option<Uuid>) -> ApiResult<()> {
    let Some(team) = team else {
        return Ok(());
    };
    teams::find(conn, team)
        .await
        .map(drop)
        .map_err(|e| match e {
            diesel::result::Error::NotFound => ApiError::invalid("team_id", "no such team"),
            other => other.into(),
        })
}
