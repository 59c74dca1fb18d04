//! SCIM Users and Groups as JSON: written from rows, read from requests (leniently, as
//! identity providers differ: attribute names in any case, `"True"` for true, a manager as an
//! object or a bare id), and cut to the `attributes` or `excludedAttributes` asked for.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::error::{ScimError, ScimResult};
use super::{CORE_GROUP, CORE_USER, ENTERPRISE_USER, LIST_RESPONSE};
use crate::domain::scim_filter::AttrPath;
use crate::models::scim::{GroupRow, UserRow};

fn meta(
    kind: &str,
    location: String,
    created: chrono::DateTime<chrono::Utc>,
    modified: chrono::DateTime<chrono::Utc>,
) -> Value {
    json!({
        "resourceType": kind,
        "created": created.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "lastModified": modified.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "location": location,
        "version": format!("W/\"{}\"", modified.timestamp_micros()),
    })
}

pub fn user_location(base: &str, id: Uuid) -> String {
    format!("{base}/Users/{id}")
}

pub fn group_location(base: &str, id: Uuid) -> String {
    format!("{base}/Groups/{id}")
}

/// A person as a SCIM User.
pub fn user_json(base: &str, row: &UserRow) -> Value {
    let mut user = Map::new();
    user.insert("schemas".into(), json!([CORE_USER, ENTERPRISE_USER]));
    user.insert("id".into(), json!(row.id));
    if let Some(external) = &row.scim_external_id {
        user.insert("externalId".into(), json!(external));
    }
    user.insert("userName".into(), json!(row.external_id));
    user.insert("displayName".into(), json!(row.display_name));
    user.insert("emails".into(), json!([{"value": row.email}]));
    if let Some(title) = &row.title {
        user.insert("title".into(), json!(title));
    }
    user.insert("active".into(), json!(row.active));
    if let (Some(team), Some(name)) = (row.team_id, &row.team_name) {
        user.insert(
            "groups".into(),
            json!([{"value": team, "$ref": group_location(base, team), "display": name}]),
        );
    }
    let mut enterprise = Map::new();
    if let Some(department) = &row.department {
        enterprise.insert("department".into(), json!(department));
    }
    if let Some(manager) = row.manager_id {
        enterprise.insert(
            "manager".into(),
            json!({"value": manager, "$ref": user_location(base, manager)}),
        );
    }
    if !enterprise.is_empty() {
        user.insert(ENTERPRISE_USER.into(), Value::Object(enterprise));
    }
    user.insert(
        "meta".into(),
        meta(
            "User",
            user_location(base, row.id),
            row.created_at,
            row.updated_at,
        ),
    );
    Value::Object(user)
}

/// A team as a SCIM Group; `members` is `None` when they were not asked for.
pub fn group_json(base: &str, row: &GroupRow, members: Option<&[(Uuid, String)]>) -> Value {
    let mut group = Map::new();
    group.insert("schemas".into(), json!([CORE_GROUP]));
    group.insert("id".into(), json!(row.id));
    if let Some(external) = &row.external_id {
        group.insert("externalId".into(), json!(external));
    }
    group.insert("displayName".into(), json!(row.name));
    if let Some(members) = members
        && !members.is_empty()
    {
        group.insert(
            "members".into(),
            Value::Array(
                members
                    .iter()
                    .map(|(id, _)| json!({"value": id, "$ref": user_location(base, *id), "type": "User"}))
                    .collect(),
            ),
        );
    }
    group.insert(
        "meta".into(),
        meta(
            "Group",
            group_location(base, row.id),
            row.created_at,
            row.updated_at,
        ),
    );
    Value::Object(group)
}

pub fn list_json(resources: Vec<Value>, total: i64, start_index: i64) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// The value of `key` in `object`, matched without regard to case (SCIM names are
/// case-insensitive); `null` counts as absent.
pub fn get<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    object
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
        .filter(|v| !v.is_null())
}

fn string(object: &Map<String, Value>, key: &str, name: &str) -> ScimResult<Option<String>> {
    match get(object, key) {
        None => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ScimError::invalid_value(format!(
            "{name}: must be a string"
        ))),
    }
}

/// A boolean, or the strings "true" and "false" in any case (Entra sends "False").
pub fn boolean(value: &Value, name: &str) -> ScimResult<bool> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(ScimError::invalid_value(format!(
            "{name}: must be true or false"
        ))),
    }
}

/// What a request says of a person, before the directory's rules are checked.
#[derive(Debug, Default, Clone)]
pub struct UserInput {
    pub user_name: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub title: Option<String>,
    pub active: Option<bool>,
    pub external_id: Option<String>,
    pub department: Option<String>,
    pub manager: Option<String>,
}

fn object<'a>(body: &'a Value, what: &str) -> ScimResult<&'a Map<String, Value>> {
    body.as_object()
        .ok_or_else(|| ScimError::invalid_syntax(format!("{what} must be a JSON object")))
}

