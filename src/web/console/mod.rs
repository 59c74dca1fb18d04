//! The console: the screens of the people who run the programme (moderators, admins,
//! managers) and every employee's own page, under `/console/`.
//!
//! Pages are rendered on the server and work without JavaScript (`console.js` only adds
//! keyboard shortcuts and small comforts). Every action is a form posted with the session's
//! CSRF token ([`session::Posted`]), answered with a redirect to the page it came from (so a
//! reload never sends it twice). Who may do what is decided exactly as for the API: the same
//! [`crate::auth::Member`], the same oversight rule, the same models and services, inside the
//! same audited transactions.

mod audit;
mod campaigns;
mod directory;
mod home;
mod me;
mod moderation;
pub mod oidc;
mod session;
mod sign_in;
mod team;
mod webhooks;
mod widget_keys;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpResponse, ResponseError, get, web};
use diesel_async::AsyncPgConnection;
use maud::{Markup, html};

pub use session::Signed;

use crate::auth::{Oversight, oversight};
use crate::error::{ApiError, FieldError};
use crate::models::praise;
use crate::state::AppState;

/// Every console route.
pub fn scope() -> actix_web::Scope {
    web::scope("/console")
        .app_data(web::PayloadConfig::new(session::FORM_LIMIT))
        .service(home::root)
        .service(home::home)
        .service(console_css)
        .service(console_js)
        .service(sign_in::sign_in)
        .service(sign_in::start)
        .service(sign_in::callback)
        .service(sign_in::sign_out)
        .service(sign_in::dev_form)
        .service(sign_in::dev_sign_in)
        .service(moderation::queue)
        .service(moderation::approve)
        .service(moderation::reject)
        .service(directory::overview)
        .service(directory::person_page)
        .service(directory::save_person)
        .service(directory::deactivate_person)
        .service(directory::import_form)
        .service(directory::import_preview)
        .service(directory::import_commit)
        .service(directory::scim_tokens_page)
        .service(directory::mint_scim_token)
        .service(directory::revoke_scim_token)
        .service(campaigns::list)
        .service(campaigns::create)
        .service(campaigns::edit)
        .service(campaigns::save)
        .service(campaigns::close)
        .service(widget_keys::list)
        .service(widget_keys::mint)
        .service(widget_keys::revoke)
        .service(webhooks::list)
        .service(webhooks::create)
        .service(webhooks::endpoint_page)
        .service(webhooks::test)
        .service(webhooks::redeliver)
        .service(audit::trail)
        .service(team::report)
        .service(team::print)
        .service(team::person_page)
        .service(me::page_me)
        .service(me::save_notifications)
        .service(me::save_privacy)
        .service(me::card)
        .service(me::export)
        .default_service(web::to(|| async {
            ConsoleError::from(ApiError::not_found("there is no such console page"))
                .error_response()
        }))
}

#[get("/static/console.css")]
async fn console_css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(include_str!("../../../web/static/console.css"))
}

#[get("/static/console.js")]
async fn console_js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(include_str!("../../../web/static/console.js"))
}

/// What went wrong in the console: not signed in (go and sign in), or what the API would have
/// answered, shown as a page.
#[derive(Debug)]
pub enum ConsoleError {
    SignIn { return_to: String },
    Api(ApiError),
}

impl std::fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SignIn { .. } => f.write_str("sign-in needed"),
            Self::Api(e) => e.fmt(f),
        }
    }
}

impl<E: Into<ApiError>> From<E> for ConsoleError {
    fn from(error: E) -> Self {
        Self::Api(error.into())
    }
}

pub type ConsoleResult<T = HttpResponse> = Result<T, ConsoleError>;

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn { .. } => StatusCode::SEE_OTHER,
            Self::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignIn { return_to } => {
                let query = form_urlencoded::Serializer::new(String::new())
                    .append_pair("return_to", return_to)
                    .finish();
                see_other(&format!("/console/sign-in?{query}"))
            }
            Self::Api(error) => {
                match error {
                    ApiError::Internal(cause) => {
                        tracing::error!(error = ?cause, "console request failed")
                    }
                    ApiError::Unavailable(why) => {
                        tracing::warn!(reason = %why, "database unavailable")
                    }
                    _ => {}
                }
                let problem = error.problem();
                let body = html! {
                    main id="main" class="narrow" {
                        h1 { (problem.title) }
                        div class="notice error" role="alert" {
                            p { (problem.detail) }
                            (field_errors(&problem.errors))
                        }
                        p {
                            a href="/console/" { "Back to the console" }
                        }
                    }
                };
                let mut response = HttpResponse::build(error.status_code());
                crate::web::page_headers(&mut response)
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .body(document(&problem.title, body).into_string())
            }
        }
    }
}

/// A list of what is wrong with a form, field by field.
pub fn field_errors(errors: &[FieldError]) -> Markup {
    html! {
        @if !errors.is_empty() {
            ul {
                @for e in errors {
                    li { strong { (e.field) } ": " (e.message) }
                }
            }
        }
    }
}

/// A redirect after a post: the browser asks for `location` with GET.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_owned()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The `<html>` of a console page: our stylesheet and script, nothing from elsewhere.
fn document(title: &str, body: Markup) -> Markup {
    html! {
        (maud::DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { (title) " · Shoutout console" }
                link rel="stylesheet" href="/console/static/console.css";
                script src="/console/static/console.js" defer {}
            }
            body {
                a class="skip" href="#main" { "Skip to the content" }
                (body)
            }
        }
    }
}

/// Which section of the navigation a page belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Home,
    Me,
    Moderation,
    Team,
    Directory,
    Campaigns,
    WidgetKeys,
    Webhooks,
    Audit,
}

