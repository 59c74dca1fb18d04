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
pub mod notifications;
pub mod operations;
pub mod praise;
pub mod privacy;
pub mod reports;
pub mod scim;
pub mod scim_tokens;
pub mod shoutouts;
pub mod slack;
pub mod stream;
pub mod teams;
pub mod values;
pub mod webhooks;
pub mod widget_keys;

use serde::{Deserialize, Deserializer};

pub use crate::views::{Employee, EmployeeSummary, Team, location};

/// For PATCH bodies: tells "absent" (leave as is) from `null` (clear). Use with
/// `#[serde(default, deserialize_with = "nullable")]` on an `Option<Option<T>>`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
