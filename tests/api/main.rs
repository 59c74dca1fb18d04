//! The API, tested from the outside: one test binary (the crate links once), one module per area.

mod helpers;

mod architecture;
mod audit;
mod auth;
mod authz;
mod balanced;
mod browser;
mod console;
mod demo;
mod directory;
mod errors;
mod faults;
mod leaderboards;
mod mail;
mod operations;
mod praise;
mod praise_languages;
mod privacy;
mod receiver;
mod replicas;
mod reports;
mod schema;
mod scim;
mod shoutouts;
mod slack;
mod suggester;
mod tokens;
mod webhooks;
mod widgets;
