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

/// An object nested in a body, or `null`. serde reads a struct from a positional array as
/// well (`"filter": [null, null]` was a filter with nothing set); the contract speaks only of
/// objects. Use with `#[serde(default, deserialize_with = "object_or_null")]` on an
/// `Option<T>`. (A body itself is checked in `extract`.)
pub fn object_or_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct ObjectOrNull<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for ObjectOrNull<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object or null")
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        // The members go to `T` as they come, so an error inside still names its own path.
        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }
    deserializer.deserialize_any(ObjectOrNull(std::marker::PhantomData))
}

/// [`object_or_null`] for PATCH bodies, as [`nullable`].
pub fn nullable_object<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    object_or_null(deserializer).map(Some)
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
