//! The rules of each capability, one module each, callable from HTTP handlers, pages, the CLI
//! and background workers alike. A service takes the pieces it needs (a connection or the
//! pool, the configuration), never the request or the application state, and runs its writes
//! in one transaction.

pub mod boards;
pub mod directory;
pub mod feed;
pub mod giving;
pub mod history;
pub mod import_rows;
pub mod moderation;
pub mod personal_data;
pub mod report_links;
pub mod reports;
pub mod slack;
pub mod widget_keys;
