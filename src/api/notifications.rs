//! Mail preferences (`/me/notifications`) and the one-click unsubscribe link every mail carries
//! (RFC 8058: a POST without a login; a GET shows a page with the same button, since link
//! scanners open every link in a mail and must not unsubscribe anyone).

use actix_web::{get, patch, web};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::Staff;
use crate::domain::notifications::{Choices, DigestDay};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::ValidJson;
use crate::models::mail as store;
use crate::state::AppState;

/// Which mails the caller receives. Every kind is on unless switched off; managers' copies
/// follow `SHOUTOUT_MAIL_MANAGER_COPIES` until the manager chooses.
#[derive(Debug, Serialize, ToSchema)]
pub struct Notifications {
    /// A mail when someone thanks you.
    pub thanked: bool,
    /// A copy of each shout-out the people you manage receive.
    pub manager_copies: bool,
    /// Mails about customer praise waiting for you to moderate (batched), and reminders.
    pub moderation: bool,
    /// A weekly digest of your team, if you manage one.
    pub digest: bool,
    /// The day the digest arrives (in the morning, in the organisation's time zone).
    pub digest_day: DigestDay,
    /// Whether this service sends mail at all (SMTP is configured).
    pub mail_enabled: bool,
}

impl Notifications {
    fn new(choices: Choices, state: &AppState) -> Self {
        Self {
            thanked: choices.thanked,
            manager_copies: choices.manager_copies,
            moderation: choices.moderation,
            digest: choices.digest,
            digest_day: choices.digest_day,
            mail_enabled: state.config.smtp_url.is_some() && state.config.mail_from.is_some(),
        }
    }
}

/// Changes to the caller's choices; fields left out stay as they are.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationsPatch {
    pub thanked: Option<bool>,
    pub manager_copies: Option<bool>,
    pub moderation: Option<bool>,
    pub digest: Option<bool>,
    pub digest_day: Option<DigestDay>,
}

/// The caller's mail preferences.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller's choices", body = Notifications))
)]
#[get("/me/notifications")]
pub async fn get_notifications(
    staff: Staff,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Notifications>> {
    let mut conn = state.pool.get().await?;
    let choices = store::choices_of(
        &mut conn,
        staff.employee.id,
        state.config.mail_manager_copies,
    )
    .await?;
    Ok(web::Json(Notifications::new(choices, &state)))
}

/// Changes the caller's mail preferences.
#[utoipa::path(
    tag = "notifications",
    security(("bearer" = [])),
    request_body = NotificationsPatch,
    responses(
        (status = 200, description = "The caller's choices now", body = Notifications),
        (status = 422, description = "A field is not valid", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/me/notifications")]
pub async fn update_notifications(
    staff: Staff,
    state: web::Data<AppState>,
    body: ValidJson<NotificationsPatch>,
) -> ApiResult<web::Json<Notifications>> {
    let patch = body.0;
    let mut conn = state.pool.get().await?;
    let id = staff.employee.id;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            let mut row = store::lock_preferences(conn, id).await?;
            row.thanked = patch.thanked.or(row.thanked);
            row.manager_copies = patch.manager_copies.or(row.manager_copies);
            row.moderation = patch.moderation.or(row.moderation);
            row.digest = patch.digest.or(row.digest);
            row.digest_day = patch.digest_day.map(DigestDay::iso).or(row.digest_day);
            store::save_preferences(conn, &row).await?;
            Ok(row)
        })
        .await?;
    Ok(web::Json(Notifications::new(
        row.choices(state.config.mail_manager_copies),
        &state,
    )))
}
