//! HTTP handlers and the request/response types they speak. Rows from `models` never leave
//! this layer as they are: each has a view type here.

pub mod audit;
pub mod caching;
pub mod employees;
pub mod health;
pub mod history;
pub mod leaderboards;
pub mod me;
pub mod moderation;
pub mod praise;
pub mod reports;
pub mod shoutouts;
pub mod stream;
pub mod teams;
pub mod values;
pub mod widget_keys;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::models::employees::EmployeeRow;
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
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// For PATCH bodies: tells "absent" (leave as is) from `null` (clear). Use with
/// `#[serde(default, deserialize_with = "nullable")]` on an `Option<Option<T>>`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The `Location` of a created resource.
pub fn location(kind: &str, id: Uuid) -> String {
    format!("/api/v1/{kind}/{id}")
}
