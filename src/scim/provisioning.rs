//! Writing what the identity provider sends: each request one transaction, with the token's
//! name as the audit actor (`scim:<name>`), the directory's rules checked as for the API
//! (the same text types, the same constraints), and a PATCH applied to the current resource
//! and then written like a replacement.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::Value;
use uuid::Uuid;

use super::error::{ScimError, ScimResult};
use super::patch;
use super::resources::{self, GroupInput, UserInput};
use crate::domain::fields::{Email, ExternalId, Name};
use crate::models::audit;
use crate::models::scim::{self as store, GroupRow, UserFields, UserRow};

/// What the request is allowed to write, as whom.
pub struct Provisioner<'a> {
    pub actor: &'a str,
    pub base: &'a str,
}

fn checked<T>(parsed: Result<T, String>, name: &str) -> ScimResult<T> {
    parsed.map_err(|why| ScimError::invalid_value(format!("{name}: {why}")))
}

fn optional_text(value: Option<String>, name: &str, max: usize) -> ScimResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) => {
            let v = v.trim().to_owned();
            if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
                Err(ScimError::invalid_value(format!(
                    "{name}: must be 1 to {max} characters without control characters"
                )))
            } else {
                Ok(Some(v))
            }
        }
    }
}

async fn fields(
    conn: &mut AsyncPgConnection,
    input: UserInput,
    id: Option<Uuid>,
) -> ScimResult<UserFields> {
    let user_name = input
        .user_name
        .ok_or_else(|| ScimError::invalid_value("userName: required"))?;
    let user_name = checked(ExternalId::parse(&user_name), "userName")?.into_string();
    let display_name = checked(
        Name::parse(input.display_name.as_deref().unwrap_or(&user_name)),
        "displayName",
    )?
    .into_string();
    let email = input
        .email
        .ok_or_else(|| ScimError::invalid_value("emails: a work e-mail address is required"))?;
    let email = checked(Email::parse(&email), "emails")?.into_string();
    let title = match input.title {
        Some(t) => Some(checked(Name::parse(&t), "title")?.into_string()),
        None => None,
    };
    let manager_id = match input.manager {
        None => None,
        Some(m) => {
            let manager = Uuid::parse_str(m.trim())
                .map_err(|_| ScimError::invalid_value("manager: not the id of a User"))?;
            if Some(manager) == id {
                return Err(ScimError::invalid_value(
                    "manager: a person cannot manage themselves",
                ));
            }
            if store::live_users(conn, &[manager]).await?.is_empty() {
                return Err(ScimError::invalid_value("manager: no User with this id"));
            }
            Some(manager)
        }
    };
    Ok(UserFields {
        user_name,
        display_name,
        email,
        title,
        active: input.active.unwrap_or(true),
        scim_external_id: optional_text(input.external_id, "externalId", 255)?,
        department: optional_text(input.department, "department", 200)?,
        manager_id,
    })
}

async fn reread_user(conn: &mut AsyncPgConnection, id: Uuid) -> ScimResult<UserRow> {
    store::find_user(conn, id)
        .await?
        .ok_or_else(|| ScimError::not_found("no such User"))
}

