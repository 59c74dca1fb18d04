//! `GET /praise/{handle}`: the customer's thank-you form for one employee, its own post, the
//! thank-you page, and a friendly 404 for links that no longer work.
//!
//! Accessible by construction: every control has a label, the values are a fieldset with a
//! legend and plain-words hints, errors are listed in a summary announced to screen readers and
//! tied to their fields (`aria-invalid`, `aria-describedby`), and the page works at any width.

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::Utc;
use maud::{Markup, html};

use super::page_headers;
use crate::client;
use crate::domain::HeartValue;
use crate::domain::fields::{CUSTOMER_EMAIL_MAX, CUSTOMER_NAME_MAX, Handle};
use crate::error::{ApiError, FieldError};
use crate::extract::read_body;
use crate::models::employees::EmployeeRow;
use crate::models::praise as store;
use crate::praise::{self, Outcome, Rejection, Submission};
use crate::state::AppState;

/// Largest form body accepted (the fields' own limits are far below it).
const FORM_LIMIT: usize = 16 * 1024;

/// What the customer typed, to fill the form again after an error.
#[derive(Debug, Default)]
struct Entered {
    message: String,
    value: String,
    customer_name: String,
    customer_email: String,
    email_consent: bool,
    private: bool,
}

/// A customer reads pages, not problem documents: whatever fails behind the form is answered
/// as a page (the cause is logged by the error itself).
fn as_page(result: Result<HttpResponse, ApiError>) -> HttpResponse {
    use actix_web::ResponseError;
    match result {
        Ok(response) => response,
        Err(error) => {
            // Logs the cause with the request (the JSON body is dropped).
            let logged = error.error_response();
            let mut page = match error {
                ApiError::Unavailable(_) => message_page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "We could not take your message just now",
                    "Something is briefly out of order on our side. Please go back and send it \
                     again in a minute.",
                ),
                _ => message_page(
                    logged.status(),
                    "Something went wrong",
                    "We could not show this page. Please go back and try again in a minute.",
                ),
            };
            if let Some(retry) = logged.headers().get(header::RETRY_AFTER) {
                page.headers_mut()
                    .insert(header::RETRY_AFTER, retry.clone());
            }
            page
        }
    }
}

#[get("/praise/{handle}")]
pub async fn form(state: web::Data<AppState>, handle: web::Path<String>) -> HttpResponse {
    as_page(show_form(&state, handle.into_inner()).await)
}

async fn show_form(state: &AppState, handle: String) -> Result<HttpResponse, ApiError> {
    let Some(employee) = lookup(state, &handle).await? else {
        return Ok(not_found_page());
    };
    Ok(form_page(
        state,
        &handle,
        &employee,
        &Entered::default(),
        &[],
        StatusCode::OK,
    ))
}

#[post("/praise/{handle}")]
pub async fn send(
    state: web::Data<AppState>,
    req: HttpRequest,
    handle: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    as_page(receive(&state, &req, handle.into_inner(), payload).await)
}

async fn receive(
    state: &AppState,
    req: &HttpRequest,
    handle: String,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = match read_body(req, payload.into_inner(), FORM_LIMIT).await {
        Ok(body) => body,
        Err(ApiError::PayloadTooLarge(_)) => {
            return Ok(message_page(
                StatusCode::PAYLOAD_TOO_LARGE,
                "That message is too long",
                "Please go back and shorten your message, then send it again.",
            ));
        }
        Err(e) => return Err(e),
    };
    // Repeated or unknown fields are ignored: the last of a repeated one counts.
    let fields: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let entered = Entered {
        message: field("message"),
        value: field("value"),
        customer_name: field("customer_name"),
        customer_email: field("customer_email"),
        email_consent: !field("email_consent").is_empty(),
        private: !field("private").is_empty(),
    };
    let value = match chosen_value(&entered.value) {
        Ok(value) => value,
        Err(error) => return render_errors(state, &handle, &entered, vec![error]).await,
    };
    let submission = Submission {
        handle: handle.clone(),
        message: entered.message.clone(),
        value,
        customer_name: Some(entered.customer_name.clone()),
        customer_email: Some(entered.customer_email.clone()),
        email_consent: entered.email_consent,
        private: entered.private,
        challenge: field("challenge"),
        solution: field("solution"),
        website: fields.get("website").cloned(),
    };
    let client = client::address(req, &state.config.trusted_proxies);
    match praise::submit(&state.pool, &state.praise, client, submission, Utc::now()).await {
        // A bot is thanked like anyone else and learns nothing.
        Ok(Outcome::Stored { .. } | Outcome::Duplicate { .. } | Outcome::Trapped { .. }) => {
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/praise/{handle}/thanks")))
                .finish())
        }
        Err(Rejection::Invalid(errors)) => render_errors(state, &handle, &entered, errors).await,
        Err(Rejection::UnknownHandle) => Ok(not_found_page()),
        Err(Rejection::Limited(limited)) => Ok(wait_page(limited.retry_after_secs)),
        Err(Rejection::Api(error)) => Err(error),
    }
}

