//! Leaderboards for any period, and campaigns (named date ranges with boards of their own).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::{caching, location};
use crate::auth::{Admin, Member};
use crate::domain::fields::{Name, day_this_century};
use crate::domain::period::PeriodKind;
use crate::error::{ApiError, ApiResult};
use crate::extract::ReadAfter;
use crate::extract::{ValidJson, ValidQuery};
use crate::models::audit;
use crate::models::campaigns::{self, CampaignRow, NewCampaign};
use crate::models::tallies::{BoardRow, RankKey};
use crate::pagination::{self, Page};
use crate::services::boards::{self, Board, Resolved};
use crate::state::AppState;
use crate::widgets::keys::{Boards, PendingViewer, Viewer};

/// Most neighbours shown either side of someone's own line.
const MAX_NEIGHBOURS: u32 = 10;

boards::board_params! {
    /// Which period, and what to count.
    pub struct BoardParams {
        /// 1-100, default 20.
        #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
        #[param(minimum = 1, maximum = 100)]
        pub limit: Option<u32>,
        pub cursor: Option<String>,
    }
}

boards::board_params! {
    /// The same choices for one person's or team's line and their neighbours.
    pub struct AroundParams {
        /// Lines shown above and below (0-10, default 2).
        #[validate(range(max = 10, message = "must be between 0 and 10"))]
        #[param(maximum = 10)]
        pub neighbours: Option<u32>,
    }
}

/// The span a board covers.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodView {
    pub kind: PeriodKind,
    /// First local day (included); `null` for all time.
    pub start: Option<NaiveDate>,
    /// Last local day (included); `null` for all time.
    pub end: Option<NaiveDate>,
    /// The IANA zone the days are in.
    pub timezone: String,
    /// The instant the period starts, in UTC.
    pub starts_at: Option<DateTime<Utc>>,
    /// The instant it ends (excluded), in UTC.
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<Uuid>,
}

