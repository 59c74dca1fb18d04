//! Errors as clients see them: RFC 9457 `application/problem+json`.
//!
//! Which type to use where:
//! - Handlers and domain code return [`ApiResult<T>`]; build an [`ApiError`] with one of the
//!   constructors (`ApiError::invalid`, `not_found`, `forbidden`, ...) for anything the client
//!   can act on.
//! - Database errors convert with `?`: `NotFound` becomes 404, a unique violation 409 and a
//!   foreign-key or check violation 422, each naming the field through [`constraint_field`];
//!   a lost connection, a pool timeout or a cancelled statement becomes 503.
//! - Anything else (`anyhow::Error`) becomes an opaque 500. Its cause is logged, with the request
//!   id, and never sent to the client.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;
use utoipa::ToSchema;

pub type ApiResult<T> = Result<T, ApiError>;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Where the problem is: a JSON path such as `recipient_ids[2]`, a query parameter, a header
    /// name, or `rows[3].email` for a bulk import.
    pub field: String,
    /// Why it was refused, in words a person can act on.
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The problem document (RFC 9457) every error answers with.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    #[schema(example = "/problems/validation-error")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON at all (400).
    #[error("malformed request: {0}")]
    Malformed(String),
    /// One or more fields are wrong (422).
    #[error("invalid request")]
    Invalid(Vec<FieldError>),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("no such route")]
    NoRoute,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("conflict: {0}")]
    Conflict(String, Vec<FieldError>),
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("not acceptable: {0}")]
    NotAcceptable(String),
    #[error("too many requests: {detail}")]
    TooManyRequests {
        detail: String,
        retry_after_secs: u64,
    },
    /// The database is unreachable or overloaded; the client may retry.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn not_found(what: impl fmt::Display) -> Self {
        Self::NotFound(what.to_string())
    }

    /// A database error where "no row" means `what` does not exist: 404 naming it; anything
    /// else converts as usual.
    pub fn missing(error: DieselError, what: impl fmt::Display) -> Self {
        match error {
            DieselError::NotFound => Self::not_found(what),
            other => other.into(),
        }
    }

    pub fn forbidden(why: impl Into<String>) -> Self {
        Self::Forbidden(why.into())
    }

    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Conflict(message.clone(), vec![FieldError::new(field, message)])
    }

    fn kind_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::Malformed(_) => ("/problems/malformed-request", "Malformed request"),
            Self::Invalid(_) => ("/problems/validation-error", "Invalid request"),
            Self::Unauthorized(_) => ("/problems/unauthorized", "Authentication required"),
            Self::Forbidden(_) => ("/problems/forbidden", "Forbidden"),
            Self::NotFound(_) => ("/problems/not-found", "Not found"),
            Self::NoRoute => ("/problems/no-such-route", "Not found"),
            Self::MethodNotAllowed => ("/problems/method-not-allowed", "Method not allowed"),
            Self::Conflict(..) => ("/problems/conflict", "Conflict"),
            Self::PayloadTooLarge(_) => ("/problems/payload-too-large", "Payload too large"),
            Self::UnsupportedMediaType(_) => {
                ("/problems/unsupported-media-type", "Unsupported media type")
            }
            Self::NotAcceptable(_) => ("/problems/not-acceptable", "Not acceptable"),
            Self::TooManyRequests { .. } => ("/problems/rate-limited", "Too many requests"),
            Self::Unavailable(_) => ("/problems/unavailable", "Service unavailable"),
            Self::Internal(_) => ("/problems/internal", "Internal server error"),
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Malformed(d)
            | Self::Unauthorized(d)
            | Self::Forbidden(d)
            | Self::NotFound(d)
            | Self::Conflict(d, _)
            | Self::PayloadTooLarge(d)
            | Self::UnsupportedMediaType(d)
            | Self::NotAcceptable(d) => d.clone(),
            // Like a 500, the cause (a database name, a migration, a host) is for the log only:
            // anonymous callers reach these answers too.
            Self::Unavailable(_) => {
                "the service is briefly unavailable; please retry in a moment".into()
            }
            Self::TooManyRequests { detail, .. } => detail.clone(),
            Self::Invalid(errors) => match errors.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                _ => format!("{} fields are invalid", errors.len()),
            },
            Self::NoRoute => "there is no such route; see /docs for the API".into(),
            Self::MethodNotAllowed => "this route does not accept that method".into(),
            // Never the cause: it may hold SQL, paths or personal data.
            Self::Internal(_) => "something went wrong on our side; it has been logged".into(),
        }
    }

    pub fn problem(&self) -> Problem {
        let (kind, title) = self.kind_and_title();
        let errors = match self {
            Self::Invalid(errors) | Self::Conflict(_, errors) => errors.clone(),
            _ => Vec::new(),
        };
        Problem {
            kind: kind.into(),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail: self.detail(),
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::NoRoute => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(..) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Internal(cause) => tracing::error!(error = ?cause, "request failed"),
            Self::Unavailable(why) => tracing::warn!(reason = %why, "database unavailable"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        match self {
            Self::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::TooManyRequests {
                retry_after_secs, ..
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            Self::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

/// Which request field a named constraint protects, and what to tell the client.
fn constraint_field(constraint: &str) -> Option<(&'static str, &'static str)> {
    Some(match constraint {
        "teams_sibling_name_key" => ("name", "a team with this name already exists at this level"),
        "teams_parent_id_fkey" => ("parent_id", "no team with this id"),
        "teams_manager_id_fkey" => ("manager_id", "no employee with this id"),
        "teams_no_cycle" | "teams_not_own_parent" => {
            ("parent_id", "a team cannot be placed beneath itself")
        }
        "teams_name_length" => ("name", "must be 1 to 200 characters"),
        "employees_already_erased" => ("id", "this person is already erased"),
        "employees_erased_inactive" => ("active", "an erased person cannot be made active again"),
        "employees_scim_deleted_inactive" => (
            "active",
            "the identity provider deleted this person; it brings them back (SCIM), not the API",
        ),
        "teams_external_id_key" => ("external_id", "a team with this external_id exists"),
        "teams_external_id_length" => ("external_id", "must be 1 to 255 characters"),
        "employees_manager_id_fkey" => ("manager_id", "no employee with this id"),
        "employees_manager_not_self" => ("manager_id", "a person cannot manage themselves"),
        "employees_department_length" => ("department", "must be 1 to 200 characters"),
        "employees_scim_external_id_length" => ("externalId", "must be 1 to 255 characters"),
        "employees_external_id_key" => ("external_id", "an employee with this external_id exists"),
        "employees_email_key" => ("email", "an employee with this e-mail exists"),
        "employees_slack_user_id_key" => {
            ("slack_user_id", "another employee has this Slack user id")
        }
        "employees_slack_user_id_form" => {
            ("slack_user_id", "must be a Slack user id such as U024BE7LH")
        }
        "webhook_endpoints_filter_team_id_fkey" => ("filter.team_id", "no team with this id"),
        "employees_team_id_fkey" => ("team_id", "no team with this id"),
        "employees_external_id_length" => ("external_id", "must be 1 to 200 characters"),
        "employees_display_name_length" => ("display_name", "must be 1 to 200 characters"),
        "employees_email_shape" => ("email", "must be an e-mail address"),
        "employees_title_length" => ("title", "must be 1 to 200 characters"),
        "shoutout_recipients_not_self" => ("recipient_ids", "you cannot thank yourself"),
        "shoutout_recipients_recipient_id_fkey" => ("recipient_ids", "no employee with this id"),
        "shoutouts_message_length" => ("message", "must be 1 to 1000 characters"),
        "campaigns_name_key" => ("name", "a campaign with this name exists"),
        "campaigns_name_length" => ("name", "must be 1 to 200 characters"),
        "campaigns_dates_ordered" => ("ends_on", "must not be before `starts_on`"),
        "campaigns_at_most_a_year" => ("ends_on", "a campaign lasts at most 366 days"),
        _ => return None,
    })
}

impl From<DieselError> for ApiError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => ApiError::NotFound("no such resource".into()),
            DieselError::DatabaseError(kind, info) => {
                let known = info.constraint_name().and_then(constraint_field);
                match (kind, known) {
                    (DatabaseErrorKind::UniqueViolation, Some((field, message))) => {
                        ApiError::conflict(field, message)
                    }
                    (
                        DatabaseErrorKind::ForeignKeyViolation | DatabaseErrorKind::CheckViolation,
                        Some((field, message)),
                    ) => ApiError::invalid(field, message),
                    (DatabaseErrorKind::ClosedConnection, _) => {
                        ApiError::Unavailable("the database connection was lost".into())
                    }
                    // Lock orders are kept (see `models::webhooks`); should two transactions
                    // still meet head on, the one PostgreSQL picked may simply be retried. The
                    // log says which collision it was and, for a deadlock, who waited on whom.
                    (kind, _)
                        if matches!(kind, DatabaseErrorKind::SerializationFailure)
                            || info.message().contains("deadlock detected") =>
                    {
                        ApiError::Unavailable(collision(info.as_ref()))
                    }
                    // Text with a NUL character that no extractor caught (a CSV cell, say):
                    // the client's input, not our bug.
                    _ if info
                        .message()
                        .contains("invalid byte sequence for encoding")
                        && info.message().contains("0x00") =>
                    {
                        ApiError::invalid("body", "text must not contain NUL (\\u0000) characters")
                    }
                    _ if is_unavailable(info.message()) => ApiError::Unavailable(format!(
                        "the database is unavailable ({})",
                        info.message()
                    )),
                    _ if is_schema_missing(info.message()) => ApiError::Unavailable(format!(
                        "the database schema is behind this binary ({}): run `shoutout migrate`",
                        info.message()
                    )),
                    (kind, _) => ApiError::Internal(anyhow::anyhow!(
                        "database error {kind:?}: {} (constraint {:?})",
                        info.message(),
                        info.constraint_name()
                    )),
                }
            }
            other => ApiError::Internal(anyhow::Error::new(other)),
        }
    }
}

/// A 503's logged reason for two transactions that collided: the database's own words.
fn collision(info: &dyn diesel::result::DatabaseErrorInformation) -> String {
    match info.details() {
        Some(details) => format!(
            "collided with another request: {} ({details})",
            info.message()
        ),
        None => format!("collided with another request: {}", info.message()),
    }
}

/// Errors that mean "try again later" rather than "we have a bug": the statement timed out, the
/// server is shutting down or restarting, or the connection went away mid-query.
fn is_unavailable(message: &str) -> bool {
    // Compared in lower case: the operating system says "Broken pipe", drivers "broken pipe".
    const SIGNS: [&str; 8] = [
        "canceling statement due to statement timeout",
        "terminating connection",
        "the database system is",
        "connection closed",
        "connection reset",
        "broken pipe",
        "unexpected end of file",
        // tokio-postgres: any I/O error on the connection (a backend killed mid-query).
        "error communicating with the server",
    ];
    let message = message.to_lowercase();
    SIGNS.iter().any(|sign| message.contains(sign))
}

/// A table, column, function or type this binary's queries use is missing: the database lacks
/// migrations (restored from an older backup, or migrated down). Not a bug in the request, and
/// not fixed by the client: 503 until the schema is brought up to date.
fn is_schema_missing(message: &str) -> bool {
    const OBJECTS: [&str; 5] = ["relation ", "column ", "function ", "type ", "operator "];
    message.ends_with("does not exist") && OBJECTS.iter().any(|o| message.starts_with(o))
}

impl From<crate::db::PoolError> for ApiError {
    fn from(error: crate::db::PoolError) -> Self {
        ApiError::Unavailable(format!("no database connection available: {error}"))
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(anyhow::anyhow!("blocking task failed: {error}"))
    }
}

#[cfg(test)]
mod unavailable_tests {
    use super::is_unavailable;

    #[test]
    fn a_lost_connection_is_unavailable_however_it_is_worded() {
        for message in [
            "error communicating with the server: Broken pipe (os error 32)",
            "error communicating with the server: Connection reset by peer (os error 104)",
            "terminating connection due to administrator command",
            "connection closed",
        ] {
            assert!(is_unavailable(message), "{message}");
        }
        assert!(!is_unavailable(
            "duplicate key value violates unique constraint"
        ));
    }
}
