//! Moderation of customer praise: who may decide (the teams they oversee), and a decision taken
//! once under a row lock (the second of two racing moderators sees the first's), with the
//! person checked still active, corrections recorded, and the audit actor set, in one
//! transaction.

use diesel::OptionalExtension;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use crate::auth::{Member, Oversight, oversight};
use crate::domain::{HeartValue, ShoutoutSource, ShoutoutStatus};
use crate::error::{ApiError, ApiResult};
use crate::models::praise::{self as store, NewDecision};
use crate::models::{audit, employees, shoutouts};

/// Whose praise a caller may moderate: the teams they oversee (`auth::oversight`).
pub async fn scope(conn: &mut AsyncPgConnection, member: &Member) -> ApiResult<Oversight> {
    match oversight(conn, member).await? {
        Oversight::Nothing => Err(ApiError::forbidden(
            "moderation is for admins and for the managers of a team in the directory",
        )),
        reach => Ok(reach),
    }
}

/// What a moderator decided.
pub enum Verdict {
    /// Publish, optionally with a corrected value or moved to the person it was really about.
    Approve {
        value: Option<HeartValue>,
        recipient_id: Option<Uuid>,
    },
    /// Keep it hidden, for this reason (already checked).
    Reject(String),
}

/// Who decides, and over which teams.
pub struct Moderator<'a> {
    /// Their token subject, recorded with the decision and in the audit trail.
    pub subject: &'a str,
    pub employee_id: Option<Uuid>,
    pub reach: &'a Oversight,
}

/// The answer for praise that does not exist or is beyond the moderator's reach (the same, so
/// that nobody learns of praise they may not see).
pub fn not_found(id: Uuid) -> ApiError {
    ApiError::not_found(format!(
        "no customer praise with id {id} for you to moderate"
    ))
}

/// Takes `verdict` on the customer praise `id`.
pub async fn decide(
    conn: &mut AsyncPgConnection,
    moderator: &Moderator<'_>,
    id: Uuid,
    verdict: Verdict,
) -> ApiResult<()> {
    let not_found = || not_found(id);
    conn.transaction::<_, ApiError, _>(async |conn| {
        audit::act_as(conn, moderator.subject).await?;
        // The row lock orders racing moderators: the second sees the first's decision.
        let row = shoutouts::find_for_update(conn, id)
            .await
            .optional()?
            .filter(|r| r.source == ShoutoutSource::Customer)
            .ok_or_else(not_found)?;
        let current = shoutouts::recipient_ids(conn, id)
            .await?
            .first()
            .copied()
            .ok_or_else(not_found)?;
        let praised = employees::find(conn, current).await?;
        if !moderator.reach.covers(praised.team_id) {
            return Err(not_found());
        }
        if row.status != ShoutoutStatus::Pending {
            return Err(ApiError::conflict(
                "status",
                format!(
                    "this praise was already {}",
                    match row.status {
                        ShoutoutStatus::Published => "approved",
                        ShoutoutStatus::Rejected => "rejected",
                        _ => "decided",
                    }
                ),
            ));
        }
        let (status, value, recipient, reason, decision) = match &verdict {
            Verdict::Approve {
                value: corrected,
                recipient_id,
            } => {
                let mut recipient = current;
                if let Some(to) = recipient_id.filter(|&to| to != current) {
                    let person = employees::find(conn, to)
                        .await
                        .optional()?
                        .filter(|e| e.active)
                        .ok_or_else(|| {
                            ApiError::invalid(
                                "recipient_id",
                                format!("no active employee with id {to}"),
                            )
                        })?;
                    if !moderator.reach.covers(person.team_id) {
                        return Err(ApiError::invalid(
                            "recipient_id",
                            "you can only move praise to someone in a team you manage",
                        ));
                    }
                    store::move_recipient(conn, id, current, to).await?;
                    recipient = to;
                } else if !praised.active {
                    // Published praise counts on boards and reports: never for a leaver.
                    return Err(ApiError::invalid(
                        "recipient_id",
                        "the person this praise names is no longer active: give the \
                         `recipient_id` of who should receive it, or reject it",
                    ));
                }
                (
                    ShoutoutStatus::Published,
                    corrected.unwrap_or(row.value),
                    recipient,
                    None,
                    "approved",
                )
            }
            Verdict::Reject(reason) => (
                ShoutoutStatus::Rejected,
                row.value,
                current,
                Some(reason.as_str()),
                "rejected",
            ),
        };
        store::decide(
            conn,
            id,
            status,
            value,
            &NewDecision {
                decision,
                decided_by: moderator.subject,
                decided_by_id: moderator.employee_id,
                reason,
                value_before: row.value,
                recipient_before: current,
                recipient_after: recipient,
            },
        )
        .await?;
        Ok(())
    })
    .await
}
