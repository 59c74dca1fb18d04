//! The directory (admins): the team tree, people (search, edit, deactivate), the import with
//! its dry-run diff before anything is written, and SCIM tokens.

use std::collections::BTreeMap;

use actix_web::{get, post, web};
use maud::{Markup, html};
use serde::Deserialize;
use uuid::Uuid;

use super::session::{Nothing, Posted};
use super::{
    ConsoleResult, Done, Section, Signed, audited, csrf, done_message, page, see_other, time,
};
use crate::domain::fields::{Email, Name};
use crate::error::{ApiError, FieldError};
use crate::models::employees::{self, EmployeeChanges, EmployeeFilter, EmployeeRow};
use crate::models::{scim as scim_store, teams};
use crate::scim::tokens as scim_tokens;
use crate::services::directory::{self, ImportMode, ImportOptions, ImportReport};
use crate::services::import_rows;
use crate::state::AppState;

/// People shown per search.
const PEOPLE: i64 = 100;

type Tree = Vec<(Uuid, Option<Uuid>, String)>;

fn team_name(tree: &Tree, id: Option<Uuid>) -> String {
    id.and_then(|id| tree.iter().find(|(t, _, _)| *t == id))
        .map_or_else(|| "No team".to_owned(), |(_, _, n)| n.clone())
}

/// The team tree as nested lists, children sorted by name.
fn tree_list(tree: &Tree, parent: Option<Uuid>) -> Markup {
    let mut children: Vec<&(Uuid, Option<Uuid>, String)> =
        tree.iter().filter(|(_, p, _)| *p == parent).collect();
    children.sort_by_key(|(_, _, n)| n.to_lowercase());
    html! {
        @if !children.is_empty() {
            ul {
                @for (id, _, name) in children {
                    li {
                        a href={ "/console/directory?team=" (id) } { (name) }
                        (tree_list(tree, Some(*id)))
                    }
                }
            }
        }
    }
}

/// Team options for a select, each shown with its path ("Support / Tier 1").
fn team_options(tree: &Tree, selected: Option<Uuid>) -> Markup {
    let path = |id: Uuid| {
        let mut names = Vec::new();
        let mut at = Some(id);
        while let Some(current) = at {
            match tree.iter().find(|(t, _, _)| *t == current) {
                Some((_, parent, name)) if names.len() < 32 => {
                    names.push(name.clone());
                    at = *parent;
                }
                _ => break,
            }
        }
        names.reverse();
        names.join(" / ")
    };
    let mut options: Vec<(Uuid, String)> = tree.iter().map(|(id, _, _)| (*id, path(*id))).collect();
    options.sort_by_key(|(_, p)| p.to_lowercase());
    html! {
        option value="" selected[selected.is_none()] { "No team" }
        @for (id, p) in options {
            option value=(id) selected[selected == Some(id)] { (p) }
        }
    }
}

#[derive(Deserialize)]
pub struct PeopleQuery {
    q: Option<String>,
    team: Option<Uuid>,
    inactive: Option<String>,
    done: Option<String>,
}

