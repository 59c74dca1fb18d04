//! Manager reports over HTTP: a team's report as JSON or CSV, the raw export as streamed CSV,
//! and a signed link for the printable page. The rules live in `services::reports`.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::Member;
use crate::domain::period::PeriodKind;
use crate::error::{ApiResult, Problem};
use crate::extract::ReadAfter;
use crate::extract::ValidQuery;
use crate::services::report_links;
use crate::services::reports::{self, Range, RangeQuery, TeamReport, authorize};
use crate::state::AppState;

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/csv"))
}

/// A team's recognition over a range of days, for the team and every team beneath it:
/// totals, by value and source, per member, participation, who received nothing, a weekly
/// trend and the previous range of the same length. People count in the team they were in when
/// a shout-out was given; leavers appear with their history. `Accept: text/csv` gives one row
/// per member.
#[utoipa::path(
    tag = "reports",
    params(("team_id" = Uuid, Path, description = "Team id"), RangeQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The report", content((TeamReport = "application/json"), (String = "text/csv"))),
        (status = 404, description = "No such team", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/reports/teams/{team_id}")]
pub async fn team_report(
    member: Member,
    state: web::Data<AppState>,
    read_after: ReadAfter,
    req: HttpRequest,
    team_id: web::Path<Uuid>,
    query: ValidQuery<RangeQuery>,
) -> ApiResult<HttpResponse> {
    let team_id = team_id.into_inner();
    let range = Range::parse(&query.0, state.config.timezone)?;
    let mut conn = state.reads.get(read_after.0).await?;
    authorize(&mut conn, &member, team_id).await?;
    let report = reports::build(&mut conn, state.config.timezone, team_id, range).await?;
    if wants_csv(&req) {
        let filename = format!("team-report-{}-{}.csv", range.from, range.to);
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8; header=present")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ))
            .body(reports::report_csv(&report)?));
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .json(report))
}

#[derive(Debug, Clone, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// First day (inclusive, in `SHOUTOUT_TIMEZONE`); default 27 days before `to`.
    pub from: Option<NaiveDate>,
    /// Last day (inclusive); default today.
    pub to: Option<NaiveDate>,
    /// Only shout-outs received by this team and those beneath it (required for managers).
    pub team_id: Option<Uuid>,
}

/// Every published shout-out in the range, one row per shout-out and recipient, as CSV
/// (RFC 4180, CRLF, formula-safe). Streamed in batches, so a year of a large company exports in
/// constant memory. Customer e-mails are never in it.
#[utoipa::path(
    tag = "reports",
    params(ExportQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The export", body = String, content_type = "text/csv"))
)]
#[get("/reports/shoutouts.csv")]
pub async fn export(
    member: Member,
    state: web::Data<AppState>,
    read_after: ReadAfter,
    query: ValidQuery<ExportQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.0;
    let range = Range::parse(
        &RangeQuery {
            from: query.from,
            to: query.to,
            ..RangeQuery::default()
        },
        state.config.timezone,
    )?;
    let mut conn = state.reads.get(read_after.0).await?;
    let teams = reports::export_scope(&mut conn, &member, query.team_id).await?;
    drop(conn);
    let body = reports::export_csv(state.reads.pool_for(read_after.0), teams, range)
        .map(|chunk| chunk.map(Bytes::from).map_err(actix_web::Error::from));
    let filename = format!("shoutouts-{}-{}.csv", range.from, range.to);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8; header=present")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .streaming(body))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReportLink {
    /// Opens the printable report in a browser, without a token, until `expires_at`.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// A short-lived signed link (15 minutes) to the printable report page, for opening in a
/// browser where no bearer token can be sent. It carries the caller's identity; the caller's
/// rights are checked again when it is opened.
#[utoipa::path(
    tag = "reports",
    params(("team_id" = Uuid, Path, description = "Team id"), RangeQuery),
    security(("bearer" = [])),
    responses((status = 201, description = "The link", body = ReportLink))
)]
#[post("/reports/teams/{team_id}/link")]
pub async fn report_link(
    member: Member,
    state: web::Data<AppState>,
    team_id: web::Path<Uuid>,
    query: ValidQuery<RangeQuery>,
) -> ApiResult<HttpResponse> {
    let team_id = team_id.into_inner();
    let range = Range::parse(&query.0, state.config.timezone)?;
    let mut conn = state.pool.get().await?;
    authorize(&mut conn, &member, team_id).await?;
    let expires_at = Utc::now() + chrono::Duration::minutes(15);
    let token = report_links::sign(&state.config, &member.caller, team_id, expires_at)?;
    // The resolved days, and the kind, so the page compares with the same previous range.
    let period = serde_json::to_value(range.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "custom".into());
    let url = if range.kind == PeriodKind::Custom {
        format!(
            "{}/reports/teams/{team_id}?from={}&to={}&sig={token}",
            state.config.public_base_url(),
            range.from,
            range.to
        )
    } else {
        format!(
            "{}/reports/teams/{team_id}?period={period}&at={}&sig={token}",
            state.config.public_base_url(),
            range.to,
        )
    };
    Ok(HttpResponse::Created().json(ReportLink { url, expires_at }))
}
