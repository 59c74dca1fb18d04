//! Giving: one staff member thanks colleagues. The rules: each recipient once, never oneself,
//! only active people (locked for the transaction, so nobody is deactivated half-way), the
//! message trimmed, at most the daily limit (a conditional upsert, so racing requests cannot
//! overshoot it), and an `Idempotency-Key` whose retry returns the first answer and creates
//! nothing. All of it in one transaction.

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::Member;
use crate::domain::fields::Message;
use crate::domain::{HeartValue, ShoutoutSource, ShoutoutStatus, Visibility};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::models::audit;
use crate::models::employees::EmployeeRow;
use crate::models::mail;
use crate::models::shoutouts::{self, IdempotencyClaim, NewShoutout, ShoutoutRow};
use crate::views::{Shoutout, location};

/// The request header that names a retry.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// What the organisation decides about giving.
pub struct Rules {
    /// Where days begin, for the daily limit.
    pub timezone: chrono_tz::Tz,
    pub daily_limit: u32,
}

/// What the giver asked for: the message already checked, the recipients checked here.
pub struct Gift {
    pub recipient_ids: Vec<Uuid>,
    pub value: HeartValue,
    pub message: Message,
    pub visibility: Visibility,
}

/// What giving ended with: a new shout-out, or the first answer to a repeated request.
pub enum Given {
    New {
        body: serde_json::Value,
        location: String,
    },
    Replay {
        status: u16,
        body: serde_json::Value,
        location: Option<String>,
    },
}

/// `giver` thanks the colleagues of `gift`; `key` is the request's `Idempotency-Key`.
pub async fn give(
    conn: &mut AsyncPgConnection,
    rules: &Rules,
    giver: &EmployeeRow,
    gift: impl Into<Gift>,
    key: Option<&str>,
) -> ApiResult<Given> {
    let body = gift.into();
    let mut recipient_ids: Vec<Uuid> = Vec::with_capacity(body.recipient_ids.len());
    for id in body.recipient_ids {
        if !recipient_ids.contains(&id) {
            recipient_ids.push(id);
        }
    }
    if let Some(index) = recipient_ids.iter().position(|&id| id == giver.id) {
        return Err(ApiError::invalid(
            format!("recipient_ids[{index}]"),
            "you cannot thank yourself",
        ));
    }
    let message = body.message.into_string();
    let request_hash = request_fingerprint(&recipient_ids, body.value, &message);
    let now = Utc::now();
    let today = now.with_timezone(&rules.timezone).date_naive();
    let daily_limit = rules.daily_limit;
    let retry_after = seconds_until_tomorrow(now, rules.timezone);

    conn.transaction::<_, ApiError, _>(async |conn| {
        if let Some(key) = key {
            match shoutouts::claim_idempotency_key(conn, giver.id, key, &request_hash).await? {
                IdempotencyClaim::Fresh => {}
                IdempotencyClaim::Replay {
                    status,
                    body,
                    location,
                } => {
                    return Ok(Given::Replay {
                        status,
                        body,
                        location,
                    });
                }
                IdempotencyClaim::Mismatch => {
                    return Err(ApiError::invalid(
                        IDEMPOTENCY_HEADER,
                        "this key was already used for a different request; use a new key",
                    ));
                }
            }
        }
        // Lock everyone involved, so nobody is deactivated half-way through.
        let mut involved = recipient_ids.clone();
        involved.push(giver.id);
        let active = shoutouts::lock_active_employees(conn, &involved).await?;
        if !active.contains(&giver.id) {
            return Err(ApiError::forbidden("you are no longer an active employee"));
        }
        let missing: Vec<FieldError> = recipient_ids
            .iter()
            .enumerate()
            .filter(|(_, id)| !active.contains(id))
            .map(|(i, id)| {
                FieldError::new(
                    format!("recipient_ids[{i}]"),
                    format!("no active employee with id {id}"),
                )
            })
            .collect();
        if !missing.is_empty() {
            return Err(ApiError::Invalid(missing));
        }
        if !shoutouts::take_daily_slot(conn, giver.id, today, daily_limit).await? {
            return Err(ApiError::TooManyRequests {
                detail: format!(
                    "you have given {daily_limit} shout-outs today, the daily limit; more tomorrow"
                ),
                retry_after_secs: retry_after,
            });
        }
        let new = NewShoutout {
            id: Uuid::now_v7(),
            source: ShoutoutSource::Staff,
            giver_id: Some(giver.id),
            customer_name: None,
            value: body.value,
            message: message.clone(),
            status: ShoutoutStatus::Published,
            created_at: now,
            visibility: body.visibility.as_str(),
        };
        let row = shoutouts::insert(conn, &new, &recipient_ids).await?;
        let view = view_of(conn, row).await?;
        let body = serde_json::to_value(&view).map_err(anyhow::Error::from)?;
        let location = location("shoutouts", view.id);
        if let Some(key) = key {
            shoutouts::record_idempotent_response(conn, giver.id, key, 201, &body, &location)
                .await?;
        }
        Ok(Given::New { body, location })
    })
    .await
}

