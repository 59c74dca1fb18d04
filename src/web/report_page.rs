//! `GET /reports/teams/{team_id}`: a team's report as a printable page, charts drawn on the
//! server as inline SVG. No script, nothing from other hosts; it prints cleanly to PDF.
//! Opened with a bearer token, or with the short-lived signed link the API hands out
//! (`POST /api/v1/reports/teams/{team_id}/link`), which names the caller and the team and is
//! checked against the caller's rights again when opened.

use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, HttpResponse, get, web};
use maud::{Markup, PreEscaped, html};
use uuid::Uuid;

use super::page_headers;
use crate::auth::Member;
use crate::domain::HeartValue;
use crate::domain::period::PeriodKind;
use crate::error::{ApiError, ApiResult};
use crate::extract::parse_query;
use crate::services::report_links;
use crate::services::reports::{self, Range, RangeQuery, TeamReport};
use crate::state::AppState;

#[get("/reports/teams/{team_id}")]
pub async fn page(
    state: web::Data<AppState>,
    req: HttpRequest,
    team_id: web::Path<Uuid>,
) -> HttpResponse {
    match report_page(&state, &req, team_id.into_inner()).await {
        Ok(page) => page,
        Err(error) => refusal(&req, &error),
    }
}

/// Why there is no report: a script asking for JSON gets the problem, a person a page that
/// says what to do (with the problem's status and headers). Either way the cause is logged.
fn refusal(req: &HttpRequest, error: &ApiError) -> HttpResponse {
    use actix_web::ResponseError;
    let problem = error.error_response();
    let wants_page = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if !wants_page {
        return problem;
    }
    let (title, text) = refusal_text(error);
    let markup = super::document(
        title,
        "/static/report.css",
        html! { main { h1 { (title) } p { (text) } } },
    );
    let mut response = page_headers(&mut HttpResponse::build(problem.status()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string());
    for name in [header::WWW_AUTHENTICATE, header::RETRY_AFTER] {
        if let Some(value) = problem.headers().get(&name) {
            response.headers_mut().insert(name, value.clone());
        }
    }
    response
}

fn refusal_text(error: &ApiError) -> (&'static str, String) {
    match error {
        ApiError::Unauthorized(_) => (
            "This report opens from a link",
            "Reports open from Shoutout, with a link made for you that works for 15 minutes. \
             Ask for a new one where you found this (the API's \
             POST /api/v1/reports/teams/{team_id}/link), or send your bearer token."
                .to_owned(),
        ),
        ApiError::Forbidden(_) => (
            "This report is not yours to see",
            "Reports are for admins and for the managers of the team or a team above it."
                .to_owned(),
        ),
        ApiError::NotFound(_) => ("No such team", "There is no team with this id.".to_owned()),
        ApiError::Unavailable(_) => (
            "The report cannot be made just now",
            "Something is briefly out of order on our side. Please try again in a minute."
                .to_owned(),
        ),
        ApiError::Invalid(_) | ApiError::Malformed(_) => {
            ("This report's dates are not right", error.problem().detail)
        }
        _ => (
            "Something went wrong",
            "The report could not be made. Please try again in a minute.".to_owned(),
        ),
    }
}

async fn report_page(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    team_id: Uuid,
) -> ApiResult<HttpResponse> {
    let state = state.clone();
    let req = req.clone();
    // `sig` is the page's own; the rest is the API's range query.
    let mut range_pairs = Vec::new();
    let mut sig = None;
    for (k, v) in form_urlencoded::parse(req.query_string().as_bytes()) {
        if k == "sig" {
            sig = Some(v.into_owned());
        } else {
            range_pairs.push((k.into_owned(), v.into_owned()));
        }
    }
    let range_query: RangeQuery = parse_query(
        &form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&range_pairs)
            .finish(),
    )?;
    let range = Range::parse(&range_query, state.config.timezone)?;
    let mut conn = state.pool.get().await?;
    let member = match sig {
        Some(token) if !req.headers().contains_key(header::AUTHORIZATION) => {
            report_links::holder(&mut conn, &state.config, &token, team_id).await?
        }
        _ => Member::extract(&req).await?,
    };
    reports::authorize(&mut conn, &member, team_id).await?;
    let report = reports::build(&mut conn, state.config.timezone, team_id, range).await?;
    Ok(page_headers(&mut HttpResponse::Ok())
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(render(&report).into_string()))
}