/// The value the form's radio buttons chose: none, or one of the five.
fn chosen_value(code: &str) -> Result<Option<HeartValue>, FieldError> {
    if code.is_empty() {
        return Ok(None);
    }
    HeartValue::ALL
        .iter()
        .find(|v| v.code() == code)
        .map(|&v| Some(v))
        .ok_or_else(|| FieldError::new("value", "choose one of the five values, or none"))
}

/// Too much praise from one place for now: a page that says when to try again.
fn wait_page(retry_after_secs: u64) -> HttpResponse {
    let mut response = message_page(
        StatusCode::TOO_MANY_REQUESTS,
        "Please wait a moment",
        &format!(
            "We have received a lot of messages from here just now. Please try again in {}.",
            human_wait(retry_after_secs)
        ),
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from(retry_after_secs),
    );
    response
}

#[get("/praise/{handle}/thanks")]
pub async fn thanks(state: web::Data<AppState>, handle: web::Path<String>) -> HttpResponse {
    as_page(thank(&state, handle.into_inner()).await)
}

async fn thank(state: &AppState, handle: String) -> Result<HttpResponse, ApiError> {
    let employee = lookup(state, &handle).await?;
    let name = employee.map(|e| e.display_name);
    let body = html! {
        h1 class="done" { "Thank you!" }
        p {
            "Your message "
            @if let Some(name) = &name { "for " strong { (name) } " " }
            "has been received. A moderator reads every message before it is shared with the team, "
            "usually within a working day."
        }
        p { "Kind words like yours are what make people's work worth doing." }
    };
    Ok(page_headers(&mut HttpResponse::Ok())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(layout("Thank you", body).into_string()))
}

async fn lookup(state: &AppState, handle: &str) -> Result<Option<EmployeeRow>, ApiError> {
    // A handle is 22 characters; anything far longer is nobody's, without asking the database.
    if Handle::parse(handle).is_err() {
        return Ok(None);
    }
    let mut conn = state.pool.get().await?;
    Ok(store::find_by_handle(&mut conn, handle).await?)
}

