//! Webhook endpoints (admins): where recognition events are delivered, signed as the Standard
//! Webhooks specification says, or posted to a Slack or Teams channel.

use std::collections::HashMap;

use actix_web::{HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::{location, nullable, nullable_object, object_or_null};
use crate::auth::Admin;
use crate::domain::events::{EventType, WebhookFormat};
use crate::domain::fields::{Description, WebhookUrl};
use crate::domain::{HeartValue, ShoutoutSource};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ValidJson, ValidQuery};
use crate::models::webhooks::{self, AttemptRow, DeliveryRow, EndpointRow};
use crate::pagination::{self, Page};
use crate::state::AppState;
use crate::webhooks::address::UrlRules;
use crate::webhooks::endpoints::{self, Filter, Patch, Spec};
use crate::webhooks::signing;

/// Which events an endpoint hears of, beside their types; every field narrows.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookFilter {
    /// Only shout-outs to someone in this team or any team beneath it (where they were when
    /// thanked).
    #[serde(default)]
    pub team_id: Option<Uuid>,
    /// Only these values.
    #[serde(default)]
    #[schema(max_items = 5)]
    pub values: Option<Vec<HeartValue>>,
    /// Only staff shout-outs, or only customer praise.
    #[serde(default)]
    #[schema(max_items = 2)]
    pub sources: Option<Vec<ShoutoutSource>>,
}