/// What the compared range is called: "quarter" for a quarter, "28 days" for custom dates.
fn previous_name(r: &TeamReport) -> String {
    match r.period {
        PeriodKind::Week => "week".into(),
        PeriodKind::Month => "month".into(),
        PeriodKind::Quarter => "quarter".into(),
        PeriodKind::Year => "year".into(),
        _ => format!("{} days", (r.to - r.from).num_days() + 1),
    }
}

pub fn render(r: &TeamReport) -> Markup {
    let title = format!("Recognition report: {}", r.team.name);
    let body = html! {
                main {
                    header {
                        h1 { (title) }
                        p class="lead" {
                            (r.from.format("%-d %B %Y")) " to " (r.to.format("%-d %B %Y"))
                            " (" (r.timezone) "), "
                            @match r.team.team_ids.len() - 1 {
                                0 => "the team alone.",
                                1 => "the team and the team beneath it.",
                                n => { "the team and the " (n) " teams beneath it." },
                            }
                        }
                    }
                    (sections(r, &|_| None))
                }
    };
    super::document(&title, "/static/report.css", body)
}

/// The report's figures, charts and tables (everything below its heading), shared with the
/// console's team page; `person_href` links a person's name where the reader may follow it.
pub fn sections(r: &TeamReport, person_href: &dyn Fn(Uuid) -> Option<String>) -> Markup {
    html! {
        section class="figures" aria-label="Totals" {
            (figure("Shout-outs received", r.totals.shoutouts_received))
            (figure("Given by the team", r.totals.given))
            (figure("Cheers", r.totals.cheers))
            div class="figure" {
                span class="number" { (percent(r.participation.received_share)) }
                span class="label" { "of " (r.participation.members) " members were thanked" }
            }
            div class="figure" {
                span class="number" { (percent(r.participation.gave_share)) }
                span class="label" { "thanked someone" }
            }
        }
        p class="compare" {
            "Previous " (previous_name(r)) " ("
            (r.previous.from.format("%-d %b")) " to " (r.previous.to.format("%-d %b")) "): "
            (r.previous.shoutouts_received) " received"
            @if let Some(change) = r.previous.received_change {
                ", " (if change >= 0.0 { "up " } else { "down " }) (percent(change.abs()))
            }
            ". From customers this time: " (r.by_source["customer"]) "."
        }
        div class="charts" {
            section {
                h2 id="values-title" { "Values the team was thanked for" }
                (values_chart(r))
            }
            section {
                h2 id="trend-title" { "Shout-outs received, week by week" }
                (trend_chart(r))
            }
        }
        section {
            h2 { "Not thanked in this period (" (r.unrecognised.len()) ")" }
            @if r.unrecognised.is_empty() {
                p { "Everyone in the team was thanked at least once." }
            } @else {
                ul class="names" {
                    @for e in &r.unrecognised {
                        li {
                            @if let Some(href) = person_href(e.id) { a href=(href) { (e.display_name) } } @else { (e.display_name) }
                            @if let Some(t) = &e.title { span class="title" { " · " (t) } } }
                    }
                }
            }
        }
        section {
            h2 { "Everyone" }
            table {
                thead { tr {
                    th scope="col" { "Name" }
                    th scope="col" class="n" { "Received" }
                    th scope="col" class="n" { "Given" }
                    th scope="col" class="n" { "Cheers" }
                    @for v in HeartValue::ALL { th scope="col" class="n" title=(v.label()) { (v.letter()) } }
                    th scope="col" { "Last thanked" }
                } }
                tbody {
                    @for m in &r.members {
                        tr {
                            th scope="row" {
                                @if let Some(href) = person_href(m.employee.id) {
                                    a href=(href) { (m.employee.display_name) }
                                } @else {
                                    (m.employee.display_name)
                                }
                                @if !m.employee.active { " (left)" }
                                @else if !m.current_member { " (moved)" }
                            }
                            td class="n" { (m.received) }
                            td class="n" { (m.given) }
                            td class="n" { (m.cheers) }
                            @for v in HeartValue::ALL { td class="n" { (m.by_value[v.code()]) } }
                            td {
                                @match m.last_thanked_on {
                                    Some(day) => (day.format("%-d %b %Y")),
                                    None => "never",
                                }
                            }
                        }
                    }
                }
            }
            p class="note" {
                "H, E, A, R, T: Helping others, Exceeding expectations, Achieving goals, "
                "Responding with care, Thriving through teamwork. People count in the team "
                "they were in when a shout-out was given."
            }
        }
    }
}

