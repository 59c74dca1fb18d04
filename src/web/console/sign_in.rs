//! Signing in and out: the identity provider's flow (see [`super::oidc`]), and with `--demo`
//! outside production a development sign-in that picks a demo person.

use actix_web::cookie::time;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use maud::html;
use serde::Deserialize;

use super::oidc::Provider;
use super::session::{self, Nothing, Posted, SESSION_COOKIE, SIGN_IN_COOKIE, safe_return};
use super::{ConsoleError, ConsoleResult, done_message};
use crate::auth::Role;
use crate::error::{ApiError, FieldError};
use crate::models::console::{self as store, SignInRow};
use crate::models::employees::{self, EmployeeFilter};
use crate::state::AppState;

/// How long a sign-in may take at the identity provider.
const SIGN_IN_MINUTES: i64 = 10;

#[derive(Deserialize)]
pub struct SignInQuery {
    return_to: Option<String>,
    done: Option<String>,
}

/// A page outside the signed-in console (sign-in, its errors).
fn plain_page(
    status: actix_web::http::StatusCode,
    title: &str,
    body: maud::Markup,
) -> HttpResponse {
    let markup = html! {
        main id="main" class="narrow" tabindex="-1" {
            h1 { (title) }
            (body)
        }
    };
    let mut response = HttpResponse::build(status);
    crate::web::page_headers(&mut response)
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(super::document(title, markup).into_string())
}

#[get("/sign-in")]
pub async fn sign_in(
    state: web::Data<AppState>,
    provider: web::Data<Option<Provider>>,
    query: web::Query<SignInQuery>,
) -> HttpResponse {
    let return_to = safe_return(query.return_to.as_deref());
    let encoded = form_urlencoded::Serializer::new(String::new())
        .append_pair("return_to", &return_to)
        .finish();
    let dev = state.config.console_dev_sign_in();
    let body = html! {
        @if let Some(done) = done_message(query.done.as_deref()) {
            div class="notice done" role="status" { p { (done) } }
        }
        p { "The console is where moderators, managers and admins run Shoutout, and where everyone finds the recognition they received." }
        @if provider.is_some() {
            p { a class="button primary" href={ "/console/sign-in/start?" (encoded) } { "Sign in with your company account" } }
        }
        @if dev {
            p { a class="button" href={ "/console/dev-sign-in?" (encoded) } { "Development sign-in (demo data)" } }
        }
        @if provider.is_none() && !dev {
            div class="notice error" role="alert" {
                p { "Sign-in is not set up: an operator sets SHOUTOUT_OIDC_ISSUER and SHOUTOUT_OIDC_CLIENT_ID." }
            }
        }
    };
    plain_page(actix_web::http::StatusCode::OK, "Sign in", body)
}

#[get("/sign-in/start")]
pub async fn start(
    state: web::Data<AppState>,
    provider: web::Data<Option<Provider>>,
    query: web::Query<SignInQuery>,
) -> ConsoleResult {
    let Some(provider) = provider.as_ref() else {
        return Err(ApiError::not_found("sign-in with an identity provider is not set up").into());
    };
    let started = provider.start().await.map_err(|e| {
        tracing::warn!(error = %e, "the identity provider cannot be reached");
        ApiError::Unavailable(
            "the identity provider cannot be reached just now; try again in a minute".into(),
        )
    })?;
    let secret = session::new_secret();
    let row = SignInRow {
        id_hash: session::hash(&secret),
        state: started.state,
        nonce: started.nonce,
        pkce_verifier: started.pkce_verifier,
        return_to: safe_return(query.return_to.as_deref()),
        expires_at: chrono::Utc::now() + chrono::Duration::minutes(SIGN_IN_MINUTES),
    };
    let mut conn = state.pool.get().await?;
    store::sweep(&mut conn).await?;
    store::start_sign_in(&mut conn, &row).await?;
    Ok(HttpResponse::SeeOther()
        .cookie(session::cookie(
            &state.config,
            SIGN_IN_COOKIE,
            secret,
            time::Duration::minutes(SIGN_IN_MINUTES),
        ))
        .insert_header((actix_web::http::header::LOCATION, started.url.to_string()))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .finish())
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

fn refused(why: impl Into<String>) -> HttpResponse {
    let why = why.into();
    tracing::info!(reason = %why, "console sign-in refused");
    plain_page(
        actix_web::http::StatusCode::BAD_REQUEST,
        "Sign-in did not complete",
        html! {
            div class="notice error" role="alert" { p { (why) } }
            p { a class="button primary" href="/console/sign-in" { "Try again" } }
        },
    )
}

/// Where the identity provider sends the browser back: the code is traded only when the
/// browser that comes back is the one that left (its sign-in cookie) and `state` matches; the
/// sign-in under way is used up either way.
#[get("/callback")]
pub async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    provider: web::Data<Option<Provider>>,
    query: web::Query<Callback>,
) -> ConsoleResult {
    let Some(provider) = provider.as_ref() else {
        return Err(ApiError::not_found("sign-in with an identity provider is not set up").into());
    };
    let Some(cookie) = req.cookie(SIGN_IN_COOKIE) else {
        return Ok(refused(
            "this browser did not start a sign-in (or took longer than ten minutes)",
        ));
    };
    let mut conn = state.pool.get().await?;
    let Some(pending) = store::take_sign_in(&mut conn, &session::hash(cookie.value())).await?
    else {
        return Ok(refused(
            "this sign-in has already been used or has expired: start again",
        ));
    };
    drop(conn);
    if let Some(error) = &query.error {
        return Ok(refused(format!(
            "the identity provider answered `{error}`{}",
            query
                .error_description
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        )));
    }
    let (Some(code), Some(returned)) = (&query.code, &query.state) else {
        return Ok(refused("the identity provider sent no code or no state"));
    };
    if returned.as_bytes() != pending.state.as_bytes() {
        return Ok(refused(
            "the `state` does not match the sign-in this browser started",
        ));
    }
    let identity = match provider
        .finish(code, &pending.pkce_verifier, &pending.nonce)
        .await
    {
        Ok(identity) => identity,
        Err(e) => return Ok(refused(e.to_string())),
    };
    let cookie = session::begin(&state, &req, identity.subject, identity.roles, "oidc").await?;
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .cookie(session::removal(&state.config, SIGN_IN_COOKIE))
        .insert_header((actix_web::http::header::LOCATION, pending.return_to))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .finish())
}