#[get("/directory")]
pub async fn overview(
    signed: Signed,
    state: web::Data<AppState>,
    query: web::Query<PeopleQuery>,
) -> ConsoleResult {
    signed.admin()?;
    let mut conn = state.pool.get().await?;
    let tree = teams::tree(&mut conn).await?;
    let team_ids = match query.team {
        Some(team) => Some(teams::subtree_ids(&mut conn, team).await?),
        None => None,
    };
    let q = query.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let people = employees::search(
        &mut conn,
        &EmployeeFilter {
            q: q.map(str::to_owned),
            team_ids,
            active: if query.inactive.is_some() {
                None
            } else {
                Some(true)
            },
            after: None,
            limit: PEOPLE,
        },
    )
    .await?;
    drop(conn);
    let body = html! {
        p class="links" {
            a class="button" href="/console/directory/import" { "Import people" }
            " "
            a class="button" href="/console/directory/scim-tokens" { "SCIM tokens" }
        }
        div class="columns" {
            section aria-labelledby="teams-h" {
                h2 id="teams-h" { "Teams" }
                @if tree.is_empty() { p class="empty" { "No teams yet: import people with a team column." } }
                nav aria-label="Team tree" class="tree" {
                    (tree_list(&tree, None))
                }
            }
            section aria-labelledby="people-h" {
                h2 id="people-h" {
                    "People"
                    @if let Some(team) = query.team { " in " (team_name(&tree, Some(team))) }
                }
                form method="get" action="/console/directory" class="search" role="search" {
                    @if let Some(team) = query.team { input type="hidden" name="team" value=(team); }
                    label for="q" { "Search by name, e-mail or external id" }
                    input id="q" name="q" type="search" value=(q.unwrap_or(""));
                    div class="check" {
                        input type="checkbox" id="inactive" name="inactive" value="1" checked[query.inactive.is_some()];
                        label for="inactive" { "Include people who left" }
                    }
                    button type="submit" { "Search" }
                }
                @if people.is_empty() { p class="empty" { "Nobody matches." } }
                table {
                    caption class="visually-hidden" { "People" }
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Team" } th scope="col" { "E-mail" } th scope="col" { "Status" } } }
                    tbody {
                        @for p in &people {
                            tr {
                                td { a href={ "/console/directory/people/" (p.id) } { (p.display_name) } }
                                td { (team_name(&tree, p.team_id)) }
                                td { (p.email) }
                                td { @if p.active { "Active" } @else { "Left" } }
                            }
                        }
                    }
                }
                @if people.len() as i64 == PEOPLE { p class="hint" { "The first " (PEOPLE) " are shown: search to narrow." } }
            }
        }
    };
    page(
        &state,
        &signed,
        Section::Directory,
        "Directory",
        done_message(query.done.as_deref()),
        body,
    )
    .await
}

fn person_form(signed: &Signed, person: &EmployeeRow, tree: &Tree) -> Markup {
    html! {
        form method="post" action={ "/console/directory/people/" (person.id) } class="stack" {
            (csrf(signed))
            label for="display_name" { "Name" }
            input id="display_name" name="display_name" type="text" required maxlength="200" value=(person.display_name) autocomplete="off";
            label for="email" { "E-mail" }
            input id="email" name="email" type="email" required maxlength="320" value=(person.email) autocomplete="off";
            label for="title" { "Job title (optional)" }
            input id="title" name="title" type="text" maxlength="200" value=(person.title.as_deref().unwrap_or("")) autocomplete="off";
            label for="team_id" { "Team" }
            select id="team_id" name="team_id" { (team_options(tree, person.team_id)) }
            p class="hint" { "External id: " code { (person.external_id) } " (the identity provider's; changed by imports and SCIM)." }
            button type="submit" class="primary" { "Save" }
        }
        @if person.active {
            form method="post" action={ "/console/directory/people/" (person.id) "/deactivate" } class="danger-zone" {
                (csrf(signed))
                p { "A person who leaves stays in history and reports, but can no longer give or be thanked." }
                button type="submit" class="danger" data-confirm="Deactivate this person?" { "Deactivate" }
            }
        }
    }
}

#[get("/directory/people/{id}")]
pub async fn person_page(
    signed: Signed,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    done: web::Query<Done>,
) -> ConsoleResult {
    signed.admin()?;
    let mut conn = state.pool.get().await?;
    let person = employees::find(&mut conn, *id)
        .await
        .map_err(|e| ApiError::missing(e, "no such person"))?;
    let tree = teams::tree(&mut conn).await?;
    drop(conn);
    let title = person.display_name.clone();
    let body = html! {
        p { a href="/console/directory" { "← Directory" } }
        @if !person.active { div class="notice" { p { "This person has left (inactive)." } } }
        (person_form(&signed, &person, &tree))
    };
    page(
        &state,
        &signed,
        Section::Directory,
        &title,
        done_message(done.done.as_deref()),
        body,
    )
    .await
}

