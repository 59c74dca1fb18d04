//! Recognition that reaches other systems: webhook endpoints (their rules), the Standard
//! Webhooks signatures, the bodies for Slack and Teams channels, the guarded HTTP client, and
//! the workers that deliver the outbox. The outbox itself is written by triggers
//! (`migrations/…000017_webhooks`), in the same transaction as each change.

pub mod address;
pub mod endpoints;
pub mod render;
pub mod sender;
pub mod signing;
pub mod worker;
