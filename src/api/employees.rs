//! The employee directory: admins write (one by one or by bulk import), staff read and search.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::{Employee, location, nullable};
use crate::auth::{Admin, Member};
use crate::domain::text;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::{self, ValidJson, ValidQuery};
use crate::models::audit;
use crate::models::employees::{self, EmployeeChanges, EmployeeFilter, NewEmployee};
use crate::models::teams;
use crate::pagination::{self, NameKey, Page};
use crate::state::AppState;

/// Largest import accepted, in rows and in bytes.
pub const IMPORT_MAX_ROWS: usize = 10_000;
pub const IMPORT_MAX_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEmployee {
    /// The identity provider's subject (the `sub` of this person's tokens).
    #[validate(custom(function = "external_id_rule"))]
    #[schema(example = "alice")]
    pub external_id: String,
    #[validate(custom(function = "text::short_text"))]
    #[schema(example = "Alice Example")]
    pub display_name: String,
    #[validate(custom(function = "text::email"))]
    #[schema(example = "alice@example.com")]
    pub email: String,
    pub team_id: Option<Uuid>,
    #[validate(custom(function = "text::short_text"))]
    pub title: Option<String>,
}

/// Absent fields stay as they are; `null` clears `team_id` or `title`; `active: false` marks a
/// leaver (their history is kept).
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEmployee {
    #[validate(custom(function = "external_id_rule"))]
    pub external_id: Option<String>,
    #[validate(custom(function = "text::short_text"))]
    pub display_name: Option<String>,
    #[validate(custom(function = "text::email"))]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub team_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub title: Option<Option<String>>,
    pub active: Option<bool>,
}

/// One row of a bulk import (a JSON array element, or a CSV line with these columns; an empty
/// CSV cell means "not given").
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportEmployee {
    #[validate(custom(function = "external_id_rule"))]
    pub external_id: String,
    #[validate(custom(function = "text::short_text"))]
    pub display_name: String,
    #[validate(custom(function = "text::email"))]
    pub email: String,
    #[serde(default)]
    pub team_id: Option<Uuid>,
    #[serde(default)]
    #[validate(custom(function = "text::short_text"))]
    pub title: Option<String>,
    /// Default `true`; `false` imports a leaver.
    #[serde(default)]
    pub active: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
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

fn external_id_rule(value: &str) -> Result<(), validator::ValidationError> {
    if !text::is_external_id(value) {
        return Err(validator::ValidationError::new("external_id")
            .with_message("must be 1 to 200 characters without surrounding spaces".into()));
    }
    Ok(())
}

fn clean(field: &str, value: &str) -> ApiResult<String> {
    text::name(value, text::SHORT_TEXT_MAX).map_err(|m| ApiError::invalid(field, m))
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
        external_id: body.external_id,
        display_name: clean("display_name", &body.display_name)?,
        email: body.email.trim().to_owned(),
        team_id: body.team_id,
        title: body
            .title
            .as_deref()
            .map(|t| clean("title", t))
            .transpose()?,
        active: true,
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
        .map_err(|e| not_found_as(e, *id))?;
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
        external_id: body.external_id,
        display_name: body
            .display_name
            .as_deref()
            .map(|n| clean("display_name", n))
            .transpose()?,
        email: body.email.map(|e| e.trim().to_owned()),
        team_id: body.team_id,
        title: body
            .title
            .map(|t| t.as_deref().map(|t| clean("title", t)).transpose())
            .transpose()?,
        active: body.active,
        updated_at: None,
    };
    let mut conn = state.pool.get().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            audit::act_as(conn, &admin.0.subject).await?;
            employees::update(conn, *id, changes)
                .await
                .map_err(|e| not_found_as(e, *id))
        })
        .await?;
    Ok(web::Json(row.into()))
}

