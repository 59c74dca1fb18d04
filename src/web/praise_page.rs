//! `GET /praise/{handle}`: the customer's thank-you form for one employee, its own post, the
//! thank-you page, and a friendly 404 for links that no longer work.
//!
//! Accessible by construction: every control has a label, the values are a fieldset with a
//! legend and plain-words hints, errors are listed in a summary announced to screen readers and
//! tied to their fields (`aria-invalid`, `aria-describedby`), and the page works at any width.
//!
//! In the customer's language ([`i18n`]): the one they picked (`?lang=`, which the form
//! carries on), else their browser's; every page has a language picker.
//!
//! When the customer leaves the value to us and the suggester is unsure of it, the form comes
//! back asking them to choose; if they still leave it to us, the suggestion is stored and the
//! moderator sees how unsure it was.

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::Utc;
use maud::{Markup, html};

use super::i18n::{self, Arg, Language};
use super::page_headers;
use crate::client;
use crate::domain::fields::{CUSTOMER_EMAIL_MAX, CUSTOMER_NAME_MAX, Handle, Message};
use crate::domain::text::MESSAGE_MAX;
use crate::domain::{HeartValue, suggest};
use crate::error::{ApiError, FieldError};
use crate::extract::read_body;
use crate::models::employees::EmployeeRow;
use crate::models::praise as store;
use crate::praise::{self, Outcome, Rejection, Submission};
use crate::state::AppState;

/// The reason of the `value` error the form raises itself when it asks the customer to choose
/// (the page explains it in the customer's words).
const ASKING: &str = "the message does not say which value it shows; choose one";

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
    /// The form already asked them to choose a value, and they may leave it to us anyway.
    asked: bool,
}

/// The page's language: `?lang=` (or the form's `lang` field), else the browser's.
fn language_of(req: &HttpRequest, chosen: Option<&str>) -> &'static Language {
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    i18n::negotiate(chosen, accept)
}

#[derive(Debug, serde::Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

/// `?lang=` as sent; anything unreadable counts as not given (the page still shows).
fn lang_query(req: &HttpRequest) -> Option<String> {
    web::Query::<LangQuery>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.into_inner().lang)
}

