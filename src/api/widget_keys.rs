//! Widget keys (admins): mint, list, revoke. A key is shown once, when minted.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::location;
use crate::auth::Admin;
use crate::domain::fields::{KeyName, Origin};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ValidJson, ValidQuery};
use crate::models::audit;
use crate::models::widget_keys::{self, WidgetKeyRow};
use crate::pagination::{self, Page};
use crate::services::widget_keys as widget_keys_service;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyScope {
    /// Leaderboards (`GET /api/v1/leaderboards/...`).
    Boards,
    /// The feed (`GET /api/v1/shoutouts`) and the live stream (`GET /api/v1/stream`).
    Feeds,
}

impl KeyScope {
    fn as_str(self) -> &'static str {
        match self {
            KeyScope::Boards => "boards",
            KeyScope::Feeds => "feeds",
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWidgetKey {
    /// What the key is for, e.g. "Contact centre TV".
    pub name: KeyName,
    /// What the key may read: at least one of `boards` and `feeds` (a repeated one counts once).
    #[schema(min_items = 1, max_items = 2)]
    pub scopes: Vec<KeyScope>,
    /// Pages the key works on (`https://intranet.example.com`); empty: any page. Browsers
    /// send the page's origin, so a key copied elsewhere stops working there.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub origins: Vec<Origin>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WidgetKey {
    pub id: Uuid,
    pub name: String,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    pub scopes: Vec<String>,
    pub origins: Vec<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
}

impl From<WidgetKeyRow> for WidgetKey {
    fn from(row: WidgetKeyRow) -> Self {
        Self {
            scopes: row.scopes().map(str::to_owned).collect(),
            origins: row.origins().map(str::to_owned).collect(),
            id: row.id,
            name: row.name,
            prefix: row.key_prefix,
            created_by: row.created_by,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
            revoked_by: row.revoked_by,
        }
    }
}

/// A key as minted: the only time its secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct MintedWidgetKey {
    #[serde(flatten)]
    pub widget_key: WidgetKey,
    /// The secret: send it as `X-Widget-Key` (or `?key=` on the stream). Not shown again.
    #[schema(example = "swk_3q2-…")]
    pub key: String,
}

/// Mints a read-only key for widgets on pages without a user token (admins).
#[utoipa::path(
    tag = "widgets",
    request_body = CreateWidgetKey,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Minted; the secret is in `key`, shown only now", body = MintedWidgetKey,
            headers(("Location" = String, description = "The new key"))),
    )
)]
#[post("/widget-keys")]
pub async fn create_widget_key(
    admin: Admin,
    state: web::Data<AppState>,
    body: ValidJson<CreateWidgetKey>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let scopes: Vec<&str> = body.scopes.iter().map(|s| s.as_str()).collect();
    let mut conn = state.pool.get().await?;
    let (row, secret) = widget_keys_service::mint(
        &mut conn,
        &admin.0.subject,
        &body.name,
        &scopes,
        &body.origins,
    )
    .await?;
    let minted = MintedWidgetKey {
        widget_key: row.into(),
        key: secret,
    };
    Ok(HttpResponse::Created()
        .insert_header(("Location", location("widget-keys", minted.widget_key.id)))
        .insert_header(("Cache-Control", "no-store"))
        .json(minted))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WidgetKeyListParams {
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Every widget key, newest first, revoked ones included (admins). Secrets are never listed.
#[utoipa::path(
    tag = "widgets",
    params(WidgetKeyListParams),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of keys", body = Page<WidgetKey>))
)]
#[get("/widget-keys")]
pub async fn list_widget_keys(
    _admin: Admin,
    state: web::Data<AppState>,
    params: ValidQuery<WidgetKeyListParams>,
) -> ApiResult<web::Json<Page<WidgetKey>>> {
    let params = params.0;
    let limit = pagination::limit(params.limit);
    let before = pagination::after::<Uuid>(params.cursor.as_deref())?;
    let mut conn = state.pool.get().await?;
    let rows = widget_keys::list(&mut conn, before, i64::from(limit) + 1).await?;
    Ok(web::Json(pagination::page(
        rows,
        limit,
        |r| r.id,
        WidgetKey::from,
    )))
}

/// Revokes a key at once, on every instance (admins). The key stays listed, with who revoked
/// it and when; revoking it again changes nothing.
#[utoipa::path(
    tag = "widgets",
    params(("id" = Uuid, Path, description = "The key")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Revoked", body = WidgetKey),
        (status = 404, description = "No such key", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/widget-keys/{id}")]
pub async fn revoke_widget_key(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<WidgetKey>> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("no such widget key"))?;
    let mut conn = state.pool.get().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            audit::act_as(conn, &admin.0.subject).await?;
            widget_keys::revoke(conn, id, &admin.0.subject)
                .await?
                .ok_or_else(|| ApiError::not_found("no such widget key"))
        })
        .await?;
    Ok(web::Json(row.into()))
}
