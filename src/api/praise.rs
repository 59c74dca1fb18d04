//! Customer praise over the API: the public endpoint (no login), its challenge, praise links
//! with QR codes, handle rotation, and value suggestions.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::OptionalExtension;
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use crate::auth::{Admin, Caller, Member, oversight};
use crate::client;
use crate::domain::fields::{CustomerEmail, CustomerName, Handle, Message};
use crate::domain::{HeartValue, Visibility, suggest};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ValidJson, ValidQuery};
use crate::models::{audit, employees, praise as store};
use crate::praise::{self, Outcome, Submission};
use crate::state::AppState;

/// What a customer sends; the public form sends the same fields.
// The text fields are read as sent and checked in `praise::submit`, with the same types the
// form's fields go through, after the cheap spam checks: a bot that fills the honeypot is
// thanked whatever else it sent.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicShoutout {
    #[schema(value_type = Handle)]
    pub handle: String,
    #[schema(value_type = Message)]
    pub message: String,
    /// The customer's choice; when absent the service suggests one from the message.
    pub value: Option<HeartValue>,
    #[schema(value_type = Option<CustomerName>)]
    pub customer_name: Option<String>,
    #[schema(value_type = Option<CustomerEmail>)]
    pub customer_email: Option<String>,
    /// Send one mail to `customer_email` when the praise is approved ("your thanks reached
    /// ..."), and nothing else, ever. Needs `customer_email`.
    #[serde(default)]
    pub email_consent: bool,
    /// `private`: only the person thanked, their managers and admins see it (never the
    /// public feed, walls or channels). Default `public`.
    #[serde(default)]
    pub visibility: Visibility,
    /// From `GET /api/v1/public/challenge`.
    pub challenge: String,
    /// Digits such that SHA-256(`challenge` ":" `solution`) starts with `difficulty_bits` zero
    /// bits.
    #[schema(example = "48213")]
    pub solution: String,
    /// Leave empty. (Bots fill in every field; a filled one is thanked and dropped.)
    pub website: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Accepted {
    pub id: Uuid,
    /// Always `pending`: a moderator reads customer praise before anyone else sees it.
    #[schema(example = "pending")]
    pub status: &'static str,
}

/// Thanks an employee as a customer: no login. Stored `pending`; nothing appears on a board,
/// feed or widget until a moderator approves it. Needs a solved challenge from
/// `GET /api/v1/public/challenge`, sent no sooner than `SHOUTOUT_PRAISE_MIN_FILL_SECS` after it
/// was issued. The same message to the same person within a day is stored once (the answer
/// names the first). Rate limited per client address and per employee.
#[utoipa::path(
    tag = "customer praise",
    request_body = PublicShoutout,
    responses(
        (status = 202, description = "Received; pending moderation", body = Accepted),
        (status = 429, description = "Too much praise from this address, or for this person, for now; see `Retry-After`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/public/shoutouts")]