/// Bulk upsert by `external_id`, all or nothing.
///
/// Send a JSON array of rows, or `text/csv` with a header line naming the columns
/// `external_id,display_name,email,team_id,title,active`. Every row is checked before anything
/// is written; if any row is wrong, nothing is written and the answer lists every wrong row as
/// `[index].field` (index 0 is the first row, for CSV the first line after the header).
#[utoipa::path(
    tag = "directory",
    request_body(content(
        (Vec<ImportEmployee> = "application/json"),
        (String = "text/csv", example = "external_id,display_name,email,team_id,title,active\nalice,Alice Example,alice@example.com,,Agent,true\n"),
    )),
    security(("bearer" = [])),
    responses((status = 200, description = "Everything was imported", body = ImportReport))
)]
#[post("/employees/import")]
pub async fn import_employees(
    admin: Admin,
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<web::Json<ImportReport>> {
    let rows: Vec<Result<ImportEmployee, Vec<FieldError>>> =
        read_import_rows(&req, payload.into_inner()).await?;
    let mut conn = state.pool.get().await?;
    let new_rows = check_rows(&mut conn, rows).await?;
    let budget = state.config.import_timeout_secs;
    let report = conn
        .transaction::<_, ApiError, _>(async |conn| {
            crate::db::allow_seconds(conn, budget).await?;
            audit::act_as(conn, &admin.0.subject).await?;
            let mut report = ImportReport {
                created: 0,
                updated: 0,
            };
            for (index, new) in new_rows.iter().enumerate() {
                let (_, created) = employees::upsert_by_external_id(conn, new)
                    .await
                    .map_err(|e| at_row(index, e.into()))?;
                if created {
                    report.created += 1;
                } else {
                    report.updated += 1;
                }
            }
            Ok(report)
        })
        .await?;
    Ok(web::Json(report))
}

/// Most field errors one import answer lists.
const IMPORT_MAX_ERRORS: usize = 100;

/// One parsed import row, or the errors naming its fields as `[index].field`.
pub type ImportRow<T> = Result<T, Vec<FieldError>>;

/// Parses an import body as a JSON array or CSV, by its content type. Fails with every row
/// that does not parse.
pub async fn read_import<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    payload: actix_web::dev::Payload,
) -> ApiResult<Vec<T>> {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for row in read_import_rows(req, payload).await? {
        match row {
            Ok(row) => rows.push(row),
            Err(fields) => errors.extend(fields),
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        errors.truncate(IMPORT_MAX_ERRORS);
        Err(ApiError::Invalid(errors))
    }
}

/// Parses an import body row by row, so that one answer can name every bad row: each row is
/// parsed on its own, a bad one does not stop the others.
pub async fn read_import_rows<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    payload: actix_web::dev::Payload,
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
    let body = extract::read_body(req, payload, IMPORT_MAX_BYTES).await?;
    let rows: Vec<ImportRow<T>> = if is_csv {
        parse_csv(&body)?
    } else {
        parse_json_rows(&body)?
    };
    if rows.is_empty() {
        return Err(ApiError::invalid("body", "there are no rows to import"));
    }
    if rows.len() > IMPORT_MAX_ROWS {
        return Err(ApiError::invalid(
            "body",
            format!(
                "at most {IMPORT_MAX_ROWS} rows per import (got {}); split the file",
                rows.len()
            ),
        ));
    }
    Ok(rows)
}

/// Places a parse error (from `serde_path_to_error`) at its row: `[index].field`, or `[index]`
/// when the row as a whole is wrong.
fn row_parse_error(index: usize, path: &str, message: &str) -> Vec<FieldError> {
    match extract::field_error(path, message) {
        ApiError::Invalid(fields) => fields
            .into_iter()
            .map(|f| {
                let field = if f.field == "body" && (path == "." || path.is_empty()) {
                    format!("[{index}]")
                } else {
                    format!("[{index}].{}", f.field)
                };
                FieldError::new(field, f.message)
            })
            .collect(),
        other => vec![FieldError::new(format!("[{index}]"), other.to_string())],
    }
}