/// A shout-out as the API shows it.
pub async fn view_of(
    conn: &mut diesel_async::AsyncPgConnection,
    row: ShoutoutRow,
) -> ApiResult<Shoutout> {
    let details = shoutouts::details(conn, vec![row]).await?;
    details
        .into_iter()
        .next()
        .map(Shoutout::from)
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("shout-out vanished while loading")))
}

/// What makes two requests "the same" for idempotency: the normalised body.
fn request_fingerprint(recipient_ids: &[Uuid], value: HeartValue, message: &str) -> Vec<u8> {
    let mut sorted = recipient_ids.to_vec();
    sorted.sort();
    let mut hasher = Sha256::new();
    for id in sorted {
        hasher.update(id.as_bytes());
    }
    hasher.update(value.code().as_bytes());
    hasher.update([0]);
    hasher.update(message.as_bytes());
    hasher.finalize().to_vec()
}

/// Seconds until the next midnight in the organisation's time zone (when daily limits reset).
fn seconds_until_tomorrow(now: DateTime<Utc>, tz: chrono_tz::Tz) -> u64 {
    let local_today = now.with_timezone(&tz).date_naive();
    let tomorrow = local_today.succ_opt().unwrap_or(local_today);
    let midnight = tomorrow
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(tz).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now + chrono::Duration::hours(24));
    (midnight - now).num_seconds().max(1) as u64
}

/// Who may see a shout-out: a published public one, all staff; a private one, its giver, the
/// people thanked, their managers and admins; one not (or no longer) published, its giver and
/// admins.
pub async fn visible_to(
    conn: &mut AsyncPgConnection,
    row: &ShoutoutRow,
    member: &Member,
) -> ApiResult<bool> {
    let status_allows = row.status == ShoutoutStatus::Published
        || member.caller.is_admin()
        || member
            .employee
            .as_ref()
            .is_some_and(|e| Some(e.id) == row.giver_id);
    if !status_allows {
        return Ok(false);
    }
    if Visibility::from_stored(&row.visibility) == Visibility::Public {
        return Ok(true);
    }
    let access = super::feed::access(conn, Some(member)).await?;
    Ok(shoutouts::may_read(conn, row.id, &access).await?)
}

pub fn not_found_text(id: Uuid) -> String {
    format!("no shout-out with id {id}")
}

pub fn not_found(id: Uuid) -> ApiError {
    ApiError::not_found(not_found_text(id))
}

/// Retracts shout-out `id` for `member`: its giver within `grace` of giving it, or an admin at
/// any time. Retracting a retracted one changes nothing; one nobody may see is not found.
pub async fn retract(
    conn: &mut AsyncPgConnection,
    member: &Member,
    id: Uuid,
    grace: chrono::Duration,
) -> ApiResult<()> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        audit::act_as(conn, &member.caller.subject).await?;
        // The row lock makes retraction and its checks one step, however many race.
        let row = shoutouts::find_for_update(conn, id)
            .await
            .map_err(|e| ApiError::missing(e, not_found_text(id)))?;
        if !visible_to(conn, &row, member).await? {
            return Err(not_found(id));
        }
        if row.status == ShoutoutStatus::Retracted {
            return Ok(());
        }
        let is_giver = member
            .employee
            .as_ref()
            .is_some_and(|e| Some(e.id) == row.giver_id);
        if !member.caller.is_admin() {
            if !is_giver {
                return Err(ApiError::forbidden(
                    "only the giver or an admin can retract a shout-out",
                ));
            }
            if Utc::now() - row.created_at > grace {
                return Err(ApiError::forbidden(format!(
                    "the {}-minute grace period for retracting has passed; ask an admin",
                    grace.num_minutes()
                )));
            }
        }
        shoutouts::mark_retracted(conn, id, &member.caller.subject).await?;
        // Mails about it that have not gone out never will.
        mail::cancel_for_shoutout(conn, id).await?;
        Ok(())
    })
    .await
}