async fn render_errors(
    state: &AppState,
    handle: &str,
    entered: &Entered,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, ApiError> {
    let Some(employee) = lookup(state, handle).await? else {
        return Ok(not_found_page());
    };
    Ok(form_page(
        state,
        handle,
        &employee,
        entered,
        &errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}

fn human_wait(seconds: u64) -> String {
    match seconds {
        0..=1 => "a second".into(),
        2..=59 => format!("{seconds} seconds"),
        60..=119 => "a minute".into(),
        _ => format!("{} minutes", seconds.div_ceil(60)),
    }
}

fn form_page(
    state: &AppState,
    handle: &str,
    employee: &EmployeeRow,
    entered: &Entered,
    errors: &[FieldError],
    status: StatusCode,
) -> HttpResponse {
    let issued = state.praise.challenges.issue(employee.id, Utc::now());
    let min_fill_ms = state.praise.challenges.min_fill.num_milliseconds();
    let error_of = |field: &str| errors.iter().find(|e| e.field == field).map(|e| &e.message);
    // Problems with the hidden fields are the page's, not the customer's: say so plainly.
    let form_error = error_of("challenge")
        .or(error_of("solution"))
        .or(error_of("handle"));
    let name = &employee.display_name;
    let body = html! {
        h1 { "Say thank you to " (name) }
        p class="lead" {
            "Tell " (name) " what they did well. It takes a minute, and you do not need an account."
        }
        @if !errors.is_empty() {
            div class="summary" role="alert" aria-labelledby="summary-title" tabindex="-1" id="error-summary" {
                h2 id="summary-title" { "Please check your message" }
                ul {
                    @for e in errors {
                        li {
                            @match field_id(&e.field) {
                                Some(id) => a href={ "#" (id) } { (label_of(&e.field)) ": " (e.message) },
                                None => { "This form has expired. We have refreshed it: please press Send again." },
                            }
                        }
                    }
                }
            }
        }
        form id="praise-form" method="post" action={ "/praise/" (handle) }
            data-bits=(issued.bits) data-min-fill-ms=(min_fill_ms) {
            div class="field" {
                label for="message" { "Your message (required)" }
                span class="hint" id="message-hint" { "What did " (name) " do that you want to thank them for? Up to 1,000 characters." }
                @if let Some(e) = error_of("message") { span class="error" id="message-error" { "Error: " (e) } }
                textarea id="message" name="message" required maxlength="1000" rows="6"
                    aria-describedby={ "message-hint" @if error_of("message").is_some() { " message-error" } }
                    aria-invalid=(error_of("message").is_some()) { (entered.message) }
            }
            fieldset aria-describedby="value-hint" {
                legend { "What did they show? (optional)" }
                span class="hint" id="value-hint" { "Pick the one that fits best, or leave it to us." }
                @if let Some(e) = error_of("value") { span class="error" id="value-error" { "Error: " (e) } }
                @for v in HeartValue::ALL {
                    div class="choice" {
                        input type="radio" name="value" id={ "value-" (v.code()) } value=(v.code())
                            checked[entered.value == v.code()] aria-describedby={ "value-" (v.code()) "-hint" };
                        div {
                            label for={ "value-" (v.code()) } { (v.label()) }
                            span class="hint" id={ "value-" (v.code()) "-hint" } { (v.description()) }
                        }
                    }
                }
                div class="choice" {
                    input type="radio" name="value" id="value-none" value="" checked[entered.value.is_empty()];
                    label for="value-none" { "Not sure: let us choose" }
                }
            }
            div class="field" {
                label for="customer_name" { "Your name (optional)" }
                span class="hint" id="customer_name-hint" { "Shown with your message, if you give it." }
                @if let Some(e) = error_of("customer_name") { span class="error" id="customer_name-error" { "Error: " (e) } }
                input type="text" id="customer_name" name="customer_name" autocomplete="name" maxlength=(CUSTOMER_NAME_MAX)
                    value=(entered.customer_name)
                    aria-describedby={ "customer_name-hint" @if error_of("customer_name").is_some() { " customer_name-error" } }
                    aria-invalid=(error_of("customer_name").is_some());
            }
            div class="field" {
                label for="customer_email" { "Your e-mail (optional)" }
                span class="hint" id="customer_email-hint" { "Only our moderators see it, in case they need to ask you something. We never publish it, and will delete it if you ask." }
                @if let Some(e) = error_of("customer_email") { span class="error" id="customer_email-error" { "Error: " (e) } }
                input type="email" id="customer_email" name="customer_email" autocomplete="email" maxlength=(CUSTOMER_EMAIL_MAX)
                    value=(entered.customer_email)
                    aria-describedby={ "customer_email-hint" @if error_of("customer_email").is_some() { " customer_email-error" } }
                    aria-invalid=(error_of("customer_email").is_some());
            }
            div class="field" {
                @if let Some(e) = error_of("email_consent") { span class="error" id="email_consent-error" { "Error: " (e) } }
                label for="email_consent" {
                    input type="checkbox" id="email_consent" name="email_consent" value="yes" checked[entered.email_consent]
                        aria-describedby={ @if error_of("email_consent").is_some() { "email_consent-error" } };
                    " Send me one e-mail when my thanks reaches " (name) " (nothing else, ever)"
                }
            }
            div class="field" {
                label for="private" {
                    input type="checkbox" id="private" name="private" value="yes" checked[entered.private];
                    " Keep my thanks private: only " (name) " and their managers see it, never the public wall"
                }
            }
            div class="hp" aria-hidden="true" {
                label for="website" { "Leave this field empty" }
                input type="text" id="website" name="website" tabindex="-1" autocomplete="off";
            }
            input type="hidden" name="challenge" value=(issued.token);
            input type="hidden" name="solution" value="";
            @if form_error.is_some() { p class="error" { "Please press Send again." } }
            p class="needs-js" { "This form needs JavaScript switched on: it runs a short check in your browser that keeps robots out." }
            button type="submit" { "Send my thanks" }
            p class="status" id="form-status" role="status" aria-live="polite" {}
            p class="privacy" { "Your message is read by a moderator before " (name) "'s colleagues see it." }
        }
        script src="/static/praise.js" defer {}
    };
    page_headers(&mut HttpResponse::build(status))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(layout(&format!("Say thank you to {name}"), body).into_string())
}

/// The input a field error points at (None for the hidden fields).
fn field_id(field: &str) -> Option<&'static str> {
    Some(match field {
        "message" => "message",
        "value" => "value-none",
        "customer_name" => "customer_name",
        "customer_email" => "customer_email",
        "email_consent" => "email_consent",
        _ => return None,
    })
}

fn label_of(field: &str) -> &'static str {
    match field {
        "message" => "Your message",
        "value" => "What they showed",
        "customer_name" => "Your name",
        "customer_email" => "Your e-mail",
        "email_consent" => "Send me one e-mail",
        _ => "The form",
    }
}

/// Unknown, rotated or retired links: a kind page, not an error code.
pub fn not_found_page() -> HttpResponse {
    message_page(
        StatusCode::NOT_FOUND,
        "This thank-you link does not work any more",
        "The person may have a new link, or the address may have been copied incompletely. \
         Please ask them, or the team you dealt with, for their current link.",
    )
}

fn message_page(status: StatusCode, title: &str, text: &str) -> HttpResponse {
    let body = html! {
        h1 { (title) }
        p { (text) }
    };
    page_headers(&mut HttpResponse::build(status))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(layout(title, body).into_string())
}

fn layout(title: &str, body: Markup) -> Markup {
    super::document(title, "/static/praise.css", html! { main { (body) } })
}