/// A customer reads pages, not problem documents: whatever fails behind the form is answered
/// as a page (the cause is logged by the error itself).
fn as_page(lang: &Language, result: Result<HttpResponse, ApiError>) -> HttpResponse {
    use actix_web::ResponseError;
    match result {
        Ok(response) => response,
        Err(error) => {
            // Logs the cause with the request (the JSON body is dropped).
            let logged = error.error_response();
            let mut page = match error {
                ApiError::Unavailable(_) => {
                    message_page(lang, StatusCode::SERVICE_UNAVAILABLE, "unavailable", None)
                }
                _ => message_page(lang, logged.status(), "failed", None),
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
pub async fn form(
    state: web::Data<AppState>,
    req: HttpRequest,
    handle: web::Path<String>,
) -> HttpResponse {
    let lang = language_of(&req, lang_query(&req).as_deref());
    as_page(lang, show_form(&state, lang, handle.into_inner()).await)
}

async fn show_form(
    state: &AppState,
    lang: &Language,
    handle: String,
) -> Result<HttpResponse, ApiError> {
    let Some(employee) = lookup(state, &handle).await? else {
        return Ok(not_found_page(lang));
    };
    Ok(form_page(
        state,
        lang,
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
    let fallback = language_of(&req, lang_query(&req).as_deref());
    as_page(
        fallback,
        receive(&state, &req, fallback, handle.into_inner(), payload).await,
    )
}

/// `fallback` is the page's language before the form is read (which may choose another).
async fn receive(
    state: &AppState,
    req: &HttpRequest,
    fallback: &Language,
    handle: String,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = match read_body(req, payload.into_inner(), FORM_LIMIT).await {
        Ok(body) => body,
        Err(ApiError::PayloadTooLarge(_)) => {
            return Ok(message_page(
                fallback,
                StatusCode::PAYLOAD_TOO_LARGE,
                "too-long",
                None,
            ));
        }
        Err(e) => return Err(e),
    };
    // Repeated or unknown fields are ignored: the last of a repeated one counts.
    let fields: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let lang = language_of(req, fields.get("lang").map(String::as_str));
    let entered = Entered {
        message: field("message"),
        value: field("value"),
        customer_name: field("customer_name"),
        customer_email: field("customer_email"),
        email_consent: !field("email_consent").is_empty(),
        private: !field("private").is_empty(),
        asked: !field("asked").is_empty(),
    };
    let value = match chosen_value(&entered.value) {
        Ok(value) => value,
        Err(error) => return render_errors(state, lang, &handle, &entered, vec![error]).await,
    };
    // Left to us, and we cannot tell: ask once, before anything is spent on the submission.
    // Not a bot that filled the honeypot: it is thanked and dropped, as ever, by `submit`.
    let honeypot = fields.get("website").is_some_and(|w| !w.trim().is_empty());
    if value.is_none()
        && !entered.asked
        && !honeypot
        && let Ok(message) = Message::parse(&entered.message)
        && suggest::suggest(message.as_str()).unsure
    {
        let asking = FieldError::new("value", ASKING);
        let entered = Entered {
            asked: true,
            ..entered
        };
        return render_errors(state, lang, &handle, &entered, vec![asking]).await;
    }
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
                .insert_header((
                    header::LOCATION,
                    format!("/praise/{handle}/thanks?lang={}", lang.tag),
                ))
                .finish())
        }
        Err(Rejection::Invalid(errors)) => {
            render_errors(state, lang, &handle, &entered, errors).await
        }
        Err(Rejection::UnknownHandle) => Ok(not_found_page(lang)),
        Err(Rejection::Limited(limited)) => Ok(wait_page(lang, limited.retry_after_secs)),
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
fn wait_page(lang: &Language, retry_after_secs: u64) -> HttpResponse {
    let wait = match retry_after_secs {
        0..=59 => lang.t_with(
            "wait-seconds",
            &[("n", Arg::Count(retry_after_secs.max(1)))],
        ),
        _ => lang.t_with(
            "wait-minutes",
            &[("n", Arg::Count(retry_after_secs.div_ceil(60)))],
        ),
    };
    let mut response = message_page(
        lang,
        StatusCode::TOO_MANY_REQUESTS,
        "wait",
        Some(&[("wait", Arg::Text(&wait))]),
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from(retry_after_secs),
    );
    response
}

#[get("/praise/{handle}/thanks")]
pub async fn thanks(
    state: web::Data<AppState>,
    req: HttpRequest,
    handle: web::Path<String>,
) -> HttpResponse {
    let lang = language_of(&req, lang_query(&req).as_deref());
    as_page(lang, thank(&state, lang, handle.into_inner()).await)
}

async fn thank(
    state: &AppState,
    lang: &Language,
    handle: String,
) -> Result<HttpResponse, ApiError> {
    let employee = lookup(state, &handle).await?;
    let today = Utc::now()
        .with_timezone(&state.config.timezone)
        .date_naive();
    let by = lang.date(i18n::next_working_day(today));
    let received = match &employee {
        Some(e) => lang.t_with("thanks-received", &[("name", Arg::Text(&e.display_name))]),
        None => lang.t("thanks-received-anonymous"),
    };
    let body = html! {
        h1 class="done" { (lang.t("thanks-title")) }
        p { (received) " " (lang.t_with("thanks-moderation", &[("date", Arg::Text(&by))])) }
        p { (lang.t("thanks-closing")) }
    };
    Ok(page_response(lang, StatusCode::OK).body(
        layout(
            lang,
            &format!("/praise/{handle}/thanks"),
            &lang.t("thanks-title"),
            body,
        )
        .into_string(),
    ))
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
    lang: &Language,
    handle: &str,
    entered: &Entered,
    errors: Vec<FieldError>,
) -> Result<HttpResponse, ApiError> {
    let Some(employee) = lookup(state, handle).await? else {
        return Ok(not_found_page(lang));
    };
    Ok(form_page(
        state,
        lang,
        handle,
        &employee,
        entered,
        &errors,
        StatusCode::UNPROCESSABLE_ENTITY,
    ))
}

/// What to tell the customer about a field, in their language. The checks behind the form
/// speak English to API clients; the page says the same thing from what was typed.
fn explain(lang: &Language, error: &FieldError, entered: &Entered) -> String {
    let count = |max: usize| lang.number(max as u64);
    match error.field.as_str() {
        "message" if entered.message.trim().is_empty() => lang.t("error-message-empty"),
        "message" if entered.message.trim().chars().count() > MESSAGE_MAX => lang.t_with(
            "error-message-too-long",
            &[("max", Arg::Text(&count(MESSAGE_MAX)))],
        ),
        "message" => lang.t("error-message-invalid"),
        "customer_name" if entered.customer_name.trim().chars().count() > CUSTOMER_NAME_MAX => lang
            .t_with(
                "error-name-too-long",
                &[("max", Arg::Text(&count(CUSTOMER_NAME_MAX)))],
            ),
        "customer_name" => lang.t("error-name-invalid"),
        "customer_email" => lang.t("error-email-invalid"),
        "email_consent" => lang.t("error-consent-needs-email"),
        "value" if error.message == ASKING => lang.t("error-value-unsure"),
        "value" => lang.t("error-value-invalid"),
        _ => lang.t("summary-expired"),
    }
}

fn form_page(
    state: &AppState,
    lang: &Language,
    handle: &str,
    employee: &EmployeeRow,
    entered: &Entered,
    errors: &[FieldError],
    status: StatusCode,
) -> HttpResponse {
    let issued = state.praise.challenges.issue(employee.id, Utc::now());
    let min_fill_ms = state.praise.challenges.min_fill.num_milliseconds();
    let error_of = |field: &str| {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| explain(lang, e, entered))
    };
    // Problems with the hidden fields are the page's, not the customer's: say so plainly.
    let form_error = error_of("challenge")
        .or(error_of("solution"))
        .or(error_of("handle"));
    let name = employee.display_name.as_str();
    let with_name = |key: &str| lang.t_with(key, &[("name", Arg::Text(name))]);
    let error_line =
        |message: &str| lang.t_with("error-prefix", &[("message", Arg::Text(message))]);
    let title = with_name("form-title");
    let body = html! {
        h1 { (title) }
        p class="lead" { (with_name("form-lead")) }
        @if !errors.is_empty() {
            div class="summary" role="alert" aria-labelledby="summary-title" tabindex="-1" id="error-summary" {
                h2 id="summary-title" { (lang.t("summary-title")) }
                ul {
                    @for e in errors {
                        li {
                            @match field_id(&e.field) {
                                Some(id) => a href={ "#" (id) } {
                                    (lang.t(&format!("field-{}", e.field))) ": " (explain(lang, e, entered))
                                },
                                None => { (lang.t("summary-expired")) },
                            }
                        }
                    }
                }
            }
        }
        form id="praise-form" method="post" action={ "/praise/" (handle) }
            data-bits=(issued.bits) data-min-fill-ms=(min_fill_ms) data-sending=(lang.t("sending")) {
            input type="hidden" name="lang" value=(lang.tag);
            div class="field" {
                label for="message" { (lang.t("message-label")) }
                span class="hint" id="message-hint" {
                    (lang.t_with("message-hint", &[("name", Arg::Text(name)), ("max", Arg::Text(&lang.number(MESSAGE_MAX as u64)))]))
                }
                @if let Some(e) = error_of("message") { span class="error" id="message-error" { (error_line(&e)) } }
                textarea id="message" name="message" required maxlength=(MESSAGE_MAX) rows="6"
                    aria-describedby={ "message-hint" @if error_of("message").is_some() { " message-error" } }
                    aria-invalid=(error_of("message").is_some()) { (entered.message) }
            }
            fieldset aria-describedby={ "value-hint" @if error_of("value").is_some() { " value-error" } } {
                legend { (lang.t("value-legend")) }
                span class="hint" id="value-hint" { (lang.t("value-hint")) }
                @if let Some(e) = error_of("value") { span class="error" id="value-error" { (error_line(&e)) } }
                @for v in HeartValue::ALL {
                    div class="choice" {
                        input type="radio" name="value" id={ "value-" (v.code()) } value=(v.code())
                            checked[entered.value == v.code()] aria-describedby={ "value-" (v.code()) "-hint" };
                        div {
                            label for={ "value-" (v.code()) } { (lang.t(&format!("value-{}", v.code()))) }
                            span class="hint" id={ "value-" (v.code()) "-hint" } { (lang.t(&format!("value-{}-hint", v.code()))) }
                        }
                    }
                }
                div class="choice" {
                    input type="radio" name="value" id="value-none" value="" checked[entered.value.is_empty()];
                    label for="value-none" { (lang.t("value-none")) }
                }
            }
            @if entered.asked { input type="hidden" name="asked" value="yes"; }
            div class="field" {
                label for="customer_name" { (lang.t("name-label")) }
                span class="hint" id="customer_name-hint" { (lang.t("name-hint")) }
                @if let Some(e) = error_of("customer_name") { span class="error" id="customer_name-error" { (error_line(&e)) } }
                input type="text" id="customer_name" name="customer_name" autocomplete="name" maxlength=(CUSTOMER_NAME_MAX)
                    value=(entered.customer_name)
                    aria-describedby={ "customer_name-hint" @if error_of("customer_name").is_some() { " customer_name-error" } }
                    aria-invalid=(error_of("customer_name").is_some());
            }
            div class="field" {
                label for="customer_email" { (lang.t("email-label")) }
                span class="hint" id="customer_email-hint" { (lang.t("email-hint")) }
                @if let Some(e) = error_of("customer_email") { span class="error" id="customer_email-error" { (error_line(&e)) } }
                input type="email" id="customer_email" name="customer_email" autocomplete="email" maxlength=(CUSTOMER_EMAIL_MAX)
                    value=(entered.customer_email)
                    aria-describedby={ "customer_email-hint" @if error_of("customer_email").is_some() { " customer_email-error" } }
                    aria-invalid=(error_of("customer_email").is_some());
            }
            div class="field" {
                @if let Some(e) = error_of("email_consent") { span class="error" id="email_consent-error" { (error_line(&e)) } }
                label for="email_consent" {
                    input type="checkbox" id="email_consent" name="email_consent" value="yes" checked[entered.email_consent]
                        aria-describedby={ @if error_of("email_consent").is_some() { "email_consent-error" } };
                    " " (with_name("consent-label"))
                }
            }
            div class="field" {
                label for="private" {
                    input type="checkbox" id="private" name="private" value="yes" checked[entered.private];
                    " " (with_name("private-label"))
                }
            }
            div class="hp" aria-hidden="true" {
                label for="website" { (lang.t("honeypot-label")) }
                input type="text" id="website" name="website" tabindex="-1" autocomplete="off";
            }
            input type="hidden" name="challenge" value=(issued.token);
            input type="hidden" name="solution" value="";
            @if form_error.is_some() { p class="error" { (lang.t("press-send-again")) } }
            p class="needs-js" { (lang.t("needs-js")) }
            button type="submit" { (lang.t("send")) }
            p class="status" id="form-status" role="status" aria-live="polite" {}
            p class="privacy" { (with_name("privacy-note")) }
        }
        script src="/static/praise.js" defer {}
    };
    page_response(lang, status)
        .body(layout(lang, &format!("/praise/{handle}"), &title, body).into_string())
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

/// Unknown, rotated or retired links: a kind page, not an error code.
pub fn not_found_page(lang: &Language) -> HttpResponse {
    message_page(lang, StatusCode::NOT_FOUND, "gone", None)
}

/// A page of a title and a sentence: `{key}-title` and `{key}-text` in the catalogue.
fn message_page(
    lang: &Language,
    status: StatusCode,
    key: &str,
    args: Option<&[(&str, Arg)]>,
) -> HttpResponse {
    let title = lang.t(&format!("{key}-title"));
    let text = lang.t_with(&format!("{key}-text"), args.unwrap_or(&[]));
    let body = html! {
        h1 { (title) }
        p { (text) }
    };
    page_response(lang, status).body(layout(lang, "", &title, body).into_string())
}

/// The headers of every page here: the page's language, and that it depends on the browser's.
fn page_response(lang: &Language, status: StatusCode) -> actix_web::HttpResponseBuilder {
    let mut response = HttpResponse::build(status);
    page_headers(&mut response)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_LANGUAGE, lang.tag))
        .insert_header((header::VARY, "Accept-Language"));
    response
}

/// The page around `body`, with the language picker. `path` is where the picker's links go
/// (the page itself); empty where a page has no address of its own to go back to (an error
/// page answering a POST), and the picker is left out.
fn layout(lang: &Language, path: &str, title: &str, body: Markup) -> Markup {
    let picker = html! {
        @if !path.is_empty() {
            nav class="languages" aria-label=(lang.t("language-nav")) {
                ul {
                    @for other in i18n::all() {
                        li {
                            @if other.tag == lang.tag {
                                span aria-current="true" lang=(other.tag) { (other.name) }
                            } @else {
                                a href={ (path) "?lang=" (other.tag) } lang=(other.tag) hreflang=(other.tag) { (other.name) }
                            }
                        }
                    }
                }
            }
        }
    };
    super::document_in(
        lang.tag,
        title,
        "/static/praise.css",
        html! { (picker) main { (body) } },
    )
}
