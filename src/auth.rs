//! Who is calling: bearer tokens (HS256 JWTs) and the extractors handlers take to say what
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

use crate::config::Config;
use crate::error::ApiError;
use crate::models::employees::{self, EmployeeRow};
use crate::startup::AppState;

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

/// Verifies tokens; built once from the configuration.
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl TokenVerifier {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let secret = config.checked_jwt_secret()?;
        // Only HS256 is listed: a token whose header names another algorithm (including
        // `none`) is refused before its signature is looked at.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 30;
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
            key: DecodingKey::from_secret(secret.expose_secret().as_bytes()),
            validation,
        })
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| ApiError::Unauthorized(format!("the bearer token is not valid: {e}")))?;
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
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.roles.contains(&Role::Admin)
    }

    pub fn is_manager(&self) -> bool {
        self.roles.contains(&Role::Manager)
    }

    pub fn roles_sorted(&self) -> Vec<Role> {
        let mut roles: Vec<Role> = self.roles.iter().copied().collect();
        roles.sort_by_key(|r| *r as u8);
        roles
    }

    fn from_request_sync(req: &HttpRequest) -> Result<Self, ApiError> {
        let state = req
            .app_data::<web::Data<AppState>>()
            .expect("AppState is registered");
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
        let claims = state.tokens.verify(token)?;
        let mut roles: HashSet<Role> = claims.roles.unwrap_or_default().into_iter().collect();
        if roles.is_empty() {
            roles.insert(Role::Employee);
        }
        Ok(Self {
            subject: claims.sub,
            roles,
        })
    }
}

type Boxed<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Self::from_request_sync(req))
    }
}

/// Looks up the caller's employee record (active or not).
async fn load_employee(
    req: &HttpRequest,
    caller: &Caller,
) -> Result<Option<EmployeeRow>, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .expect("AppState is registered")
        .clone();
    let mut conn = state.pool.get().await?;
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

impl FromRequest for Member {
    type Error = ApiError;
    type Future = Boxed<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let caller = Caller::from_request_sync(&req)?;
            let employee = load_employee(&req, &caller).await?.filter(|e| e.active);
            if employee.is_none() && !caller.is_admin() {
                return Err(inactive(&caller));
            }
            Ok(Self { caller, employee })
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
            let caller = Caller::from_request_sync(&req)?;
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
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Caller::from_request_sync(req).and_then(|caller| {
            if caller.is_admin() {
                Ok(Self(caller))
            } else {
                Err(ApiError::forbidden("this needs the `admin` role"))
            }
        }))
    }
}
