//! Widget keys (admins): mint one (shown once, with the snippet to paste into an intranet
//! page), list them, revoke one.

use actix_web::{get, post, web};
use maud::html;
use serde::Deserialize;
use uuid::Uuid;

use super::session::{Nothing, Posted};
use super::{
    ConsoleResult, Done, Section, Signed, audited, csrf, done_message, page, see_other, time,
};
use crate::domain::fields::{KeyName, Origin};
use crate::error::{ApiError, FieldError};
use crate::models::widget_keys;
use crate::services::widget_keys as service;
use crate::state::AppState;

#[get("/widget-keys")]
pub async fn list(
    signed: Signed,
    state: web::Data<AppState>,
    done: web::Query<Done>,
) -> ConsoleResult {
    signed.admin()?;
    let mut conn = state.pool.get().await?;
    let keys = widget_keys::list(&mut conn, None, 200).await?;
    drop(conn);
    let body = html! {
        p { "A widget key lets intranet pages show boards and feeds without anyone signing in. It reads; it never gives." }
        @if keys.is_empty() { p class="empty" { "No keys yet." } }
        @else {
            table {
                caption class="visually-hidden" { "Widget keys" }
                thead { tr { th scope="col" { "Name" } th scope="col" { "Starts with" } th scope="col" { "Scopes" } th scope="col" { "Origins" } th scope="col" { "State" } } }
                tbody {
                    @for k in &keys {
                        tr {
                            td { (k.name) }
                            td { code { (k.key_prefix) "…" } }
                            td { (k.scopes().collect::<Vec<_>>().join(", ")) }
                            td {
                                @let origins: Vec<&str> = k.origins.iter().flatten().map(String::as_str).collect();
                                @if origins.is_empty() { "Any" } @else { (origins.join(", ")) }
                            }
                            td {
                                @if let Some(at) = k.revoked_at { "Revoked " (time(at)) }
                                @else {
                                    form method="post" action={ "/console/widget-keys/" (k.id) "/revoke" } {
                                        (csrf(&signed))
                                        button type="submit" class="danger" data-confirm="Revoke this key? Pages using it stop showing boards at once." {
                                            "Revoke" span class="visually-hidden" { " " (k.name) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Mint a key" }
        form method="post" action="/console/widget-keys" class="stack" {
            (csrf(&signed))
            label for="key-name" { "Name (where it is used)" }
            input id="key-name" name="name" type="text" required maxlength="100" autocomplete="off";
            fieldset {
                legend { "What it may read" }
                div class="check" { input type="checkbox" id="scope-boards" name="boards" value="true" checked; label for="scope-boards" { "Boards" } }
                div class="check" { input type="checkbox" id="scope-feeds" name="feeds" value="true" checked; label for="scope-feeds" { "Feeds and the live wall" } }
            }
            label for="origins" { "Origins allowed to use it, one per line (e.g. https://intranet.example.com); empty for any" }
            textarea id="origins" name="origins" rows="3" spellcheck="false" {}
            button type="submit" class="primary" { "Mint" }
        }
    };
    page(
        &state,
        &signed,
        Section::WidgetKeys,
        "Widget keys",
        done_message(done.done.as_deref()),
        body,
    )
    .await
}

#[derive(Deserialize)]
pub struct MintForm {
    name: String,
    boards: Option<String>,
    feeds: Option<String>,
    origins: Option<String>,
}

#[post("/widget-keys")]
pub async fn mint(state: web::Data<AppState>, posted: Posted<MintForm>) -> ConsoleResult {
    posted.signed.admin()?;
    let form = &posted.form;
    let mut errors = Vec::new();
    let name = KeyName::parse(&form.name).map_err(|m| errors.push(FieldError::new("name", m)));
    let mut origins = Vec::new();
    for (i, line) in form
        .origins
        .as_deref()
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        match Origin::parse(line) {
            Ok(origin) => origins.push(origin),
            Err(m) => errors.push(FieldError::new(format!("origins[{i}]"), m)),
        }
    }
    let mut scopes = Vec::new();
    if form.boards.is_some() {
        scopes.push("boards");
    }
    if form.feeds.is_some() {
        scopes.push("feeds");
    }
    let Ok(name) = name else {
        return Err(ApiError::Invalid(errors).into());
    };
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors).into());
    }
    let mut conn = state.pool.get().await?;
    let (row, secret) = service::mint(
        &mut conn,
        &posted.signed.caller().subject,
        &name,
        &scopes,
        &origins,
    )
    .await?;
    drop(conn);
    let base = state.config.public_base_url();
    let board = row.scopes().any(|s| s == "boards");
    let feed = row.scopes().any(|s| s == "feeds");
    let snippet = format!(
        "<script src=\"{base}/widget.js\" data-key=\"{secret}\" defer></script>\n{}{}",
        if board {
            "<shoutout-leaderboard board=\"recipients\" period=\"month\" limit=\"5\"></shoutout-leaderboard>\n"
        } else {
            ""
        },
        if feed {
            "<shoutout-feed limit=\"5\"></shoutout-feed>\n"
        } else {
            ""
        },
    );
    // Browsers let another site's page call the API only from the origins the operator
    // allowed (CORS); a key for an origin that is not among them would fail on the page.
    let allowed = &state.config.cors_origins;
    let blocked: Vec<&str> = row
        .origins
        .iter()
        .flatten()
        .map(String::as_str)
        .filter(|o| !allowed.iter().any(|a| a == o))
        .collect();
    let body = html! {
        div class="notice done" role="status" {
            p { "Minted " strong { (row.name) } ". Copy the key now: it is shown only once." }
        }
        @if !blocked.is_empty() {
            div class="notice error" role="alert" {
                p { "Browsers will refuse this key on " (blocked.join(", ")) " until an operator adds it to SHOUTOUT_CORS_ORIGINS." }
            }
        } @else if row.origins.iter().flatten().next().is_none() && allowed.is_empty() {
            div class="notice error" role="alert" {
                p { "Pages on other sites can use a key only from the origins in SHOUTOUT_CORS_ORIGINS, and none is set yet." }
            }
        }
        label for="secret" { "Key" }
        input id="secret" type="text" readonly value=(secret) class="secret" data-select;
        label for="snippet" { "Paste this into the intranet page" }
        textarea id="snippet" readonly rows="4" spellcheck="false" data-select { (snippet) }
        button type="button" class="copy" data-copy="snippet" hidden { "Copy the snippet" }
        p { a href="/console/widget-keys" { "Back to the keys" } }
    };
    page(
        &state,
        &posted.signed,
        Section::WidgetKeys,
        "Widget key minted",
        None,
        body,
    )
    .await
}

#[post("/widget-keys/{id}/revoke")]
pub async fn revoke(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    posted: Posted<Nothing>,
) -> ConsoleResult {
    posted.signed.admin()?;
    let id = *id;
    let actor = posted.signed.caller().subject.clone();
    audited!(state, posted.signed, |conn| {
        widget_keys::revoke(conn, id, &actor)
            .await?
            .ok_or_else(|| ApiError::not_found("no such widget key"))
    })?;
    Ok(see_other("/console/widget-keys?done=revoked"))
}
