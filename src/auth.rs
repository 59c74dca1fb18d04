//! Who is calling: bearer tokens (JWTs: HS256 in development, RS256 or EdDSA from the
//! identity provider) and the extractors handlers take to say what
//! they require.
//!
//! - [`Caller`]: any valid token.
//! - [`Member`]: a valid token whose subject is an active employee, or an admin (who need not be
//!   in the directory yet: that is how the directory is first imported). For reading.
//! - [`Staff`]: a valid token whose subject is an active employee. For giving and cheering.
//! - [`Admin`]: a valid token with the `admin` role.
//!
//! A handler that takes none of these is public, which is visible in its signature.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, http::header, web};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

mod idp;
mod oversight;

use idp::IdpKeys;
pub use oversight::{Oversight, oversight};

use crate::config::{Config, Mode};
use crate::db::DbPool;
use crate::error::ApiError;
use crate::models::employees::{self, EmployeeRow};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Employee,
    Manager,
    Admin,
}

/// The claims Shoutout reads. `sub` is the employee's `external_id` at the identity provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<Role>>,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aud: Option<Audience>,
}

/// The `aud` claim: one audience or several (RFC 7519 section 4.1.3). `jsonwebtoken` checks it
/// against the configured audience; this type only has to accept both shapes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// Verifies bearer tokens; built once from the configuration.
///
/// Which algorithm a token may use is decided here, never by the token: HS256 only with the
/// development secret (and never in production), RS256 and EdDSA only with the identity
/// provider's keys, each key for its own algorithm. Anything else, `none` included, is refused
/// before a signature is looked at.
pub struct TokenVerifier {
    hs256: Option<DecodingKey>,
    idp: Option<IdpKeys>,
    validation: Validation,
}

impl TokenVerifier {
    pub async fn from_config(config: &Config) -> anyhow::Result<Self> {
        config.check_mode()?;
        let idp = IdpKeys::from_config(config).await?;
        let hs256 = match config.mode {
            Mode::Production => None,
            Mode::Development => Some(DecodingKey::from_secret(
                config.checked_jwt_secret()?.expose_secret().as_bytes(),
            )),
        };
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 30;
        validation.validate_nbf = true;
        let mut required = vec!["exp", "sub"];
        match &config.jwt_issuer {
            Some(iss) => {
                validation.set_issuer(&[iss]);
                required.push("iss");
            }
            None => validation.iss = None,
        }
        match &config.jwt_audience {
            Some(aud) => {
                validation.set_audience(&[aud]);
                required.push("aud");
            }
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&required);
        Ok(Self {
            hs256,
            idp,
            validation,
        })
    }

    pub async fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let invalid =
            |why: String| ApiError::Unauthorized(format!("the bearer token is not valid: {why}"));
        let header = jsonwebtoken::decode_header(token).map_err(|e| invalid(e.to_string()))?;
        let key = match (header.alg, &self.hs256, &self.idp) {
            (Algorithm::HS256, Some(secret), _) => secret.clone(),
            (Algorithm::RS256 | Algorithm::EdDSA, _, Some(idp)) => {
                idp.key_for(header.alg, header.kid.as_deref())
                    .await
                    .map_err(|e| invalid(e.to_string()))?
                    .key
            }
            (alg, _, _) => return Err(invalid(format!("the algorithm {alg:?} is not accepted"))),
        };
        let mut validation = self.validation.clone();
        validation.algorithms = vec![header.alg];
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|e| invalid(e.to_string()))?;
        let claims = data.claims;
        if claims.sub.trim().is_empty() {
            return Err(ApiError::Unauthorized(
                "the token has an empty `sub`".into(),
            ));
        }
        Ok(claims)
    }
}

