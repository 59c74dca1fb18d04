//! The signed-in caller.

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::Employee;
use crate::auth::{Caller, Role};
use crate::error::ApiResult;
use crate::models::{employees, teams};
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
