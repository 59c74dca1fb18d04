//! The `employees` table.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::employees;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = employees)]
pub struct EmployeeRow {
    pub id: Uuid,
    pub external_id: String,
    pub display_name: String,
    pub email: String,
    pub team_id: Option<Uuid>,
    pub title: Option<String>,
    pub active: bool,
    /// Who this person is in Slack (for the slash command).
    pub slack_user_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = employees)]
pub struct NewEmployee {
    pub id: Uuid,
    pub external_id: String,
    pub display_name: String,
    pub email: String,
    pub team_id: Option<Uuid>,
    pub title: Option<String>,
    pub active: bool,
    pub slack_user_id: Option<String>,
}

/// A partial update; `None` leaves a column as it is, `Some(None)` clears a nullable one.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = employees)]
pub struct EmployeeChanges {
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub team_id: Option<Option<Uuid>>,
    pub title: Option<Option<String>>,
    pub active: Option<bool>,
    pub slack_user_id: Option<Option<String>>,
    pub updated_at: Option<DateTime<Utc>>,
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<EmployeeRow> {
    employees::table
        .find(id)
        .select(EmployeeRow::as_select())
        .first(conn)
        .await
}

pub async fn find_by_external_id(
    conn: &mut AsyncPgConnection,
    external_id: &str,
) -> QueryResult<Option<EmployeeRow>> {
    employees::table
        .filter(employees::external_id.eq(external_id))
        .select(EmployeeRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn find_many(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<EmployeeRow>> {
    employees::table
        .filter(employees::id.eq_any(ids))
        .select(EmployeeRow::as_select())
        .load(conn)
        .await
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewEmployee) -> QueryResult<EmployeeRow> {
    diesel::insert_into(employees::table)
        .values(new)
        .returning(EmployeeRow::as_returning())
        .get_result(conn)
        .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    mut changes: EmployeeChanges,
) -> QueryResult<EmployeeRow> {
    changes.updated_at = Some(Utc::now());
    diesel::update(employees::table.find(id))
        .set(&changes)
        .returning(EmployeeRow::as_returning())
        .get_result(conn)
        .await
}

/// Inserts or updates by `external_id`; returns the row and whether it was new.
pub async fn upsert_by_external_id(
    conn: &mut AsyncPgConnection,
    new: &NewEmployee,
) -> QueryResult<(EmployeeRow, bool)> {
    let row: EmployeeRow = diesel::insert_into(employees::table)
        .values(new)
        .on_conflict(employees::external_id)
        .do_update()
        .set((
            employees::display_name.eq(&new.display_name),
            employees::email.eq(&new.email),
            employees::team_id.eq(new.team_id),
            employees::title.eq(&new.title),
            employees::active.eq(new.active),
            // A file without Slack ids leaves the ones set by hand as they are.
            employees::slack_user_id.eq(diesel::dsl::sql::<
                diesel::sql_types::Nullable<diesel::sql_types::Text>,
            >(
                "coalesce(excluded.slack_user_id, employees.slack_user_id)",
            )),
            employees::updated_at.eq(Utc::now()),
        ))
        .returning(EmployeeRow::as_returning())
        .get_result(conn)
        .await?;
    let created = row.id == new.id;
    Ok((row, created))
}

/// Who has these e-mail addresses (compared case-insensitively; give them lowercased):
/// `(email, external_id)` pairs.
pub async fn owners_of_emails(
    conn: &mut AsyncPgConnection,
    lowercased: &[String],
) -> QueryResult<Vec<(String, String)>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Array, Bool, Text};

    if lowercased.is_empty() {
        return Ok(Vec::new());
    }
    employees::table
        .filter(
            sql::<Bool>("lower(employees.email) = ANY(")
                .bind::<Array<Text>, _>(lowercased)
                .sql(")"),
        )
        .select((employees::email, employees::external_id))
        .load(conn)
        .await
}

/// Search filters for the directory.
#[derive(Debug, Default)]
pub struct EmployeeFilter {
    pub q: Option<String>,
    pub team_ids: Option<Vec<Uuid>>,
    pub active: Option<bool>,
    /// Keyset position: (lower(display_name), id) of the last row of the previous page.
    pub after: Option<(String, Uuid)>,
    pub limit: i64,
}

pub async fn search(
    conn: &mut AsyncPgConnection,
    filter: &EmployeeFilter,
) -> QueryResult<Vec<EmployeeRow>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};

