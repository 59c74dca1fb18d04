//! The employee directory: admins write (one by one or by bulk import), staff read and search.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use diesel_async::AsyncConnection;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::{Employee, location, nullable};
use crate::auth::{Admin, Member};
use crate::domain::fields::{Email, ExternalId, Name, SlackUserId};
use crate::error::{ApiError, ApiResult};
use crate::extract::{self, ValidJson, ValidQuery};
use crate::models::audit;
use crate::models::employees::{self, EmployeeChanges, EmployeeFilter, NewEmployee};
use crate::models::teams;
use crate::pagination::{self, NameKey, Page};
use crate::services::directory::{self, ImportEmployee, ImportMode, ImportOptions, ImportReport};
use crate::services::import_rows::{self, ImportRow};
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEmployee {
    /// The identity provider's subject (the `sub` of this person's tokens).
    pub external_id: ExternalId,
    pub display_name: Name,
    pub email: Email,
    pub team_id: Option<Uuid>,
    pub title: Option<Name>,
    /// Who this person is in Slack (for `/shoutout`).
    #[serde(default)]
    pub slack_user_id: Option<SlackUserId>,
}

/// Absent fields stay as they are; `null` clears `team_id` or `title`; `active: false` marks a
/// leaver (their history is kept).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEmployee {
    pub external_id: Option<ExternalId>,
    pub display_name: Option<Name>,
    pub email: Option<Email>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub team_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Name>, nullable)]
    pub title: Option<Option<Name>>,
    pub active: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<SlackUserId>, nullable)]
    pub slack_user_id: Option<Option<SlackUserId>>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EmployeeQuery {
    /// Matches name, e-mail, external id or title (case-insensitive, anywhere in the text).
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[param(min_length = 1, max_length = 200)]
    pub q: Option<String>,
    /// Only members of this team or any team beneath it.
    pub team_id: Option<Uuid>,
    /// `true` (the default) lists current staff, `false` leavers.
    pub active: Option<bool>,
    /// 1-100, default 20.
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Adds someone to the directory.
#[utoipa::path(
    tag = "directory",
    request_body = CreateEmployee,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Employee,
         headers(("Location" = String, description = "URL of the new employee"))),
        (status = 409, description = "The external_id or e-mail is taken", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/employees")]
pub async fn create_employee(
    admin: Admin,
    state: web::Data<AppState>,
    body: ValidJson<CreateEmployee>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let new = NewEmployee {
        id: Uuid::now_v7(),
        external_id: body.external_id.into_string(),
        display_name: body.display_name.into_string(),
        email: body.email.into_string(),
        team_id: body.team_id,
        title: body.title.map(Name::into_string),
        active: true,
        slack_user_id: body.slack_user_id.map(SlackUserId::into_string),
    };
    let mut conn = state.pool.get().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            audit::act_as(conn, &admin.0.subject).await?;
            Ok(employees::insert(conn, &new).await?)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", location("employees", row.id)))
        .json(Employee::from(row)))
}

/// Searches the directory, by name.
#[utoipa::path(
    tag = "directory",
    params(EmployeeQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of employees, by name", body = Page<Employee>))
)]
#[get("/employees")]
pub async fn list_employees(
    _member: Member,
    state: web::Data<AppState>,
    query: ValidQuery<EmployeeQuery>,
) -> ApiResult<web::Json<Page<Employee>>> {
    let query = query.0;
    let limit = pagination::limit(query.limit);
    let after =
        pagination::after::<NameKey>(query.cursor.as_deref())?.map(|NameKey(name, id)| (name, id));
    let mut conn = state.pool.get().await?;
    let team_ids = match query.team_id {
        Some(team) => Some(teams::subtree_ids(&mut conn, team).await?),
        None => None,
    };
    let filter = EmployeeFilter {
        q: query
            .q
            .map(|q| q.trim().to_owned())
            .filter(|q| !q.is_empty()),
        team_ids,
        active: Some(query.active.unwrap_or(true)),
        after,
        limit: i64::from(limit) + 1,
    };
    let rows = employees::search(&mut conn, &filter).await?;
    Ok(web::Json(pagination::page(
        rows,
        limit,
        |e| NameKey(e.display_name.to_lowercase(), e.id),
        Employee::from,
    )))
}

