//! Webhooks (admins): add an endpoint (its secret shown once), send it a test event, see its
//! deliveries with every attempt, send one again.

use std::collections::HashMap;

use actix_web::{get, post, web};
use diesel_async::AsyncConnection;
use maud::html;
use uuid::Uuid;

use super::session::{Nothing, Posted};
use super::{ConsoleResult, Done, Section, Signed, csrf, done_message, page, see_other, time};
use crate::domain::events::{EventType, WebhookFormat};
use crate::domain::fields::{Description, WebhookUrl};
use crate::error::{ApiError, FieldError};
use crate::models::webhooks::{self, AttemptRow};
use crate::state::AppState;
use crate::webhooks::address::UrlRules;
use crate::webhooks::endpoints::{self, Spec};

#[get("/webhooks")]
pub async fn list(
    signed: Signed,
    state: web::Data<AppState>,
    done: web::Query<Done>,
) -> ConsoleResult {
    signed.admin()?;
    let mut conn = state.pool.get().await?;
    let rows = webhooks::list(&mut conn, None, 200).await?;
    drop(conn);
    let body = html! {
        p { "Every recognition event can reach other systems: Standard Webhooks (signed), or a Slack or Teams channel." }
        @if rows.is_empty() { p class="empty" { "No endpoints yet." } }
        @else {
            table {
                caption class="visually-hidden" { "Webhook endpoints" }
                thead { tr { th scope="col" { "Address" } th scope="col" { "Format" } th scope="col" { "Events" } th scope="col" { "State" } } }
                tbody {
                    @for e in &rows {
                        tr {
                            td { a href={ "/console/webhooks/" (e.id) } { (e.url) } @if let Some(d) = &e.description { br; span class="muted" { (d) } } }
                            td { (e.format) }
                            td { (e.events.iter().flatten().cloned().collect::<Vec<_>>().join(", ")) }
                            td {
                                @if !e.enabled { "Disabled" @if let Some(r) = &e.disabled_reason { ": " (r) } }
                                @else if let Some(since) = e.failing_since { "Failing since " (time(since)) }
                                @else { "Delivering" }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Add an endpoint" }
        form method="post" action="/console/webhooks" class="stack" {
            (csrf(&signed))
            label for="url" { "Address (https://…)" }
            input id="url" name="url" type="url" required maxlength="2000" autocomplete="off";
            label for="format" { "Format" }
            select id="format" name="format" {
                option value="standard" { "Standard Webhooks (signed JSON)" }
                option value="slack" { "Slack channel (incoming webhook)" }
                option value="teams" { "Microsoft Teams channel (Workflows)" }
            }
            fieldset {
                legend { "Events" }
                @for t in EventType::ALL {
                    @let id = format!("event-{}", t.as_str().replace('.', "-"));
                    div class="check" {
                        input type="checkbox" id=(id) name="events" value=(t.as_str()) checked[t == EventType::ShoutoutPublished];
                        label for=(id) { code { (t.as_str()) } }
                    }
                }
            }
            label for="description" { "Description (optional)" }
            input id="description" name="description" type="text" maxlength="500" autocomplete="off";
            button type="submit" class="primary" { "Add" }
        }
    };
    page(
        &state,
        &signed,
        Section::Webhooks,
        "Webhooks",
        done_message(done.done.as_deref()),
        body,
    )
    .await
}

/// The form, as pairs: `events` repeats.
type Pairs = Vec<(String, String)>;

#[post("/webhooks")]
pub async fn create(state: web::Data<AppState>, posted: Posted<Pairs>) -> ConsoleResult {
    posted.signed.admin()?;
    let get = |name: &str| {
        posted
            .form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let mut errors = Vec::new();
    let url = WebhookUrl::parse(get("url").unwrap_or(""))
        .map_err(|m| errors.push(FieldError::new("url", m)));
    let format = WebhookFormat::parse(get("format").unwrap_or("standard")).ok_or_else(|| {
        errors.push(FieldError::new(
            "format",
            "must be standard, slack or teams",
        ))
    });
    let mut events = Vec::new();
    for (_, v) in posted.form.iter().filter(|(k, _)| k == "events") {
        match EventType::parse(v) {
            Some(t) if !events.contains(&t) => events.push(t),
            Some(_) => {}
            None => errors.push(FieldError::new("events", format!("`{v}` is not an event"))),
        }
    }
    if events.is_empty() {
        errors.push(FieldError::new("events", "choose at least one event"));
    }
    let description = match get("description").map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(None),
        Some(d) => Description::parse(d)
            .map(Some)
            .map_err(|m| errors.push(FieldError::new("description", m))),
    };
    let (Ok(url), Ok(format), Ok(description)) = (url, format, description) else {
        return Err(ApiError::Invalid(errors).into());
    };
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors).into());
    }
    let spec = Spec {
        url,
        events,
        format,
        filter: None,
        description,
    };
    let mut conn = state.pool.get().await?;
    let row = endpoints::create(
        &mut conn,
        &posted.signed.caller().subject,
        &UrlRules::from_config(&state.config),
        spec,
    )
    .await?;
    drop(conn);
    let body = html! {
        div class="notice done" role="status" {
            p { "Added " strong { (row.url) } "." @if row.format == "standard" { " Copy its signing secret now: it is shown only once." } }
        }
        @if row.format == "standard" {
            label for="secret" { "Signing secret" }
            input id="secret" type="text" readonly value=(row.secret) class="secret" data-select;
        }
        p { a href={ "/console/webhooks/" (row.id) } { "See its deliveries" } }
    };
    page(
        &state,
        &posted.signed,
        Section::Webhooks,
        "Webhook added",
        None,
        body,
    )
    .await
}

#[get("/webhooks/{id}")]
pub async fn endpoint_page(
    signed: Signed,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    done: web::Query<Done>,
) -> ConsoleResult {
    signed.admin()?;
    let mut conn = state.pool.get().await?;
    let endpoint = webhooks::find(&mut conn, *id)
        .await
        .map_err(|e| ApiError::missing(e, "no such webhook"))?;
    let deliveries = webhooks::deliveries(&mut conn, endpoint.id, None, None, 50).await?;
    let ids: Vec<Uuid> = deliveries.iter().map(|d| d.id).collect();
    let mut attempts: HashMap<Uuid, Vec<AttemptRow>> = HashMap::new();
    for attempt in webhooks::attempts_of(&mut conn, &ids).await? {
        attempts
            .entry(attempt.delivery_id)
            .or_default()
            .push(attempt);
    }
    drop(conn);
    let title = endpoint.url.clone();
    let body = html! {
        p { a href="/console/webhooks" { "← Webhooks" } }
        dl class="facts" {
            dt { "Format" } dd { (endpoint.format) }
            dt { "Events" } dd { (endpoint.events.iter().flatten().cloned().collect::<Vec<_>>().join(", ")) }
            dt { "State" } dd {
                @if endpoint.enabled { "Enabled" } @else { "Disabled" @if let Some(r) = &endpoint.disabled_reason { ": " (r) } }
            }
        }
        form method="post" action={ "/console/webhooks/" (endpoint.id) "/test" } {
            (csrf(&signed))
            button type="submit" class="primary" { "Send a test event" }
        }
        h2 { "Deliveries" }
        @if deliveries.is_empty() { p class="empty" { "Nothing delivered yet." } }
        @else {
            table {
                caption class="visually-hidden" { "Deliveries, newest first" }
                thead { tr { th scope="col" { "Event" } th scope="col" { "Created" } th scope="col" { "Status" } th scope="col" { "Attempts" } th scope="col" { span class="visually-hidden" { "Actions" } } } }
                tbody {
                    @for d in &deliveries {
                        tr {
                            td { code { (d.event_type) } }
                            td { (time(d.created_at)) }
                            td { (d.status) }
                            td {
                                ul class="attempts" {
                                    @for a in attempts.get(&d.id).map(Vec::as_slice).unwrap_or_default() {
                                        li {
                                            (time(a.attempted_at)) ": "
                                            @if a.succeeded { "delivered" } @else { "failed" }
                                            @if let Some(code) = a.status_code { " (HTTP " (code) ")" }
                                            " in " (a.latency_ms) " ms"
                                            @if let Some(e) = &a.error { ", " (e) }
                                        }
                                    }
                                }
                            }
                            td {
                                form method="post" action={ "/console/webhooks/" (endpoint.id) "/deliveries/" (d.id) "/redeliver" } {
                                    (csrf(&signed))
                                    button type="submit" { "Send again" span class="visually-hidden" { " " (d.event_type) " of " (super::when(d.created_at)) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page(
        &state,
        &signed,
        Section::Webhooks,
        &title,
        done_message(done.done.as_deref()),
        body,
    )
    .await
}

#[post("/webhooks/{id}/test")]
pub async fn test(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    posted: Posted<Nothing>,
) -> ConsoleResult {
    posted.signed.admin()?;
    let mut conn = state.pool.get().await?;
    endpoints::ping(&mut conn, *id).await?;
    Ok(see_other(&format!("/console/webhooks/{}?done=sent", *id)))
}

#[post("/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    posted: Posted<Nothing>,
) -> ConsoleResult {
    posted.signed.admin()?;
    let (id, delivery_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        webhooks::redeliver(conn, id, delivery_id)
            .await
            .map_err(|e| ApiError::missing(e, format!("no delivery {delivery_id} of webhook {id}")))
    })
    .await?;
    Ok(see_other(&format!(
        "/console/webhooks/{id}?done=redelivered"
    )))
}
