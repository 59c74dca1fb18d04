//! The audit trail (`audit_events`), written by triggers on the audited tables and read here.
//! Nothing in the service updates or deletes it; the table refuses both.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::schema::audit_events;

/// Names who acts for the rest of the current transaction: the audit triggers record it on
/// every change. Transaction-local, so a pooled connection never carries it to another
/// request; call it first inside the transaction that makes the change.
pub async fn act_as(conn: &mut AsyncPgConnection, actor: &str) -> QueryResult<()> {
    diesel::sql_query("SELECT set_config('shoutout.actor', $1, true)")
        .bind::<Text, _>(actor)
        .execute(conn)
        .await
        .map(drop)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub subject_type: String,
    pub subject_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Default)]
pub struct AuditFilter {
    pub subject_id: Option<String>,
    pub action: Option<String>,
    pub actor: Option<String>,
    /// Only events before this id (the page cursor).
    pub before_id: Option<i64>,
}

/// Newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    filter: &AuditFilter,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut query = audit_events::table
        .select(AuditRow::as_select())
        .order(audit_events::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(subject) = &filter.subject_id {
        query = query.filter(audit_events::subject_id.eq(subject));
    }
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action));
    }
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_events::actor.eq(actor));
    }
    if let Some(before) = filter.before_id {
        query = query.filter(audit_events::id.lt(before));
    }
    query.load(conn).await
}
