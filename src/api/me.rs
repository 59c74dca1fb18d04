//! The signed-in caller.

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Employee;
use crate::auth::{Caller, Role, Staff};
use crate::error::ApiResult;
use crate::extract::ReadAfter;
use crate::models::{employees, teams};
use crate::services::personal_data;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The token's `sub`: the employee's `external_id`.
    pub subject: String,
    pub roles: Vec<Role>,
    /// The caller's directory record; `null` when the subject is not in the directory (an admin
    /// importing the directory for the first time, say).
    pub employee: Option<Employee>,
    /// Teams the caller manages directly (reports also cover the teams beneath them).
    pub managed_team_ids: Vec<Uuid>,
}

/// Who the token belongs to.
#[utoipa::path(
    tag = "directory",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller", body = Me))
)]
#[get("/me")]
pub async fn me(caller: Caller, state: web::Data<AppState>) -> ApiResult<web::Json<Me>> {
    let mut conn = state.pool.get().await?;
    let employee = employees::find_by_external_id(&mut conn, &caller.subject).await?;
    let managed_team_ids = match &employee {
        Some(e) => teams::managed_by(&mut conn, e.id).await?,
        None => Vec::new(),
    };
    Ok(web::Json(Me {
        roles: caller.roles_sorted(),
        subject: caller.subject,
        employee: employee.map(Employee::from),
        managed_team_ids,
    }))
}

/// Everything held about the caller (right of access): their directory record, team, mail
/// choices and the mails sent to them, every shout-out they gave or received (private ones and
/// retracted ones included), their cheers, and the audit trail about them or by them. One JSON
/// document, streamed.
#[utoipa::path(
    tag = "directory",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's data", content_type = "application/json", body = Object),
        (status = 403, description = "The caller is not in the directory", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me/export")]
pub async fn export(
    staff: Staff,
    state: web::Data<AppState>,
    read_after: ReadAfter,
) -> ApiResult<HttpResponse> {
    let body = personal_data::export(
        state.reads.pool_for(read_after.0),
        staff.employee.id,
        staff.caller.subject.clone(),
    );
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"shoutout-my-data.json\"",
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .streaming(body))
}