/// A JSON array, each element parsed on its own.
fn parse_json_rows<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<Vec<ImportRow<T>>> {
    let values: Vec<serde_json::Value> = extract::parse_json(body)?;
    Ok(values
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            serde_path_to_error::deserialize(value).map_err(|error| {
                let path = error.path().to_string();
                row_parse_error(index, &path, &error.into_inner().to_string())
            })
        })
        .collect())
}

/// CSV with a header line, each line parsed on its own. An empty cell is "not given": absent
/// from the row, so an optional column may be left empty and a required one is named.
fn parse_csv<T: serde::de::DeserializeOwned>(body: &[u8]) -> ApiResult<Vec<ImportRow<T>>> {
    use serde::de::value::MapDeserializer;

    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| ApiError::Malformed(format!("the CSV header line is unreadable: {e}")))?
        .clone();
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let row = match record {
            Err(error) => Err(vec![FieldError::new(
                format!("[{index}]"),
                csv_message(&error.to_string()),
            )]),
            Ok(record) => {
                let cells = headers
                    .iter()
                    .zip(record.iter())
                    .filter(|(_, cell)| !cell.is_empty())
                    .map(|(column, cell)| (column, CsvCell(cell)));
                let deserializer = MapDeserializer::<_, serde::de::value::Error>::new(cells);
                serde_path_to_error::deserialize(deserializer).map_err(|error| {
                    let path = error.path().to_string();
                    row_parse_error(index, &path, &error.into_inner().to_string())
                })
            }
        };
        rows.push(row);
    }
    Ok(rows)
}

/// The csv crate prefixes positions ("CSV error: record 1 (line: 2, byte: 46): ...");
/// the field path already says which row.
fn csv_message(message: &str) -> String {
    message.rsplit("): ").next().unwrap_or(message).to_owned()
}

/// One CSV cell for serde: text, read as a boolean or a number when the field wants one.
struct CsvCell<'a>(&'a str);

impl<'de> serde::de::IntoDeserializer<'de, serde::de::value::Error> for CsvCell<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

macro_rules! csv_number {
    ($($method:ident => $visit:ident: $ty:ty),* $(,)?) => {
        $(fn $method<V: serde::de::Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
            match self.0.trim().parse::<$ty>() {
                Ok(n) => visitor.$visit(n),
                Err(_) => Err(serde::de::Error::custom(format!(
                    "`{}` is not a number of the right kind", self.0
                ))),
            }
        })*
    };
}

impl<'de> serde::Deserializer<'de> for CsvCell<'de> {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_borrowed_str(self.0)
    }

    fn deserialize_bool<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        let cell = self.0.trim();
        if cell.eq_ignore_ascii_case("true") {
            visitor.visit_bool(true)
        } else if cell.eq_ignore_ascii_case("false") {
            visitor.visit_bool(false)
        } else {
            Err(serde::de::Error::custom(format!(
                "`{cell}` is not `true` or `false`"
            )))
        }
    }

    csv_number! {
        deserialize_i8 => visit_i8: i8,
        deserialize_i16 => visit_i16: i16,
        deserialize_i32 => visit_i32: i32,
        deserialize_i64 => visit_i64: i64,
        deserialize_u8 => visit_u8: u8,
        deserialize_u16 => visit_u16: u16,
        deserialize_u32 => visit_u32: u32,
        deserialize_u64 => visit_u64: u64,
        deserialize_f32 => visit_f32: f32,
        deserialize_f64 => visit_f64: f64,
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(
        self,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_enum(serde::de::IntoDeserializer::<Self::Error>::into_deserializer(self.0))
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map
        struct identifier ignored_any
    }
}