/// What the navigation shows a person: only what they may open. Managing a team and
/// moderating are the same reach (the oversight rule), so one look-up decides both.
pub struct Nav {
    /// Customer praise waiting within their reach; `None` when they oversee nothing.
    pub pending: Option<i64>,
    pub admin: bool,
    pub employee: bool,
}

pub async fn nav(conn: &mut AsyncPgConnection, signed: &Signed) -> Result<Nav, ApiError> {
    let reach = oversight(conn, &signed.member).await?;
    nav_for(conn, signed, reach).await
}

/// [`nav`] for a page that has already looked up what the person oversees.
pub async fn nav_for(
    conn: &mut AsyncPgConnection,
    signed: &Signed,
    reach: Oversight,
) -> Result<Nav, ApiError> {
    let pending = match reach {
        Oversight::Nothing => None,
        reach => Some(praise::count_pending(conn, reach.team_ids().as_deref()).await?),
    };
    Ok(Nav {
        pending,
        admin: signed.is_admin(),
        employee: signed.member.employee.is_some(),
    })
}

/// A whole console page for a signed-in person: the navigation (with the moderation count),
/// the sign-out form, a notice from the action just done (`done`), and `body`.
pub async fn page(
    state: &AppState,
    signed: &Signed,
    here: Section,
    title: &str,
    done: Option<&str>,
    body: Markup,
) -> ConsoleResult {
    let mut conn = state.pool.get().await?;
    let nav = nav(&mut conn, signed).await?;
    drop(conn);
    Ok(page_with(&nav, signed, here, title, done, body))
}

/// [`page`] with the navigation already looked up.
pub fn page_with(
    nav: &Nav,
    signed: &Signed,
    here: Section,
    title: &str,
    done: Option<&str>,
    body: Markup,
) -> HttpResponse {
    let link = |section: Section, href: &str, label: Markup| {
        html! {
            li {
                @if section == here {
                    a href=(href) aria-current="page" { (label) }
                } @else {
                    a href=(href) { (label) }
                }
            }
        }
    };
    let who = signed
        .member
        .employee
        .as_ref()
        .map_or(signed.caller().subject.clone(), |e| e.display_name.clone());
    let markup = html! {
        header class="bar" {
            a class="brand" href="/console/" { "Shoutout" }
            nav aria-label="Console" {
                ul {
                    (link(Section::Home, "/console/", html! { "Overview" }))
                    @if nav.employee {
                        (link(Section::Me, "/console/me", html! { "My recognition" }))
                    }
                    @if let Some(count) = nav.pending {
                        (link(Section::Moderation, "/console/moderation", html! {
                            "Moderation " span class="count" { (count) }
                            span class="visually-hidden" { " waiting" }
                        }))
                    }
                    @if nav.pending.is_some() {
                        (link(Section::Team, "/console/team", html! { "Team report" }))
                    }
                    @if nav.admin {
                        (link(Section::Directory, "/console/directory", html! { "Directory" }))
                        (link(Section::Campaigns, "/console/campaigns", html! { "Campaigns" }))
                        (link(Section::WidgetKeys, "/console/widget-keys", html! { "Widget keys" }))
                        (link(Section::Webhooks, "/console/webhooks", html! { "Webhooks" }))
                        (link(Section::Audit, "/console/audit", html! { "Audit trail" }))
                    }
                }
            }
            form class="sign-out" method="post" action="/console/sign-out" {
                (csrf(signed))
                span class="who" { (who) }
                button type="submit" { "Sign out" }
            }
        }
        main id="main" tabindex="-1" {
            h1 { (title) }
            @if let Some(done) = done {
                div class="notice done" role="status" { p { (done) } }
            }
            (body)
        }
    };
    let mut response = HttpResponse::Ok();
    crate::web::page_headers(&mut response)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(document(title, markup).into_string())
}

/// The hidden field every form of a session carries.
pub fn csrf(signed: &Signed) -> Markup {
    html! { input type="hidden" name="csrf" value=(signed.csrf); }
}

/// Runs the block in one transaction whose audit events name the signed-in person, as the
/// API's handlers do for the same changes: `audited!(state, signed, |conn| { ... })` is the
/// block's `Result<_, ApiError>`.
macro_rules! audited {
    ($state:expr, $signed:expr, |$conn:ident| $body:block) => {{
        use diesel_async::AsyncConnection as _;
        let actor = $signed.caller().subject.clone();
        match $state.pool.get().await {
            Err(e) => Err($crate::error::ApiError::from(e)),
            Ok(mut pooled) => {
                pooled
                    .transaction::<_, $crate::error::ApiError, _>(async |$conn| {
                        $crate::models::audit::act_as($conn, &actor).await?;
                        $body
                    })
                    .await
            }
        }
    }};
}
pub(crate) use audited;

/// A date and time for people (UTC, to the minute).
pub fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `<time>` for a moment.
pub fn time(at: chrono::DateTime<chrono::Utc>) -> Markup {
    html! { time datetime=(at.to_rfc3339()) { (when(at)) } }
}

/// The "done" notice a redirect asks for, by key: a link cannot make the console say anything
/// else.
pub fn done_message(key: Option<&str>) -> Option<&'static str> {
    Some(match key? {
        "approved" => "Approved: the praise is published.",
        "rejected" => "Rejected: the praise stays hidden.",
        "saved" => "Saved.",
        "deactivated" => "Deactivated: they can no longer give or be thanked.",
        "created" => "Created.",
        "closed" => "Closed: the campaign ends today.",
        "revoked" => "Revoked, on every instance.",
        "sent" => "Sent: the delivery is queued.",
        "redelivered" => "Queued again.",
        "signed-out" => "You are signed out.",
        _ => return None,
    })
}

/// `?done=` of a redirect.
#[derive(serde::Deserialize)]
pub struct Done {
    pub done: Option<String>,
}
