//! The audit trail, for admins: read-only (no route changes or removes an event, and the table
//! refuses it too).

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use crate::auth::Admin;
use crate::error::ApiResult;
use crate::extract::ValidQuery;
use crate::models::audit::{self, AuditFilter, AuditRow};
use crate::pagination::{self, Page};
use crate::state::AppState;

/// One change: who made it, when, and the row before and after (secrets left out, a
/// customer's e-mail address reduced to `has_customer_email`).
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The token subject of whoever acted, or `database:<role>` for a change made directly in
    /// the database.
    #[schema(example = "admin-1")]
    pub actor: String,
    /// `shoutout.retracted`, `shoutout.approved`, `shoutout.rejected`, `shoutout.corrected`,
    /// `customer_email.erased`, `customer_praise.corrected`, `employee.created`,
    /// `employee.updated`, `praise_handle.rotated`, `team.created`, `team.updated`,
    /// `widget_key.minted`, `widget_key.revoked`, `campaign.created`, ...
    #[schema(example = "shoutout.retracted")]
    pub action: String,
    /// The table of the changed row: `shoutouts`, `customer_praise`, `employees`, `teams`,
    /// `widget_keys`, `campaigns`.
    pub subject_type: String,
    pub subject_id: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
}

impl From<AuditRow> for AuditEvent {
    fn from(row: AuditRow) -> Self {
        Self {
            id: row.id,
            at: row.at,
            actor: row.actor,
            action: row.action,
            subject_type: row.subject_type,
            subject_id: row.subject_id,
            before: row.before,
            after: row.after,
        }
    }
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only changes to this row (a shout-out's, employee's, team's, key's or campaign's id).
    #[validate(length(min = 1, max = 100, message = "must be 1-100 characters"))]
    #[param(min_length = 1, max_length = 100)]
    pub subject_id: Option<String>,
    /// Only this action, e.g. `shoutout.retracted`.
    #[validate(length(min = 1, max = 100, message = "must be 1-100 characters"))]
    #[param(min_length = 1, max_length = 100)]
    pub action: Option<String>,
    /// Only changes by this actor (a token subject).
    #[validate(length(min = 1, max = 200, message = "must be 1-200 characters"))]
    #[param(min_length = 1, max_length = 200)]
    pub actor: Option<String>,
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The audit trail, newest first (admins).
#[utoipa::path(
    tag = "operations",
    params(AuditParams),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of audit events", body = Page<AuditEvent>))
)]
#[get("/audit")]
pub async fn list_audit_events(
    _admin: Admin,
    state: web::Data<AppState>,
    params: ValidQuery<AuditParams>,
) -> ApiResult<web::Json<Page<AuditEvent>>> {
    let params = params.0;
    let limit = pagination::limit(params.limit);
    let filter = AuditFilter {
        subject_id: params.subject_id,
        action: params.action,
        actor: params.actor,
        before_id: pagination::after::<i64>(params.cursor.as_deref())?,
    };
    let mut conn = state.pool.get().await?;
    let rows = audit::list(&mut conn, &filter, i64::from(limit) + 1).await?;
    Ok(web::Json(pagination::page(
        rows,
        limit,
        |r| r.id,
        AuditEvent::from,
    )))
}
