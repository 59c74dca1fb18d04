//! The audit trail (admins), newest first, filtered by what changed, the action or who acted.

use actix_web::{get, web};
use maud::html;
use serde::Deserialize;

use super::{ConsoleResult, Section, Signed, page, time};
use crate::error::{ApiError, FieldError};
use crate::models::audit::{self, AuditFilter};
use crate::state::AppState;

const PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct TrailQuery {
    subject_id: Option<String>,
    action: Option<String>,
    actor: Option<String>,
    before: Option<i64>,
}

fn filter_value(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > max || v.contains('\0') => {
            Err(ApiError::Invalid(vec![FieldError::new(
                field,
                format!("must be at most {max} characters"),
            )]))
        }
        Some(v) => Ok(Some(v.to_owned())),
    }
}

/// What changed between `before` and `after`, key by key.
fn changes(
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Vec<(String, String, String)> {
    let empty = serde_json::Map::new();
    let b = before.and_then(|v| v.as_object()).unwrap_or(&empty);
    let a = after.and_then(|v| v.as_object()).unwrap_or(&empty);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    let show = |v: Option<&serde_json::Value>| match v {
        None => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    keys.into_iter()
        .filter(|k| b.get(*k) != a.get(*k))
        .map(|k| (k.clone(), show(b.get(k)), show(a.get(k))))
        .collect()
}

#[get("/audit")]
pub async fn trail(
    signed: Signed,
    state: web::Data<AppState>,
    query: web::Query<TrailQuery>,
) -> ConsoleResult {
    signed.admin()?;
    let filter = AuditFilter {
        subject_id: filter_value("subject_id", query.subject_id.as_deref(), 100)?,
        action: filter_value("action", query.action.as_deref(), 100)?,
        actor: filter_value("actor", query.actor.as_deref(), 200)?,
        before_id: query.before,
    };
    let mut conn = state.pool.get().await?;
    let rows = audit::list(&mut conn, &filter, PAGE + 1).await?;
    drop(conn);
    let more = rows.len() as i64 > PAGE;
    let rows = &rows[..rows.len().min(PAGE as usize)];
    let older = rows.last().filter(|_| more).map(|last| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("subject_id", &filter.subject_id),
            ("action", &filter.action),
            ("actor", &filter.actor),
        ] {
            if let Some(v) = v {
                q.append_pair(k, v);
            }
        }
        q.append_pair("before", &last.id.to_string());
        format!("/console/audit?{}", q.finish())
    });
    let body = html! {
        form method="get" action="/console/audit" class="filters" role="search" {
            div {
                label for="action" { "Action" }
                input id="action" name="action" type="text" placeholder="e.g. shoutout.approved" value=(filter.action.as_deref().unwrap_or(""));
            }
            div {
                label for="actor" { "Who" }
                input id="actor" name="actor" type="text" value=(filter.actor.as_deref().unwrap_or(""));
            }
            div {
                label for="subject_id" { "Row id" }
                input id="subject_id" name="subject_id" type="text" value=(filter.subject_id.as_deref().unwrap_or(""));
            }
            button type="submit" { "Filter" }
        }
        @if rows.is_empty() { p class="empty" { "No events match." } }
        @else {
            table class="audit" {
                caption class="visually-hidden" { "Audit events, newest first" }
                thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "Action" } th scope="col" { "What changed" } } }
                tbody {
                    @for e in rows {
                        tr {
                            td { (time(e.at)) }
                            td { a href={ "/console/audit?actor=" (urlencode(&e.actor)) } { (e.actor) } }
                            td {
                                a href={ "/console/audit?action=" (urlencode(&e.action)) } { code { (e.action) } }
                                br;
                                a class="muted" href={ "/console/audit?subject_id=" (urlencode(&e.subject_id)) } { (e.subject_type) " " (e.subject_id) }
                            }
                            td {
                                ul class="fields" {
                                    @for (key, from, to) in changes(e.before.as_ref(), e.after.as_ref()) {
                                        li {
                                            code { (key) } ": "
                                            @if !from.is_empty() { del { (from) } " → " }
                                            ins { (to) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(href) = older { p { a href=(href) rel="next" { "Older events" } } }
    };
    page(&state, &signed, Section::Audit, "Audit trail", None, body).await
}

fn urlencode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
