//! Conditional GETs for what widgets poll (boards, the feed): a weak `ETag` from the body's
//! hash, `Cache-Control`, and `304 Not Modified` when the client already has this body.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Seconds a widget may reuse an answer before asking again (with `If-None-Match`). `private`:
/// answers depend on who asks, so shared caches must not keep them.
pub const WIDGET_MAX_AGE_SECS: u32 = 15;

pub fn json<T: Serialize>(req: &HttpRequest, value: &T) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_vec(value).map_err(anyhow::Error::from)?;
    let digest = Sha256::digest(&body);
    let etag = format!("W/\"{}\"", hex::encode(&digest[..16]));
    let cache_control = format!("private, max-age={WIDGET_MAX_AGE_SECS}");
    // Answers differ by credential and by the page asking (CORS).
    let vary = "Authorization, X-Widget-Key, Origin";
    if matches(req, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, cache_control))
            .insert_header((header::VARY, vary))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::VARY, vary))
        .body(body))
}

/// `If-None-Match` by weak comparison (RFC 9110 section 13.1.2): a list of tags or `*`.
fn matches(req: &HttpRequest, etag: &str) -> bool {
    let opaque = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    let ours = opaque(etag);
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == "*" || opaque(tag) == ours)
}
