//! Who is signed in to the console, and the rule every form obeys.
//!
//! A session is a random identifier in a cookie (`HttpOnly`, `SameSite=Lax`, `Secure` outside
//! development, path `/console`); the database keeps its SHA-256 with the subject, the roles
//! and an expiry, so the server ends a session whatever the browser keeps. Each session has its
//! own CSRF token: every form carries it, and [`Posted`] refuses a post without it before the
//! handler runs, so a handler cannot forget the check.
//!
//! The signed-in person is a [`Caller`] and a [`Member`] exactly as a bearer token would make
//! them: the same roles, the same directory look-up, so the console cannot grant what the API
//! refuses.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite, time};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::ConsoleError;
use crate::auth::{Caller, Member, Role};
use crate::config::{Config, Mode};
use crate::error::ApiError;
use crate::models::console as store;
use crate::models::employees::{self, EmployeeRow};
use crate::state::AppState;

/// The session cookie.
pub const SESSION_COOKIE: &str = "shoutout_console";
/// The cookie that binds a sign-in under way to the browser that started it.
pub const SIGN_IN_COOKIE: &str = "shoutout_sign_in";
/// Where both cookies are sent: the console alone, never the API.
pub const COOKIE_PATH: &str = "/console";

/// 256 random bits, URL-safe.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a browser's identifier.
pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// A cookie of the console's, with the attributes every one of them needs.
pub fn cookie(
    config: &Config,
    name: &'static str,
    value: String,
    max_age: time::Duration,
) -> Cookie<'static> {
    Cookie::build(name, value)
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.mode != Mode::Development)
        .max_age(max_age)
        .finish()
}

/// The cookie that deletes `name` in the browser.
pub fn removal(config: &Config, name: &'static str) -> Cookie<'static> {
    cookie(config, name, String::new(), time::Duration::ZERO)
}

/// Where a sign-in may send the browser back to: a console path, never another site.
pub fn safe_return(path: Option<&str>) -> String {
    match path {
        Some(p)
            if (p == "/console" || p.starts_with("/console/"))
                && !p.contains("//")
                && !p.contains('\\')
                && !p.chars().any(char::is_control) =>
        {
            p.to_owned()
        }
        _ => "/console/".to_owned(),
    }
}

/// Starts a session for `subject` (after the identity provider, or the development sign-in,
/// vouched for them) and answers the cookie that carries it. Any session the browser held
/// before is ended: the identifier changes at every sign-in.
pub async fn begin(
    state: &AppState,
    req: &HttpRequest,
    subject: String,
    roles: Vec<Role>,
    via: &'static str,
) -> Result<Cookie<'static>, ApiError> {
    let config = &state.config;
    let secret = new_secret();
    let minutes = i64::from(config.console_session_minutes);
    let mut roles: Vec<String> = roles.iter().map(|r| role_name(*r).to_owned()).collect();
    roles.sort();
    roles.dedup();
    let new = store::NewSession {
        id_hash: hash(&secret),
        subject,
        roles,
        csrf_token: new_secret(),
        via,
        expires_at: chrono::Utc::now() + chrono::Duration::minutes(minutes),
    };
    let mut conn = state.pool.get().await?;
    if let Some(old) = req.cookie(SESSION_COOKIE) {
        store::end_session(&mut conn, &hash(old.value())).await?;
    }
    store::create_session(&mut conn, &new).await?;
    Ok(cookie(
        config,
        SESSION_COOKIE,
        secret,
        time::Duration::minutes(minutes),
    ))
}

pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Employee => "employee",
        Role::Manager => "manager",
        Role::Admin => "admin",
    }
}

fn role_from(name: &str) -> Option<Role> {
    match name {
        "employee" => Some(Role::Employee),
        "manager" => Some(Role::Manager),
        "admin" => Some(Role::Admin),
        _ => None,
    }
}

/// A signed-in person: an active employee, or an admin who need not be in the directory (as
/// [`Member`] for the API).
#[derive(Debug, Clone)]
pub struct Signed {
    pub member: Member,
    pub csrf: String,
    pub id_hash: Vec<u8>,
}

impl Signed {
    pub fn caller(&self) -> &Caller {
        &self.member.caller
    }

    pub fn is_admin(&self) -> bool {
        self.member.caller.is_admin()
    }

    /// Their employee record, which every page about "me" needs.
    pub fn employee(&self) -> Result<&EmployeeRow, ConsoleError> {
        self.member.employee.as_ref().ok_or_else(|| {
            ApiError::forbidden(format!(
                "`{}` is not an active employee in the directory",
                self.member.caller.subject
            ))
            .into()
        })
    }

