//! The console's sign-ins under way and its sessions (`000023_console`). Identifiers arrive
//! here already hashed: the browser's cookie never reaches the database.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::schema::{console_sessions, console_sign_ins};

#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = console_sign_ins)]
pub struct SignInRow {
    pub id_hash: Vec<u8>,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = console_sessions)]
pub struct SessionRow {
    pub id_hash: Vec<u8>,
    pub subject: String,
    pub roles: Vec<Option<String>>,
    pub csrf_token: String,
    pub via: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = console_sessions)]
pub struct NewSession {
    pub id_hash: Vec<u8>,
    pub subject: String,
    pub roles: Vec<String>,
    pub csrf_token: String,
    pub via: &'static str,
    pub expires_at: DateTime<Utc>,
}

/// Forgets sign-ins and sessions that have run out (each sign-in does this first, so neither
/// table grows without bound however many are abandoned).
pub async fn sweep(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    let now = Utc::now();
    diesel::delete(console_sign_ins::table.filter(console_sign_ins::expires_at.le(now)))
        .execute(conn)
        .await?;
    diesel::delete(console_sessions::table.filter(console_sessions::expires_at.le(now)))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn start_sign_in(conn: &mut AsyncPgConnection, row: &SignInRow) -> QueryResult<()> {
    diesel::insert_into(console_sign_ins::table)
        .values(row)
        .execute(conn)
        .await
        .map(drop)
}

/// Takes a sign-in under way, once: a second callback with the same cookie finds nothing.
pub async fn take_sign_in(
    conn: &mut AsyncPgConnection,
    id_hash: &[u8],
) -> QueryResult<Option<SignInRow>> {
    diesel::delete(
        console_sign_ins::table
            .filter(console_sign_ins::id_hash.eq(id_hash))
            .filter(console_sign_ins::expires_at.gt(Utc::now())),
    )
    .returning(SignInRow::as_returning())
    .get_result(conn)
    .await
    .optional()
}

pub async fn create_session(conn: &mut AsyncPgConnection, new: &NewSession) -> QueryResult<()> {
    diesel::insert_into(console_sessions::table)
        .values(new)
        .execute(conn)
        .await
        .map(drop)
}

/// The live session with this identifier, marked as seen now; none when it has expired or sat
/// idle longer than `idle`.
pub async fn touch_session(
    conn: &mut AsyncPgConnection,
    id_hash: &[u8],
    idle: chrono::Duration,
) -> QueryResult<Option<SessionRow>> {
    let now = Utc::now();
    diesel::update(
        console_sessions::table
            .filter(console_sessions::id_hash.eq(id_hash))
            .filter(console_sessions::expires_at.gt(now))
            .filter(console_sessions::last_seen_at.gt(now - idle)),
    )
    .set(console_sessions::last_seen_at.eq(now))
    .returning(SessionRow::as_returning())
    .get_result(conn)
    .await
    .optional()
}

pub async fn end_session(conn: &mut AsyncPgConnection, id_hash: &[u8]) -> QueryResult<()> {
    diesel::delete(console_sessions::table.filter(console_sessions::id_hash.eq(id_hash)))
        .execute(conn)
        .await
        .map(drop)
}