#[derive(Deserialize)]
pub struct PersonForm {
    display_name: String,
    email: String,
    title: Option<String>,
    team_id: Option<String>,
}

#[post("/directory/people/{id}")]
pub async fn save_person(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    posted: Posted<PersonForm>,
) -> ConsoleResult {
    posted.signed.admin()?;
    let form = posted.form;
    let mut errors = Vec::new();
    let name = Name::parse(&form.display_name)
        .map_err(|m| errors.push(FieldError::new("display_name", m)));
    let email = Email::parse(&form.email).map_err(|m| errors.push(FieldError::new("email", m)));
    let title = match form
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => Ok(None),
        Some(t) => Name::parse(t)
            .map(Some)
            .map_err(|m| errors.push(FieldError::new("title", m))),
    };
    let team = match form.team_id.as_deref().filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => Uuid::parse_str(t)
            .map(Some)
            .map_err(|_| errors.push(FieldError::new("team_id", "not a team of the directory"))),
    };
    let (Ok(name), Ok(email), Ok(title), Ok(team)) = (name, email, title, team) else {
        return Err(ApiError::Invalid(errors).into());
    };
    let changes = EmployeeChanges {
        display_name: Some(name.into_string()),
        email: Some(email.into_string()),
        team_id: Some(team),
        title: Some(title.map(Name::into_string)),
        ..EmployeeChanges::default()
    };
    let id = *id;
    audited!(state, posted.signed, |conn| {
        employees::update(conn, id, changes)
            .await
            .map_err(|e| ApiError::missing(e, "no such person"))
    })?;
    Ok(see_other(&format!(
        "/console/directory/people/{id}?done=saved"
    )))
}

#[post("/directory/people/{id}/deactivate")]
pub async fn deactivate_person(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    posted: Posted<Nothing>,
) -> ConsoleResult {
    posted.signed.admin()?;
    let id = *id;
    let changes = EmployeeChanges {
        active: Some(false),
        ..EmployeeChanges::default()
    };
    audited!(state, posted.signed, |conn| {
        employees::update(conn, id, changes)
            .await
            .map_err(|e| ApiError::missing(e, "no such person"))
    })?;
    Ok(see_other(&format!(
        "/console/directory/people/{id}?done=deactivated"
    )))
}

fn import_fields(signed: &Signed, csv: &str, sync: bool) -> Markup {
    html! {
        form method="post" action="/console/directory/import" class="stack" id="import-form" {
            (csrf(signed))
            label for="csv" { "People, as CSV with a header line" }
            p class="hint" id="csv-hint" {
                "Columns: " code { (directory::COLUMNS.join(",")) } ". Only " code { "external_id" }
                " is always needed; a new person also needs " code { "display_name" } " and " code { "email" } "."
            }
            input type="file" id="csv-file" accept=".csv,text/csv" aria-label="Read the CSV from a file" data-fills="csv" hidden;
            textarea id="csv" name="csv" rows="10" required aria-describedby="csv-hint" spellcheck="false" { (csv) }
            div class="check" {
                input type="checkbox" id="sync" name="mode" value="sync" checked[sync];
                label for="sync" { "Sync: also deactivate everyone the file leaves out" }
            }
            button type="submit" class="primary" { "Preview the changes" }
        }
    }
}

#[get("/directory/import")]
pub async fn import_form(
    signed: Signed,
    state: web::Data<AppState>,
    done: web::Query<Done>,
) -> ConsoleResult {
    signed.admin()?;
    let body = html! {
        p { a href="/console/directory" { "← Directory" } }
        p { "Nothing is written until you have seen what would change and confirmed it." }
        (import_fields(&signed, "", false))
    };
    page(
        &state,
        &signed,
        Section::Directory,
        "Import people",
        done_message(done.done.as_deref()),
        body,
    )
    .await
}

#[derive(Deserialize)]
pub struct ImportForm {
    csv: String,
    mode: Option<String>,
    force: Option<String>,
}

