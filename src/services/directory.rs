//! Importing the directory: an upsert by `external_id`, all or nothing. A row may carry only
//! some columns: what it leaves out stays as it is (a new person needs a name and an e-mail).
//! Teams are named by id, by `team_external_id` or by their path ("Support/Tier 1"); managers
//! by `manager_external_id`. Every row is checked before anything is written, and every wrong
//! row is named. A dry run answers what would change and writes nothing; `sync` mode also
//! deactivates everyone the file leaves out, refusing to deactivate more than a configured
//! share of the company without `force`. One transaction, under its own time budget, with the
//! importing admin as the audit actor.

use std::collections::{BTreeMap, HashMap};

use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use super::import_rows::{IMPORT_MAX_ERRORS, ImportRow, at_row};
use crate::domain::fields::{Email, ExternalId, Name, SlackUserId};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::models::employees::{self, ImportChanges, ImportedRow, NewEmployee};
use crate::models::{audit, teams};

/// The columns an import may have (CSV header names, JSON keys).
pub const COLUMNS: &[&str] = &[
    "external_id",
    "display_name",
    "email",
    "team_id",
    "team_external_id",
    "team",
    "title",
    "active",
    "slack_user_id",
    "manager_external_id",
];

/// One row of a bulk import (a JSON array element, or a CSV line with these columns; an empty
/// CSV cell means "not given"). Only `external_id` is always needed; a new person also needs
/// `display_name` and `email`. What a row leaves out stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportEmployee {
    pub external_id: ExternalId,
    #[serde(default)]
    pub display_name: Option<Name>,
    #[serde(default)]
    pub email: Option<Email>,
    /// The team, by id; or name it by `team_external_id` or `team` (one of the three).
    #[serde(default)]
    pub team_id: Option<Uuid>,
    /// The team, by its `external_id`.
    #[serde(default)]
    pub team_external_id: Option<ExternalId>,
    /// The team, by its path from the top: `Support/Tier 1`.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub team: Option<String>,
    #[serde(default)]
    pub title: Option<Name>,
    /// `false` marks a leaver (their history is kept); a new person is active by default.
    #[serde(default)]
    pub active: Option<bool>,
    /// Who this person is in Slack (for `/shoutout`).
    #[serde(default)]
    pub slack_user_id: Option<SlackUserId>,
    /// The person's manager, by `external_id` (in the file or already in the directory).
    #[serde(default)]
    pub manager_external_id: Option<ExternalId>,
}

/// `upsert` (default) writes the rows; `sync` also deactivates everyone the file leaves out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    #[default]
    Upsert,
    Sync,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    pub dry_run: bool,
    pub mode: ImportMode,
    pub force: bool,
    /// Largest share (percent of active people) a sync may deactivate without `force`.
    pub max_deactivate_percent: u32,
    pub budget_secs: u64,
}

/// One person the import creates, changes or deactivates.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportChange {
    pub external_id: String,
    /// `created`, `updated` or `deactivated`.
    pub action: String,
    /// For `created`, the values; for `updated`, each changed field as `{"from": …, "to": …}`.
    #[schema(value_type = Object)]
    pub fields: BTreeMap<String, Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    /// Whether nothing was written (`?dry_run=true`).
    pub dry_run: bool,
    pub mode: ImportMode,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deactivated: usize,
    /// Every person created, updated or deactivated, in the file's order (deactivations last).
    pub changes: Vec<ImportChange>,
    /// What a real run would refuse (a dry run reports it instead of refusing).
    pub warnings: Vec<String>,
}

/// A row as checked: who, and each column given.
struct Checked {
    index: usize,
    row: ImportEmployee,
}

/// Imports `rows` as `actor` (an admin's token subject).
pub async fn import(
    conn: &mut AsyncPgConnection,
    actor: &str,
    rows: Vec<ImportRow<ImportEmployee>>,
    options: ImportOptions,
) -> ApiResult<ImportReport> {
    let (checked, errors) = check_rows(rows);
    conn.transaction::<_, ApiError, _>(async |conn| {
        crate::db::allow_seconds(conn, options.budget_secs).await?;
        audit::act_as(conn, actor).await?;
        let plan = plan(conn, checked, errors, options).await?;
        if !options.dry_run {
            if let Some(refusal) = plan.report.warnings.first() {
                return Err(ApiError::conflict("force", refusal.clone()));
            }
            write(conn, &plan).await?;
        }
        Ok(plan.report)
    })
    .await
}

