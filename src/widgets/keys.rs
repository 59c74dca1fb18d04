//! Widget keys: `swk_` and 43 characters of base64url randomness (256 bits), sent in the
//! `X-Widget-Key` header (or, for `EventSource`, which cannot send headers, as `?key=` on the
//! stream). A key reads boards, feeds or both, optionally only from listed origins.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::auth::{Caller, Member};
use crate::db::DbPool;
use crate::error::ApiError;
use crate::models::widget_keys::{self, WidgetKeyRow};

pub const HEADER: &str = "x-widget-key";
pub const PREFIX: &str = "swk_";
/// Characters of a key shown in lists, enough to tell keys apart, useless for guessing.
const SHOWN: usize = 12;
const SECRET_LEN: usize = PREFIX.len() + 43;

/// A fresh secret.
pub fn generate() -> String {
    format!(
        "{PREFIX}{}",
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    )
}

/// The demo page's key: derived from the service's secret, so every instance sharing the
/// database (and a restart) agrees on it without storing it anywhere.
pub fn derived(secret: &[u8], label: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(label.as_bytes());
    format!(
        "{PREFIX}{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

pub fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

pub fn shown_prefix(secret: &str) -> &str {
    &secret[..SHOWN.min(secret.len())]
}

/// What a key may read; the type parameter of [`Viewer`].
pub trait Scope {
    const NAME: &'static str;
}

/// Leaderboards and someone's standing.
pub struct Boards;
impl Scope for Boards {
    const NAME: &'static str = "boards";
}

/// The feed of shout-outs and the live stream.
pub struct Feeds;
impl Scope for Feeds {
    const NAME: &'static str = "feeds";
}

pub const SCOPES: [&str; 2] = [Boards::NAME, Feeds::NAME];

/// Someone allowed to read what scope `S` covers: a member of staff (or an admin) with a bearer
/// token, or a widget key with the scope. A request that sends a widget key is judged by the
/// key alone.
pub enum Viewer<S> {
    Member(Box<Member>),
    Key(Box<WidgetKeyRow>, PhantomData<S>),
}

/// The whole check at once: [`PendingViewer`], confirmed before the handler runs.
impl<S: Scope + 'static> FromRequest for Viewer<S> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let pending = PendingViewer::<S>::from_request(req, payload);
        Box::pin(async move { pending.await?.confirm().await })
    }
}

/// A [`Viewer`] whose credential is checked as far as it can be without the database: a
/// bearer token's signature and expiry, or a widget key in full. What is left for a member (is
/// the token's subject an active employee?) is one look-up in the directory, which
/// [`PendingViewer::confirm`] makes; a handler runs it beside its own first statement, so that
/// the two round trips to PostgreSQL overlap instead of following one another (a board of one
/// bucket at 100k answers in about three quarters of the time, 0.2-0.3 ms less:
/// `bench/results/2026-12-06-ab-overlapped-viewer.md`).
///
/// Only what has passed the check that needs no database gets that far: a request with no
/// valid token never reaches the handler's statement. A widget key is looked up before the
/// handler runs, as [`Viewer`] does, since anyone can make up a well-formed key. The handler
/// must answer the check's error in preference to its own, so that a caller turned away learns
/// nothing from the statement (see `api::leaderboards::leaderboard` and
/// `services::boards::standing`).
pub enum PendingViewer<S> {
    Member(Caller, HttpRequest),
    Ready(Viewer<S>),
}

impl<S: Scope> PendingViewer<S> {
    pub async fn confirm(self) -> Result<Viewer<S>, ApiError> {
        match self {
            Self::Ready(viewer) => Ok(viewer),
            Self::Member(caller, req) => Ok(Viewer::Member(Box::new(
                Member::confirm(&req, caller).await?,
            ))),
        }
    }
}

impl<S: Scope + 'static> FromRequest for PendingViewer<S> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let Some(secret) = presented_key(&req) else {
            let caller = Caller::from_request(&req, payload);
            return Box::pin(async move { Ok(Self::Member(caller.await?, req)) });
        };
        Box::pin(async move {
            let key = check(&req, &secret?, S::NAME).await?;
            Ok(Self::Ready(Viewer::Key(Box::new(key), PhantomData)))
        })
    }
}

/// The key a request carries, from the header or (only when there is no header) the query.
fn presented_key(req: &HttpRequest) -> Option<Result<String, ApiError>> {
    if let Some(value) = req.headers().get(HEADER) {
        return Some(
            value
                .to_str()
                .map(|v| v.trim().to_owned())
                .map_err(|_| ApiError::Unauthorized("the widget key is not valid".into())),
        );
    }
    form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(name, _)| name == "key")
        .map(|(_, value)| Ok(value.into_owned()))
}

async fn check(req: &HttpRequest, secret: &str, scope: &str) -> Result<WidgetKeyRow, ApiError> {
    let invalid = || ApiError::Unauthorized("the widget key is not valid".into());
    // Malformed keys are refused before the database is asked.
    if secret.len() != SECRET_LEN || !secret.starts_with(PREFIX) {
        return Err(invalid());
    }
    let pool = req
        .app_data::<web::Data<DbPool>>()
        .expect("the pool is registered");
    let mut conn = pool.get().await?;
    let key = widget_keys::find_by_hash(&mut conn, &hash(secret))
        .await?
        .ok_or_else(invalid)?;
    if key.revoked_at.is_some() {
        return Err(ApiError::Unauthorized(
            "the widget key has been revoked".into(),
        ));
    }
    if !key.scopes().any(|s| s == scope) {
        return Err(ApiError::forbidden(format!(
            "this widget key does not have the `{scope}` scope"
        )));
    }
    if key.origins().next().is_some() {
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !key.origins().any(|allowed| allowed == origin) {
            return Err(ApiError::forbidden(
                "this widget key only works on pages from the origins it was minted for",
            ));
        }
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_documented_shape() {
        let key = generate();
        assert_eq!(key.len(), SECRET_LEN);
        assert!(key.starts_with(PREFIX));
        assert_ne!(key, generate());
        assert_eq!(derived(b"secret", "demo"), derived(b"secret", "demo"));
        assert_ne!(derived(b"secret", "demo"), derived(b"other", "demo"));
        assert_eq!(derived(b"secret", "demo").len(), SECRET_LEN);
    }
}
