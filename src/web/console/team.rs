//! A manager's team: the report for any period (the printable report's figures, charts and
//! tables) over the teams they oversee, with links to each person's recognition.

use actix_web::{HttpRequest, get, web};
use maud::html;
use uuid::Uuid;

use super::me::recognition_list;
use super::{ConsoleResult, Section, Signed, page};
use crate::auth::{Oversight, oversight};
use crate::error::ApiError;
use crate::extract::parse_query;
use crate::models::{employees, shoutouts, teams};
use crate::services::feed::{self, FeedQuery};
use crate::services::reports::{self, Range, RangeQuery};
use crate::state::AppState;
use crate::web::report_page;

/// The periods the report page offers, as (code, label).
const PERIODS: &[(&str, &str)] = &[
    ("week", "Week"),
    ("month", "Month"),
    ("quarter", "Quarter"),
    ("year", "Year"),
    ("rolling_7d", "Last 7 days"),
    ("rolling_30d", "Last 30 days"),
    ("rolling_365d", "Last 365 days"),
    ("custom", "Dates of my choice"),
];

/// The team (if named), the range's fields as given, and the range.
type ReportQuery = (Option<Uuid>, Vec<(String, String)>, Range);

/// The report form's query: the team (if named), the range's own fields as given (for the
/// form and the printable link) and the range. Empty fields are "not given"; the period is the
/// month by default; `at` and the custom dates share the form, each period keeps what it takes.
fn read_query(req: &HttpRequest, state: &AppState) -> Result<ReportQuery, ApiError> {
    let mut team_id = None;
    let mut range_pairs = Vec::new();
    for (k, v) in form_urlencoded::parse(req.query_string().as_bytes()) {
        match &*k {
            "team_id" => {
                team_id = Some(
                    Uuid::parse_str(&v)
                        .map_err(|_| ApiError::invalid("team_id", "not a team id"))?,
                )
            }
            _ if v.is_empty() => {}
            _ => range_pairs.push((k.into_owned(), v.into_owned())),
        }
    }
    if !range_pairs.iter().any(|(k, _)| k == "period") {
        range_pairs.push(("period".into(), "month".into()));
    }
    let custom = range_pairs
        .iter()
        .any(|(k, v)| k == "period" && v == "custom");
    range_pairs.retain(|(k, _)| {
        if custom {
            k != "at"
        } else {
            k != "from" && k != "to"
        }
    });
    let range_query: RangeQuery = parse_query(
        &form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&range_pairs)
            .finish(),
    )?;
    let range = Range::parse(&range_query, state.config.timezone)?;
    Ok((team_id, range_pairs, range))
}

