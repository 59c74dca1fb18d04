//! Each person's choice to appear on public boards and walls, or not.

use actix_web::{get, patch, web};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::Staff;
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::models::{audit, employees};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Privacy {
    /// Appear on leaderboards. When false, the person is left out of the recipients' and
    /// givers' boards (ranks close up); their own standing still answers them, and they still
    /// count for their team and in their manager's report.
    pub show_on_boards: bool,
    /// Appear on walls (widget keys' feed and the live stream). When false, shout-outs naming
    /// them (as giver or thanked) are not shown there.
    pub show_on_wall: bool,
}

/// Absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivacyPatch {
    pub show_on_boards: Option<bool>,
    pub show_on_wall: Option<bool>,
}

/// The caller's choices.
#[utoipa::path(
    tag = "directory",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller's choices", body = Privacy))
)]
#[get("/me/privacy")]
pub async fn get_privacy(
    staff: Staff,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Privacy>> {
    let mut conn = state.pool.get().await?;
    let (show_on_boards, show_on_wall) = employees::privacy(&mut conn, staff.employee.id).await?;
    Ok(web::Json(Privacy {
        show_on_boards,
        show_on_wall,
    }))
}

/// Changes the caller's choices (in the audit trail, as theirs).
#[utoipa::path(
    tag = "directory",
    security(("bearer" = [])),
    request_body = PrivacyPatch,
    responses(
        (status = 200, description = "The caller's choices now", body = Privacy),
        (status = 422, description = "A field is not valid", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/me/privacy")]
pub async fn update_privacy(
    staff: Staff,
    state: web::Data<AppState>,
    body: ValidJson<PrivacyPatch>,
) -> ApiResult<web::Json<Privacy>> {
    let patch = body.0;
    let mut conn = state.pool.get().await?;
    let id = staff.employee.id;
    let subject = staff.caller.subject.clone();
    let (show_on_boards, show_on_wall) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            audit::act_as(conn, &subject).await?;
            Ok(employees::set_privacy(conn, id, patch.show_on_boards, patch.show_on_wall).await?)
        })
        .await?;
    Ok(web::Json(Privacy {
        show_on_boards,
        show_on_wall,
    }))
}