async fn run_import(
    state: &AppState,
    signed: &Signed,
    form: &ImportForm,
    dry_run: bool,
) -> Result<ImportReport, ApiError> {
    let body = form.csv.replace("\r\n", "\n");
    let body = body.trim_start_matches('\u{feff}').as_bytes();
    import_rows::check_csv_columns(body, directory::COLUMNS)?;
    let rows = import_rows::parse(body, true)?;
    let options = ImportOptions {
        dry_run,
        mode: if form.mode.as_deref() == Some("sync") {
            ImportMode::Sync
        } else {
            ImportMode::Upsert
        },
        force: form.force.as_deref() == Some("true"),
        max_deactivate_percent: state.config.import_sync_max_percent,
        budget_secs: state.config.import_timeout_secs,
    };
    let mut conn = state.pool.get().await?;
    directory::import(&mut conn, &signed.caller().subject, rows, options).await
}

fn change_fields(fields: &BTreeMap<String, serde_json::Value>) -> Markup {
    let show = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "(none)".to_owned(),
        other => other.to_string(),
    };
    html! {
        ul class="fields" {
            @for (name, value) in fields {
                li {
                    code { (name) } ": "
                    @if let (Some(from), Some(to)) = (value.get("from"), value.get("to")) {
                        del { (show(from)) } " → " ins { (show(to)) }
                    } @else {
                        (show(value))
                    }
                }
            }
        }
    }
}

/// The dry run: what the file would change, and a form that commits exactly that file.
#[post("/directory/import")]
pub async fn import_preview(
    state: web::Data<AppState>,
    posted: Posted<ImportForm>,
) -> ConsoleResult {
    posted.signed.admin()?;
    let form = &posted.form;
    let report = run_import(&state, &posted.signed, form, true).await?;
    let signed = &posted.signed;
    let body = html! {
        p { a href="/console/directory/import" { "← Start again" } }
        div class="notice" role="status" {
            p {
                strong { "Nothing has been written yet." } " This file would create " (report.created)
                ", update " (report.updated) ", deactivate " (report.deactivated) " and leave "
                (report.unchanged) " unchanged."
            }
        }
        @for warning in &report.warnings {
            div class="notice error" role="alert" { p { (warning) } }
        }
        @if !report.changes.is_empty() {
            table class="diff" {
                caption { "What would change" }
                thead { tr { th scope="col" { "External id" } th scope="col" { "Change" } th scope="col" { "Fields" } } }
                tbody {
                    @for change in &report.changes {
                        tr class=(change.action) {
                            td { code { (change.external_id) } }
                            td { (change.action) }
                            td { (change_fields(&change.fields)) }
                        }
                    }
                }
            }
        }
        form method="post" action="/console/directory/import/commit" class="stack" {
            (csrf(signed))
            input type="hidden" name="csv" value=(form.csv);
            @if form.mode.as_deref() == Some("sync") { input type="hidden" name="mode" value="sync"; }
            @if !report.warnings.is_empty() {
                div class="check" {
                    input type="checkbox" id="force" name="force" value="true";
                    label for="force" { "Import anyway, despite the warnings above" }
                }
            }
            button type="submit" class="primary" { "Import these changes" }
        }
    };
    page(
        &state,
        signed,
        Section::Directory,
        "Import preview",
        None,
        body,
    )
    .await
}

#[post("/directory/import/commit")]
pub async fn import_commit(
    state: web::Data<AppState>,
    posted: Posted<ImportForm>,
) -> ConsoleResult {
    posted.signed.admin()?;
    let report = run_import(&state, &posted.signed, &posted.form, false).await?;
    let body = html! {
        div class="notice done" role="status" {
            p { "Imported: " (report.created) " created, " (report.updated) " updated, " (report.deactivated) " deactivated, " (report.unchanged) " unchanged." }
        }
        p { a href="/console/directory" { "Back to the directory" } }
    };
    page(
        &state,
        &posted.signed,
        Section::Directory,
        "Import done",
        None,
        body,
    )
    .await
}

