//! What is held about one person, read for their copy (right of access): their rows as
//! PostgreSQL renders them to JSON, so a column added later is in the copy without a change
//! here.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::models::shoutouts::ShoutoutRow;
use crate::schema::{shoutout_recipients, shoutouts};

#[derive(QueryableByName)]
struct Json {
    #[diesel(sql_type = Text)]
    json: String,
}

async fn json(
    conn: &mut AsyncPgConnection,
    sql: &str,
    id: Uuid,
    subject: &str,
) -> QueryResult<String> {
    diesel::sql_query(sql)
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(subject)
        .get_result::<Json>(conn)
        .await
        .map(|j| j.json)
}

/// The sections read whole, each as JSON text: the person, their team, their choices, the
/// mails sent to them, their cheers, the audit trail about them or by them.
pub async fn sections(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    subject: &str,
) -> QueryResult<Vec<(&'static str, String)>> {
    const SECTIONS: [(&str, &str); 6] = [
        (
            "employee",
            "SELECT row_to_json(e)::text AS json FROM employees e WHERE e.id = $1 AND $2 = $2",
        ),
        (
            "team",
            "SELECT coalesce((SELECT row_to_json(t)::text FROM teams t JOIN employees e ON e.team_id = t.id \
             WHERE e.id = $1 AND $2 = $2), 'null') AS json",
        ),
        (
            "notification_preferences",
            "SELECT coalesce((SELECT row_to_json(p)::text FROM notification_preferences p \
             WHERE p.employee_id = $1 AND $2 = $2), 'null') AS json",
        ),
        (
            "mails",
            "SELECT coalesce(json_agg(json_build_object('kind', m.kind, 'subject', m.subject, \
             'status', m.status, 'attempts', m.attempts, 'created_at', m.created_at, \
             'completed_at', m.completed_at) ORDER BY m.id), '[]')::text AS json \
             FROM mail_messages m WHERE m.employee_id = $1 AND $2 = $2",
        ),
        (
            "cheers_given",
            "SELECT coalesce(json_agg(json_build_object('shoutout_id', c.shoutout_id, \
             'created_at', c.created_at) ORDER BY c.created_at), '[]')::text AS json \
             FROM cheers c WHERE c.employee_id = $1 AND $2 = $2",
        ),
        (
            "audit_trail",
            "SELECT coalesce(json_agg(a ORDER BY a.id), '[]')::text AS json FROM audit_events a \
             WHERE a.subject_id = $1::text OR a.actor = $2",
        ),
    ];
    let mut out = Vec::with_capacity(SECTIONS.len());
    for (name, sql) in SECTIONS {
        out.push((name, json(conn, sql, id, subject).await?));
    }
    Ok(out)
}

/// Shout-outs the person gave (`given`) or received, any status, oldest first, after `after`.
pub async fn shoutouts_batch(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    given: bool,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<ShoutoutRow>> {
    let mut query = shoutouts::table
        .select(ShoutoutRow::as_select())
        .order((shoutouts::created_at.asc(), shoutouts::id.asc()))
        .limit(limit)
        .into_boxed();
    query = if given {
        query.filter(shoutouts::giver_id.eq(id))
    } else {
        query.filter(
            shoutouts::id.eq_any(
                shoutout_recipients::table
                    .filter(shoutout_recipients::recipient_id.eq(id))
                    .select(shoutout_recipients::shoutout_id),
            ),
        )
    };
    if let Some((at, last)) = after {
        query = query.filter(
            shoutouts::created_at
                .gt(at)
                .or(shoutouts::created_at.eq(at).and(shoutouts::id.gt(last))),
        );
    }
    query.load(conn).await
}

#[derive(QueryableByName)]
struct Erased {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Array<Text>>)]
    fields: Option<Vec<String>>,
}

/// Erases a person (the database function `erase_employee` does it all, in this transaction);
/// the names of the erased fields, or `None` when there is no such person.
pub async fn erase(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    actor: &str,
) -> QueryResult<Option<Vec<String>>> {
    diesel::sql_query("SELECT erase_employee($1, $2) AS fields")
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(actor)
        .get_result::<Erased>(conn)
        .await
        .map(|e| e.fields)
}
