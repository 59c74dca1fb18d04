//! Importing the directory: a bulk upsert by `external_id`, all or nothing. Every row is checked
//! before anything is written (valid fields, no repeats within the file, teams that exist,
//! e-mails nobody else has) and every wrong row is named; then one transaction, under its own
//! time budget, writes them with the importing admin as the audit actor.

use std::collections::HashMap;

use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::import_rows::{IMPORT_MAX_ERRORS, ImportRow, at_row};
use crate::domain::fields::{Email, ExternalId, Name, SlackUserId};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::models::employees::{self, NewEmployee};
use crate::models::{audit, teams};

/// One row of a bulk import (a JSON array element, or a CSV line with these columns; an empty
/// CSV cell means "not given").
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportEmployee {
    pub external_id: ExternalId,
    pub display_name: Name,
    pub email: Email,
    #[serde(default)]
    pub team_id: Option<Uuid>,
    #[serde(default)]
    pub title: Option<Name>,
    /// Default `true`; `false` imports a leaver.
    #[serde(default)]
    pub active: Option<bool>,
    /// Who this person is in Slack (for `/shoutout`); empty: none.
    #[serde(default)]
    pub slack_user_id: Option<SlackUserId>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
}

/// Imports `rows` as `actor` (an admin's token subject), within `budget_secs`.
pub async fn import(
    conn: &mut AsyncPgConnection,
    actor: &str,
    rows: Vec<ImportRow<ImportEmployee>>,
    budget_secs: u64,
) -> ApiResult<ImportReport> {
    let budget = budget_secs;
    let new_rows = check_rows(conn, rows).await?;
    conn.transaction::<_, ApiError, _>(async |conn| {
        crate::db::allow_seconds(conn, budget).await?;
        audit::act_as(conn, actor).await?;
        let mut report = ImportReport {
            created: 0,
            updated: 0,
        };
        for (index, new) in new_rows.iter().enumerate() {
            let (_, created) = employees::upsert_by_external_id(conn, new)
                .await
                .map_err(|e| at_row(index, e.into()))?;
            if created {
                report.created += 1;
            } else {
                report.updated += 1;
            }
        }
        Ok(report)
    })
    .await
}

/// Checks every row (parsed, valid, no duplicates between rows, its team exists, its e-mail
/// is not someone else's) before the database writes any of them, and reports every wrong row.
async fn check_rows(
    conn: &mut AsyncPgConnection,
    rows: Vec<ImportRow<ImportEmployee>>,
) -> ApiResult<Vec<NewEmployee>> {
    let mut errors: Vec<(usize, FieldError)> = Vec::new();
    let mut seen_ids: HashMap<String, usize> = HashMap::new();
    let mut seen_emails: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for (index, row) in rows.into_iter().enumerate() {
        let row = match row {
            Ok(row) => row,
            Err(fields) => {
                errors.extend(fields.errors.into_iter().map(|f| (index, f)));
                continue;
            }
        };
        if let Some(first) = seen_ids.insert(row.external_id.to_string(), index) {
            errors.push((
                index,
                FieldError::new(
                    format!("[{index}].external_id"),
                    format!("repeats row {first}"),
                ),
            ));
        }
        if let Some(first) = seen_emails.insert(row.email.to_lowercase(), index) {
            errors.push((
                index,
                FieldError::new(format!("[{index}].email"), format!("repeats row {first}")),
            ));
        }
        out.push((
            index,
            NewEmployee {
                id: Uuid::now_v7(),
                external_id: row.external_id.into_string(),
                display_name: row.display_name.into_string(),
                email: row.email.into_string(),
                team_id: row.team_id,
                title: row.title.map(Name::into_string),
                active: row.active.unwrap_or(true),
                slack_user_id: row.slack_user_id.map(SlackUserId::into_string),
            },
        ));
    }

    // What the directory already holds: the teams named, and who has the e-mails named.
    let team_ids: Vec<Uuid> = out
        .iter()
        .filter_map(|(_, new)| new.team_id)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let known_teams: std::collections::HashSet<Uuid> = teams::existing(conn, &team_ids)
        .await?
        .into_iter()
        .collect();
    let emails: Vec<String> = seen_emails.keys().cloned().collect();
    let owners: HashMap<String, String> = employees::owners_of_emails(conn, &emails)
        .await?
        .into_iter()
        .map(|(email, external_id)| (email.to_lowercase(), external_id))
        .collect();
    for (index, new) in &out {
        if let Some(team) = new.team_id
            && !known_teams.contains(&team)
        {
            errors.push((
                *index,
                FieldError::new(
                    format!("[{index}].team_id"),
                    format!("no team with id {team}"),
                ),
            ));
        }
        // Taken, unless by this row's own person, or by someone this file gives a new e-mail.
        if let Some(owner) = owners.get(&new.email.to_lowercase())
            && *owner != new.external_id
            && !seen_ids.contains_key(owner)
        {
            errors.push((
                *index,
                FieldError::new(
                    format!("[{index}].email"),
                    format!("`{owner}` has this e-mail"),
                ),
            ));
        }
    }

    if errors.is_empty() {
        Ok(out.into_iter().map(|(_, new)| new).collect())
    } else {
        errors.sort_by_key(|(index, _)| *index);
        Err(ApiError::Invalid(
            errors
                .into_iter()
                .map(|(_, f)| f)
                .take(IMPORT_MAX_ERRORS)
                .collect(),
        ))
    }
}