#[get("/directory/scim-tokens")]
pub async fn scim_tokens_page(
    signed: Signed,
    state: web::Data<AppState>,
    done: web::Query<Done>,
) -> ConsoleResult {
    signed.admin()?;
    let mut conn = state.pool.get().await?;
    let tokens = scim_store::list_tokens(&mut conn, None, 200).await?;
    drop(conn);
    let body = html! {
        p { a href="/console/directory" { "← Directory" } }
        p { "The identity provider keeps the directory up to date over SCIM 2.0 at " code { (state.config.public_base_url()) "/scim/v2" } " with one of these tokens." }
        (tokens_table(&signed, &tokens))
        (mint_form(&signed))
    };
    page(
        &state,
        &signed,
        Section::Directory,
        "SCIM tokens",
        done_message(done.done.as_deref()),
        body,
    )
    .await
}

fn mint_form(signed: &Signed) -> Markup {
    html! {
        h2 { "Mint a token" }
        form method="post" action="/console/directory/scim-tokens" class="stack" {
            (csrf(signed))
            label for="token-name" { "Name (what uses it)" }
            input id="token-name" name="name" type="text" required maxlength="200" autocomplete="off";
            button type="submit" class="primary" { "Mint" }
        }
    }
}

fn tokens_table(signed: &Signed, tokens: &[scim_store::TokenRow]) -> Markup {
    html! {
        @if tokens.is_empty() { p class="empty" { "No tokens yet." } }
        @else {
            table {
                caption class="visually-hidden" { "SCIM tokens" }
                thead { tr { th scope="col" { "Name" } th scope="col" { "Starts with" } th scope="col" { "Created" } th scope="col" { "Last used" } th scope="col" { "State" } } }
                tbody {
                    @for t in tokens {
                        tr {
                            td { (t.name) }
                            td { code { (t.token_prefix) "…" } }
                            td { (time(t.created_at)) " by " (t.created_by) }
                            td { @if let Some(at) = t.last_used_at { (time(at)) } @else { "Never" } }
                            td {
                                @if let Some(at) = t.revoked_at { "Revoked " (time(at)) }
                                @else {
                                    form method="post" action={ "/console/directory/scim-tokens/" (t.id) "/revoke" } {
                                        (csrf(signed))
                                        button type="submit" class="danger" data-confirm="Revoke this token? The identity provider's next request with it is refused." {
                                            "Revoke" span class="visually-hidden" { " " (t.name) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct MintForm {
    name: String,
}

#[post("/directory/scim-tokens")]
pub async fn mint_scim_token(
    state: web::Data<AppState>,
    posted: Posted<MintForm>,
) -> ConsoleResult {
    posted.signed.admin()?;
    let name = Name::parse(&posted.form.name).map_err(|m| ApiError::invalid("name", m))?;
    let mut conn = state.pool.get().await?;
    let (row, secret) =
        scim_tokens::mint(&mut conn, &posted.signed.caller().subject, name.as_str()).await?;
    drop(conn);
    let body = html! {
        div class="notice done" role="status" {
            p { "Minted " strong { (row.name) } ". Copy the token now: it is shown only once." }
        }
        label for="secret" { "Token" }
        input id="secret" type="text" readonly value=(secret) class="secret" data-select;
        p { a href="/console/directory/scim-tokens" { "Back to the tokens" } }
    };
    page(
        &state,
        &posted.signed,
        Section::Directory,
        "SCIM token minted",
        None,
        body,
    )
    .await
}

#[post("/directory/scim-tokens/{id}/revoke")]
pub async fn revoke_scim_token(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    posted: Posted<Nothing>,
) -> ConsoleResult {
    posted.signed.admin()?;
    let id = *id;
    let actor = posted.signed.caller().subject.clone();
    audited!(state, posted.signed, |conn| {
        scim_store::revoke_token(conn, id, &actor)
            .await?
            .ok_or_else(|| ApiError::not_found("no such SCIM token, or revoked already"))
    })?;
    Ok(see_other("/console/directory/scim-tokens?done=revoked"))
}
