//! What SCIM provisioning reads and writes: its tokens, people as SCIM Users (employees the
//! provider has not deleted) and teams as SCIM Groups, found by filters made into SQL here.

use chrono::{DateTime, Utc};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{self, Bool, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::domain::scim_filter::{AttrPath, CompareOp, Filter, Literal};
use crate::schema::{employees, scim_tokens, teams};

// ---- Tokens ----

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = scim_tokens)]
pub struct TokenRow {
    pub id: Uuid,
    pub name: String,
    pub token_prefix: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_by: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = scim_tokens)]
pub struct NewToken<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub token_hash: &'a [u8],
    pub token_prefix: &'a str,
    pub created_by: &'a str,
}

pub async fn insert_token(
    conn: &mut AsyncPgConnection,
    new: &NewToken<'_>,
) -> QueryResult<TokenRow> {
    diesel::insert_into(scim_tokens::table)
        .values(new)
        .returning(TokenRow::as_returning())
        .get_result(conn)
        .await
}

/// Newest first, keyset-paged by id (UUIDv7: time-ordered).
pub async fn list_tokens(
    conn: &mut AsyncPgConnection,
    before: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<TokenRow>> {
    let mut query = scim_tokens::table
        .select(TokenRow::as_select())
        .order(scim_tokens::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(scim_tokens::id.lt(before));
    }
    query.load(conn).await
}

/// Revokes a token; revoking twice keeps the first revocation.
pub async fn revoke_token(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    actor: &str,
) -> QueryResult<Option<TokenRow>> {
    diesel::update(
        scim_tokens::table
            .find(id)
            .filter(scim_tokens::revoked_at.is_null()),
    )
    .set((
        scim_tokens::revoked_at.eq(diesel::dsl::now),
        scim_tokens::revoked_by.eq(actor),
    ))
    .execute(conn)
    .await?;
    scim_tokens::table
        .find(id)
        .select(TokenRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// The live token whose secret hashes to `hash`, its last use noted (at most once a minute,
/// so a provisioning burst does not rewrite the row on every request).
pub async fn use_token(conn: &mut AsyncPgConnection, hash: &[u8]) -> QueryResult<Option<TokenRow>> {
    let row: Option<TokenRow> = scim_tokens::table
        .filter(scim_tokens::token_hash.eq(hash))
        .filter(scim_tokens::revoked_at.is_null())
        .select(TokenRow::as_select())
        .first(conn)
        .await
        .optional()?;
    // Most requests of a provisioning burst find the last use recent: no write, no round trip.
    let stale = |r: &TokenRow| {
        r.last_used_at
            .is_none_or(|at| Utc::now() - at > chrono::Duration::minutes(1))
    };
    if let Some(row) = row.as_ref().filter(|r| stale(r)) {
        diesel::update(scim_tokens::table.find(row.id))
            .filter(diesel::dsl::sql::<Bool>(
                "(last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
            ))
            .set(scim_tokens::last_used_at.eq(diesel::dsl::now))
            .execute(conn)
            .await?;
    }
    Ok(row)
}

// ---- Users ----

/// A person as SCIM shows them, with the name of their team (their one Group).
#[derive(Debug, Clone, QueryableByName)]
pub struct UserRow {
    #[diesel(sql_type = sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub external_id: String,
    #[diesel(sql_type = Text)]
    pub display_name: String,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub title: Option<String>,
    #[diesel(sql_type = Bool)]
    pub active: bool,
    #[diesel(sql_type = Nullable<sql_types::Uuid>)]
    pub team_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub scim_external_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub department: Option<String>,
    #[diesel(sql_type = Nullable<sql_types::Uuid>)]
    pub manager_id: Option<Uuid>,
    #[diesel(sql_type = sql_types::Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = sql_types::Timestamptz)]
    pub updated_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    pub team_name: Option<String>,
}

const USER_SELECT: &str = "SELECT e.id, e.external_id, e.display_name, e.email, e.title, e.active, \
     e.team_id, e.scim_external_id, e.department, e.manager_id, e.created_at, e.updated_at, \
     t.name AS team_name FROM employees e LEFT JOIN teams t ON t.id = e.team_id \
     WHERE e.scim_deleted_at IS NULL";

/// A filter made into SQL: text, and the values bound in order between the pieces.
#[derive(Debug, Default)]
pub struct Sql {
    pieces: Vec<Piece>,
}

#[derive(Debug)]
enum Piece {
    Text(String),
    Bind(String),
}

impl Sql {
    fn text(&mut self, s: impl Into<String>) -> &mut Self {
        self.pieces.push(Piece::Text(s.into()));
        self
    }

    fn bind(&mut self, v: impl Into<String>) -> &mut Self {
        self.pieces.push(Piece::Bind(v.into()));
        self
    }

    /// How many values it binds.
    fn binds(&self) -> usize {
        self.pieces
            .iter()
            .filter(|p| matches!(p, Piece::Bind(_)))
            .count()
    }

    /// Appends the SQL to `query`, its values bound as `$1`, `$2`... (a boxed raw query takes
    /// its placeholders written out).
    fn onto<'a>(
        &self,
        mut query: BoxedSqlQuery<'a, Pg, diesel::query_builder::SqlQuery>,
    ) -> BoxedSqlQuery<'a, Pg, diesel::query_builder::SqlQuery> {
        let mut n = 0;
        for piece in &self.pieces {
            query = match piece {
                Piece::Text(s) => query.sql(s.clone()),
                Piece::Bind(v) => {
                    n += 1;
                    query.sql(format!("${n}")).bind::<Text, _>(v.clone())
                }
            };
        }
        query
    }
}

/// A column a filter may name: its SQL, whether it compares case-insensitively, whether it is
/// a boolean.
type Column = (&'static str, bool, bool);

fn leaf(
    sql: &mut Sql,
    column: Column,
    compared: Option<(CompareOp, &Literal)>,
) -> Result<(), String> {
    let (column, fold, is_bool) = column;
    let Some((op, value)) = compared else {
        sql.text(format!("({column} IS NOT NULL)"));
        return Ok(());
    };
    if is_bool {
        let Literal::Bool(b) = value else {
            return Err("a boolean attribute is compared with true or false".into());
        };
        let sql_op = match op {
            CompareOp::Eq => "=",
            CompareOp::Ne => "<>",
            _ => return Err("a boolean attribute takes only `eq` and `ne`".into()),
        };
        sql.text(format!("({column} {sql_op} {b})"));
        return Ok(());
    }
    let text = match value {
        Literal::Str(s) => s.clone(),
        Literal::Null if op == CompareOp::Eq => {
            sql.text(format!("({column} IS NULL)"));
            return Ok(());
        }
        Literal::Null if op == CompareOp::Ne => {
            sql.text(format!("({column} IS NOT NULL)"));
            return Ok(());
        }
        _ => return Err("this attribute is compared with a string".into()),
    };
    // Case-insensitive attributes compare in lower case on both sides.
    let (col, open) = if fold {
        (format!("lower({column})"), "lower(")
    } else {
        (column.to_owned(), "(")
    };
    let (before, after) = match op {
        CompareOp::Eq => (format!("({col} = {open}"), "))"),
        CompareOp::Ne => (format!("({col} IS DISTINCT FROM {open}"), "))"),
        CompareOp::Co => (format!("(strpos({col}, {open}"), ")) > 0)"),
        CompareOp::Sw => (format!("(starts_with({col}, {open}"), ")))"),
        CompareOp::Ew => (
            format!("(right({col}, {}) = {open}", text.chars().count()),
            "))",
        ),
        CompareOp::Gt => (format!("({col} > {open}"), "))"),
        CompareOp::Ge => (format!("({col} >= {open}"), "))"),
        CompareOp::Lt => (format!("({col} < {open}"), "))"),
        CompareOp::Le => (format!("({col} <= {open}"), "))"),
    };
    sql.text(before).bind(text).text(after);
    Ok(())
}

fn combine(
    sql: &mut Sql,
    filter: &Filter,
    on_leaf: &dyn Fn(&mut Sql, &Filter) -> Result<(), String>,
) -> Result<(), String> {
    match filter {
        Filter::And(a, b) | Filter::Or(a, b) => {
            let joiner = if matches!(filter, Filter::And(..)) {
                " AND "
            } else {
                " OR "
            };
            sql.text("(");
            combine(sql, a, on_leaf)?;
            sql.text(joiner);
            combine(sql, b, on_leaf)?;
            sql.text(")");
        }
        Filter::Not(inner) => {
            // NULL (an absent attribute) is "not matched", so `not` matches it.
            sql.text("(NOT coalesce(");
            combine(sql, inner, on_leaf)?;
            sql.text(", false))");
        }
        other => on_leaf(sql, other)?,
    }
    Ok(())
}

fn split(leaf: &Filter) -> (&AttrPath, Option<(CompareOp, &Literal)>) {
    match leaf {
        Filter::Compare { path, op, value } => (path, Some((*op, value))),
        Filter::Present(path) => (path, None),
        Filter::ValuePath { path, .. } => (path, None),
        _ => unreachable!("combine hands over leaves only"),
    }
}

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user";
const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:user";
const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:group";

/// A User filter as SQL over `employees e`.
pub fn user_condition(filter: &Filter) -> Result<Sql, String> {
    let mut sql = Sql::default();
    combine(&mut sql, filter, &|sql, f| {
        if let Filter::ValuePath { path, filter } = f {
            // `emails[value eq "x"]` is `emails.value eq "x"`.
            if path.attr == "emails"
                && let Filter::Compare {
                    path: inner,
                    op,
                    value,
                } = filter.as_ref()
                && inner.attr == "value"
            {
                return leaf(sql, ("e.email", true, false), Some((*op, value)));
            }
            return Err(format!("`{}[...]` cannot be filtered on", path.attr));
        }
        let (path, compared) = split(f);
        let core = matches!(path.schema.as_deref(), None | Some(CORE_USER));
        let enterprise = matches!(path.schema.as_deref(), None | Some(ENTERPRISE));
        let column = match (&path.attr[..], path.sub.as_deref()) {
            ("username", None) if core => ("e.external_id", false, false),
            ("externalid", None) if core => ("e.scim_external_id", false, false),
            ("displayname", None) if core => ("e.display_name", true, false),
            ("emails", None | Some("value")) if core => ("e.email", true, false),
            ("title", None) if core => ("e.title", true, false),
            ("active", None) if core => ("e.active", false, true),
            ("id", None) => ("e.id::text", false, false),
            ("department", None) if enterprise => ("e.department", true, false),
            ("manager", None | Some("value")) if enterprise => ("e.manager_id::text", false, false),
            _ => return Err(format!("`{path}` cannot be filtered on")),
        };
        leaf(sql, column, compared)
    })?;
    Ok(sql)
}

#[derive(QueryableByName)]
struct Total {
    #[diesel(sql_type = sql_types::BigInt)]
    total: i64,
}

/// One page of users matching `filter` (in the order they were created), and how many match.
pub async fn find_users(
    conn: &mut AsyncPgConnection,
    filter: Option<&Filter>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<UserRow>, i64), FindError> {
    let condition = filter
        .map(user_condition)
        .transpose()
        .map_err(FindError::Filter)?;
    find_page(conn, USER_SELECT, "e", condition, offset, limit).await
}

/// One page of `select`'s rows (alias `alias`) that also meet `condition`, in the order they
/// were created, and how many there are in all.
async fn find_page<T: QueryableByName<Pg> + Send + 'static>(
    conn: &mut AsyncPgConnection,
    select: &str,
    alias: &str,
    condition: Option<Sql>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<T>, i64), FindError> {
    let with = |head: String| {
        let mut q = diesel::sql_query(head).into_boxed::<Pg>();
        if let Some(c) = &condition {
            q = c.onto(q.sql(" AND "));
        }
        q
    };
    let total = with(format!("SELECT count(*) AS total FROM ({select}"))
        .sql(") found")
        .get_result::<Total>(conn)
        .await?
        .total;
    let rows = if limit > 0 {
        let next = condition.as_ref().map_or(0, Sql::binds);
        with(select.to_owned())
            .sql(format!(
                " ORDER BY {alias}.created_at, {alias}.id OFFSET ${} LIMIT ${}",
                next + 1,
                next + 2
            ))
            .bind::<sql_types::BigInt, _>(offset)
            .bind::<sql_types::BigInt, _>(limit)
            .load(conn)
            .await?
    } else {
        Vec::new()
    };
    Ok((rows, total))
}

pub async fn find_user(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<UserRow>> {
    diesel::sql_query(format!("{USER_SELECT} AND e.id = $1"))
        .bind::<sql_types::Uuid, _>(id)
        .get_result(conn)
        .await
        .optional()
}

/// Why a search did not run.
#[derive(Debug)]
pub enum FindError {
    Filter(String),
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for FindError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Database(e)
    }
}

/// What provisioning writes of a person.
#[derive(Debug, Clone)]
pub struct UserFields {
    pub user_name: String,
    pub display_name: String,
    pub email: String,
    pub title: Option<String>,
    pub active: bool,
    pub scim_external_id: Option<String>,
    pub department: Option<String>,
    pub manager_id: Option<Uuid>,
}

/// The person with this userName the provider deleted before, locked: creating them again
/// brings the same record (and its history) back.
pub async fn deleted_user_named(
    conn: &mut AsyncPgConnection,
    user_name: &str,
) -> QueryResult<Option<Uuid>> {
    employees::table
        .filter(employees::external_id.eq(user_name))
        .filter(employees::scim_deleted_at.is_not_null())
        .select(employees::id)
        .for_update()
        .first(conn)
        .await
        .optional()
}

pub async fn insert_user(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    f: &UserFields,
) -> QueryResult<()> {
    diesel::insert_into(employees::table)
        .values((
            employees::id.eq(id),
            employees::external_id.eq(&f.user_name),
            employees::display_name.eq(&f.display_name),
            employees::email.eq(&f.email),
            employees::title.eq(&f.title),
            employees::active.eq(f.active),
            employees::scim_external_id.eq(&f.scim_external_id),
            employees::department.eq(&f.department),
            employees::manager_id.eq(f.manager_id),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Writes every field (a replacement); a deleted person is brought back. Whether the row
/// exists (and is a SCIM resource).
pub async fn update_user(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    f: &UserFields,
    revive: bool,
) -> QueryResult<bool> {
    let target = employees::table.find(id);
    let changes = (
        employees::external_id.eq(&f.user_name),
        employees::display_name.eq(&f.display_name),
        employees::email.eq(&f.email),
        employees::title.eq(&f.title),
        employees::active.eq(f.active),
        employees::scim_external_id.eq(&f.scim_external_id),
        employees::department.eq(&f.department),
        employees::manager_id.eq(f.manager_id),
        employees::scim_deleted_at.eq(None::<DateTime<Utc>>),
        employees::updated_at.eq(diesel::dsl::now),
    );
    let n = if revive {
        diesel::update(target).set(changes).execute(conn).await?
    } else {
        diesel::update(target.filter(employees::scim_deleted_at.is_null()))
            .set(changes)
            .execute(conn)
            .await?
    };
    Ok(n == 1)
}

/// Locks a live user's row for a read-modify-write (PATCH).
pub async fn lock_user(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    employees::table
        .find(id)
        .filter(employees::scim_deleted_at.is_null())
        .select(employees::id)
        .for_update()
        .first::<Uuid>(conn)
        .await
        .optional()
        .map(|r| r.is_some())
}

/// The provider deleted a person: they stay, inactive, for their history; no longer a SCIM
/// resource. Whether they were one.
pub async fn delete_user(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    diesel::update(
        employees::table
            .find(id)
            .filter(employees::scim_deleted_at.is_null()),
    )
    .set((
        employees::active.eq(false),
        employees::scim_deleted_at.eq(diesel::dsl::now),
        employees::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await
    .map(|n| n == 1)
}

/// Which of `ids` are live SCIM users.
pub async fn live_users(conn: &mut AsyncPgConnection, ids: &[Uuid]) -> QueryResult<Vec<Uuid>> {
    employees::table
        .filter(employees::id.eq_any(ids))
        .filter(employees::scim_deleted_at.is_null())
        .select(employees::id)
        .load(conn)
        .await
}

// ---- Groups ----

#[derive(Debug, Clone, QueryableByName)]
pub struct GroupRow {
    #[diesel(sql_type = sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub external_id: Option<String>,
    #[diesel(sql_type = sql_types::Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = sql_types::Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

const GROUP_SELECT: &str = "SELECT t.id, t.name, t.external_id, t.created_at, t.updated_at \
     FROM teams t WHERE t.scim_deleted_at IS NULL";

/// A Group filter as SQL over `teams t`.
pub fn group_condition(filter: &Filter) -> Result<Sql, String> {
    let mut sql = Sql::default();
    combine(&mut sql, filter, &|sql, f| {
        let (path, compared) = split(f);
        if !matches!(path.schema.as_deref(), None | Some(CORE_GROUP)) {
            return Err(format!("`{path}` cannot be filtered on"));
        }
        let column = match (&path.attr[..], path.sub.as_deref(), f) {
            ("displayname", None, _) => ("t.name", true, false),
            ("externalid", None, _) => ("t.external_id", false, false),
            ("id", None, _) => ("t.id::text", false, false),
            ("members", Some("value"), _) | ("members", None, Filter::ValuePath { .. }) => {
                // Groups that have this person: `members.value eq "id"` or `members[value eq "id"]`.
                let (op, value) = match f {
                    Filter::ValuePath { filter, .. } => match filter.as_ref() {
                        Filter::Compare { path, op, value } if path.attr == "value" => (*op, value),
                        _ => {
                            return Err(
                                "members are filtered with `members[value eq \"id\"]`".into()
                            );
                        }
                    },
                    _ => compared.ok_or("members are filtered with `members.value eq \"id\"`")?,
                };
                let (CompareOp::Eq, Literal::Str(v)) = (op, value) else {
                    return Err("members are filtered with `members.value eq \"id\"`".into());
                };
                sql.text("(t.id IN (SELECT team_id FROM employees WHERE id::text = ")
                    .bind(v.clone())
                    .text(" AND scim_deleted_at IS NULL AND team_id IS NOT NULL))");
                return Ok(());
            }
            _ => return Err(format!("`{path}` cannot be filtered on")),
        };
        if matches!(f, Filter::ValuePath { .. }) {
            return Err(format!("`{}[...]` cannot be filtered on", path.attr));
        }
        leaf(sql, column, compared)
    })?;
    Ok(sql)
}

pub async fn find_groups(
    conn: &mut AsyncPgConnection,
    filter: Option<&Filter>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<GroupRow>, i64), FindError> {
    let condition = filter
        .map(group_condition)
        .transpose()
        .map_err(FindError::Filter)?;
    find_page(conn, GROUP_SELECT, "t", condition, offset, limit).await
}

pub async fn find_group(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<GroupRow>> {
    diesel::sql_query(format!("{GROUP_SELECT} AND t.id = $1"))
        .bind::<sql_types::Uuid, _>(id)
        .get_result(conn)
        .await
        .optional()
}

/// Locks a live group's row for a read-modify-write.
pub async fn lock_group(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    teams::table
        .find(id)
        .filter(teams::scim_deleted_at.is_null())
        .select(teams::id)
        .for_update()
        .first::<Uuid>(conn)
        .await
        .optional()
        .map(|r| r.is_some())
}

/// The members of each of `groups` (live people only), by group, in name order.
pub async fn members_of(
    conn: &mut AsyncPgConnection,
    groups: &[Uuid],
) -> QueryResult<Vec<(Uuid, Uuid, String)>> {
    employees::table
        .filter(employees::team_id.eq_any(groups))
        .filter(employees::scim_deleted_at.is_null())
        .select((
            employees::team_id.assume_not_null(),
            employees::id,
            employees::display_name,
        ))
        .order((employees::display_name.asc(), employees::id.asc()))
        .load(conn)
        .await
}

pub async fn insert_group(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    name: &str,
    external_id: Option<&str>,
) -> QueryResult<()> {
    diesel::insert_into(teams::table)
        .values((
            teams::id.eq(id),
            teams::name.eq(name),
            teams::external_id.eq(external_id),
        ))
        .execute(conn)
        .await
        .map(drop)
}

pub async fn update_group(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    name: &str,
    external_id: Option<&str>,
) -> QueryResult<()> {
    diesel::update(teams::table.find(id))
        .set((
            teams::name.eq(name),
            teams::external_id.eq(external_id),
            teams::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Makes `members` exactly the people of the team: newcomers move in (out of any other team),
/// people not listed leave it for no team.
pub async fn set_members(
    conn: &mut AsyncPgConnection,
    team: Uuid,
    members: &[Uuid],
) -> QueryResult<()> {
    diesel::update(
        employees::table
            .filter(employees::team_id.eq(team))
            .filter(diesel::dsl::not(employees::id.eq_any(members))),
    )
    .set((
        employees::team_id.eq(None::<Uuid>),
        employees::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await?;
    diesel::update(
        employees::table
            .filter(employees::id.eq_any(members))
            .filter(employees::team_id.is_distinct_from(team)),
    )
    .set((
        employees::team_id.eq(team),
        employees::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await
    .map(drop)
}

/// The provider deleted a group: its people leave it, and the team stays for its history,
/// out of SCIM and the team list (its name free for a new team).
pub async fn delete_group(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<bool> {
    set_members(conn, id, &[]).await?;
    diesel::update(
        teams::table
            .find(id)
            .filter(teams::scim_deleted_at.is_null()),
    )
    .set((
        teams::scim_deleted_at.eq(diesel::dsl::now),
        teams::external_id.eq(None::<String>),
        teams::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
    .await
    .map(|n| n == 1)
}
