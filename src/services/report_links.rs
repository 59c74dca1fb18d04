//! Signed links to the printable report: `base64url(JSON claims) "." base64url(HMAC)`, with a
//! key of their own derived from the service secret, so a link is never a bearer token for the
//! API. A link names the caller and the team; the caller's rights are checked again when it is
//! opened.

use std::collections::HashSet;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use uuid::Uuid;

use crate::auth::{Caller, Member, Role};
use crate::config::Config;
use crate::error::{ApiError, ApiResult};
use crate::models::employees;

#[derive(Debug, Serialize, Deserialize)]
struct LinkClaims {
    sub: String,
    roles: Vec<Role>,
    team: Uuid,
    exp: i64,
}

fn key(config: &Config) -> ApiResult<Hmac<Sha256>> {
    let secret = config.checked_jwt_secret().map_err(ApiError::Internal)?;
    let mut derive = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC takes any key length");
    derive.update(b"shoutout report link v1");
    let derived = derive.finalize().into_bytes();
    Ok(Hmac::<Sha256>::new_from_slice(&derived).expect("HMAC takes any key length"))
}

/// A link token: base64url(JSON claims) "." base64url(HMAC). Its own key, so it is never a
/// bearer token for the API.
pub fn sign(
    config: &Config,
    caller: &Caller,
    team: Uuid,
    expires_at: DateTime<Utc>,
) -> ApiResult<String> {
    let claims = LinkClaims {
        sub: caller.subject.clone(),
        roles: caller.roles_sorted(),
        team,
        exp: expires_at.timestamp(),
    };
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).map_err(anyhow::Error::from)?);
    let mut mac = key(config)?;
    mac.update(payload.as_bytes());
    Ok(format!(
        "{payload}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    ))
}

pub fn verify(config: &Config, token: &str, team: Uuid) -> ApiResult<Caller> {
    let bad = || ApiError::Unauthorized("this report link is not valid; ask for a new one".into());
    let (payload, tag) = token.split_once('.').ok_or_else(bad)?;
    let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| bad())?;
    let mut mac = key(config)?;
    mac.update(payload.as_bytes());
    mac.verify_slice(&tag).map_err(|_| bad())?;
    let claims: LinkClaims =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).map_err(|_| bad())?)
            .map_err(|_| bad())?;
    if claims.team != team {
        return Err(bad());
    }
    let expires_at = Utc
        .timestamp_opt(claims.exp, 0)
        .single()
        .filter(|&exp| exp > Utc::now())
        .ok_or_else(|| {
            ApiError::Unauthorized("this report link has expired; ask for a new one".into())
        })?;
    Ok(Caller {
        subject: claims.sub,
        roles: claims.roles.into_iter().collect::<HashSet<_>>(),
        expires_at,
    })
}

/// Who a report link speaks for: its signer, as long as they are still an active employee
/// (or an admin); a leaver's links stop working.
pub async fn holder(
    conn: &mut diesel_async::AsyncPgConnection,
    config: &Config,
    token: &str,
    team: Uuid,
) -> ApiResult<Member> {
    let caller = verify(config, token, team)?;
    let employee = employees::find_by_external_id(conn, &caller.subject)
        .await?
        .filter(|e| e.active);
    if employee.is_none() && !caller.is_admin() {
        return Err(ApiError::forbidden(
            "the link's owner is no longer an active employee",
        ));
    }
    Ok(Member { caller, employee })
}