/// What every row says on its own, and what rows say of each other (the same person twice,
/// two people with one e-mail, a team named two ways).
fn check_rows(rows: Vec<ImportRow<ImportEmployee>>) -> (Vec<Checked>, Vec<(usize, FieldError)>) {
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
        let at = |field: &str| format!("[{index}].{field}");
        if let Some(first) = seen_ids.insert(row.external_id.to_string(), index) {
            errors.push((
                index,
                FieldError::new(at("external_id"), format!("repeats row {first}")),
            ));
        }
        if let Some(email) = &row.email
            && let Some(first) = seen_emails.insert(email.to_lowercase(), index)
        {
            errors.push((
                index,
                FieldError::new(at("email"), format!("repeats row {first}")),
            ));
        }
        let named = [
            row.team_id.is_some(),
            row.team_external_id.is_some(),
            row.team.is_some(),
        ];
        if named.iter().filter(|n| **n).count() > 1 {
            errors.push((
                index,
                FieldError::new(
                    at("team"),
                    "name the team one way: team_id, team_external_id or team",
                ),
            ));
        }
        if let Some(path) = &row.team
            && let Err(why) = team_path(path)
        {
            errors.push((index, FieldError::new(at("team"), why)));
        }
        if row.manager_external_id.as_deref() == Some(row.external_id.as_str()) {
            errors.push((
                index,
                FieldError::new(
                    at("manager_external_id"),
                    "a person cannot manage themselves",
                ),
            ));
        }
        out.push(Checked { index, row });
    }
    (out, errors)
}

fn refuse_if_any(mut errors: Vec<(usize, FieldError)>) -> ApiResult<()> {
    if errors.is_empty() {
        return Ok(());
    }
    errors.sort_by_key(|(index, _)| *index);
    Err(ApiError::Invalid(
        errors
            .into_iter()
            .map(|(_, f)| f)
            .take(IMPORT_MAX_ERRORS)
            .collect(),
    ))
}

/// A team path's names, each a valid team name: "Support/Tier 1" -> ["Support", "Tier 1"].
fn team_path(path: &str) -> Result<Vec<String>, String> {
    let parts: Vec<&str> = path.split('/').map(str::trim).collect();
    if parts.is_empty() || parts.len() > 20 {
        return Err("a team path has 1 to 20 names, separated by `/`".into());
    }
    parts
        .iter()
        .map(|p| {
            Name::parse(p)
                .map(Name::into_string)
                .map_err(|why| format!("`{p}`: {why}"))
        })
        .collect()
}

/// Finds a team by its path, comparing names as siblings are kept unique (case-insensitively).
fn find_path(tree: &[(Uuid, Option<Uuid>, String)], names: &[String]) -> Option<Uuid> {
    let mut parent: Option<Uuid> = None;
    for name in names {
        let found = tree
            .iter()
            .find(|(_, p, n)| *p == parent && n.to_lowercase() == name.to_lowercase())?;
        parent = Some(found.0);
    }
    parent
}

struct Plan {
    report: ImportReport,
    creates: Vec<(usize, NewEmployee)>,
    updates: Vec<(usize, Uuid, ImportChanges)>,
    /// People whose manager is someone the file creates: set once everyone exists.
    managers: Vec<(Uuid, Uuid)>,
    deactivations: Vec<Uuid>,
}

fn change(from: impl Serialize, to: impl Serialize) -> Value {
    json!({"from": from, "to": to})
}