/// The one e-mail address kept: the primary one, else a work one, else the first.
fn chosen_email(emails: &Value) -> ScimResult<Option<String>> {
    let list = match emails {
        Value::Array(list) => list.as_slice(),
        Value::Null => return Ok(None),
        _ => return Err(ScimError::invalid_value("emails: must be a list")),
    };
    let items: Vec<&Map<String, Value>> = list
        .iter()
        .map(|v| object(v, "each of emails"))
        .collect::<ScimResult<_>>()?;
    let primary = items
        .iter()
        .find(|m| get(m, "primary").is_some_and(|p| p == &json!(true)));
    let work = items.iter().find(|m| {
        get(m, "type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("work"))
    });
    match primary.or(work).or(items.first()) {
        None => Ok(None),
        Some(item) => string(item, "value", "emails.value"),
    }
}

pub fn read_user(body: &Value) -> ScimResult<UserInput> {
    let user = object(body, "a User")?;
    let mut input = UserInput {
        user_name: string(user, "userName", "userName")?,
        display_name: string(user, "displayName", "displayName")?,
        title: string(user, "title", "title")?,
        external_id: string(user, "externalId", "externalId")?,
        ..UserInput::default()
    };
    if input.display_name.is_none()
        && let Some(name) = get(user, "name")
    {
        // No display name: the formatted name, else given and family names.
        let name = object(name, "name")?;
        input.display_name = string(name, "formatted", "name.formatted")?.or_else(|| {
            let parts: Vec<String> = ["givenName", "familyName"]
                .iter()
                .filter_map(|k| {
                    get(name, k)
                        .and_then(Value::as_str)
                        .map(str::trim)
                        .map(str::to_owned)
                })
                .filter(|s| !s.is_empty())
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        });
    }
    if let Some(emails) = get(user, "emails") {
        input.email = chosen_email(emails)?;
    }
    if let Some(active) = get(user, "active") {
        input.active = Some(boolean(active, "active")?);
    }
    if let Some(enterprise) = get(user, ENTERPRISE_USER) {
        let enterprise = object(enterprise, ENTERPRISE_USER)?;
        input.department = string(enterprise, "department", "department")?;
        input.manager = match get(enterprise, "manager") {
            None => None,
            // Entra sends the manager's id on its own.
            Some(Value::String(id)) => Some(id.clone()).filter(|s| !s.trim().is_empty()),
            Some(manager @ Value::Object(_)) => {
                string(object(manager, "manager")?, "value", "manager.value")?
            }
            Some(_) => {
                return Err(ScimError::invalid_value(
                    "manager: must be an object with a value",
                ));
            }
        };
    }
    Ok(input)
}

/// What a request says of a team.
#[derive(Debug, Default, Clone)]
pub struct GroupInput {
    pub display_name: Option<String>,
    pub external_id: Option<String>,
    pub members: Vec<String>,
}

pub fn read_group(body: &Value) -> ScimResult<GroupInput> {
    let group = object(body, "a Group")?;
    let mut members = Vec::new();
    match get(group, "members") {
        None => {}
        Some(Value::Array(list)) => {
            for member in list {
                let member = object(member, "each of members")?;
                if get(member, "type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.eq_ignore_ascii_case("group"))
                {
                    return Err(ScimError::invalid_value(
                        "members: a team holds people; groups inside groups are not supported",
                    ));
                }
                let value = string(member, "value", "members.value")?
                    .ok_or_else(|| ScimError::invalid_value("members.value: required"))?;
                members.push(value);
            }
        }
        Some(_) => return Err(ScimError::invalid_value("members: must be a list")),
    }
    Ok(GroupInput {
        display_name: string(group, "displayName", "displayName")?,
        external_id: string(group, "externalId", "externalId")?,
        members,
    })
}

/// Parses an `attributes` or `excludedAttributes` list.
pub fn attribute_list(text: Option<&str>) -> ScimResult<Vec<AttrPath>> {
    text.map(|t| {
        t.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(|p| AttrPath::parse(p).map_err(ScimError::invalid_value))
            .collect()
    })
    .unwrap_or(Ok(Vec::new()))
}

/// Whether `key` (a top-level key of a resource, or of its extension `extension`) is named by
/// `path`.
fn names(path: &AttrPath, extension: Option<&str>, key: &str) -> bool {
    let schema_matches = match (&path.schema, extension) {
        (Some(s), Some(ext)) => s.eq_ignore_ascii_case(ext),
        (Some(s), None) => s.eq_ignore_ascii_case(CORE_USER) || s.eq_ignore_ascii_case(CORE_GROUP),
        (None, _) => true,
    };
    schema_matches && path.attr.eq_ignore_ascii_case(key)
}

/// Cuts a resource to what was asked for: `id` and `schemas` always stay.
pub fn project(resource: &mut Value, attributes: &[AttrPath], excluded: &[AttrPath]) {
    let Some(object) = resource.as_object_mut() else {
        return;
    };
    let always = |k: &str| k == "id" || k == "schemas";
    let is_extension = |k: &str| k.eq_ignore_ascii_case(ENTERPRISE_USER);
    if !attributes.is_empty() {
        object.retain(|key, value| {
            if always(key) {
                return true;
            }
            if is_extension(key) {
                // The bare URN asks for the whole extension.
                if attributes.iter().any(|p| {
                    p.sub.is_none()
                        && format!("{}:{}", p.schema.as_deref().unwrap_or(""), p.attr)
                            .eq_ignore_ascii_case(key)
                }) {
                    return true;
                }
                if let Some(inner) = value.as_object_mut() {
                    inner.retain(|k, _| {
                        attributes
                            .iter()
                            .any(|p| names(p, Some(ENTERPRISE_USER), k) && p.schema.is_some())
                    });
                    return !inner.is_empty();
                }
                return false;
            }
            attributes.iter().any(|p| names(p, None, key))
        });
    }
    if !excluded.is_empty() {
        object.retain(|key, value| {
            if always(key) {
                return true;
            }
            if is_extension(key) {
                if let Some(inner) = value.as_object_mut() {
                    inner.retain(|k, _| {
                        !excluded
                            .iter()
                            .any(|p| names(p, Some(ENTERPRISE_USER), k) && p.schema.is_some())
                    });
                    return !inner.is_empty();
                }
                return true;
            }
            !excluded
                .iter()
                .any(|p| p.sub.is_none() && names(p, None, key))
        });
    }
}
