//! Domain types: the values a request must parse into before it reaches the database.

pub mod enums;
pub mod events;
pub mod fields;
pub mod heart;
pub mod notifications;
pub mod origin;
pub mod period;
pub mod scim_filter;
pub mod suggest;
pub mod text;

pub use enums::{ShoutoutSource, ShoutoutStatus, Visibility};
pub use heart::HeartValue;
