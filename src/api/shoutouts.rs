//! Shout-outs: give, read, list, retract, cheer.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::caching;
use crate::auth::{Member, Staff};
use crate::domain::fields::Message;
use crate::domain::{HeartValue, ShoutoutStatus, Visibility};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::ReadAfter;
use crate::extract::{ValidJson, ValidQuery};
use crate::models::shoutouts::{self, ShoutoutRow};
use crate::pagination::{self, Page};
use crate::services::feed::{self, FeedQuery};
use crate::services::giving::{self, Gift, Given, IDEMPOTENCY_HEADER};
use crate::state::AppState;
pub use crate::views::{Giver, Shoutout};
use crate::widgets::keys::{Feeds, Viewer};

/// Most people one shout-out may thank.
pub const MAX_RECIPIENTS: usize = 25;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateShoutout {
    /// 1-25 colleagues to thank; a repeated id counts once.
    #[validate(length(min = 1, max = 25, message = "name 1 to 25 colleagues"))]
    #[schema(min_items = 1, max_items = 25)]
    pub recipient_ids: Vec<Uuid>,
    pub value: HeartValue,
    pub message: Message,
    /// `private`: seen only by you, the people thanked, their managers and admins; never in
    /// the public feed, on walls, widgets or channels. Default `public`.
    #[serde(default)]
    pub visibility: Visibility,
}

#[derive(Debug, Serialize, Deserialize)]
struct FeedKey(DateTime<Utc>, Uuid);

#[derive(Debug, Serialize, ToSchema)]
pub struct CheerState {
    pub shoutout_id: Uuid,
    /// Cheers the shout-out has now.
    pub cheers: i64,
    /// Whether the caller's cheer is on it.
    pub cheered: bool,
}

impl From<CreateShoutout> for Gift {
    fn from(body: CreateShoutout) -> Self {
        Self {
            recipient_ids: body.recipient_ids,
            value: body.value,
            message: body.message,
            visibility: body.visibility,
        }
    }
}

/// Thanks one or more colleagues.
///
/// With an `Idempotency-Key` header, a retry (even one racing the first request) returns the
/// first response and creates nothing new; reusing a key for a different request is refused.
/// Each giver may give `SHOUTOUT_DAILY_LIMIT` shout-outs a day (in `SHOUTOUT_TIMEZONE`).
#[utoipa::path(
    tag = "shoutouts",
    request_body = CreateShoutout,
    params(("Idempotency-Key" = Option<String>, Header, description = "1-255 printable ASCII characters; a retry with the same key creates nothing new")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created (or replayed for a repeated Idempotency-Key)", body = Shoutout,
         headers(("Location" = String, description = "URL of the shout-out"))),
        (status = 429, description = "The daily limit is reached; `Retry-After` says when it resets", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/shoutouts")]
pub async fn create_shoutout(
    staff: Staff,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<CreateShoutout>,
) -> ApiResult<HttpResponse> {
    let key = idempotency_key(&req)?;
    let rules = giving::Rules {
        timezone: state.config.timezone,
        daily_limit: state.config.daily_limit,
    };
    let mut conn = state.pool.get().await?;
    let outcome = giving::give(&mut conn, &rules, &staff.employee, body.0, key.as_deref()).await?;
    Ok(match outcome {
        Given::New { body, location } => HttpResponse::Created()
            .insert_header(("Location", location))
            .json(body),
        Given::Replay {
            status,
            body,
            location,
        } => {
            let mut response =
                HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED));
            response.insert_header(("Idempotent-Replayed", "true"));
            if let Some(location) = location {
                response.insert_header(("Location", location));
            }
            response.json(body)
        }
    })
}

/// The feed of published shout-outs, newest first.
#[utoipa::path(
    tag = "shoutouts",
    params(FeedQuery),
    security(("bearer" = []), ("widget_key" = [])),
    responses((status = 200, description = "A page of shout-outs, newest first", body = Page<Shoutout>))
)]
#[get("/shoutouts")]
pub async fn list_shoutouts(
    viewer: Viewer<Feeds>,
    state: web::Data<AppState>,
    read_after: ReadAfter,
    req: HttpRequest,
    query: ValidQuery<FeedQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.0;
    let limit = pagination::limit(query.limit);
    let before =
        pagination::after::<FeedKey>(query.cursor.as_deref())?.map(|FeedKey(at, id)| (at, id));
    let mut conn = state.reads.get(read_after.0).await?;
    let member = match &viewer {
        Viewer::Member(member) => Some(member.as_ref()),
        Viewer::Key(..) => None,
    };
    let access = feed::access(&mut conn, member).await?;
    let wall = member.is_none();
    let (details, has_more) = feed::page(&mut conn, access, wall, &query, before, limit).await?;
    let next_cursor = has_more
        .then(|| details.last())
        .flatten()
        .map(|d| pagination::encode(&FeedKey(d.row.created_at, d.row.id)));
    caching::json(
        &req,
        &Page {
            items: details.into_iter().map(Shoutout::from).collect(),
            next_cursor,
        },
    )
}