#[get("/team")]
pub async fn report(signed: Signed, state: web::Data<AppState>, req: HttpRequest) -> ConsoleResult {
    let (team_id, range_pairs, range) = read_query(&req, &state)?;
    let mut conn = state.reads.get(None).await?;
    let reach = oversight(&mut conn, &signed.member).await?;
    let tree = teams::tree(&mut conn).await?;
    let choices: Vec<(Uuid, String)> = {
        let mut c: Vec<(Uuid, String)> = tree
            .iter()
            .filter(|(id, _, _)| reach.covers(Some(*id)))
            .map(|(id, _, name)| (*id, name.clone()))
            .collect();
        c.sort_by_key(|(_, n)| n.to_lowercase());
        c
    };
    if choices.is_empty() {
        return Err(
            ApiError::forbidden("reports are for admins and for the managers of a team").into(),
        );
    }
    // By default the highest team they manage (one whose parent is out of reach).
    let team_id = team_id.unwrap_or_else(|| {
        tree.iter()
            .find(|(id, parent, _)| reach.covers(Some(*id)) && !reach.covers(*parent))
            .map_or(choices[0].0, |(id, _, _)| *id)
    });
    reports::authorize(&mut conn, &signed.member, team_id).await?;
    let built = reports::build(&mut conn, state.config.timezone, team_id, range).await?;
    drop(conn);
    let period = range_pairs
        .iter()
        .find(|(k, _)| k == "period")
        .map_or("month", |(_, v)| v.as_str())
        .to_owned();
    let value_of = |key: &str| {
        range_pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let print_query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&range_pairs)
        .finish();
    let body = html! {
        form method="get" action="/console/team" class="filters" {
            div {
                label for="team_id" { "Team" }
                select id="team_id" name="team_id" {
                    @for (id, name) in &choices {
                        option value=(id) selected[*id == team_id] { (name) }
                    }
                }
            }
            div {
                label for="period" { "Period" }
                select id="period" name="period" {
                    @for (code, label) in PERIODS {
                        option value=(code) selected[*code == period] { (label) }
                    }
                }
            }
            div {
                label for="at" { "Holding the day" }
                input id="at" name="at" type="date" value=(value_of("at"));
            }
            div {
                label for="from" { "From (dates of my choice)" }
                input id="from" name="from" type="date" value=(value_of("from"));
            }
            div {
                label for="to" { "To" }
                input id="to" name="to" type="date" value=(value_of("to"));
            }
            button type="submit" { "Show" }
        }
        h2 class="report-title" {
            (built.team.name) ": " (built.from.format("%-d %B %Y")) " to " (built.to.format("%-d %B %Y"))
        }
        p { a href={ "/console/team/print?team_id=" (team_id) "&" (print_query) } { "Printable page" } }
        div class="report" {
            (report_page::sections(&built, &|id| Some(format!("/console/people/{id}"))))
        }
    };
    page(&state, &signed, Section::Team, "Team report", None, body).await
}

/// The printable report (the same page a signed report link opens), for a signed-in manager.
#[get("/team/print")]
pub async fn print(signed: Signed, state: web::Data<AppState>, req: HttpRequest) -> ConsoleResult {
    let (team_id, _, range) = read_query(&req, &state)?;
    let team_id = team_id.ok_or_else(|| ApiError::invalid("team_id", "name the team"))?;
    let mut conn = state.reads.get(None).await?;
    reports::authorize(&mut conn, &signed.member, team_id).await?;
    let built = reports::build(&mut conn, state.config.timezone, team_id, range).await?;
    let mut response = actix_web::HttpResponse::Ok();
    Ok(crate::web::page_headers(&mut response)
        .insert_header((actix_web::http::header::CACHE_CONTROL, "private, no-store"))
        .body(report_page::render(&built).into_string()))
}

/// One person's recognition, for whoever oversees their team (and for themselves).
#[get("/people/{id}")]
pub async fn person_page(
    signed: Signed,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ConsoleResult {
    let mut conn = state.pool.get().await?;
    let person = employees::find(&mut conn, *id)
        .await
        .map_err(|e| ApiError::missing(e, "no such person"))?;
    let me = signed.member.employee.as_ref().map(|e| e.id);
    let reach = oversight(&mut conn, &signed.member).await?;
    if me != Some(person.id) && !reach.covers(person.team_id) {
        return Err(ApiError::not_found("no such person in the teams you oversee").into());
    }
    let access = feed::access(&mut conn, Some(&signed.member)).await?;
    let query = FeedQuery {
        recipient_id: Some(person.id),
        giver_id: None,
        team_id: None,
        value: None,
        source: None,
        since: None,
        until: None,
        limit: None,
        cursor: None,
    };
    let (received, _) = feed::page(&mut conn, access, false, &query, None, 50).await?;
    let ids: Vec<Uuid> = received.iter().map(|d| d.row.id).collect();
    let cheerers = shoutouts::cheerers(&mut conn, &ids).await?;
    drop(conn);
    let title = person.display_name.clone();
    let body = html! {
        @if !person.active { div class="notice" { p { "Has left." } } }
        @if let Some(t) = &person.title { p class="lead" { (t) } }
        @if matches!(reach, Oversight::Everything) {
            p { a href={ "/console/directory/people/" (person.id) } { "Edit in the directory" } }
        }
        h2 { "Received, newest first" }
        (recognition_list(&received, &cheerers, Some(person.id)))
    };
    page(&state, &signed, Section::Team, &title, None, body).await
}
