//! The moderation queue: customer praise waiting for a decision, oldest first, each with the
//! value the suggester reads in it and why. Approve (correcting the value or the person),
//! or reject with a reason; `j`/`k` move between items, `a` approves, `r` goes to the reason.

use actix_web::{get, post, web};
use maud::html;
use serde::Deserialize;
use uuid::Uuid;

use super::session::Posted;
use super::{
    ConsoleResult, Done, Section, Signed, csrf, done_message, nav_for, page_with, see_other, time,
};
use crate::domain::fields::{ExternalId, Reason};
use crate::domain::{HeartValue, ShoutoutStatus, suggest};
use crate::error::{ApiError, FieldError};
use crate::models::employees;
use crate::models::praise::{self as store, QueueFilter};
use crate::services::moderation::{self, Moderator, Verdict};
use crate::state::AppState;

/// How many items one page of the queue shows.
const PAGE: i64 = 50;

#[get("/moderation")]
pub async fn queue(
    signed: Signed,
    state: web::Data<AppState>,
    done: web::Query<Done>,
) -> ConsoleResult {
    let mut conn = state.pool.get().await?;
    let reach = moderation::scope(&mut conn, &signed.member).await?;
    let rows = store::queue(
        &mut conn,
        &QueueFilter {
            status: ShoutoutStatus::Pending,
            team_ids: reach.clone().team_ids(),
            after: None,
            limit: PAGE,
        },
    )
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|(_, p, _)| p.employee_id).collect();
    let people = employees::find_many(&mut conn, &ids).await?;
    let nav = nav_for(&mut conn, &signed, reach).await?;
    drop(conn);
    let body = html! {
        p class="hint" id="keys" {
            "Keyboard: " kbd { "j" } " and " kbd { "k" } " move between items, "
            kbd { "a" } " approves the item in focus, " kbd { "r" } " goes to its reason for rejecting. "
            "Every button also works with Tab and Enter."
        }
        @if rows.is_empty() {
            p class="empty" { "Nothing is waiting. Thank you!" }
        }
        ol class="queue" aria-describedby="keys" {
            @for (shoutout, praise, _) in &rows {
                @let person = people.iter().find(|p| p.id == praise.employee_id);
                @let s = suggest::suggest(&shoutout.message);
                @let heading = format!("h-{}", shoutout.id);
                li class="item" tabindex="0" data-item aria-labelledby=(heading) {
                    h2 id=(heading) {
                        "For " (person.map_or("someone who left", |p| p.display_name.as_str()))
                        @if let Some(p) = person { span class="muted" { " (" (p.external_id) ")" } }
                    }
                    blockquote { p { (shoutout.message) } }
                    p class="meta" {
                        "From " (shoutout.customer_name.as_deref().unwrap_or("a customer who left no name"))
                        ", received " (time(praise.received_at)) ". "
                        @if praise.value_suggested {
                            "The customer chose no value; the suggester chose " strong { (shoutout.value.label()) } "."
                        } @else {
                            "The customer chose " strong { (shoutout.value.label()) } "."
                        }
                    }
                    p class="meta" {
                        "The words suggest " strong { (s.value.label()) }
                        " (" (format!("{:.0}", s.confidence * 100.0)) "% sure"
                        @if s.unsure { ", unsure" } ")"
                        @if !s.cues.is_empty() {
                            ", from: "
                            @for (i, (_, cue)) in s.cues.iter().enumerate() {
                                @if i > 0 { ", " }
                                mark { (cue) }
                            }
                        }
                        "."
                    }
                    div class="actions" {
                        form method="post" action={ "/console/moderation/" (shoutout.id) "/approve" } class="approve" {
                            (csrf(&signed))
                            @let value_id = format!("value-{}", shoutout.id);
                            @let person_id = format!("person-{}", shoutout.id);
                            label for=(value_id) { "Value" }
                            select id=(value_id) name="value" {
                                @for v in HeartValue::ALL {
                                    option value=(v.code()) selected[*v == shoutout.value] { (v.label()) }
                                }
                            }
                            label for=(person_id) { "About (external id, if not them)" }
                            input id=(person_id) name="recipient" type="text" autocomplete="off" spellcheck="false";
                            button type="submit" class="primary" data-approve { "Approve" }
                        }
                        form method="post" action={ "/console/moderation/" (shoutout.id) "/reject" } class="reject" {
                            (csrf(&signed))
                            @let reason_id = format!("reason-{}", shoutout.id);
                            label for=(reason_id) { "Reason for rejecting" }
                            input id=(reason_id) name="reason" type="text" required maxlength="500" data-reason;
                            button type="submit" { "Reject" }
                        }
                    }
                }
            }
        }
    };
    Ok(page_with(
        &nav,
        &signed,
        Section::Moderation,
        "Moderation",
        done_message(done.done.as_deref()),
        body,
    ))
}

#[derive(Deserialize)]
pub struct ApproveForm {
    value: Option<String>,
    recipient: Option<String>,
}

#[post("/moderation/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    posted: Posted<ApproveForm>,
) -> ConsoleResult {
    let form = posted.form;
    let value = match form.value.as_deref().filter(|v| !v.is_empty()) {
        None => None,
        Some(code) => Some(HeartValue::from_code(code).ok_or_else(|| {
            ApiError::invalid("value", "must be one of the five H.E.A.R.T. values")
        })?),
    };
    let mut conn = state.pool.get().await?;
    let recipient_id = match form
        .recipient
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        None => None,
        Some(external) => {
            let external =
                ExternalId::parse(external).map_err(|m| ApiError::invalid("recipient", m))?;
            let person = employees::find_by_external_id(&mut conn, external.as_str())
                .await?
                .ok_or_else(|| {
                    ApiError::Invalid(vec![FieldError::new(
                        "recipient",
                        "no employee has this external id",
                    )])
                })?;
            Some(person.id)
        }
    };
    decide(
        &state,
        &posted.signed,
        *id,
        Verdict::Approve {
            value,
            recipient_id,
        },
    )
    .await?;
    Ok(see_other("/console/moderation?done=approved"))
}

#[derive(Deserialize)]
pub struct RejectForm {
    reason: String,
}

#[post("/moderation/{id}/reject")]
pub async fn reject(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    posted: Posted<RejectForm>,
) -> ConsoleResult {
    let reason = Reason::parse(&posted.form.reason).map_err(|m| ApiError::invalid("reason", m))?;
    decide(
        &state,
        &posted.signed,
        *id,
        Verdict::Reject(reason.into_string()),
    )
    .await?;
    Ok(see_other("/console/moderation?done=rejected"))
}

/// The API's decision, with the same reach.
async fn decide(
    state: &AppState,
    signed: &Signed,
    id: Uuid,
    verdict: Verdict,
) -> ConsoleResult<()> {
    let mut conn = state.pool.get().await?;
    let reach = moderation::scope(&mut conn, &signed.member).await?;
    let moderator = Moderator {
        subject: &signed.caller().subject,
        employee_id: signed.member.employee.as_ref().map(|e| e.id),
        reach: &reach,
    };
    moderation::decide(&mut conn, &moderator, id, verdict).await?;
    Ok(())
}
