//! SCIM tokens (admins): mint one for the identity provider, list, revoke. A token is shown
//! once, when minted; only its hash is kept.

use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::location;
use crate::auth::Admin;
use crate::domain::fields::KeyName;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ValidJson, ValidQuery};
use crate::models::audit;
use crate::models::scim::{self as store, TokenRow};
use crate::pagination::{self, Page};
use crate::scim::tokens;
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateScimToken {
    /// Who uses the token, e.g. "Okta". Changes it makes are audited as `scim:<name>`.
    pub name: KeyName,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScimToken {
    pub id: Uuid,
    pub name: String,
    /// The token's first characters, to recognise it.
    pub prefix: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// When a request last used it (to the minute).
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
}

impl From<TokenRow> for ScimToken {
    fn from(row: TokenRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            prefix: row.token_prefix,
            created_by: row.created_by,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            revoked_at: row.revoked_at,
            revoked_by: row.revoked_by,
        }
    }
}

/// A token as minted: the only time its secret is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct MintedScimToken {
    #[serde(flatten)]
    pub scim_token: ScimToken,
    /// The secret: the identity provider sends it as `Authorization: Bearer …` to `/scim/v2`.
    #[schema(example = "sst_3q2-…")]
    pub token: String,
}

/// Mints a token an identity provider provisions the directory with (admins).
#[utoipa::path(
    tag = "directory",
    request_body = CreateScimToken,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Minted; the secret is in `token`, shown only now", body = MintedScimToken,
            headers(("Location" = String, description = "The new token"))),
    )
)]
#[post("/scim-tokens")]
pub async fn create_scim_token(
    admin: Admin,
    state: web::Data<AppState>,
    body: ValidJson<CreateScimToken>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let (row, secret) = tokens::mint(&mut conn, &admin.0.subject, &body.0.name).await?;
    let minted = MintedScimToken {
        scim_token: row.into(),
        token: secret,
    };
    Ok(HttpResponse::Created()
        .insert_header(("Location", location("scim-tokens", minted.scim_token.id)))
        .insert_header(("Cache-Control", "no-store"))
        .json(minted))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScimTokenListParams {
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Every SCIM token, newest first, revoked ones included (admins). Secrets are never listed.
#[utoipa::path(
    tag = "directory",
    params(ScimTokenListParams),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of tokens", body = Page<ScimToken>))
)]
#[get("/scim-tokens")]
pub async fn list_scim_tokens(
    _admin: Admin,
    state: web::Data<AppState>,
    params: ValidQuery<ScimTokenListParams>,
) -> ApiResult<web::Json<Page<ScimToken>>> {
    let params = params.0;
    let limit = pagination::limit(params.limit);
    let before = pagination::after::<Uuid>(params.cursor.as_deref())?;
    let mut conn = state.pool.get().await?;
    let rows = store::list_tokens(&mut conn, before, i64::from(limit) + 1).await?;
    Ok(web::Json(pagination::page(
        rows,
        limit,
        |r| r.id,
        ScimToken::from,
    )))
}

/// Revokes a token at once (admins): the next request with it is refused. It stays listed;
/// revoking again changes nothing.
#[utoipa::path(
    tag = "directory",
    params(("id" = Uuid, Path, description = "The token")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Revoked", body = ScimToken),
        (status = 404, description = "No such token", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/scim-tokens/{id}")]
pub async fn revoke_scim_token(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ApiResult<web::Json<ScimToken>> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found("no such SCIM token"))?;
    let mut conn = state.pool.get().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            audit::act_as(conn, &admin.0.subject).await?;
            store::revoke_token(conn, id, &admin.0.subject)
                .await?
                .ok_or_else(|| ApiError::not_found("no such SCIM token"))
        })
        .await?;
    Ok(web::Json(row.into()))
}