    /// Admins only.
    pub fn admin(&self) -> Result<(), ConsoleError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden("this page is for people with the `admin` role").into())
        }
    }

    async fn load(req: &HttpRequest) -> Result<Self, ConsoleError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .expect("the state is registered");
        let sign_in = || ConsoleError::SignIn {
            return_to: safe_return(Some(&req_path(req))),
        };
        let Some(cookie) = req.cookie(SESSION_COOKIE) else {
            return Err(sign_in());
        };
        let id_hash = hash(cookie.value());
        let idle = chrono::Duration::minutes(i64::from(state.config.console_idle_minutes));
        let mut conn = state.pool.get().await.map_err(ApiError::from)?;
        let Some(row) = store::touch_session(&mut conn, &id_hash, idle)
            .await
            .map_err(ApiError::from)?
        else {
            return Err(sign_in());
        };
        let mut roles: HashSet<Role> = row
            .roles
            .iter()
            .flatten()
            .filter_map(|r| role_from(r))
            .collect();
        if roles.is_empty() {
            roles.insert(Role::Employee);
        }
        let caller = Caller {
            subject: row.subject,
            roles,
            expires_at: row.expires_at,
        };
        let employee = employees::find_by_external_id(&mut conn, &caller.subject)
            .await
            .map_err(ApiError::from)?
            .filter(|e| e.active);
        if employee.is_none() && !caller.is_admin() {
            return Err(ApiError::forbidden(format!(
                "`{}` is not an active employee in the directory: ask an admin to add you",
                caller.subject
            ))
            .into());
        }
        Ok(Self {
            member: Member { caller, employee },
            csrf: row.csrf_token,
            id_hash,
        })
    }
}

/// The path and query a request asked for (where to come back to after signing in).
fn req_path(req: &HttpRequest) -> String {
    match req.query_string() {
        "" => req.path().to_owned(),
        q => format!("{}?{q}", req.path()),
    }
}

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T, ConsoleError>>>>;

impl FromRequest for Signed {
    type Error = ConsoleError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Self::load(&req).await })
    }
}

/// Largest form the console takes (an import's CSV is pasted into one).
pub const FORM_LIMIT: usize = 2 * 1024 * 1024;

/// A form posted by a signed-in person, with the session's CSRF token checked before the
/// handler sees it. Fields are read with `serde_urlencoded`; the `csrf` field is the token.
pub struct Posted<T> {
    pub signed: Signed,
    pub form: T,
}

/// A form with no fields of its own (the CSRF token aside): a button.
#[derive(serde::Deserialize)]
pub struct Nothing {}

#[derive(serde::Deserialize)]
struct Token {
    csrf: Option<String>,
}

impl<T: DeserializeOwned + 'static> FromRequest for Posted<T> {
    type Error = ConsoleError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let signed = Signed::load(&req).await?;
            let is_form = req
                .headers()
                .get(actix_web::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
            if !is_form {
                return Err(ApiError::UnsupportedMediaType(
                    "console forms are sent as application/x-www-form-urlencoded".into(),
                )
                .into());
            }
            let body = body.await.map_err(|e| {
                ApiError::PayloadTooLarge(format!(
                    "the form could not be read (at most 2 MiB): {e}"
                ))
            })?;
            let token: Token = serde_urlencoded::from_bytes(&body).unwrap_or(Token { csrf: None });
            let sent = token.csrf.unwrap_or_default();
            if !constant_time_eq(sent.as_bytes(), signed.csrf.as_bytes()) {
                return Err(ApiError::forbidden(
                    "this form is out of date or did not come from the console: reload the page \
                     and send it again",
                )
                .into());
            }
            let form = serde_urlencoded::from_bytes(&body)
                .map_err(|e| ApiError::invalid("form", e.to_string()))?;
            Ok(Self { signed, form })
        })
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_in_returns_only_to_the_console() {
        assert_eq!(
            safe_return(Some("/console/moderation?x=1")),
            "/console/moderation?x=1"
        );
        assert_eq!(safe_return(Some("/console")), "/console");
        for elsewhere in [
            "https://evil.example/console/",
            "//evil.example/console/",
            "/console//evil.example",
            "/console/\\evil.example",
            "/consolex",
            "/api/v1/me",
            "/console/\nSet-Cookie: x",
        ] {
            assert_eq!(safe_return(Some(elsewhere)), "/console/", "{elsewhere:?}");
        }
        assert_eq!(safe_return(None), "/console/");
    }
}
