//! The console's first page: what the signed-in person can do here.

use actix_web::{HttpResponse, get, web};
use maud::html;

use super::{ConsoleResult, Done, Section, Signed, done_message, nav, page_with, see_other};
use crate::state::AppState;

#[get("")]
pub async fn root() -> HttpResponse {
    see_other("/console/")
}

#[get("/")]
pub async fn home(
    signed: Signed,
    state: web::Data<AppState>,
    done: web::Query<Done>,
) -> ConsoleResult {
    let mut conn = state.pool.get().await?;
    let nav = nav(&mut conn, &signed).await?;
    drop(conn);
    let name = signed
        .member
        .employee
        .as_ref()
        .map_or(signed.caller().subject.as_str(), |e| {
            e.display_name.as_str()
        });
    let body = html! {
        p class="lead" { "Welcome, " (name) "." }
        ul class="cards" {
            @if nav.employee {
                li { a href="/console/me" { strong { "My recognition" } span { "What you received and gave, your praise link and QR card, your e-mail and privacy choices, your data." } } }
            }
            @if let Some(n) = nav.pending {
                li { a href="/console/moderation" { strong { "Moderation" } span { (n) " customer praise waiting for a decision." } } }
                li { a href="/console/team" { strong { "Team report" } span { "Who is thanked, who never is, and which values your team lives, for any period." } } }
            }
            @if nav.admin {
                li { a href="/console/directory" { strong { "Directory" } span { "Teams and people, imports with a preview, SCIM tokens." } } }
                li { a href="/console/campaigns" { strong { "Campaigns" } span { "Named periods with boards of their own." } } }
                li { a href="/console/widget-keys" { strong { "Widget keys" } span { "Boards and feeds on intranet pages." } } }
                li { a href="/console/webhooks" { strong { "Webhooks" } span { "Events to Slack, Teams and other systems, with every delivery." } } }
                li { a href="/console/audit" { strong { "Audit trail" } span { "Every change, who made it and when." } } }
            }
        }
    };
    Ok(page_with(
        &nav,
        &signed,
        Section::Home,
        "Overview",
        done_message(done.done.as_deref()),
        body,
    ))
}
