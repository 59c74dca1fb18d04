//! The `teams` table: a tree of departments and teams.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::teams;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = teams)]
pub struct TeamRow {
    pub id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub external_id: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = teams)]
pub struct NewTeam {
    pub id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    pub external_id: Option<String>,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = teams)]
pub struct TeamChanges {
    pub name: Option<String>,
    pub parent_id: Option<Option<Uuid>>,
    pub manager_id: Option<Option<Uuid>>,
    pub external_id: Option<Option<String>>,
    pub updated_at: Option<DateTime<Utc>>,
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<TeamRow> {
    teams::table
        .find(id)
        .select(TeamRow::as_select())
        .first(conn)
        .await
}

pub async fn insert(conn: &mut AsyncPgConnection, new: &NewTeam) -> QueryResult<TeamRow> {
    diesel::insert_into(teams::table)
        .values(new)
        .returning(TeamRow::as_returning())
        .get_result(conn)
        .await
}

/// Lets this transaction's statements run as long as a recount of the report roll-ups needs
/// (`report_teams_moved`).
pub async fn allow_recount(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    use diesel_async::SimpleAsyncConnection;
    conn.batch_execute("SET LOCAL statement_timeout = '300s'")
        .await
}

pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    mut changes: TeamChanges,
) -> QueryResult<TeamRow> {
    changes.updated_at = Some(Utc::now());
    diesel::update(teams::table.find(id))
        .set(&changes)
        .returning(TeamRow::as_returning())
        .get_result(conn)
        .await
}

/// One page of teams by name; `after` is the (lower(name), id) of the previous page's last row.
pub async fn list(
    conn: &mut AsyncPgConnection,
    parent_id: Option<Uuid>,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<TeamRow>> {
    use diesel::dsl::sql;
    // Teams the identity provider removed stay for their history, but are not listed.
    let mut query = teams::table
        .select(TeamRow::as_select())
        .filter(teams::scim_deleted_at.is_null())
        .into_boxed();
    if let Some(parent) = parent_id {
        query = query.filter(teams::parent_id.eq(parent));
    }
    if let Some((name, id)) = after {
        query = query.filter(
            sql::<sql_types::Bool>("(lower(teams.name), teams.id) > (")
                .bind::<sql_types::Text, _>(name)
                .sql(", ")
                .bind::<sql_types::Uuid, _>(id)
                .sql(")"),
        );
    }
    query
        .order((
            sql::<sql_types::Text>("lower(teams.name)").asc(),
            teams::id.asc(),
        ))
        .limit(limit)
        .load(conn)
        .await
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = sql_types::Uuid)]
    id: Uuid,
}

/// The team and every team beneath it. Empty when the team does not exist.
pub async fn subtree_ids(conn: &mut AsyncPgConnection, root: Uuid) -> QueryResult<Vec<Uuid>> {
    let rows: Vec<IdRow> = diesel::sql_query(
        "WITH RECURSIVE subtree (id) AS ( \
             SELECT id FROM teams WHERE id = $1 \
             UNION \
             SELECT t.id FROM teams t JOIN subtree s ON t.parent_id = s.id \
         ) SELECT id FROM subtree",
    )
    .bind::<sql_types::Uuid, _>(root)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Which of these teams exist.
pub async fn existing(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<Uuid>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    teams::table
        .filter(teams::id.eq_any(ids))
        .select(teams::id)
        .load(conn)
        .await
}

/// The teams an employee manages directly.
pub async fn managed_by(conn: &mut AsyncPgConnection, employee_id: Uuid) -> QueryResult<Vec<Uuid>> {
    teams::table
        .filter(teams::manager_id.eq(employee_id))
        .select(teams::id)
        .order(teams::id)
        .load(conn)
        .await
}

/// Every team an employee manages, and everything beneath those: what a manager may moderate
/// and report on.
pub async fn managed_subtree(
    conn: &mut AsyncPgConnection,
    manager: Uuid,
) -> QueryResult<Vec<Uuid>> {
    let rows: Vec<IdRow> = diesel::sql_query(
        "WITH RECURSIVE subtree (id) AS ( \
             SELECT id FROM teams WHERE manager_id = $1 \
             UNION \
             SELECT t.id FROM teams t JOIN subtree s ON t.parent_id = s.id \
         ) SELECT id FROM subtree",
    )
    .bind::<sql_types::Uuid, _>(manager)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Live teams by their external ids: (external_id, id).
pub async fn by_external_ids(
    conn: &mut AsyncPgConnection,
    external_ids: &[String],
) -> QueryResult<Vec<(String, Uuid)>> {
    teams::table
        .filter(teams::external_id.eq_any(external_ids))
        .filter(teams::scim_deleted_at.is_null())
        .select((teams::external_id.assume_not_null(), teams::id))
        .load(conn)
        .await
}

/// Every live team as (id, parent, name): enough to find one by its path ("Support/Tier 1").
pub async fn tree(conn: &mut AsyncPgConnection) -> QueryResult<Vec<(Uuid, Option<Uuid>, String)>> {
    teams::table
        .filter(teams::scim_deleted_at.is_null())
        .select((teams::id, teams::parent_id, teams::name))
        .load(conn)
        .await
}

/// Teams without a manager take the one most of their active people report to, when that is
/// more than half of them: the directory's reporting lines say who manages a team. A manager
/// an admin set is never replaced. How many teams were given one.
pub async fn derive_managers(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE teams t SET manager_id = d.manager_id, updated_at = now() \
         FROM (SELECT e.team_id, e.manager_id FROM employees e \
               WHERE e.active AND e.team_id IS NOT NULL AND e.manager_id IS NOT NULL \
               GROUP BY e.team_id, e.manager_id \
               HAVING count(*) * 2 > (SELECT count(*) FROM employees m \
                                      WHERE m.team_id = e.team_id AND m.active)) d \
         WHERE t.id = d.team_id AND t.manager_id IS NULL AND t.scim_deleted_at IS NULL",
    )
    .execute(conn)
    .await
}