pub async fn create_public_shoutout(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ValidJson<PublicShoutout>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let client = client::address(&req, &state.config.trusted_proxies);
    let submission = Submission {
        handle: body.handle,
        message: body.message,
        value: body.value,
        customer_name: body.customer_name,
        customer_email: body.customer_email,
        email_consent: body.email_consent,
        private: body.visibility == Visibility::Private,
        challenge: body.challenge,
        solution: body.solution,
        website: body.website,
    };
    let id =
        match praise::submit(&state.pool, &state.praise, client, submission, Utc::now()).await? {
            Outcome::Stored { id, .. } | Outcome::Duplicate { id, .. } => id,
            Outcome::Trapped { decoy } => decoy,
        };
    Ok(HttpResponse::Accepted()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Accepted {
            id,
            status: "pending",
        }))
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChallengeQuery {
    /// The praise link's handle.
    pub handle: Handle,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Challenge {
    /// Send back as `challenge`.
    pub challenge: String,
    /// Leading zero bits SHA-256(`challenge` ":" `solution`) must have.
    pub difficulty_bits: u8,
    /// The earliest a submission with it is taken as a person's.
    pub not_before: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A proof-of-work challenge for praising the employee behind `handle` (self-hosted: no
/// third party is involved). Each is good for one submission.
#[utoipa::path(
    tag = "customer praise",
    params(ChallengeQuery),
    responses((status = 200, description = "A fresh challenge", body = Challenge))
)]
#[get("/public/challenge")]
pub async fn challenge(
    state: web::Data<AppState>,
    query: ValidQuery<ChallengeQuery>,
) -> ApiResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let employee = store::find_by_handle(&mut conn, &query.0.handle)
        .await?
        .ok_or_else(|| ApiError::from(praise::Rejection::UnknownHandle))?;
    let issued = state.praise.challenges.issue(employee.id, Utc::now());
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(Challenge {
            challenge: issued.token,
            difficulty_bits: issued.bits,
            not_before: issued.issued_at + state.praise.challenges.min_fill,
            expires_at: issued.expires_at,
        }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PraiseLink {
    pub employee_id: Uuid,
    /// Unguessable; says nothing about the person. Rotating it retires the old link.
    pub handle: String,
    /// The public form, for customers.
    #[schema(example = "https://shoutout.example.com/praise/q8VxY2n0S3uJcX1l9wTgZA")]
    pub url: String,
    /// The URL as a QR code, an SVG document (for badges, receipts, signatures).
    pub qr_svg: String,
}

/// An employee's praise link and its QR code. The employee, their managers and admins may
/// read it. With `Accept: image/svg+xml` the answer is the QR code alone.
#[utoipa::path(
    tag = "customer praise",
    params(("id" = Uuid, Path, description = "Employee id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The link and its QR code (or, for `Accept: image/svg+xml`, the QR code alone)",
         content((PraiseLink = "application/json"), (String = "image/svg+xml"))),
        (status = 404, description = "No such employee", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/employees/{id}/praise-link")]
pub async fn praise_link(
    member: Member,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let mut conn = state.pool.get().await?;
    let employee = employees::find(&mut conn, id)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("no employee with id {id}")))?;
    let is_self = member.employee.as_ref().is_some_and(|e| e.id == id);
    if !is_self {
        let manages = oversight(&mut conn, &member)
            .await?
            .covers(employee.team_id);
        if !manages {
            return Err(ApiError::forbidden(
                "only the employee, their managers and admins can read a praise link",
            ));
        }
    }
    let handle = store::handle_of(&mut conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no employee with id {id}")))?;
    respond_with_link(&state, &req, id, handle)
}

/// Gives the employee a new praise link; the old one stops working at once (for a lost badge,
/// or a link passed around where it should not be). Admins only.
#[utoipa::path(
    tag = "customer praise",
    params(("id" = Uuid, Path, description = "Employee id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The new link", body = PraiseLink),
        (status = 404, description = "No such employee", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/employees/{id}/praise-link/rotate")]
pub async fn rotate_praise_link(
    admin: Admin,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let mut conn = state.pool.get().await?;
    let handle = conn
        .transaction::<_, ApiError, _>(async |conn| {
            audit::act_as(conn, &admin.0.subject).await?;
            store::rotate_handle(conn, id)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("no employee with id {id}")))
        })
        .await?;
    respond_with_link(&state, &req, id, handle)
}

fn respond_with_link(
    state: &AppState,
    req: &HttpRequest,
    id: Uuid,
    handle: String,
) -> ApiResult<HttpResponse> {
    let url = format!("{}/praise/{handle}", state.config.public_base_url());
    let qr_svg = crate::views::qr_svg(&url)?;
    let wants_svg = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("image/svg+xml") && !accept.contains("json"));
    let mut response = HttpResponse::Ok();
    response.insert_header((header::CACHE_CONTROL, "private, no-store"));
    if wants_svg {
        return Ok(response.content_type("image/svg+xml").body(qr_svg));
    }
    Ok(response.json(PraiseLink {
        employee_id: id,
        handle,
        url,
        qr_svg,
    }))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuggestRequest {
    pub message: Message,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Cue {
    pub value: HeartValue,
    /// A word of the message that pointed to `value` (as written, in lower case).
    pub cue: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ValueSuggestion {
    pub value: HeartValue,
    /// How likely the suggested value is, 0 to 1, counting the chance that the message names
    /// no value at all ("Thanks!"); below 0.5 the praise form asks the customer to choose.
    pub confidence: f64,
    /// Each value's share among the five, by code (they sum to 1).
    #[schema(value_type = std::collections::BTreeMap<String, f64>)]
    pub scores: serde_json::Map<String, serde_json::Value>,
    /// Why: the words that counted most, strongest first (at most six).
    pub cues: Vec<Cue>,
}

/// Suggests the H.E.A.R.T. value a message is about (English, Spanish, French, German or
/// Portuguese), with a learned model shipped in the service. Explainable: `cues` lists the
/// words that counted.
#[utoipa::path(
    tag = "values",
    request_body = SuggestRequest,
    security(("bearer" = [])),
    responses((status = 200, description = "The suggestion", body = ValueSuggestion))
)]
#[post("/values/suggest")]
pub async fn suggest_value(
    _caller: Caller,
    body: ValidJson<SuggestRequest>,
) -> ApiResult<web::Json<ValueSuggestion>> {
    Ok(web::Json(suggestion_view(&suggest::suggest(
        &body.0.message,
    ))))
}

pub fn suggestion_view(s: &suggest::Suggestion) -> ValueSuggestion {
    ValueSuggestion {
        value: s.value,
        confidence: s.confidence,
        scores: s
            .scores
            .iter()
            .map(|&(v, x)| (v.code().to_owned(), serde_json::json!(x)))
            .collect(),
        cues: s
            .cues
            .iter()
            .map(|(value, cue)| Cue {
                value: *value,
                cue: cue.clone(),
            })
            .collect(),
    }
}
