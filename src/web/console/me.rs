//! `My recognition`, every employee's own page: what they received and gave, who cheered,
//! which were private; their mail and privacy choices; their praise link with a printable QR
//! card; and the copy of their data.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use diesel_async::AsyncConnection;
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::session::Posted;
use super::{
    ConsoleResult, Done, Section, Signed, audited, csrf, done_message, page, see_other, time,
};
use crate::domain::notifications::DigestDay;
use crate::error::ApiError;
use crate::models::shoutouts::{self, ShoutoutDetails};
use crate::models::{employees, mail, praise};
use crate::services::feed::{self, FeedQuery};
use crate::services::personal_data;
use crate::state::AppState;

/// Shout-outs as a list: who to whom, the value, the message, cheers by name, and a mark on
/// the private ones. `about` is the person the list is about (their name is left out).
pub fn recognition_list(
    items: &[ShoutoutDetails],
    cheerers: &[(Uuid, String)],
    about: Option<Uuid>,
) -> Markup {
    let mut cheered: HashMap<Uuid, Vec<&str>> = HashMap::new();
    for (id, name) in cheerers {
        cheered.entry(*id).or_default().push(name);
    }
    html! {
        @if items.is_empty() { p class="empty" { "Nothing yet." } }
        ul class="shoutouts" {
            @for d in items {
                li {
                    p class="who" {
                        @match (&d.giver, d.row.customer_name.as_deref()) {
                            (Some(g), _) if Some(g.id) != about => { strong { (g.display_name) } }
                            (Some(_), _) => { strong { "You" } }
                            (None, Some(customer)) => { strong { (customer) } " (customer)" }
                            (None, None) => { strong { "A customer" } }
                        }
                        " thanked "
                        @for (i, r) in d.recipients.iter().enumerate() {
                            @if i > 0 { ", " }
                            @if Some(r.id) == about { "you" } @else { (r.display_name) }
                        }
                        " for " span class="value" { (d.row.value.label()) }
                        @if d.row.visibility == "private" {
                            " " span class="badge" title="Only the people named, their managers and admins see it" { "Private" }
                        }
                    }
                    blockquote { p { (d.row.message) } }
                    p class="meta" {
                        (time(d.row.created_at))
                        @if let Some(names) = cheered.get(&d.row.id) {
                            " · Cheered by " (names.join(", "))
                        } @else if d.cheers > 0 {
                            " · " (d.cheers) " cheers"
                        }
                    }
                }
            }
        }
    }
}

async fn praise_url(
    conn: &mut diesel_async::AsyncPgConnection,
    state: &AppState,
    employee: Uuid,
) -> Result<String, ApiError> {
    let handle = praise::handle_of(conn, employee)
        .await?
        .ok_or_else(|| ApiError::not_found("no such employee"))?;
    Ok(format!(
        "{}/praise/{handle}",
        state.config.public_base_url()
    ))
}

fn qr_img(url: &str, class: &str) -> Result<Markup, ApiError> {
    let svg = crate::views::qr_svg(url)?;
    Ok(html! {
        img class=(class) src={ "data:image/svg+xml;base64," (STANDARD.encode(svg)) }
            alt="QR code of your praise link" width="200" height="200";
    })
}

#[get("/me")]
pub async fn page_me(
    signed: Signed,
    state: web::Data<AppState>,
    done: web::Query<Done>,
) -> ConsoleResult {
    let me = signed.employee()?.clone();
    let mut conn = state.pool.get().await?;
    let access = feed::access(&mut conn, Some(&signed.member)).await?;
    let query = |recipient_id, giver_id| FeedQuery {
        recipient_id,
        giver_id,
        team_id: None,
        value: None,
        source: None,
        since: None,
        until: None,
        limit: None,
        cursor: None,
    };
    let (received, _) = feed::page(
        &mut conn,
        access.clone(),
        false,
        &query(Some(me.id), None),
        None,
        30,
    )
    .await?;
    let (given, _) = feed::page(
        &mut conn,
        access,
        false,
        &query(None, Some(me.id)),
        None,
        30,
    )
    .await?;
    let ids: Vec<Uuid> = received.iter().chain(&given).map(|d| d.row.id).collect();
    let cheerers = shoutouts::cheerers(&mut conn, &ids).await?;
    let choices = mail::choices_of(&mut conn, me.id, state.config.mail_manager_copies).await?;
    let (show_on_boards, show_on_wall) = employees::privacy(&mut conn, me.id).await?;
    let url = praise_url(&mut conn, &state, me.id).await?;
    drop(conn);
    let mail_on = state.config.smtp_url.is_some() && state.config.mail_from.is_some();
    let body = html! {
        div class="columns" {
            section aria-labelledby="received-h" {
                h2 id="received-h" { "Received (" (received.len()) @if received.len() == 30 { "+" } ")" }
                (recognition_list(&received, &cheerers, Some(me.id)))
            }
            section aria-labelledby="given-h" {
                h2 id="given-h" { "Given (" (given.len()) @if given.len() == 30 { "+" } ")" }
                (recognition_list(&given, &cheerers, Some(me.id)))
            }
        }
        section aria-labelledby="link-h" class="card-preview" {
            h2 id="link-h" { "Your praise link" }
            p { "Customers who scan it or follow it can thank you directly (a moderator checks each message first)." }
            p { a href=(url) { (url) } }
            (qr_img(&url, "qr")?)
            p { a class="button" href="/console/me/card" { "Printable card" } }
        }
        section aria-labelledby="mail-h" {
            h2 id="mail-h" { "E-mail" }
            @if !mail_on { p class="hint" { "This installation sends no mail yet; your choices are kept for when it does." } }
            form method="post" action="/console/me/notifications" class="stack" {
                (csrf(&signed))
                div class="check" { input type="checkbox" id="thanked" name="thanked" value="true" checked[choices.thanked]; label for="thanked" { "When someone thanks me" } }
                div class="check" { input type="checkbox" id="manager_copies" name="manager_copies" value="true" checked[choices.manager_copies]; label for="manager_copies" { "A copy when someone in my team is thanked (managers)" } }
                div class="check" { input type="checkbox" id="moderation" name="moderation" value="true" checked[choices.moderation]; label for="moderation" { "When customer praise waits for me (moderators)" } }
                div class="check" { input type="checkbox" id="digest" name="digest" value="true" checked[choices.digest]; label for="digest" { "A weekly digest of my team (managers)" } }
                label for="digest_day" { "Digest day" }
                select id="digest_day" name="digest_day" {
                    @for n in 1..=7 {
                        @if let Some(day) = DigestDay::from_iso(n) {
                            option value=(n) selected[day == choices.digest_day] { (format!("{day:?}")) }
                        }
                    }
                }
                button type="submit" { "Save my e-mail choices" }
            }
        }
        section aria-labelledby="privacy-h" {
            h2 id="privacy-h" { "Privacy" }
            form method="post" action="/console/me/privacy" class="stack" {
                (csrf(&signed))
                div class="check" { input type="checkbox" id="show_on_boards" name="show_on_boards" value="true" checked[show_on_boards]; label for="show_on_boards" { "Show me on leaderboards" } }
                div class="check" { input type="checkbox" id="show_on_wall" name="show_on_wall" value="true" checked[show_on_wall]; label for="show_on_wall" { "Show shout-outs naming me on public walls" } }
                button type="submit" { "Save my privacy choices" }
            }
            p { a class="button" href="/console/me/export" download="shoutout-my-data.json" { "Download a copy of my data (JSON)" } }
        }
    };
    page(
        &state,
        &signed,
        Section::Me,
        "My recognition",
        done_message(done.done.as_deref()),
        body,
    )
    .await
}

