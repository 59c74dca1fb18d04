//! Widget keys: read-only credentials for intranet pages without a user token. The table keeps
//! a SHA-256 of each secret, never the secret.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::widget_keys;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = widget_keys)]
pub struct WidgetKeyRow {
    pub id: Uuid,
    pub name: String,
    pub key_prefix: String,
    pub scopes: Vec<Option<String>>,
    pub origins: Vec<Option<String>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
}

impl WidgetKeyRow {
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scopes.iter().flatten().map(String::as_str)
    }

    pub fn origins(&self) -> impl Iterator<Item = &str> {
        self.origins.iter().flatten().map(String::as_str)
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = widget_keys)]
pub struct NewWidgetKey<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub key_hash: &'a [u8],
    pub key_prefix: &'a str,
    pub scopes: Vec<Option<String>>,
    pub origins: Vec<Option<String>>,
    pub created_by: &'a str,
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    key: &NewWidgetKey<'_>,
) -> QueryResult<WidgetKeyRow> {
    diesel::insert_into(widget_keys::table)
        .values(key)
        .returning(WidgetKeyRow::as_returning())
        .get_result(conn)
        .await
}

/// Inserts a key unless one with the same secret exists (the demo page's key, which every
/// instance derives from the same secret); returns nothing either way.
pub async fn insert_if_absent(
    conn: &mut AsyncPgConnection,
    key: &NewWidgetKey<'_>,
) -> QueryResult<()> {
    diesel::insert_into(widget_keys::table)
        .values(key)
        .on_conflict(widget_keys::key_hash)
        .do_nothing()
        .execute(conn)
        .await
        .map(drop)
}

/// The key whose secret hashes to `hash`, revoked or not.
pub async fn find_by_hash(
    conn: &mut AsyncPgConnection,
    hash: &[u8],
) -> QueryResult<Option<WidgetKeyRow>> {
    widget_keys::table
        .filter(widget_keys::key_hash.eq(hash))
        .select(WidgetKeyRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<WidgetKeyRow> {
    widget_keys::table
        .find(id)
        .select(WidgetKeyRow::as_select())
        .first(conn)
        .await
}

/// Newest first, keyset-paged by id (UUIDv7: time-ordered).
pub async fn list(
    conn: &mut AsyncPgConnection,
    before: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<WidgetKeyRow>> {
    let mut query = widget_keys::table
        .select(WidgetKeyRow::as_select())
        .order(widget_keys::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(widget_keys::id.lt(before));
    }
    query.load(conn).await
}

/// Revokes a key. Revoking twice keeps the first revocation's time and actor.
pub async fn revoke(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    actor: &str,
) -> QueryResult<Option<WidgetKeyRow>> {
    diesel::update(
        widget_keys::table
            .find(id)
            .filter(widget_keys::revoked_at.is_null()),
    )
    .set((
        widget_keys::revoked_at.eq(diesel::dsl::now),
        widget_keys::revoked_by.eq(actor),
    ))
    .execute(conn)
    .await?;
    find(conn, id).await.optional()
}
