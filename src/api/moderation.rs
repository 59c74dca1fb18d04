//! Moderation of customer praise: the queue, approve (optionally correcting the value or the
//! person), reject with a reason, and erasing a customer's e-mail on request. Admins moderate
//! everything; a manager moderates praise for people in the teams they manage and beneath.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::EmployeeSummary;
use super::praise::{ValueSuggestion, suggestion_view};
use super::shoutouts::Shoutout;
use crate::auth::{Admin, Member};
use crate::domain::fields::Reason;
use crate::domain::{HeartValue, ShoutoutStatus, suggest};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{OptionalJson, ValidJson, ValidQuery};
use crate::models::praise::{self as store, DecisionRow, PraiseRow, QueueFilter};
use crate::models::shoutouts::{self, ShoutoutRow};
use crate::models::{audit, employees};
use crate::pagination::{self, Page};
use crate::services::moderation::{self, Verdict};
use crate::state::AppState;

#[derive(Debug, Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum QueueStatus {
    Pending,
    Published,
    Rejected,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// `pending` (default), or `published` / `rejected` for what was decided.
    #[param(inline)]
    pub status: Option<QueueStatus>,
    /// 1-100, default 20.
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct QueueKey(DateTime<Utc>, Uuid);

#[derive(Debug, Serialize, ToSchema)]
pub struct Decision {
    /// `approved` or `rejected`.
    pub decision: String,
    /// The moderator's token subject.
    pub decided_by: String,
    pub decided_at: DateTime<Utc>,
    pub reason: Option<String>,
    pub value_before: HeartValue,
    pub value_after: HeartValue,
    pub recipient_before: Uuid,
    pub recipient_after: Uuid,
}

impl From<DecisionRow> for Decision {
    fn from(row: DecisionRow) -> Self {
        Self {
            decision: row.decision,
            decided_by: row.decided_by,
            decided_at: row.decided_at,
            reason: row.reason,
            value_before: row.value_before,
            value_after: row.value_after,
            recipient_before: row.recipient_before,
            recipient_after: row.recipient_after,
        }
    }
}

/// Customer praise as a moderator sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModerationItem {
    /// The shout-out as staff will see it once published (links neutralised).
    pub shoutout: Shoutout,
    /// The message exactly as the customer typed it.
    pub original_message: String,
    /// Only if the customer gave one and it was not erased. Moderators alone see it.
    pub customer_email: Option<String>,
    pub email_erased: bool,
    /// Whom the praise link named (a moderator may have moved the praise since).
    pub praised: EmployeeSummary,
    pub received_at: DateTime<Utc>,
    /// Whether `shoutout.value` is the service's suggestion (the customer chose none).
    pub value_suggested: bool,
    /// What the message's words suggest, and why.
    pub suggestion: ValueSuggestion,
    /// Once decided: who, when, and what changed.
    pub decision: Option<Decision>,
}

async fn items(
    conn: &mut AsyncPgConnection,
    rows: Vec<(ShoutoutRow, PraiseRow, Option<DecisionRow>)>,
) -> ApiResult<Vec<ModerationItem>> {
    let praised_ids: Vec<Uuid> = rows.iter().map(|(_, p, _)| p.employee_id).collect();
    let praised = employees::find_many(conn, &praised_ids).await?;
    let (shoutout_rows, extras): (Vec<ShoutoutRow>, Vec<(PraiseRow, Option<DecisionRow>)>) =
        rows.into_iter().map(|(s, p, d)| (s, (p, d))).unzip();
    let originals: Vec<String> = shoutout_rows.iter().map(|r| r.message.clone()).collect();
    let details = shoutouts::details(conn, shoutout_rows).await?;
    let mut out = Vec::with_capacity(details.len());
    for ((details, (praise, decision)), original) in details.into_iter().zip(extras).zip(originals)
    {
        let person = praised
            .iter()
            .find(|e| e.id == praise.employee_id)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("praised employee vanished")))?;
        out.push(ModerationItem {
            suggestion: suggestion_view(&suggest::suggest(&original)),
            shoutout: Shoutout::from(details),
            original_message: original,
            customer_email: praise.customer_email,
            email_erased: praise.email_erased_at.is_some(),
            praised: person.into(),
            received_at: praise.received_at,
            value_suggested: praise.value_suggested,
            decision: decision.map(Decision::from),
        });
    }
    Ok(out)
}