#[derive(Deserialize)]
pub struct NotificationsForm {
    thanked: Option<String>,
    manager_copies: Option<String>,
    moderation: Option<String>,
    digest: Option<String>,
    digest_day: Option<String>,
}

#[post("/me/notifications")]
pub async fn save_notifications(
    state: web::Data<AppState>,
    posted: Posted<NotificationsForm>,
) -> ConsoleResult {
    let id = posted.signed.employee()?.id;
    let form = posted.form;
    let day = match form.digest_day.as_deref() {
        None | Some("") => None,
        Some(n) => Some(
            n.parse::<i16>()
                .ok()
                .and_then(DigestDay::from_iso)
                .ok_or_else(|| {
                    ApiError::invalid("digest_day", "must be a day of the week, 1 (Monday) to 7")
                })?,
        ),
    };
    let mut conn = state.pool.get().await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        let mut row = mail::lock_preferences(conn, id).await?;
        row.thanked = Some(form.thanked.is_some());
        row.manager_copies = Some(form.manager_copies.is_some());
        row.moderation = Some(form.moderation.is_some());
        row.digest = Some(form.digest.is_some());
        row.digest_day = day.map(DigestDay::iso).or(row.digest_day);
        mail::save_preferences(conn, &row).await?;
        Ok(())
    })
    .await?;
    Ok(see_other("/console/me?done=saved"))
}

#[derive(Deserialize)]
pub struct PrivacyForm {
    show_on_boards: Option<String>,
    show_on_wall: Option<String>,
}

#[post("/me/privacy")]
pub async fn save_privacy(
    state: web::Data<AppState>,
    posted: Posted<PrivacyForm>,
) -> ConsoleResult {
    let id = posted.signed.employee()?.id;
    let boards = posted.form.show_on_boards.is_some();
    let wall = posted.form.show_on_wall.is_some();
    audited!(state, posted.signed, |conn| {
        Ok(employees::set_privacy(conn, id, Some(boards), Some(wall)).await?)
    })?;
    Ok(see_other("/console/me?done=saved"))
}

/// A card to print and put on a desk or a counter: the name, the QR code, the address.
#[get("/me/card")]
pub async fn card(signed: Signed, state: web::Data<AppState>) -> ConsoleResult {
    let me = signed.employee()?.clone();
    let mut conn = state.pool.get().await?;
    let url = praise_url(&mut conn, &state, me.id).await?;
    drop(conn);
    let body = html! {
        p class="no-print" { a href="/console/me" { "← My recognition" } " · Print this page (Ctrl+P); the card fits an A6 sheet." }
        article class="praise-card" aria-label="Praise card" {
            p class="card-lead" { "Did " (me.display_name) " help you today?" }
            (qr_img(&url, "qr big")?)
            p { "Scan to say thank you, or visit" }
            p class="card-url" { (url) }
        }
    };
    page(&state, &signed, Section::Me, "Praise card", None, body).await
}

/// The person's own data as JSON (the API's `GET /me/export`), as a download.
#[get("/me/export")]
pub async fn export(signed: Signed, state: web::Data<AppState>) -> ConsoleResult {
    let me = signed.employee()?.clone();
    let body = personal_data::export(
        state.reads.pool_for(None),
        me.id,
        signed.caller().subject.clone(),
    );
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"shoutout-my-data.json\"",
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .streaming(body))
}
