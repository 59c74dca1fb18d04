//! The response types the API speaks, shared by its handlers, the pages and the live stream:
//! each database row that is shown has a view here, so rows never leave `models` as they are.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::{HeartValue, ShoutoutSource, ShoutoutStatus, Visibility, text};
use crate::models::employees::EmployeeRow;
use crate::models::shoutouts::ShoutoutDetails;
use crate::models::teams::TeamRow;

/// An employee as the directory shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct Employee {
    pub id: Uuid,
    /// The identity provider's subject for this person (the `sub` of their tokens).
    pub external_id: String,
    pub display_name: String,
    pub email: String,
    pub team_id: Option<Uuid>,
    pub title: Option<String>,
    /// `false` for a leaver: their history is kept, they can no longer give or receive.
    pub active: bool,
    /// Who this person is in Slack, so they can give with `/shoutout` and be thanked there.
    pub slack_user_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<EmployeeRow> for Employee {
    fn from(row: EmployeeRow) -> Self {
        Self {
            id: row.id,
            external_id: row.external_id,
            display_name: row.display_name,
            email: row.email,
            team_id: row.team_id,
            title: row.title,
            active: row.active,
            slack_user_id: row.slack_user_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A person named on a shout-out: enough to show and link them, nothing private.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EmployeeSummary {
    pub id: Uuid,
    pub display_name: String,
    pub team_id: Option<Uuid>,
    pub title: Option<String>,
    pub active: bool,
}

impl From<&EmployeeRow> for EmployeeSummary {
    fn from(row: &EmployeeRow) -> Self {
        Self {
            id: row.id,
            display_name: row.display_name.clone(),
            team_id: row.team_id,
            title: row.title.clone(),
            active: row.active,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Team {
    pub id: Uuid,
    pub name: String,
    /// The team above this one; `null` for a top-level department.
    pub parent_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    /// The team's id in the system it comes from (an HR code, a SCIM Group's `externalId`).
    pub external_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<TeamRow> for Team {
    fn from(row: TeamRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            parent_id: row.parent_id,
            manager_id: row.manager_id,
            external_id: row.external_id,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Who gave a shout-out.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Giver {
    Employee {
        employee: EmployeeSummary,
    },
    /// Praise from a customer; their e-mail is never shown here.
    Customer {
        name: Option<String>,
    },
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Shoutout {
    pub id: Uuid,
    pub source: ShoutoutSource,
    pub giver: Giver,
    /// Everyone thanked; each counts once.
    pub recipients: Vec<EmployeeSummary>,
    pub value: HeartValue,
    pub message: String,
    pub status: ShoutoutStatus,
    /// `private`: seen only by its giver, the people thanked, their managers and admins.
    pub visibility: Visibility,
    pub created_at: DateTime<Utc>,
    /// +1s from colleagues; counted apart from shout-outs.
    pub cheers: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retracted_at: Option<DateTime<Utc>>,
}

impl From<ShoutoutDetails> for Shoutout {
    fn from(details: ShoutoutDetails) -> Self {
        let row = details.row;
        let giver = match (&details.giver, row.source) {
            (Some(employee), ShoutoutSource::Staff) => Giver::Employee {
                employee: employee.into(),
            },
            _ => Giver::Customer {
                name: row.customer_name.clone(),
            },
        };
        Self {
            id: row.id,
            source: row.source,
            giver,
            recipients: details.recipients.iter().map(Into::into).collect(),
            value: row.value,
            // Nobody vouches for a customer's links: they are shown inert.
            message: match row.source {
                ShoutoutSource::Customer => text::neutralise_links(&row.message),
                ShoutoutSource::Staff => row.message,
            },
            status: row.status,
            visibility: Visibility::from_stored(&row.visibility),
            created_at: row.created_at,
            cheers: details.cheers,
            retracted_at: row.retracted_at,
        }
    }
}

/// The `Location` of a created resource.
pub fn location(kind: &str, id: Uuid) -> String {
    format!("/api/v1/{kind}/{id}")
}

/// The QR code of `url` as a standalone SVG with a quiet zone, black on white.
pub fn qr_svg(url: &str) -> Result<String, crate::error::ApiError> {
    use qrcode::render::svg;
    let code =
        qrcode::QrCode::with_error_correction_level(url, qrcode::EcLevel::M).map_err(|e| {
            crate::error::ApiError::Internal(anyhow::anyhow!("encoding a QR code: {e}"))
        })?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build())
}