#[post("/sign-out")]
pub async fn sign_out(state: web::Data<AppState>, posted: Posted<Nothing>) -> ConsoleResult {
    let mut conn = state.pool.get().await?;
    store::end_session(&mut conn, &posted.signed.id_hash).await?;
    Ok(HttpResponse::SeeOther()
        .cookie(session::removal(&state.config, SESSION_COOKIE))
        .insert_header((
            actix_web::http::header::LOCATION,
            "/console/sign-in?done=signed-out",
        ))
        .finish())
}

fn dev_only(state: &AppState) -> Result<(), ConsoleError> {
    if state.config.console_dev_sign_in() {
        Ok(())
    } else {
        Err(ApiError::not_found(
            "the development sign-in exists only with --demo, outside production",
        )
        .into())
    }
}

/// The development sign-in: pick a person of the demo directory. The form is bound to the
/// browser by a cookie it must echo (no session exists yet to carry a CSRF token).
#[get("/dev-sign-in")]
pub async fn dev_form(state: web::Data<AppState>, query: web::Query<SignInQuery>) -> ConsoleResult {
    dev_only(&state)?;
    let mut conn = state.pool.get().await?;
    let people = employees::search(
        &mut conn,
        &EmployeeFilter {
            q: None,
            team_ids: None,
            active: Some(true),
            after: None,
            limit: 500,
        },
    )
    .await?;
    let secret = session::new_secret();
    let body = html! {
        p { "For trying the console on demo data: there is no password. This page does not exist in production mode." }
        form method="post" action="/console/dev-sign-in" class="stack" {
            input type="hidden" name="token" value=(secret);
            input type="hidden" name="return_to" value=(safe_return(query.return_to.as_deref()));
            label for="person" { "Person" }
            select id="person" name="external_id" required {
                @for p in &people {
                    option value=(p.external_id) { (p.display_name) " (" (p.external_id) ")" }
                }
            }
            div class="check" {
                input type="checkbox" id="admin" name="admin" value="true";
                label for="admin" { "With the admin role" }
            }
            button type="submit" class="primary" { "Sign in" }
        }
    };
    let mut response = plain_page(actix_web::http::StatusCode::OK, "Development sign-in", body);
    response
        .add_cookie(&session::cookie(
            &state.config,
            SIGN_IN_COOKIE,
            secret,
            time::Duration::minutes(SIGN_IN_MINUTES),
        ))
        .map_err(|e| anyhow::anyhow!("setting the sign-in cookie: {e}"))?;
    Ok(response)
}

#[derive(Deserialize)]
pub struct DevSignIn {
    token: String,
    external_id: String,
    return_to: Option<String>,
    admin: Option<String>,
}

#[post("/dev-sign-in")]
pub async fn dev_sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<DevSignIn>,
) -> ConsoleResult {
    dev_only(&state)?;
    let bound = req
        .cookie(SIGN_IN_COOKIE)
        .is_some_and(|c| !c.value().is_empty() && c.value() == form.token);
    if !bound {
        return Err(ApiError::forbidden(
            "this form did not come from this browser's sign-in page: open it again",
        )
        .into());
    }
    let mut conn = state.pool.get().await?;
    let person = employees::find_by_external_id(&mut conn, &form.external_id)
        .await?
        .filter(|p| p.active)
        .ok_or_else(|| {
            ApiError::Invalid(vec![FieldError::new(
                "external_id",
                "no active employee has this external_id",
            )])
        })?;
    drop(conn);
    let mut roles = vec![Role::Employee];
    if form.admin.as_deref() == Some("true") {
        roles.push(Role::Admin);
    }
    let cookie = session::begin(&state, &req, person.external_id, roles, "development").await?;
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .cookie(session::removal(&state.config, SIGN_IN_COOKIE))
        .insert_header((
            actix_web::http::header::LOCATION,
            safe_return(form.return_to.as_deref()),
        ))
        .finish())
}