    let lower_name = sql::<Text>("lower(employees.display_name)");
    let mut query = employees::table
        .select(EmployeeRow::as_select())
        .into_boxed();
    if let Some(q) = &filter.q {
        let pattern = format!("%{}%", escape_like(q));
        query = query.filter(
            employees::display_name
                .ilike(pattern.clone())
                .or(employees::email.ilike(pattern.clone()))
                .or(employees::external_id.ilike(pattern))
                .or(employees::title.ilike(format!("%{}%", escape_like(q)))),
        );
    }
    if let Some(team_ids) = &filter.team_ids {
        query = query.filter(employees::team_id.eq_any(team_ids.clone()));
    }
    if let Some(active) = filter.active {
        query = query.filter(employees::active.eq(active));
    }
    if let Some((name, id)) = &filter.after {
        // Row comparison keeps the keyset in one expression the name index can serve.
        query = query.filter(
            sql::<Bool>("(lower(employees.display_name), employees.id) > (")
                .bind::<Text, _>(name.clone())
                .sql(", ")
                .bind::<diesel::sql_types::Uuid, _>(*id)
                .sql(")"),
        );
    }
    query
        .order((lower_name.asc(), employees::id.asc()))
        .limit(filter.limit)
        .load(conn)
        .await
}

/// Escapes `%`, `_` and `\` so user text matches literally inside a LIKE pattern.
pub fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The active employee with this Slack user id.
pub async fn find_active_by_slack_user(
    conn: &mut AsyncPgConnection,
    slack_user_id: &str,
) -> QueryResult<Option<EmployeeRow>> {
    employees::table
        .filter(employees::slack_user_id.eq(slack_user_id))
        .filter(employees::active)
        .select(EmployeeRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Active employees with these Slack user ids: `(slack_user_id, id)` pairs.
pub async fn ids_by_slack_user(
    conn: &mut AsyncPgConnection,
    slack_user_ids: &[String],
) -> QueryResult<Vec<(String, Uuid)>> {
    employees::table
        .filter(employees::slack_user_id.eq_any(slack_user_ids))
        .filter(employees::active)
        .select((employees::slack_user_id.assume_not_null(), employees::id))
        .load(conn)
        .await
}

/// What an import compares a row with: the people the file names, as they are now.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = employees)]
pub struct ImportedRow {
    pub id: Uuid,
    pub external_id: String,
    pub display_name: String,
    pub email: String,
    pub team_id: Option<Uuid>,
    pub title: Option<String>,
    pub active: bool,
    pub slack_user_id: Option<String>,
    pub manager_id: Option<Uuid>,
}

pub async fn for_import(
    conn: &mut AsyncPgConnection,
    external_ids: &[String],
) -> QueryResult<Vec<ImportedRow>> {
    employees::table
        .filter(employees::external_id.eq_any(external_ids))
        .select(ImportedRow::as_select())
        .load(conn)
        .await
}

/// Active people (not deleted by the identity provider) whose external id is not in `kept`:
/// whom a sync import deactivates. With the count of all active people.
pub async fn active_outside(
    conn: &mut AsyncPgConnection,
    kept: &[String],
) -> QueryResult<(Vec<(Uuid, String)>, i64)> {
    let active = employees::table
        .filter(employees::active.eq(true))
        .filter(employees::scim_deleted_at.is_null());
    let total: i64 = active.count().get_result(conn).await?;
    let outside = active
        .filter(diesel::dsl::not(employees::external_id.eq_any(kept)))
        .select((employees::id, employees::external_id))
        .order(employees::external_id.asc())
        .load(conn)
        .await?;
    Ok((outside, total))
}

/// Writes an imported row's values over a person's (`None` keeps a column as it is).
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = employees)]
pub struct ImportChanges {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub team_id: Option<Option<Uuid>>,
    pub title: Option<Option<String>>,
    pub active: Option<bool>,
    pub slack_user_id: Option<Option<String>>,
    pub manager_id: Option<Option<Uuid>>,
    pub updated_at: Option<DateTime<Utc>>,
}

pub async fn apply_import(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    changes: &ImportChanges,
) -> QueryResult<()> {
    diesel::update(employees::table.find(id))
        .set(changes)
        .execute(conn)
        .await
        .map(drop)
}

pub async fn deactivate(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<usize> {
    diesel::update(employees::table.filter(employees::id.eq_any(ids)))
        .set((
            employees::active.eq(false),
            employees::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .await
}

/// Whether a person appears on public boards and on walls.
pub async fn privacy(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<(bool, bool)> {
    employees::table
        .find(id)
        .select((employees::show_on_boards, employees::show_on_wall))
        .first(conn)
        .await
}

/// Changes what is given (`None` keeps it); the choices now.
pub async fn set_privacy(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    show_on_boards: Option<bool>,
    show_on_wall: Option<bool>,
) -> QueryResult<(bool, bool)> {
    let (boards, wall) = privacy(conn, id).await?;
    diesel::update(employees::table.find(id))
        .set((
            employees::show_on_boards.eq(show_on_boards.unwrap_or(boards)),
            employees::show_on_wall.eq(show_on_wall.unwrap_or(wall)),
            employees::updated_at.eq(Utc::now()),
        ))
        .returning((employees::show_on_boards, employees::show_on_wall))
        .get_result(conn)
        .await
}