/// Mints a development token, as `shoutout token` does.
pub fn mint_token(
    config: &Config,
    sub: &str,
    roles: &[Role],
    ttl: chrono::Duration,
) -> anyhow::Result<String> {
    let secret = config.checked_jwt_secret()?;
    let claims = Claims {
        sub: sub.to_owned(),
        roles: Some(roles.to_vec()),
        exp: (chrono::Utc::now() + ttl).timestamp().max(0) as u64,
        iss: config.jwt_issuer.clone(),
        aud: config.jwt_audience.clone().map(Audience::One),
    };
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.expose_secret().as_bytes()),
    )?)
}

/// A caller with a valid token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub subject: String,
    pub roles: HashSet<Role>,
    /// When the credential stops being valid (the token's `exp`): long-lived answers such as
    /// the live stream end then.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.roles.contains(&Role::Admin)
    }

    pub fn roles_sorted(&self) -> Vec<Role> {
        let mut roles: Vec<Role> = self.roles.iter().copied().collect();
        roles.sort_by_key(|r| *r as u8);
        roles
    }

    async fn authenticate(req: &HttpRequest) -> Result<Self, ApiError> {
        let tokens = req
            .app_data::<web::Data<TokenVerifier>>()
            .expect("the token verifier is registered");
        let value = req
            .headers()
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::Unauthorized("send `Authorization: Bearer <token>`".into()))?;
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
            })?;
        let claims = tokens.verify(token).await?;
        let mut roles: HashSet<Role> = claims.roles.unwrap_or_default().into_iter().collect();
        if roles.is_empty() {
            roles.insert(Role::Employee);
        }
        let expires_at =
            chrono::DateTime::from_timestamp(claims.exp.min(i64::MAX as u64) as i64, 0)
                .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC);
        Ok(Self {
            subject: claims.sub,
            roles,
            expires_at,
        })
    }
}

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Self::authenticate(&req).await })
    }
}

/// Looks up the caller's employee record (active or not).
async fn load_employee(
    req: &HttpRequest,
    caller: &Caller,
) -> Result<Option<EmployeeRow>, ApiError> {
    let pool = req
        .app_data::<web::Data<DbPool>>()
        .expect("the pool is registered")
        .clone();
    let mut conn = pool.get().await?;
    Ok(employees::find_by_external_id(&mut conn, &caller.subject).await?)
}

fn inactive(caller: &Caller) -> ApiError {
    ApiError::forbidden(format!(
        "`{}` is not an active employee in the directory",
        caller.subject
    ))
}

/// An active employee, or an admin who may not be in the directory.
#[derive(Debug, Clone)]
pub struct Member {
    pub caller: Caller,
    pub employee: Option<EmployeeRow>,
}

impl Member {
    /// The directory's half of the check, for a caller whose token is already verified: their
    /// employee record, which must be active unless they are an admin. A handler may run it
    /// beside its own first statement (the widget keys' `PendingViewer` does, for boards).
    pub async fn confirm(req: &HttpRequest, caller: Caller) -> Result<Self, ApiError> {
        let employee = load_employee(req, &caller).await?.filter(|e| e.active);
        if employee.is_none() && !caller.is_admin() {
            return Err(inactive(&caller));
        }
        Ok(Self { caller, employee })
    }
}

impl FromRequest for Member {
    type Error = ApiError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let caller = Caller::authenticate(&req).await?;
            Self::confirm(&req, caller).await
        })
    }
}

/// An active employee.
#[derive(Debug, Clone)]
pub struct Staff {
    pub caller: Caller,
    pub employee: EmployeeRow,
}

impl FromRequest for Staff {
    type Error = ApiError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let caller = Caller::authenticate(&req).await?;
            match load_employee(&req, &caller).await? {
                Some(employee) if employee.active => Ok(Self { caller, employee }),
                _ => Err(inactive(&caller)),
            }
        })
    }
}

/// A caller with the `admin` role.
#[derive(Debug, Clone)]
pub struct Admin(pub Caller);

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let caller = Caller::authenticate(&req).await?;
            if caller.is_admin() {
                Ok(Self(caller))
            } else {
                Err(ApiError::forbidden("this needs the `admin` role"))
            }
        })
    }
}