/// The moderation queue: customer praise in one status, oldest first. Admins see all of it;
/// a manager sees praise for people in the teams they manage (and beneath).
#[utoipa::path(
    tag = "customer praise",
    params(QueueQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of customer praise, oldest first", body = Page<ModerationItem>))
)]
#[get("/moderation/shoutouts")]
pub async fn queue(
    member: Member,
    state: web::Data<AppState>,
    query: ValidQuery<QueueQuery>,
) -> ApiResult<web::Json<Page<ModerationItem>>> {
    let query = query.0;
    let limit = pagination::limit(query.limit);
    let after =
        pagination::after::<QueueKey>(query.cursor.as_deref())?.map(|QueueKey(at, id)| (at, id));
    let mut conn = state.pool.get().await?;
    let team_ids = moderation::scope(&mut conn, &member).await?.team_ids();
    let status = match query.status.unwrap_or(QueueStatus::Pending) {
        QueueStatus::Pending => ShoutoutStatus::Pending,
        QueueStatus::Published => ShoutoutStatus::Published,
        QueueStatus::Rejected => ShoutoutStatus::Rejected,
    };
    let rows = store::queue(
        &mut conn,
        &QueueFilter {
            status,
            team_ids,
            after,
            limit: i64::from(limit) + 1,
        },
    )
    .await?;
    let has_more = rows.len() > limit as usize;
    let mut items = items(&mut conn, rows).await?;
    items.truncate(limit as usize);
    let next_cursor = if has_more {
        items
            .last()
            .map(|i| pagination::encode(&QueueKey(i.shoutout.created_at, i.shoutout.id)))
    } else {
        None
    };
    Ok(web::Json(Page { items, next_cursor }))
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    /// A corrected value (the customer's choice or the suggestion stands when absent).
    pub value: Option<HeartValue>,
    /// The employee the praise was really about, when the customer used the wrong link.
    pub recipient_id: Option<Uuid>,
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// Why, for the record.
    pub reason: Reason,
}

/// Publishes customer praise: from now on it counts on the boards (in the period the customer
/// sent it) and shows in feeds. A moderator may correct the value and the person.
#[utoipa::path(
    tag = "customer praise",
    params(("id" = Uuid, Path, description = "Shout-out id")),
    request_body(content = Option<ApproveRequest>, description = "Corrections; may be left out entirely"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Approved and published", body = ModerationItem),
        (status = 404, description = "No customer praise with this id that you may moderate", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The person it would be published to has left (correct `recipient_id`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/shoutouts/{id}/approve")]
pub async fn approve(
    member: Member,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: OptionalJson<ApproveRequest>,
) -> ApiResult<web::Json<ModerationItem>> {
    let body = body.0;
    let verdict = Verdict::Approve {
        value: body.value,
        recipient_id: body.recipient_id,
    };
    decide(&state, &member, id.into_inner(), verdict).await
}

/// Rejects customer praise with a reason. It is kept (with the decision) but never shown.
#[utoipa::path(
    tag = "customer praise",
    params(("id" = Uuid, Path, description = "Shout-out id")),
    request_body = RejectRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rejected", body = ModerationItem),
        (status = 404, description = "No customer praise with this id that you may moderate", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/shoutouts/{id}/reject")]
pub async fn reject(
    member: Member,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: ValidJson<RejectRequest>,
) -> ApiResult<web::Json<ModerationItem>> {
    let reason = body.0.reason.into_string();
    decide(&state, &member, id.into_inner(), Verdict::Reject(reason)).await
}

async fn decide(
    state: &AppState,
    member: &Member,
    id: Uuid,
    verdict: Verdict,
) -> ApiResult<web::Json<ModerationItem>> {
    let mut conn = state.pool.get().await?;
    let reach = moderation::scope(&mut conn, member).await?;
    let moderator = moderation::Moderator {
        subject: &member.caller.subject,
        employee_id: member.employee.as_ref().map(|e| e.id),
        reach: &reach,
    };
    moderation::decide(&mut conn, &moderator, id, verdict).await?;
    let not_found = || moderation::not_found(id);
    let row = shoutouts::find(&mut conn, id).await?;
    let praise = store::find_praise(&mut conn, id)
        .await?
        .ok_or_else(not_found)?;
    let decision = store::find_decision(&mut conn, id).await?;
    let mut items = items(&mut conn, vec![(row, praise, decision)]).await?;
    items.pop().map(web::Json).ok_or_else(not_found)
}

/// Erases the customer's e-mail address on their request. The praise itself stays. Admins only.
#[utoipa::path(
    tag = "customer praise",
    params(("id" = Uuid, Path, description = "Shout-out id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Erased (or there was none)"),
        (status = 404, description = "No customer praise with this id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/shoutouts/{id}/customer-email")]
pub async fn erase_customer_email(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let mut conn = state.pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        audit::act_as(conn, &admin.0.subject).await?;
        if store::erase_email(conn, id).await? {
            Ok(())
        } else {
            Err(ApiError::not_found(format!(
                "no customer praise with id {id}"
            )))
        }
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