impl From<WebhookFilter> for Filter {
    fn from(f: WebhookFilter) -> Self {
        Self {
            team_id: f.team_id,
            values: f.values,
            sources: f.sources,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    pub url: WebhookUrl,
    /// What to deliver (at least one). A Slack or Teams channel takes only
    /// `shoutout.published` and `shoutout.cheered`.
    #[schema(min_items = 1, max_items = 5)]
    #[validate(length(max = 5, message = "name at most 5 events"))]
    pub events: Vec<EventType>,
    /// `standard` (the default): Standard Webhooks; `slack`, `teams`: a channel message.
    #[serde(default = "standard")]
    pub format: WebhookFormat,
    #[serde(default, deserialize_with = "object_or_null")]
    pub filter: Option<WebhookFilter>,
    #[serde(default)]
    pub description: Option<Description>,
}

fn standard() -> WebhookFormat {
    WebhookFormat::Standard
}

/// Absent fields stay as they are; `null` clears `filter` or `description`. `enabled: true`
/// turns a disabled endpoint back on, and its open deliveries resume in order.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    pub url: Option<WebhookUrl>,
    #[schema(min_items = 1, max_items = 5)]
    #[validate(length(max = 5, message = "name at most 5 events"))]
    pub events: Option<Vec<EventType>>,
    pub format: Option<WebhookFormat>,
    #[serde(default, deserialize_with = "nullable_object")]
    #[schema(value_type = Option<WebhookFilter>, nullable)]
    pub filter: Option<Option<WebhookFilter>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Description>, nullable)]
    pub description: Option<Option<Description>>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub format: String,
    pub filter: Option<WebhookFilter>,
    pub description: Option<String>,
    /// `false` once disabled (by an admin, a `410 Gone`, or a day of failures): nothing is
    /// sent until it is enabled again.
    pub enabled: bool,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed; `null` while deliveries succeed.
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the previous secret also signs, after a rotation.
    pub previous_secret_valid_until: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<EndpointRow> for Webhook {
    fn from(row: EndpointRow) -> Self {
        let filter = (row.filter_team_id.is_some()
            || row.filter_values.is_some()
            || row.filter_sources.is_some())
        .then(|| WebhookFilter {
            team_id: row.filter_team_id,
            values: row
                .filter_values
                .clone()
                .map(|v| v.into_iter().flatten().collect()),
            sources: row
                .filter_sources
                .clone()
                .map(|v| v.into_iter().flatten().collect()),
        });
        let now = Utc::now();
        Self {
            events: row.events().map(str::to_owned).collect(),
            previous_secret_valid_until: row.previous_secret_until.filter(|&until| until > now),
            id: row.id,
            url: row.url,
            format: row.format,
            filter,
            description: row.description,
            enabled: row.enabled,
            disabled_at: row.disabled_at,
            disabled_reason: row.disabled_reason,
            failing_since: row.failing_since,
            created_by: row.created_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// An endpoint with its signing secret: only when made or rotated.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// Verify deliveries with it (`whsec_` and base64, as Standard Webhooks libraries take
    /// it). Not shown again.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

impl From<EndpointRow> for WebhookWithSecret {
    fn from(row: EndpointRow) -> Self {
        let secret = row.secret.clone();
        Self {
            webhook: row.into(),
            secret,
        }
    }
}

/// One attempt to deliver.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAttempt {
    pub attempted_at: DateTime<Utc>,
    /// The receiver's status code; `null` when there was no answer.
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    pub succeeded: bool,
    /// Why it failed (the answer's start, a timeout, a refused address...).
    pub error: Option<String>,
}

impl From<AttemptRow> for DeliveryAttempt {
    fn from(row: AttemptRow) -> Self {
        Self {
            attempted_at: row.attempted_at,
            status_code: row.status_code,
            latency_ms: row.latency_ms,
            succeeded: row.succeeded,
            error: row.error,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not tried yet.
    Pending,
    /// Failed; will be tried again at `next_attempt_at`.
    Retrying,
    Succeeded,
    /// Failed every attempt of the schedule; `redeliver` sends it again.
    Dead,
}

impl DeliveryStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Retrying => "retrying",
            Self::Succeeded => "succeeded",
            Self::Dead => "dead",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: Uuid,
    /// The `webhook-id` receivers see: the same on every retry of this event.
    #[schema(example = "msg_0190a0a000007000800000000000000")]
    pub message_id: String,
    pub event_type: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// When it is tried next, while pending or retrying.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Every attempt, oldest first.
    pub attempts: Vec<DeliveryAttempt>,
}

fn delivery_view(row: DeliveryRow, attempts: Vec<DeliveryAttempt>) -> Delivery {
    let open = matches!(row.status.as_str(), "pending" | "retrying");
    Delivery {
        id: row.id,
        message_id: signing::message_id(row.event_id),
        event_type: row.event_type,
        status: row.status,
        created_at: row.created_at,
        next_attempt_at: open.then_some(row.next_attempt_at),
        completed_at: row.completed_at,
        attempts,
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WebhookListParams {
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListParams {
    /// Only deliveries in this state.
    pub status: Option<DeliveryStatus>,
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

fn secret_response(status: actix_web::http::StatusCode, row: EndpointRow) -> HttpResponse {
    let id = row.id;
    let mut response = HttpResponse::build(status);
    if status == actix_web::http::StatusCode::CREATED {
        response.insert_header(("Location", location("webhooks", id)));
    }
    response
        .insert_header(("Cache-Control", "no-store"))
        .json(WebhookWithSecret::from(row))
}

/// Registers an endpoint (admins). The answer carries its signing secret, shown only now.
#[utoipa::path(
    tag = "webhooks",
    request_body = CreateWebhook,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered; `secret` is shown only now", body = WebhookWithSecret,
            headers(("Location" = String, description = "The new endpoint"))),
    )
)]
#[post("/webhooks")]
pub async fn create_webhook(
    admin: Admin,
    state: web::Data<AppState>,
    body: ValidJson<CreateWebhook>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let spec = Spec {
        url: body.url,
        events: body.events,
        format: body.format,
        filter: body.filter.map(Filter::from),
        description: body.description,
    };
    let mut conn = state.pool.get().await?;
    let row = endpoints::create(
        &mut conn,
        &admin.0.subject,
        &UrlRules::from_config(&state.config),
        spec,
    )
    .await?;
    Ok(secret_response(actix_web::http::StatusCode::CREATED, row))
}

/// Every endpoint, newest first (admins). Secrets are never listed.
#[utoipa::path(
    tag = "webhooks",
    params(WebhookListParams),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of endpoints", body = Page<Webhook>))
)]
#[get("/webhooks")]
pub async fn list_webhooks(
    _admin: Admin,
    state: web::Data<AppState>,
    params: ValidQuery<WebhookListParams>,
) -> ApiResult<web::Json<Page<Webhook>>> {
    let params = params.0;
    let limit = pagination::limit(params.limit);
    let before = pagination::after::<Uuid>(params.cursor.as_deref())?;
    let mut conn = state.pool.get().await?;
    let rows = webhooks::list(&mut conn, before, i64::from(limit) + 1).await?;
    Ok(web::Json(pagination::page(
        rows,
        limit,
        |r| r.id,
        Webhook::from,
    )))
}

/// One endpoint (admins), with whether it is enabled and why not.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The endpoint", body = Webhook),
        (status = 404, description = "No such endpoint", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks/{id}")]
pub async fn get_webhook(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Webhook>> {
    let mut conn = state.pool.get().await?;
    let row = webhooks::find(&mut conn, *id)
        .await
        .map_err(|e| ApiError::missing(e, format!("no webhook with id {id}")))?;
    Ok(web::Json(row.into()))
}

/// Changes an endpoint (admins); `enabled: true` resumes a disabled one.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint")),
    request_body = UpdateWebhook,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The endpoint as changed", body = Webhook),
        (status = 404, description = "No such endpoint", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/webhooks/{id}")]
pub async fn update_webhook(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateWebhook>,
) -> ApiResult<web::Json<Webhook>> {
    let body = body.0;
    let patch = Patch {
        url: body.url,
        events: body.events,
        format: body.format,
        filter: body.filter.map(|f| f.map(Filter::from)),
        description: body.description,
        enabled: body.enabled,
    };
    let mut conn = state.pool.get().await?;
    let row = endpoints::update(
        &mut conn,
        &admin.0.subject,
        &UrlRules::from_config(&state.config),
        *id,
        patch,
    )
    .await?;
    Ok(web::Json(row.into()))
}

/// Removes an endpoint and its delivery history (admins); the audit trail keeps that it was.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such endpoint", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/webhooks/{id}")]
pub async fn delete_webhook(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    endpoints::delete(&mut conn, &admin.0.subject, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A new signing secret, shown only now (admins). The previous one keeps signing beside it for
/// `SHOUTOUT_WEBHOOKS_ROTATION_GRACE_SECS`, so receivers can switch without losing a delivery.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Rotated; `secret` is the new one, shown only now", body = WebhookWithSecret),
        (status = 404, description = "No such endpoint", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks/{id}/rotate-secret")]
pub async fn rotate_webhook_secret(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let grace = chrono::Duration::seconds(state.config.webhooks_rotation_grace_secs as i64);
    let mut conn = state.pool.get().await?;
    let row = endpoints::rotate_secret(&mut conn, &admin.0.subject, *id, grace).await?;
    Ok(secret_response(actix_web::http::StatusCode::OK, row))
}

/// Sends a `webhook.ping` to the endpoint (admins): queued now, delivered by the workers like
/// any event; follow it in the deliveries list.
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued", body = Delivery),
        (status = 404, description = "No such endpoint", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The endpoint is disabled", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks/{id}/ping")]
pub async fn ping_webhook(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let row = endpoints::ping(&mut conn, *id).await?;
    Ok(HttpResponse::Accepted().json(delivery_view(row, Vec::new())))
}

/// The endpoint's deliveries, newest first, each with every attempt (admins).
#[utoipa::path(
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "The endpoint"), DeliveryListParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of deliveries", body = Page<Delivery>),
        (status = 404, description = "No such endpoint", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    _admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    params: ValidQuery<DeliveryListParams>,
) -> ApiResult<web::Json<Page<Delivery>>> {
    let params = params.0;
    let limit = pagination::limit(params.limit);
    let before = pagination::after::<i64>(params.cursor.as_deref())?;
    let mut conn = state.pool.get().await?;
    if !webhooks::exists(&mut conn, *id).await? {
        return Err(endpoints::not_found(*id));
    }
    let rows = webhooks::deliveries(
        &mut conn,
        *id,
        params.status.map(DeliveryStatus::as_str),
        before,
        i64::from(limit) + 1,
    )
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut attempts: HashMap<Uuid, Vec<DeliveryAttempt>> = HashMap::new();
    for attempt in webhooks::attempts_of(&mut conn, &ids).await? {
        attempts
            .entry(attempt.delivery_id)
            .or_default()
            .push(attempt.into());
    }
    Ok(web::Json(pagination::page(
        rows,
        limit,
        |r| r.seq,
        |row| {
            let tried = attempts.remove(&row.id).unwrap_or_default();
            delivery_view(row, tried)
        },
    )))
}

/// Sends a delivery again (admins): a dead one, or one that succeeded but the receiver lost.
/// It goes first in the endpoint's line, due now.
#[utoipa::path(
    tag = "webhooks",
    params(
        ("id" = Uuid, Path, description = "The endpoint"),
        ("delivery_id" = Uuid, Path, description = "The delivery"),
    ),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Queued again", body = Delivery),
        (status = 404, description = "No such endpoint or delivery", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    _admin: Admin,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (id, delivery_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            webhooks::redeliver(conn, id, delivery_id)
                .await
                .map_err(|e| {
                    ApiError::missing(e, format!("no delivery {delivery_id} of webhook {id}"))
                })
        })
        .await?;
    let attempts = webhooks::attempts_of(&mut conn, &[delivery_id])
        .await?
        .into_iter()
        .map(DeliveryAttempt::from)
        .collect();
    Ok(HttpResponse::Accepted().json(delivery_view(row, attempts)))
}