impl Provisioner<'_> {
    async fn begin(&self, conn: &mut AsyncPgConnection) -> ScimResult<()> {
        audit::act_as(conn, self.actor).await?;
        Ok(())
    }

    /// Creates a person, or brings back the one the provider deleted with this userName.
    pub async fn create_user(
        &self,
        conn: &mut AsyncPgConnection,
        body: &Value,
    ) -> ScimResult<UserRow> {
        let input = resources::read_user(body)?;
        conn.transaction::<_, ScimError, _>(async |conn| {
            self.begin(conn).await?;
            let deleted = match &input.user_name {
                Some(name) => store::deleted_user_named(conn, name.trim()).await?,
                None => None,
            };
            let fields = fields(conn, input.clone(), deleted).await?;
            let id = match deleted {
                Some(id) => {
                    store::update_user(conn, id, &fields, true).await?;
                    id
                }
                None => {
                    let id = Uuid::now_v7();
                    store::insert_user(conn, id, &fields).await?;
                    id
                }
            };
            reread_user(conn, id).await
        })
        .await
    }

    pub async fn replace_user(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
        body: &Value,
    ) -> ScimResult<UserRow> {
        let input = resources::read_user(body)?;
        conn.transaction::<_, ScimError, _>(async |conn| {
            self.begin(conn).await?;
            if !store::lock_user(conn, id).await? {
                return Err(ScimError::not_found("no such User"));
            }
            let fields = fields(conn, input.clone(), Some(id)).await?;
            store::update_user(conn, id, &fields, false).await?;
            reread_user(conn, id).await
        })
        .await
    }

    pub async fn patch_user(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
        body: &Value,
    ) -> ScimResult<UserRow> {
        conn.transaction::<_, ScimError, _>(async |conn| {
            self.begin(conn).await?;
            if !store::lock_user(conn, id).await? {
                return Err(ScimError::not_found("no such User"));
            }
            let mut current = resources::user_json(self.base, &reread_user(conn, id).await?);
            patch::apply(&mut current, body)?;
            let input = resources::read_user(&current)?;
            let fields = fields(conn, input, Some(id)).await?;
            store::update_user(conn, id, &fields, false).await?;
            reread_user(conn, id).await
        })
        .await
    }

    pub async fn delete_user(&self, conn: &mut AsyncPgConnection, id: Uuid) -> ScimResult<()> {
        conn.transaction::<_, ScimError, _>(async |conn| {
            self.begin(conn).await?;
            if store::delete_user(conn, id).await? {
                Ok(())
            } else {
                Err(ScimError::not_found("no such User"))
            }
        })
        .await
    }

    async fn write_group(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
        input: GroupInput,
        create: bool,
    ) -> ScimResult<()> {
        let name = input
            .display_name
            .ok_or_else(|| ScimError::invalid_value("displayName: required"))?;
        let name = checked(Name::parse(&name), "displayName")?.into_string();
        let external_id = optional_text(input.external_id, "externalId", 255)?;
        let mut members = Vec::with_capacity(input.members.len());
        for m in &input.members {
            let id = Uuid::parse_str(m.trim()).map_err(|_| {
                ScimError::invalid_value(format!("members: `{m}` is not the id of a User"))
            })?;
            if !members.contains(&id) {
                members.push(id);
            }
        }
        let live = store::live_users(conn, &members).await?;
        if let Some(missing) = members.iter().find(|m| !live.contains(m)) {
            return Err(ScimError::invalid_value(format!(
                "members: no User with id {missing}"
            )));
        }
        if create {
            store::insert_group(conn, id, &name, external_id.as_deref()).await?;
        } else {
            store::update_group(conn, id, &name, external_id.as_deref()).await?;
        }
        store::set_members(conn, id, &members).await?;
        Ok(())
    }

    pub async fn create_group(
        &self,
        conn: &mut AsyncPgConnection,
        body: &Value,
    ) -> ScimResult<GroupRow> {
        let input = resources::read_group(body)?;
        conn.transaction::<_, ScimError, _>(async |conn| {
            self.begin(conn).await?;
            let id = Uuid::now_v7();
            self.write_group(conn, id, input.clone(), true).await?;
            store::find_group(conn, id)
                .await?
                .ok_or_else(|| ScimError::not_found("no such Group"))
        })
        .await
    }

    pub async fn replace_group(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
        body: &Value,
    ) -> ScimResult<GroupRow> {
        let input = resources::read_group(body)?;
        conn.transaction::<_, ScimError, _>(async |conn| {
            self.begin(conn).await?;
            if !store::lock_group(conn, id).await? {
                return Err(ScimError::not_found("no such Group"));
            }
            self.write_group(conn, id, input.clone(), false).await?;
            store::find_group(conn, id)
                .await?
                .ok_or_else(|| ScimError::not_found("no such Group"))
        })
        .await
    }

    pub async fn patch_group(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
        body: &Value,
    ) -> ScimResult<GroupRow> {
        conn.transaction::<_, ScimError, _>(async |conn| {
            self.begin(conn).await?;
            if !store::lock_group(conn, id).await? {
                return Err(ScimError::not_found("no such Group"));
            }
            let row = store::find_group(conn, id)
                .await?
                .ok_or_else(|| ScimError::not_found("no such Group"))?;
            let members = group_members(conn, &[id]).await?;
            let mut current =
                resources::group_json(self.base, &row, members.first().map(|(_, m)| m.as_slice()));
            patch::apply(&mut current, body)?;
            let input = resources::read_group(&current)?;
            self.write_group(conn, id, input, false).await?;
            store::find_group(conn, id)
                .await?
                .ok_or_else(|| ScimError::not_found("no such Group"))
        })
        .await
    }

    pub async fn delete_group(&self, conn: &mut AsyncPgConnection, id: Uuid) -> ScimResult<()> {
        conn.transaction::<_, ScimError, _>(async |conn| {
            self.begin(conn).await?;
            if !store::lock_group(conn, id).await? {
                return Err(ScimError::not_found("no such Group"));
            }
            store::delete_group(conn, id).await?;
            Ok(())
        })
        .await
    }
}

/// Each group's members (id and name), in the order of `groups`.
pub async fn group_members(
    conn: &mut AsyncPgConnection,
    groups: &[Uuid],
) -> ScimResult<Vec<(Uuid, Vec<(Uuid, String)>)>> {
    let rows = store::members_of(conn, groups).await?;
    Ok(groups
        .iter()
        .map(|g| {
            (
                *g,
                rows.iter()
                    .filter(|(team, _, _)| team == g)
                    .map(|(_, id, name)| (*id, name.clone()))
                    .collect(),
            )
        })
        .collect())
}