/// One shout-out. Published ones are visible to all staff; a retracted one only to its giver and
/// admins.
#[utoipa::path(
    tag = "shoutouts",
    params(("id" = Uuid, Path, description = "Shout-out id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The shout-out", body = Shoutout),
        (status = 404, description = "No such shout-out (or not visible to you)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/shoutouts/{id}")]
pub async fn get_shoutout(
    member: Member,
    state: web::Data<AppState>,
    read_after: ReadAfter,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Shoutout>> {
    let id = id.into_inner();
    let mut conn = state.reads.get(read_after.0).await?;
    let row = shoutouts::find(&mut conn, id)
        .await
        .map_err(|e| ApiError::missing(e, giving::not_found_text(id)))?;
    if !giving::visible_to(&mut conn, &row, &member).await? {
        return Err(giving::not_found(id));
    }
    Ok(web::Json(giving::view_of(&mut conn, row).await?))
}

/// Retracts a shout-out: its giver within the grace period (`SHOUTOUT_RETRACT_GRACE_MINUTES`),
/// or an admin at any time. It is kept for the audit trail and leaves every list and board.
/// Retracting a retracted shout-out changes nothing.
#[utoipa::path(
    tag = "shoutouts",
    params(("id" = Uuid, Path, description = "Shout-out id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Retracted"),
        (status = 404, description = "No such shout-out (or not visible to you)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/shoutouts/{id}")]
pub async fn retract_shoutout(
    member: Member,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let grace = state.config.retract_grace();
    let mut conn = state.pool.get().await?;
    giving::retract(&mut conn, &member, id.into_inner(), grace).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Adds the caller's +1. Cheering twice changes nothing; nobody cheers a shout-out they gave or
/// received.
#[utoipa::path(
    tag = "shoutouts",
    params(("id" = Uuid, Path, description = "Shout-out id")),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Cheered", body = CheerState),
        (status = 200, description = "Already cheered; nothing changed", body = CheerState),
        (status = 404, description = "No published shout-out with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/shoutouts/{id}/cheers")]
pub async fn add_cheer(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let mut conn = state.pool.get().await?;
    let row = published(&mut conn, id, &staff).await?;
    if row.giver_id == Some(staff.employee.id)
        || shoutouts::recipient_ids(&mut conn, id)
            .await?
            .contains(&staff.employee.id)
    {
        return Err(ApiError::forbidden(
            "you cannot cheer a shout-out you gave or received",
        ));
    }
    let added = shoutouts::add_cheer(&mut conn, id, staff.employee.id).await?;
    let cheers = shoutouts::cheer_count(&mut conn, id).await?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(CheerState {
        shoutout_id: id,
        cheers,
        cheered: true,
    }))
}

/// Takes the caller's +1 back (if there was none, nothing changes).
#[utoipa::path(
    tag = "shoutouts",
    params(("id" = Uuid, Path, description = "Shout-out id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Not cheered by the caller any more", body = CheerState),
        (status = 404, description = "No published shout-out with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/shoutouts/{id}/cheers")]
pub async fn remove_cheer(
    staff: Staff,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<CheerState>> {
    let id = id.into_inner();
    let mut conn = state.pool.get().await?;
    published(&mut conn, id, &staff).await?;
    shoutouts::remove_cheer(&mut conn, id, staff.employee.id).await?;
    let cheers = shoutouts::cheer_count(&mut conn, id).await?;
    Ok(web::Json(CheerState {
        shoutout_id: id,
        cheers,
        cheered: false,
    }))
}

/// A published shout-out `staff` may see (a private one only by those it is for).
async fn published(
    conn: &mut diesel_async::AsyncPgConnection,
    id: Uuid,
    staff: &Staff,
) -> ApiResult<ShoutoutRow> {
    let row = shoutouts::find(conn, id)
        .await
        .map_err(|e| ApiError::missing(e, giving::not_found_text(id)))?;
    let member = crate::auth::Member {
        caller: staff.caller.clone(),
        employee: Some(staff.employee.clone()),
    };
    if row.status != ShoutoutStatus::Published || !giving::visible_to(conn, &row, &member).await? {
        return Err(giving::not_found(id));
    }
    Ok(row)
}

/// Published shout-outs are public to staff; anything else only to its giver and admins.
/// The `Idempotency-Key` header, if sent, checked.
fn idempotency_key(req: &HttpRequest) -> ApiResult<Option<String>> {
    let Some(value) = req.headers().get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let key = value.to_str().ok().map(str::trim).unwrap_or("");
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid(
            IDEMPOTENCY_HEADER,
            "must be 1 to 255 printable ASCII characters",
        ));
    }
    Ok(Some(key.to_owned()))
}