/// Counts per value.
#[derive(Debug, Serialize, ToSchema)]
pub struct ByValue {
    pub helping_others: i32,
    pub exceeding_expectations: i32,
    pub achieving_goals: i32,
    pub responding_with_care: i32,
    pub thriving_through_teamwork: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardEmployee {
    pub id: Uuid,
    pub display_name: String,
    pub team_id: Option<Uuid>,
    pub title: Option<String>,
    pub active: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardTeam {
    pub id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
}

/// One line of a board.
#[derive(Debug, Serialize, ToSchema)]
pub struct Entry {
    /// 1 + how many rank strictly above: ties share a rank (1, 2, 2, 4).
    pub rank: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee: Option<BoardEmployee>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<BoardTeam>,
    /// Shout-outs counted (of the `value`, when filtered).
    pub count: i32,
    pub by_value: ByValue,
    /// Teams per head: current active members, and shout-outs per member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_head: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Leaderboard {
    pub board: String,
    pub period: PeriodView,
    pub entries: Vec<Entry>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// One person's (or team's) place on a board, with neighbours.
#[derive(Debug, Serialize, ToSchema)]
pub struct Standing {
    pub board: String,
    pub period: PeriodView,
    pub subject_id: Uuid,
    /// `null` when they have nothing counted in the period.
    pub rank: Option<i64>,
    pub count: i32,
    /// Their own line among their neighbours, in board order.
    pub entries: Vec<Entry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct BoardKey(f64, String, Uuid);

fn period_view(state: &AppState, resolved: &Resolved) -> PeriodView {
    let tz = state.config.timezone;
    let period = &resolved.period;
    let instants = period.instants(tz);
    PeriodView {
        kind: period.kind,
        start: period.days.map(|d| d.0),
        end: period.days.map(|d| d.1),
        timezone: tz.name().to_owned(),
        starts_at: instants.map(|i| i.0),
        ends_at: instants.map(|i| i.1),
        campaign_id: resolved.campaign_id,
    }
}

fn entry(board: Board, per_head: bool, row: BoardRow) -> Entry {
    let by_value = ByValue {
        helping_others: row.helping_others,
        exceeding_expectations: row.exceeding_expectations,
        achieving_goals: row.achieving_goals,
        responding_with_care: row.responding_with_care,
        thriving_through_teamwork: row.thriving_through_teamwork,
    };
    let (employee, team) = match board {
        Board::Teams => (
            None,
            Some(BoardTeam {
                id: row.subject_id,
                name: row.sort_name.clone(),
                parent_id: row.parent_id,
            }),
        ),
        _ => (
            Some(BoardEmployee {
                id: row.subject_id,
                display_name: row.sort_name.clone(),
                team_id: row.team_id,
                title: row.title.clone(),
                active: row.active.unwrap_or(true),
            }),
            None,
        ),
    };
    Entry {
        rank: row.rank,
        employee,
        team,
        count: row.count,
        by_value,
        members: row.members,
        per_head: per_head.then_some((row.score * 100.0).round() / 100.0),
    }
}

/// A leaderboard: people or teams ranked by shout-outs in a period.
///
/// Only published shout-outs count; a shout-out with three recipients adds one to each;
/// cheers never count. Ties share a rank and are ordered by name.
#[utoipa::path(
    tag = "leaderboards",
    params(("board" = Board, Path, description = "recipients, givers or teams"), BoardParams),
    security(("bearer" = []), ("widget_key" = [])),
    responses(
        (status = 200, description = "A page of the board", body = Leaderboard),
        (status = 404, description = "No such board", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/leaderboards/{board}")]
pub async fn leaderboard(
    viewer: PendingViewer<Boards>,
    state: web::Data<AppState>,
    read_after: ReadAfter,
    req: HttpRequest,
    board: web::Path<String>,
    params: ValidQuery<BoardParams>,
) -> ApiResult<HttpResponse> {
    let board = parse_board(&board)?;
    let params = params.0;
    let limit = pagination::limit(params.limit);
    let after = pagination::after::<BoardKey>(params.cursor.as_deref())?
        .map(|BoardKey(count, name, id)| RankKey { count, name, id });
    // The directory look-up that admits the viewer runs beside the board's statement (on a
    // connection of the general pool); its refusal, if any, is the answer.
    let (admitted, page) = futures_util::future::join(viewer.confirm(), async {
        let mut conn = state.reads.get_for_boards(read_after.0).await?;
        boards::page(
            &mut conn,
            boards::Counting::of(&state.config, &state.threshold_log, &state.board_statistics),
            board,
            &(&params).into(),
            after.as_ref(),
            limit,
        )
        .await
    })
    .await;
    admitted?;
    let page = page?;
    let next_cursor = page.has_more.then(|| page.rows.last()).flatten().map(|r| {
        let key = r.key();
        pagination::encode(&BoardKey(key.count, key.name, key.id))
    });
    let per_head = page.resolved.query.per_head;
    caching::json(
        &req,
        &Leaderboard {
            board: board_name(board).to_owned(),
            period: period_view(&state, &page.resolved),
            entries: page
                .rows
                .into_iter()
                .map(|r| entry(board, per_head, r))
                .collect(),
            next_cursor,
        },
    )
}

/// Where one person (or team) stands on a board, with their neighbours: works as well for
/// the 40,000th as for the first.
#[utoipa::path(
    tag = "leaderboards",
    params(
        ("board" = Board, Path, description = "recipients, givers or teams"),
        ("id" = Uuid, Path, description = "The employee (or team) whose standing to show"),
        AroundParams
    ),
    security(("bearer" = []), ("widget_key" = [])),
    responses(
        (status = 200, description = "Their rank, count and neighbours", body = Standing),
        (status = 404, description = "No such board, employee or team", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/leaderboards/{board}/{id}")]
pub async fn standing(
    viewer: PendingViewer<Boards>,
    state: web::Data<AppState>,
    read_after: ReadAfter,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    params: ValidQuery<AroundParams>,
) -> ApiResult<HttpResponse> {
    let (board, id) = path.into_inner();
    let board = parse_board(&board)?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("no such employee or team"))?;
    let params = params.0;
    let neighbours = params.neighbours.unwrap_or(2).min(MAX_NEIGHBOURS);
    let mut conn = state.reads.get_for_boards(read_after.0).await?;
    let counting =
        boards::Counting::of(&state.config, &state.threshold_log, &state.board_statistics);
    let found = boards::standing(
        &mut conn,
        counting,
        board,
        &(&params).into(),
        id,
        neighbours,
        async {
            Ok(match viewer.confirm().await? {
                Viewer::Member(member) => member.employee.map(|e| e.id),
                Viewer::Key(..) => None,
            })
        },
    )
    .await?;
    let per_head = found.resolved.query.per_head;
    caching::json(
        &req,
        &Standing {
            board: board_name(board).to_owned(),
            period: period_view(&state, &found.resolved),
            subject_id: id,
            rank: found.rank,
            count: found.count,
            entries: found
                .rows
                .into_iter()
                .map(|r| entry(board, per_head, r))
                .collect(),
        },
    )
}

fn parse_board(board: &str) -> ApiResult<Board> {
    match board {
        "recipients" => Ok(Board::Recipients),
        "givers" => Ok(Board::Givers),
        "teams" => Ok(Board::Teams),
        _ => Err(ApiError::not_found(
            "no such board; the boards are recipients, givers and teams",
        )),
    }
}

fn board_name(board: Board) -> &'static str {
    match board {
        Board::Recipients => "recipients",
        Board::Givers => "givers",
        Board::Teams => "teams",
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Campaign {
    pub id: Uuid,
    pub name: String,
    /// First day (included), in `SHOUTOUT_TIMEZONE`.
    pub starts_on: NaiveDate,
    /// Last day (included).
    pub ends_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

impl From<CampaignRow> for Campaign {
    fn from(row: CampaignRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            starts_on: row.starts_on,
            ends_on: row.ends_on,
            created_at: row.created_at,
        }
    }
}

/// A campaign: a name, and its first and last day (2000-2099), at most 366 days apart.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaign {
    /// Unique (ignoring case).
    pub name: Name,
    #[schema(schema_with = day_this_century)]
    pub starts_on: NaiveDate,
    #[schema(schema_with = day_this_century)]
    pub ends_on: NaiveDate,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CampaignListParams {
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct CampaignKey(NaiveDate, Uuid);

/// Creates a campaign (admins). Its boards count everything already given in its dates, and
/// past campaigns stay queryable: a hall of fame, not a reset.
#[utoipa::path(
    tag = "leaderboards",
    request_body = CreateCampaign,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Campaign,
            headers(("Location" = String, description = "The new campaign"))),
        (status = 409, description = "A campaign with this name exists", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/campaigns")]
pub async fn create_campaign(
    admin: Admin,
    state: web::Data<AppState>,
    body: ValidJson<CreateCampaign>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let (starts_on, ends_on) = boards::campaign_dates(body.starts_on, body.ends_on)?;
    let new = NewCampaign {
        id: Uuid::now_v7(),
        name: body.name.into_string(),
        starts_on,
        ends_on,
    };
    let mut conn = state.pool.get().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            audit::act_as(conn, &admin.0.subject).await?;
            Ok(campaigns::create(conn, &new).await?)
        })
        .await?;
    let campaign = Campaign::from(row);
    Ok(HttpResponse::Created()
        .insert_header(("Location", location("campaigns", campaign.id)))
        .json(campaign))
}

/// Campaigns, latest first.
#[utoipa::path(
    tag = "leaderboards",
    params(CampaignListParams),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of campaigns", body = Page<Campaign>))
)]
#[get("/campaigns")]
pub async fn list_campaigns(
    _member: Member,
    state: web::Data<AppState>,
    params: ValidQuery<CampaignListParams>,
) -> ApiResult<web::Json<Page<Campaign>>> {
    let params = params.0;
    let limit = pagination::limit(params.limit);
    let before = pagination::after::<CampaignKey>(params.cursor.as_deref())?
        .map(|CampaignKey(d, id)| (d, id));
    let mut conn = state.pool.get().await?;
    let rows = campaigns::list(&mut conn, before, i64::from(limit) + 1).await?;
    Ok(web::Json(pagination::page(
        rows,
        limit,
        |r| CampaignKey(r.starts_on, r.id),
        Campaign::from,
    )))
}

/// One campaign.
#[utoipa::path(
    tag = "leaderboards",
    params(("id" = Uuid, Path, description = "The campaign")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The campaign", body = Campaign),
        (status = 404, description = "No such campaign", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/campaigns/{id}")]
pub async fn get_campaign(
    _member: Member,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<Campaign>> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("no such campaign"))?;
    let mut conn = state.pool.get().await?;
    let row = campaigns::find(&mut conn, id).await.map_err(|e| match e {
        diesel::result::Error::NotFound => ApiError::not_found("no such campaign"),
        other => other.into(),
    })?;
    Ok(web::Json(row.into()))
}
