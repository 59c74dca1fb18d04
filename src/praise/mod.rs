//! Customer praise: what the public form and `POST /api/v1/public/shoutouts` share. A
//! submission passes the cheap checks first (rate limits, honeypot, the signed challenge), and
//! only then touches the database, in one transaction that stores it once or not at all.

pub mod challenge;
pub mod limits;

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::config::Config;
use crate::db::DbPool;
use crate::domain::fields::{CustomerEmail, CustomerName, Handle, Message};
use crate::domain::{HeartValue, suggest};
use crate::error::{ApiError, FieldError};
use crate::models::employees::EmployeeRow;
use crate::models::praise::{self as store, NewPraise, Stored};
use challenge::{Challenges, Refusal};
use limits::PraiseLimits;

pub const CHALLENGE_MAX: usize = 200;
pub const HONEYPOT_MAX: usize = 500;

/// The praise machinery every instance keeps.
pub struct Praise {
    pub challenges: Challenges,
    pub limits: PraiseLimits,
    /// The hourly budgets, per client and per person praised.
    per_address_per_hour: u32,
    per_employee_per_hour: u32,
}

impl Praise {
    pub fn from_config(config: &Config, secret: &[u8]) -> Self {
        Self {
            challenges: Challenges::new(
                secret,
                config.praise_pow_bits,
                chrono::Duration::seconds(config.praise_min_fill_secs as i64),
                chrono::Duration::seconds(config.praise_form_ttl_secs as i64),
            ),
            limits: PraiseLimits::new(
                config.praise_per_address_per_hour,
                config.praise_per_employee_per_hour,
            ),
            per_address_per_hour: config.praise_per_address_per_hour,
            per_employee_per_hour: config.praise_per_employee_per_hour,
        }
    }
}

/// What a customer sent, as received (the form's fields and the API's are the same).
#[derive(Debug, Default, Clone)]
pub struct Submission {
    pub handle: String,
    pub message: String,
    pub value: Option<HeartValue>,
    pub customer_name: Option<String>,
    pub customer_email: Option<String>,
    /// The customer asked for one mail when their praise is approved (needs an address).
    pub email_consent: bool,
    /// Only the person thanked, their managers and admins see it.
    pub private: bool,
    pub challenge: String,
    pub solution: String,
    /// The honeypot: hidden from people, filled in by bots.
    pub website: Option<String>,
}

#[derive(Debug)]
pub enum Outcome {
    /// Stored, pending moderation.
    Stored { id: Uuid, employee: EmployeeRow },
    /// The same message reached the same person within a day: the first one stands.
    Duplicate { id: Uuid, employee: EmployeeRow },
    /// A bot tripped the honeypot or the minimum fill time. It is told "thank you" (so it
    /// learns nothing) and nothing is stored.
    Trapped { decoy: Uuid },
}

/// Everything that can stop a submission before it is stored.
#[derive(Debug)]
pub enum Rejection {
    /// Bad fields; each names its field.
    Invalid(Vec<FieldError>),
    /// The handle names nobody (or a rotated link, or a leaver).
    UnknownHandle,
    Limited(limits::Limited),
    Api(ApiError),
}

impl From<ApiError> for Rejection {
    fn from(error: ApiError) -> Self {
        Self::Api(error)
    }
}

impl From<diesel::result::Error> for Rejection {
    fn from(error: diesel::result::Error) -> Self {
        Self::Api(error.into())
    }
}

impl From<Rejection> for ApiError {
    fn from(rejection: Rejection) -> Self {
        match rejection {
            Rejection::Invalid(errors) => ApiError::Invalid(errors),
            Rejection::UnknownHandle => ApiError::invalid(
                "handle",
                "no one has this praise link (it may have been replaced); ask for a new one",
            ),
            Rejection::Limited(limited) => ApiError::TooManyRequests {
                detail: format!(
                    "too much praise from this {} for now; try again in {} seconds",
                    limited.per, limited.retry_after_secs
                ),
                retry_after_secs: limited.retry_after_secs,
            },
            Rejection::Api(error) => error,
        }
    }
}

/// The checked fields of a submission.
struct Checked {
    message: Message,
    customer_name: Option<CustomerName>,
    customer_email: Option<CustomerEmail>,
}