/// One employee, active or not.
#[utoipa::path(
    tag = "directory",
    params(("id" = Uuid, Path, description = "Employee id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The employee", body = Employee),
        (status = 404, description = "No such employee", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/employees/{id}")]
pub async fn get_employee(
    _member: Member,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Employee>> {
    let mut conn = state.pool.get().await?;
    let row = employees::find(&mut conn, *id)
        .await
        .map_err(|e| ApiError::missing(e, format!("no employee with id {id}")))?;
    Ok(web::Json(row.into()))
}

/// Changes an employee; `active: false` for a leaver.
#[utoipa::path(
    tag = "directory",
    params(("id" = Uuid, Path, description = "Employee id")),
    request_body = UpdateEmployee,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated employee", body = Employee),
        (status = 404, description = "No such employee", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The external_id or e-mail is taken", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/employees/{id}")]
pub async fn update_employee(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateEmployee>,
) -> ApiResult<web::Json<Employee>> {
    let body = body.0;
    let changes = EmployeeChanges {
        external_id: body.external_id.map(ExternalId::into_string),
        display_name: body.display_name.map(Name::into_string),
        email: body.email.map(Email::into_string),
        team_id: body.team_id,
        title: body.title.map(|t| t.map(Name::into_string)),
        active: body.active,
        slack_user_id: body.slack_user_id.map(|s| s.map(SlackUserId::into_string)),
        updated_at: None,
    };
    let mut conn = state.pool.get().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            audit::act_as(conn, &admin.0.subject).await?;
            employees::update(conn, *id, changes)
                .await
                .map_err(|e| ApiError::missing(e, format!("no employee with id {id}")))
        })
        .await?;
    Ok(web::Json(row.into()))
}

/// How an import runs.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Answer what would change, and write nothing.
    pub dry_run: Option<bool>,
    /// `upsert` (default), or `sync`: also deactivate everyone the file leaves out.
    pub mode: Option<ImportMode>,
    /// Let a sync deactivate more than `SHOUTOUT_IMPORT_SYNC_MAX_PERCENT` of active people.
    pub force: Option<bool>,
}

/// Bulk upsert by `external_id`, all or nothing.
///
/// Send a JSON array of rows, or `text/csv` with a header line naming the columns (any of
/// `external_id,display_name,email,team_id,team_external_id,team,title,active,slack_user_id,manager_external_id`;
/// an unknown column is refused). A row may carry only some columns: the rest stay as they
/// are (a new person needs `display_name` and `email`). Every row is checked before anything
/// is written; if any row is wrong, nothing is written and the answer lists every wrong row as
/// `[index].field` (index 0 is the first row, for CSV the first line after the header).
/// `?dry_run=true` answers the diff and writes nothing; `?mode=sync` also deactivates everyone
/// the file leaves out.
#[utoipa::path(
    tag = "directory",
    params(ImportQuery),
    request_body(content(
        (Vec<ImportEmployee> = "application/json"),
        (String = "text/csv", example = "external_id,display_name,email,team_id,title,active\nalice,Alice Example,alice@example.com,,Agent,true\n"),
    )),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Imported (or, in a dry run, what would be)", body = ImportReport),
        (status = 409, description = "A sync would deactivate too many people without `force=true`", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/employees/import")]
pub async fn import_employees(
    admin: Admin,
    state: web::Data<AppState>,
    req: HttpRequest,
    query: ValidQuery<ImportQuery>,
    payload: web::Payload,
) -> ApiResult<web::Json<ImportReport>> {
    let query = query.0;
    let rows: Vec<ImportRow<ImportEmployee>> =
        read_import_rows(&req, payload.into_inner(), Some(directory::COLUMNS)).await?;
    let mut conn = state.pool.get().await?;
    let options = ImportOptions {
        dry_run: query.dry_run.unwrap_or(false),
        mode: query.mode.unwrap_or_default(),
        force: query.force.unwrap_or(false),
        max_deactivate_percent: state.config.import_sync_max_percent,
        budget_secs: state.config.import_timeout_secs,
    };
    let report = directory::import(&mut conn, &admin.0.subject, rows, options).await?;
    Ok(web::Json(report))
}

/// Parses an import body row by row, so that one answer can name every bad row: each row is
/// parsed on its own, a bad one does not stop the others.
pub async fn read_import_rows<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    payload: actix_web::dev::Payload,
    csv_columns: Option<&[&str]>,
) -> ApiResult<Vec<ImportRow<T>>> {
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let is_csv = match content_type.as_str() {
        "application/json" => false,
        "text/csv" => true,
        other => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "send a JSON array as application/json or a table as text/csv (got `{other}`)"
            )));
        }
    };
    let body = extract::read_body(req, payload, import_rows::IMPORT_MAX_BYTES).await?;
    if is_csv && let Some(known) = csv_columns {
        import_rows::check_csv_columns(&body, known)?;
    }
    import_rows::parse(&body, is_csv)
}

/// Erases a person (admins; the right to erasure): their name, e-mail, external id, Slack id
/// and praise handle leave every record the service keeps, the audit trail included (which
/// says what was erased, not what it was). They are deactivated; counts, reports and other
/// people's shout-outs stay, naming "Erased person". Cannot be undone.
#[utoipa::path(
    tag = "directory",
    params(("id" = Uuid, Path, description = "The employee")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Erased", body = crate::services::personal_data::Erasure),
        (status = 404, description = "No such employee", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already erased", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/employees/{id}/erase")]
pub async fn erase_employee(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<crate::services::personal_data::Erasure>> {
    let mut conn = state.pool.get().await?;
    let erasure = crate::services::personal_data::erase(&mut conn, *id, &admin.0.subject).await?;
    Ok(web::Json(erasure))
}
