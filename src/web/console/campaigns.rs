//! Campaigns (admins): create, edit (moving its dates counts its boards again), and close (it
//! ends today).

use actix_web::{get, post, web};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::session::{Nothing, Posted};
use super::{ConsoleResult, Done, Section, Signed, audited, csrf, done_message, page, see_other};
use crate::domain::fields::Name;
use crate::error::{ApiError, FieldError};
use crate::models::campaigns::{self, CampaignRow, NewCampaign};
use crate::services::boards;
use crate::state::AppState;

fn today(state: &AppState) -> NaiveDate {
    crate::domain::period::today(state.config.timezone)
}

fn fields(campaign: Option<&CampaignRow>) -> Markup {
    html! {
        label for="name" { "Name" }
        input id="name" name="name" type="text" required maxlength="200" autocomplete="off"
            value=(campaign.map_or("", |c| c.name.as_str()));
        label for="starts_on" { "First day" }
        input id="starts_on" name="starts_on" type="date" required
            value=(campaign.map(|c| c.starts_on.to_string()).unwrap_or_default());
        label for="ends_on" { "Last day (included; at most 366 days after the first)" }
        input id="ends_on" name="ends_on" type="date" required
            value=(campaign.map(|c| c.ends_on.to_string()).unwrap_or_default());
    }
}

#[get("/campaigns")]
pub async fn list(
    signed: Signed,
    state: web::Data<AppState>,
    done: web::Query<Done>,
) -> ConsoleResult {
    signed.admin()?;
    let mut conn = state.pool.get().await?;
    let rows = campaigns::list(&mut conn, None, 200).await?;
    drop(conn);
    let today = today(&state);
    let body = html! {
        p { "A campaign's boards count everything given in its dates, the past included: a hall of fame, not a reset." }
        @if rows.is_empty() { p class="empty" { "No campaigns yet." } }
        @else {
            table {
                caption class="visually-hidden" { "Campaigns" }
                thead { tr { th scope="col" { "Name" } th scope="col" { "Dates" } th scope="col" { "State" } th scope="col" { "Board" } } }
                tbody {
                    @for c in &rows {
                        tr {
                            td { a href={ "/console/campaigns/" (c.id) } { (c.name) } }
                            td { (c.starts_on) " to " (c.ends_on) }
                            td {
                                @if c.ends_on < today { "Ended" }
                                @else if c.starts_on > today { "Planned" }
                                @else { "Running" }
                            }
                            td { a href={ "/api/v1/leaderboards/recipients?period=campaign&campaign_id=" (c.id) } { "JSON" span class="visually-hidden" { " board of " (c.name) } } }
                        }
                    }
                }
            }
        }
        h2 { "New campaign" }
        form method="post" action="/console/campaigns" class="stack" {
            (csrf(&signed))
            (fields(None))
            button type="submit" class="primary" { "Create" }
        }
    };
    page(
        &state,
        &signed,
        Section::Campaigns,
        "Campaigns",
        done_message(done.done.as_deref()),
        body,
    )
    .await
}

#[derive(Deserialize)]
pub struct CampaignForm {
    name: String,
    starts_on: String,
    ends_on: String,
}

/// The form's values, checked as the API checks them.
fn read(form: &CampaignForm) -> Result<(Name, NaiveDate, NaiveDate), ApiError> {
    let mut errors = Vec::new();
    let name = Name::parse(&form.name).map_err(|m| errors.push(FieldError::new("name", m)));
    let mut day = |field: &str, value: &str| {
        NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
            .map_err(|_| errors.push(FieldError::new(field, "must be a date, YYYY-MM-DD")))
    };
    let starts_on = day("starts_on", &form.starts_on);
    let ends_on = day("ends_on", &form.ends_on);
    let (Ok(name), Ok(starts_on), Ok(ends_on)) = (name, starts_on, ends_on) else {
        return Err(ApiError::Invalid(errors));
    };
    let (starts_on, ends_on) = boards::campaign_dates(starts_on, ends_on)?;
    Ok((name, starts_on, ends_on))
}

#[post("/campaigns")]
pub async fn create(state: web::Data<AppState>, posted: Posted<CampaignForm>) -> ConsoleResult {
    posted.signed.admin()?;
    let (name, starts_on, ends_on) = read(&posted.form)?;
    let new = NewCampaign {
        id: Uuid::now_v7(),
        name: name.into_string(),
        starts_on,
        ends_on,
    };
    audited!(state, posted.signed, |conn| {
        Ok(campaigns::create(conn, &new).await?)
    })?;
    Ok(see_other("/console/campaigns?done=created"))
}

#[get("/campaigns/{id}")]
pub async fn edit(
    signed: Signed,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    done: web::Query<Done>,
) -> ConsoleResult {
    signed.admin()?;
    let mut conn = state.pool.get().await?;
    let campaign = campaigns::find(&mut conn, *id)
        .await
        .map_err(|e| ApiError::missing(e, "no such campaign"))?;
    drop(conn);
    let today = today(&state);
    let body = html! {
        p { a href="/console/campaigns" { "← Campaigns" } }
        form method="post" action={ "/console/campaigns/" (campaign.id) } class="stack" {
            (csrf(&signed))
            (fields(Some(&campaign)))
            p class="hint" { "Moving the dates counts the campaign's boards again from every shout-out in them." }
            button type="submit" class="primary" { "Save" }
        }
        @if campaign.ends_on >= today && campaign.starts_on <= today {
            form method="post" action={ "/console/campaigns/" (campaign.id) "/close" } class="danger-zone" {
                (csrf(&signed))
                p { "Closing ends the campaign today (" (today) "); its boards stay." }
                button type="submit" class="danger" data-confirm="Close this campaign today?" { "Close the campaign" }
            }
        }
    };
    let title = campaign.name.clone();
    page(
        &state,
        &signed,
        Section::Campaigns,
        &title,
        done_message(done.done.as_deref()),
        body,
    )
    .await
}

#[post("/campaigns/{id}")]
pub async fn save(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    posted: Posted<CampaignForm>,
) -> ConsoleResult {
    posted.signed.admin()?;
    let (name, starts_on, ends_on) = read(&posted.form)?;
    let id = *id;
    audited!(state, posted.signed, |conn| {
        campaigns::update(conn, id, name.as_str(), starts_on, ends_on)
            .await
            .map_err(|e| ApiError::missing(e, "no such campaign"))
    })?;
    Ok(see_other(&format!("/console/campaigns/{id}?done=saved")))
}

#[post("/campaigns/{id}/close")]
pub async fn close(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    posted: Posted<Nothing>,
) -> ConsoleResult {
    posted.signed.admin()?;
    let id = *id;
    let today = today(&state);
    audited!(state, posted.signed, |conn| {
        let campaign = campaigns::find(conn, id)
            .await
            .map_err(|e| ApiError::missing(e, "no such campaign"))?;
        if campaign.starts_on > today {
            return Err(ApiError::conflict(
                "ends_on",
                "this campaign has not started: change its dates instead",
            ));
        }
        if campaign.ends_on < today {
            return Err(ApiError::conflict(
                "ends_on",
                "this campaign has already ended",
            ));
        }
        Ok(campaigns::update(conn, id, &campaign.name, campaign.starts_on, today).await?)
    })?;
    Ok(see_other(&format!("/console/campaigns/{id}?done=closed")))
}