/// Field checks that need no database.
fn check_fields(s: &Submission) -> Result<Checked, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut field = |name: &str, message: String| errors.push(FieldError::new(name, message));
    let message = Message::parse(&s.message).map_err(|m| field("message", m));
    let customer_name =
        CustomerName::optional(s.customer_name.as_deref()).map_err(|m| field("customer_name", m));
    // The address itself is never echoed back: it could end up in a log.
    let customer_email = CustomerEmail::optional(s.customer_email.as_deref())
        .map_err(|m| field("customer_email", m));
    if let Err(m) = Handle::parse(&s.handle) {
        field("handle", m);
    }
    if s.email_consent
        && s.customer_email
            .as_deref()
            .is_none_or(|e| e.trim().is_empty())
    {
        errors.push(FieldError::new(
            "email_consent",
            "needs customer_email: we can only tell you at an address you give",
        ));
    }
    if s.challenge.is_empty() || s.challenge.len() > CHALLENGE_MAX {
        errors.push(FieldError::new(
            "challenge",
            "must be a challenge from this service (reload the form)",
        ));
    }
    match (message, customer_name, customer_email) {
        (Ok(message), Ok(customer_name), Ok(customer_email)) if errors.is_empty() => Ok(Checked {
            message,
            customer_name,
            customer_email,
        }),
        _ => Err(errors),
    }
}

/// Receives one submission from `client`.
pub async fn submit(
    pool: &DbPool,
    praise: &Praise,
    client: Option<IpAddr>,
    submission: Submission,
    now: DateTime<Utc>,
) -> Result<Outcome, Rejection> {
    if let Some(address) = client {
        praise.limits.address(address).map_err(Rejection::Limited)?;
    }
    if submission
        .website
        .as_deref()
        .is_some_and(|w| !w.trim().is_empty())
    {
        return Ok(Outcome::Trapped {
            decoy: Uuid::now_v7(),
        });
    }
    let checked = check_fields(&submission).map_err(Rejection::Invalid)?;
    let mut conn = pool.get().await.map_err(ApiError::from)?;
    let employee = store::find_by_handle(&mut conn, &submission.handle)
        .await?
        .ok_or(Rejection::UnknownHandle)?;
    let redeemable = match praise.challenges.check(
        &submission.challenge,
        &submission.solution,
        employee.id,
        now,
    ) {
        Ok(r) => r,
        Err(Refusal::TooFast) => {
            return Ok(Outcome::Trapped {
                decoy: Uuid::now_v7(),
            });
        }
        Err(refusal) => {
            let (field, message) = match refusal {
                Refusal::Invalid => (
                    "challenge",
                    "is not a challenge this service issued for this person; reload the form",
                ),
                Refusal::Expired => (
                    "challenge",
                    "has expired; reload the form and send it again",
                ),
                _ => (
                    "solution",
                    "does not solve the challenge; let the page finish its check and send again",
                ),
            };
            return Err(Rejection::Invalid(vec![FieldError::new(field, message)]));
        }
    };
    praise
        .limits
        .employee(employee.id)
        .map_err(Rejection::Limited)?;

    let (value, value_suggested) = match submission.value {
        Some(v) => (v, false),
        None => (suggest::suggest(checked.message.as_str()).value, true),
    };
    let new = NewPraise {
        id: Uuid::now_v7(),
        employee_id: employee.id,
        message: checked.message.into_string(),
        value,
        value_suggested,
        customer_name: checked.customer_name.map(String::from),
        email_consent: submission.email_consent,
        customer_email: checked.customer_email.map(String::from),
        received_at: now,
        visibility: if submission.private {
            crate::domain::Visibility::Private
        } else {
            crate::domain::Visibility::Public
        },
    };
    let shared = [
        client.map(|a| {
            (
                "address",
                limits::client_key(a).to_string(),
                praise.per_address_per_hour,
                "client address",
            )
        }),
        Some((
            "employee",
            employee.id.to_string(),
            praise.per_employee_per_hour,
            "employee",
        )),
    ];
    let stored = conn
        .transaction::<_, Rejection, _>(async |conn| {
            // The budgets every instance shares; a refusal rolls the use back.
            for (scope, key, per_hour, per) in shared.iter().flatten() {
                let used = store::take_budget(conn, scope, key).await?;
                limits::shared_verdict(used, *per_hour, per).map_err(Rejection::Limited)?;
            }
            if !store::spend_challenge(conn, &redeemable.nonce, redeemable.expires_at).await? {
                return Err(Rejection::Invalid(vec![FieldError::new(
                    "challenge",
                    "has already been used; reload the form to send another message",
                )]));
            }
            Ok(store::insert(conn, &new).await?)
        })
        .await?;
    Ok(match stored {
        Stored::New(id) => Outcome::Stored { id, employee },
        Stored::Duplicate(id) => Outcome::Duplicate { id, employee },
    })
}
