//! Database rows and the queries over them, grouped by table. Every query is a plain function
//! on `&mut AsyncPgConnection`, so the same function runs inside or outside a transaction.

pub mod audit;
pub mod campaigns;
pub mod console;
pub mod employees;
pub mod mail;
pub mod outbox;
pub mod personal_data;
pub mod praise;
pub mod reports;
pub mod scim;
pub mod shoutouts;
pub mod stream_events;
pub mod tallies;
pub mod teams;
pub mod webhooks;
pub mod widget_keys;
