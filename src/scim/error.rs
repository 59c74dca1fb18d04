//! SCIM's error answer (RFC 7644 §3.12): `{"schemas": [...Error], "status": "400", "scimType":
//! "invalidValue", "detail": "..."}` as `application/scim+json`. Every failure under
//! `/scim/v2` answers this way, the API's problem documents converted.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

use crate::error::ApiError;

#[derive(Debug)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

pub type ScimResult<T> = Result<T, ScimError>;

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some("invalidValue"), detail)
    }

    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some("invalidSyntax"), detail)
    }

    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some("invalidFilter"), detail)
    }

    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some("invalidPath"), detail)
    }

    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some("noTarget"), detail)
    }

    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some("mutability"), detail)
    }

    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, Some("uniqueness"), detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, detail)
    }
}

impl std::fmt::Display for ScimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.detail)
    }
}

impl From<ApiError> for ScimError {
    fn from(error: ApiError) -> Self {
        let status = error.status_code();
        let scim_type = match &error {
            ApiError::Invalid(_) => Some("invalidValue"),
            ApiError::Malformed(_) => Some("invalidSyntax"),
            ApiError::Conflict(..) => Some("uniqueness"),
            _ => None,
        };
        // SCIM has no 422: a field that breaks a rule is a 400 `invalidValue`.
        let status = if status == StatusCode::UNPROCESSABLE_ENTITY {
            StatusCode::BAD_REQUEST
        } else {
            status
        };
        if let ApiError::Internal(cause) = &error {
            tracing::error!(error = ?cause, "SCIM request failed");
        }
        let problem = error.problem();
        let detail = if problem.errors.is_empty() {
            problem.detail
        } else {
            problem
                .errors
                .iter()
                .map(|e| format!("{}: {}", scim_name(&e.field), e.message))
                .collect::<Vec<_>>()
                .join("; ")
        };
        Self::new(status, scim_type, detail)
    }
}

impl From<diesel::result::Error> for ScimError {
    fn from(error: diesel::result::Error) -> Self {
        ApiError::from(error).into()
    }
}

impl From<crate::db::PoolError> for ScimError {
    fn from(error: crate::db::PoolError) -> Self {
        ApiError::from(error).into()
    }
}

/// The SCIM attribute a directory field is called by.
fn scim_name(field: &str) -> &str {
    match field {
        "external_id" => "userName",
        "display_name" | "name" => "displayName",
        "email" => "emails",
        "team_id" => "groups",
        "manager_id" => "manager",
        other => other,
    }
}

impl ResponseError for ScimError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({
            "schemas": [super::ERROR],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(kind) = self.scim_type {
            body["scimType"] = json!(kind);
        }
        let mut response = HttpResponse::build(self.status);
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static(super::MEDIA_TYPE),
        ));
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"scim\""));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header((header::RETRY_AFTER, "1"));
        }
        response.body(body.to_string())
    }
}