fn figure(label: &str, n: i64) -> Markup {
    html! { div class="figure" { span class="number" { (n) } span class="label" { (label) } } }
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// Horizontal bars, one per value, labelled with the count.
fn values_chart(r: &TeamReport) -> Markup {
    let max = r.by_value.values().copied().max().unwrap_or(0).max(1) as f64;
    let (width, row, label_w) = (560.0, 34.0, 210.0);
    let height = row * 5.0 + 8.0;
    let mut bars = String::new();
    for (i, v) in HeartValue::ALL.iter().enumerate() {
        let n = r.by_value[v.code()];
        let y = 4.0 + i as f64 * row;
        let w = (width - label_w - 60.0) * n as f64 / max;
        bars.push_str(&format!(
            "<text x=\"0\" y=\"{ty}\" class=\"axis\">{label}</text>\
             <rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"22\" class=\"bar v{i}\"/>\
             <text x=\"{tx:.1}\" y=\"{ty}\" class=\"count\">{n}</text>",
            ty = y + 16.0,
            label = v.label(),
            tx = label_w + w + 6.0,
        ));
    }
    html! {
        svg role="img" aria-labelledby="values-title" viewBox={ "0 0 " (width) " " (height) }
            width="100%" xmlns="http://www.w3.org/2000/svg" {
            (PreEscaped(bars))
        }
    }
}

/// The weekly series as a line with a dot per week, and the axis at zero.
fn trend_chart(r: &TeamReport) -> Markup {
    let (width, height, left, bottom, top) = (560.0, 220.0, 36.0, 28.0, 12.0);
    let weeks = &r.weekly;
    let max = weeks.iter().map(|w| w.received).max().unwrap_or(0).max(1) as f64;
    let span = (weeks.len().max(2) - 1) as f64;
    let x = |i: usize| left + (width - left - 30.0) * i as f64 / span;
    let y = |n: i64| top + (height - top - bottom) * (1.0 - n as f64 / max);
    let points: Vec<String> = weeks
        .iter()
        .enumerate()
        .map(|(i, w)| format!("{:.1},{:.1}", x(i), y(w.received)))
        .collect();
    let mut marks = String::new();
    for (i, w) in weeks.iter().enumerate() {
        marks.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" class=\"dot\"><title>Week of {}: {}</title></circle>",
            x(i),
            y(w.received),
            w.week_start,
            w.received
        ));
    }
    let step = (weeks.len() / 6).max(1);
    for (i, w) in weeks.iter().enumerate().step_by(step) {
        marks.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" class=\"axis\" text-anchor=\"middle\">{}</text>",
            x(i),
            height - 8.0,
            w.week_start.format("%-d %b")
        ));
    }
    let axes = format!(
        "<line x1=\"{left}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\" class=\"grid\"/>\
         <line x1=\"{left}\" y1=\"{top}\" x2=\"{r}\" y2=\"{top}\" class=\"grid\"/>\
         <text x=\"{tl}\" y=\"{ty}\" class=\"axis\" text-anchor=\"end\">{max}</text>\
         <text x=\"{tl}\" y=\"{b}\" class=\"axis\" text-anchor=\"end\">0</text>",
        b = height - bottom,
        r = width - 10.0,
        tl = left - 6.0,
        ty = top + 4.0,
        max = max as i64,
    );
    html! {
        svg role="img" aria-labelledby="trend-title" viewBox={ "0 0 " (width) " " (height) }
            width="100%" xmlns="http://www.w3.org/2000/svg" {
            (PreEscaped(axes))
            polyline points=(points.join(" ")) class="line" {}
            (PreEscaped(marks))
        }
    }
}