/// Compares every row with the directory and decides what to write (nothing yet).
async fn plan(
    conn: &mut AsyncPgConnection,
    rows: Vec<Checked>,
    mut errors: Vec<(usize, FieldError)>,
    options: ImportOptions,
) -> ApiResult<Plan> {
    let ids: Vec<String> = rows.iter().map(|c| c.row.external_id.to_string()).collect();
    let current: HashMap<String, ImportedRow> = employees::for_import(conn, &ids)
        .await?
        .into_iter()
        .map(|r| (r.external_id.clone(), r))
        .collect();

    // Teams, however each row names one.
    let team_ids: Vec<Uuid> = rows.iter().filter_map(|c| c.row.team_id).collect();
    let known: std::collections::HashSet<Uuid> = teams::existing(conn, &team_ids)
        .await?
        .into_iter()
        .collect();
    let team_external: Vec<String> = rows
        .iter()
        .filter_map(|c| c.row.team_external_id.as_ref().map(|e| e.to_string()))
        .collect();
    let by_external: HashMap<String, Uuid> = teams::by_external_ids(conn, &team_external)
        .await?
        .into_iter()
        .collect();
    let tree = if rows.iter().any(|c| c.row.team.is_some()) {
        teams::tree(conn).await?
    } else {
        Vec::new()
    };

    // Managers: people in the file (made or found) or already in the directory.
    let manager_names: Vec<String> = rows
        .iter()
        .filter_map(|c| c.row.manager_external_id.as_ref().map(|e| e.to_string()))
        .filter(|m| !current.contains_key(m))
        .collect();
    let outside_managers: HashMap<String, Uuid> = employees::for_import(conn, &manager_names)
        .await?
        .into_iter()
        .map(|r| (r.external_id, r.id))
        .collect();
    let new_ids: HashMap<String, Uuid> = rows
        .iter()
        .filter(|c| !current.contains_key(c.row.external_id.as_str()))
        .map(|c| (c.row.external_id.to_string(), Uuid::now_v7()))
        .collect();

    // E-mails somebody else has: taken, unless by the row's own person or by someone this
    // file gives a new e-mail.
    let emails: Vec<String> = rows
        .iter()
        .filter_map(|c| c.row.email.as_ref().map(|e| e.to_lowercase()))
        .collect();
    let owners: HashMap<String, String> = employees::owners_of_emails(conn, &emails)
        .await?
        .into_iter()
        .map(|(email, external_id)| (email.to_lowercase(), external_id))
        .collect();
    let renamed: std::collections::HashSet<String> = rows
        .iter()
        .filter(|c| c.row.email.is_some())
        .map(|c| c.row.external_id.to_string())
        .collect();

    let mut report = ImportReport {
        dry_run: options.dry_run,
        mode: options.mode,
        created: 0,
        updated: 0,
        unchanged: 0,
        deactivated: 0,
        changes: Vec::new(),
        warnings: Vec::new(),
    };
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    let mut managers = Vec::new();
    for Checked { index, row } in rows {
        let at = |field: &str| format!("[{index}].{field}");
        let team: Option<Option<Uuid>> = if let Some(id) = row.team_id {
            if !known.contains(&id) {
                errors.push((
                    index,
                    FieldError::new(at("team_id"), format!("no team with id {id}")),
                ));
            }
            Some(Some(id))
        } else if let Some(external) = &row.team_external_id {
            match by_external.get(external.as_str()) {
                Some(id) => Some(Some(*id)),
                None => {
                    errors.push((
                        index,
                        FieldError::new(
                            at("team_external_id"),
                            format!("no team with external_id `{external}`"),
                        ),
                    ));
                    None
                }
            }
        } else if let Some(path) = &row.team {
            let names = team_path(path).unwrap_or_default();
            match find_path(&tree, &names) {
                Some(id) => Some(Some(id)),
                None => {
                    errors.push((
                        index,
                        FieldError::new(at("team"), format!("no team at `{}`", names.join("/"))),
                    ));
                    None
                }
            }
        } else {
            None
        };
        let manager: Option<Uuid> = match &row.manager_external_id {
            None => None,
            Some(m) => {
                let found = current
                    .get(m.as_str())
                    .map(|r| r.id)
                    .or_else(|| new_ids.get(m.as_str()).copied())
                    .or_else(|| outside_managers.get(m.as_str()).copied());
                if found.is_none() {
                    errors.push((
                        index,
                        FieldError::new(
                            at("manager_external_id"),
                            format!("no employee `{m}` in the file or the directory"),
                        ),
                    ));
                }
                found
            }
        };
        if let Some(email) = &row.email
            && let Some(owner) = owners.get(&email.to_lowercase())
            && owner != row.external_id.as_str()
            && !renamed.contains(owner)
        {
            errors.push((
                index,
                FieldError::new(at("email"), format!("`{owner}` has this e-mail")),
            ));
        }
        let external_id = row.external_id.to_string();
        match current.get(&external_id) {
            None => {
                let (Some(display_name), Some(email)) = (&row.display_name, &row.email) else {
                    if row.display_name.is_none() {
                        errors.push((
                            index,
                            FieldError::new(at("display_name"), "required for a new person"),
                        ));
                    }
                    if row.email.is_none() {
                        errors.push((
                            index,
                            FieldError::new(at("email"), "required for a new person"),
                        ));
                    }
                    continue;
                };
                let new = NewEmployee {
                    id: new_ids[&external_id],
                    external_id: external_id.clone(),
                    display_name: display_name.to_string(),
                    email: email.to_string(),
                    team_id: team.flatten(),
                    title: row.title.as_ref().map(|t| t.to_string()),
                    active: row.active.unwrap_or(true),
                    slack_user_id: row.slack_user_id.as_ref().map(|s| s.to_string()),
                };
                let mut fields = BTreeMap::new();
                fields.insert("display_name".into(), json!(new.display_name));
                fields.insert("email".into(), json!(new.email));
                fields.insert("team_id".into(), json!(new.team_id));
                fields.insert("title".into(), json!(new.title));
                fields.insert("active".into(), json!(new.active));
                if let Some(m) = manager {
                    fields.insert("manager_id".into(), json!(m));
                    managers.push((new.id, m));
                }
                report.created += 1;
                report.changes.push(ImportChange {
                    external_id,
                    action: "created".into(),
                    fields,
                });
                creates.push((index, new));
            }
            Some(now) => {
                let mut fields = BTreeMap::new();
                let mut changes = ImportChanges::default();
                if let Some(name) = &row.display_name
                    && name.as_str() != now.display_name
                {
                    fields.insert(
                        "display_name".into(),
                        change(&now.display_name, name.as_str()),
                    );
                    changes.display_name = Some(name.to_string());
                }
                if let Some(email) = &row.email
                    && email.as_str() != now.email
                {
                    fields.insert("email".into(), change(&now.email, email.as_str()));
                    changes.email = Some(email.to_string());
                }
                if let Some(team) = team
                    && team != now.team_id
                {
                    fields.insert("team_id".into(), change(now.team_id, team));
                    changes.team_id = Some(team);
                }
                if let Some(title) = &row.title
                    && Some(title.as_str()) != now.title.as_deref()
                {
                    fields.insert("title".into(), change(&now.title, title.as_str()));
                    changes.title = Some(Some(title.to_string()));
                }
                if let Some(active) = row.active
                    && active != now.active
                {
                    fields.insert("active".into(), change(now.active, active));
                    changes.active = Some(active);
                }
                if let Some(slack) = &row.slack_user_id
                    && Some(slack.as_str()) != now.slack_user_id.as_deref()
                {
                    fields.insert(
                        "slack_user_id".into(),
                        change(&now.slack_user_id, slack.as_str()),
                    );
                    changes.slack_user_id = Some(Some(slack.to_string()));
                }
                if let Some(m) = manager
                    && Some(m) != now.manager_id
                {
                    fields.insert("manager_id".into(), change(now.manager_id, m));
                    if new_ids.values().any(|id| *id == m) {
                        managers.push((now.id, m));
                    } else {
                        changes.manager_id = Some(Some(m));
                    }
                }
                if fields.is_empty() {
                    report.unchanged += 1;
                } else {
                    changes.updated_at = Some(chrono::Utc::now());
                    report.updated += 1;
                    report.changes.push(ImportChange {
                        external_id,
                        action: "updated".into(),
                        fields,
                    });
                    updates.push((index, now.id, changes));
                }
            }
        }
    }
    refuse_if_any(errors)?;

    let mut deactivations = Vec::new();
    if options.mode == ImportMode::Sync {
        let (outside, active_total) = employees::active_outside(conn, &ids).await?;
        let share = if active_total == 0 {
            0.0
        } else {
            outside.len() as f64 * 100.0 / active_total as f64
        };
        if !outside.is_empty()
            && share > f64::from(options.max_deactivate_percent)
            && !options.force
        {
            report.warnings.push(format!(
                "this sync deactivates {} of {active_total} active people ({share:.0}%), more than \
                 SHOUTOUT_IMPORT_SYNC_MAX_PERCENT ({}%); check the file, or send force=true",
                outside.len(),
                options.max_deactivate_percent
            ));
        }
        for (id, external_id) in outside {
            report.deactivated += 1;
            report.changes.push(ImportChange {
                external_id,
                action: "deactivated".into(),
                fields: BTreeMap::from([("active".to_owned(), change(true, false))]),
            });
            deactivations.push(id);
        }
    }
    Ok(Plan {
        report,
        creates,
        updates,
        managers,
        deactivations,
    })
}

async fn write(conn: &mut AsyncPgConnection, plan: &Plan) -> ApiResult<()> {
    for (index, new) in &plan.creates {
        employees::insert(conn, new)
            .await
            .map_err(|e| at_row(*index, e.into()))?;
    }
    for (index, id, changes) in &plan.updates {
        employees::apply_import(conn, *id, changes)
            .await
            .map_err(|e| at_row(*index, e.into()))?;
    }
    for (person, manager) in &plan.managers {
        employees::apply_import(
            conn,
            *person,
            &ImportChanges {
                manager_id: Some(Some(*manager)),
                ..ImportChanges::default()
            },
        )
        .await?;
    }
    employees::deactivate(conn, &plan.deactivations).await?;
    teams::derive_managers(conn).await?;
    Ok(())
}