/// Checks every row (parsed, valid, no duplicates between rows, its team exists, its e-mail
/// is not someone else's) before the database writes any of them, and reports every wrong row.
async fn check_rows(
    conn: &mut diesel_async::AsyncPgConnection,
    rows: Vec<ImportRow<ImportEmployee>>,
) -> ApiResult<Vec<NewEmployee>> {
    let mut errors: Vec<(usize, FieldError)> = Vec::new();
    let mut seen_ids: HashMap<String, usize> = HashMap::new();
    let mut seen_emails: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for (index, row) in rows.into_iter().enumerate() {
        let row = match row {
            Ok(row) => row,
            Err(fields) => {
                errors.extend(fields.into_iter().map(|f| (index, f)));
                continue;
            }
        };
        if let Err(ApiError::Invalid(fields)) = extract::validate(&row) {
            errors.extend(fields.into_iter().map(|f| {
                (
                    index,
                    FieldError::new(format!("[{index}].{}", f.field), f.message),
                )
            }));
            continue;
        }
        if let Some(first) = seen_ids.insert(row.external_id.clone(), index) {
            errors.push((
                index,
                FieldError::new(
                    format!("[{index}].external_id"),
                    format!("repeats row {first}"),
                ),
            ));
        }
        if let Some(first) = seen_emails.insert(row.email.trim().to_lowercase(), index) {
            errors.push((
                index,
                FieldError::new(format!("[{index}].email"), format!("repeats row {first}")),
            ));
        }
        out.push((
            index,
            NewEmployee {
                id: Uuid::now_v7(),
                external_id: row.external_id,
                display_name: row.display_name.trim().to_owned(),
                email: row.email.trim().to_owned(),
                team_id: row.team_id,
                title: row.title.as_ref().map(|t| t.trim().to_owned()),
                active: row.active.unwrap_or(true),
            },
        ));
    }

    // What the directory already holds: the teams named, and who has the e-mails named.
    let team_ids: Vec<Uuid> = out
        .iter()
        .filter_map(|(_, new)| new.team_id)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let known_teams: std::collections::HashSet<Uuid> = teams::existing(conn, &team_ids)
        .await?
        .into_iter()
        .collect();
    let emails: Vec<String> = seen_emails.keys().cloned().collect();
    let owners: HashMap<String, String> = employees::owners_of_emails(conn, &emails)
        .await?
        .into_iter()
        .map(|(email, external_id)| (email.to_lowercase(), external_id))
        .collect();
    for (index, new) in &out {
        if let Some(team) = new.team_id
            && !known_teams.contains(&team)
        {
            errors.push((
                *index,
                FieldError::new(
                    format!("[{index}].team_id"),
                    format!("no team with id {team}"),
                ),
            ));
        }
        // Taken, unless by this row's own person, or by someone this file gives a new e-mail.
        if let Some(owner) = owners.get(&new.email.to_lowercase())
            && *owner != new.external_id
            && !seen_ids.contains_key(owner)
        {
            errors.push((
                *index,
                FieldError::new(
                    format!("[{index}].email"),
                    format!("`{owner}` has this e-mail"),
                ),
            ));
        }
    }

    if errors.is_empty() {
        Ok(out.into_iter().map(|(_, new)| new).collect())
    } else {
        errors.sort_by_key(|(index, _)| *index);
        Err(ApiError::Invalid(
            errors
                .into_iter()
                .map(|(_, f)| f)
                .take(IMPORT_MAX_ERRORS)
                .collect(),
        ))
    }
}

/// Places a row's database error at that row: `[index].field`.
pub fn at_row(index: usize, error: ApiError) -> ApiError {
    match error {
        ApiError::Invalid(fields) | ApiError::Conflict(_, fields) => ApiError::Invalid(
            fields
                .into_iter()
                .map(|f| FieldError::new(format!("[{index}].{}", f.field), f.message))
                .collect(),
        ),
        other => other,
    }
}

fn not_found_as(error: diesel::result::Error, id: Uuid) -> ApiError {
    match error {
        diesel::result::Error::NotFound => ApiError::not_found(format!("no employee with id {id}")),
        other => other.into(),
    }
}
