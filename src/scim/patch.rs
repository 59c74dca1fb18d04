//! PATCH (RFC 7644 §3.5.2) applied to a resource's JSON, in the shapes identity providers
//! send: Okta's `{"op": "replace", "value": {"active": false}}` without a path, Entra's
//! capitalised ops, `emails[type eq "work"].value`, `members` removed by a value list or by
//! `members[value eq "…"]`, attributes qualified by their schema's URN. The result is then
//! read like a PUT, so a PATCH obeys every rule a replacement does.

use serde_json::{Map, Value};

use super::ENTERPRISE_USER;
use super::error::{ScimError, ScimResult};
use super::resources::get;
use crate::domain::scim_filter::{self, AttrPath, CompareOp, Filter, Literal, PatchPath};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// Most operations one PATCH may carry.
const MAX_OPERATIONS: usize = 1_000;

/// The attributes a resource keeps, in the casing it is written with.
const KNOWN: &[&str] = &[
    "userName",
    "displayName",
    "emails",
    "title",
    "active",
    "externalId",
    "name",
    "members",
    "department",
    "manager",
];

fn canonical(attr: &str) -> Option<&'static str> {
    KNOWN.iter().copied().find(|k| k.eq_ignore_ascii_case(attr))
}

fn key_in(object: &Map<String, Value>, attr: &str) -> Option<String> {
    object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(attr))
        .cloned()
        .or_else(|| canonical(attr).map(str::to_owned))
}

/// Applies the operations of a PATCH body to `resource`.
pub fn apply(resource: &mut Value, body: &Value) -> ScimResult<()> {
    let body = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("a PATCH body is a JSON object"))?;
    let operations = match get(body, "Operations") {
        Some(Value::Array(list)) if !list.is_empty() => list,
        _ => {
            return Err(ScimError::invalid_syntax(
                "Operations: a non-empty list is required",
            ));
        }
    };
    if operations.len() > MAX_OPERATIONS {
        return Err(ScimError::invalid_syntax(format!(
            "Operations: at most {MAX_OPERATIONS}"
        )));
    }
    for (index, operation) in operations.iter().enumerate() {
        let operation = operation.as_object().ok_or_else(|| {
            ScimError::invalid_syntax(format!("Operations[{index}]: must be an object"))
        })?;
        let op = match get(operation, "op")
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("add") => Op::Add,
            Some("replace") => Op::Replace,
            Some("remove") => Op::Remove,
            _ => {
                return Err(ScimError::invalid_syntax(format!(
                    "Operations[{index}].op: must be add, replace or remove"
                )));
            }
        };
        let value = get(operation, "value");
        match get(operation, "path").and_then(Value::as_str) {
            Some(path) if !path.trim().is_empty() => apply_path(resource, op, path.trim(), value)?,
            _ => {
                if op == Op::Remove {
                    return Err(ScimError::no_target(format!(
                        "Operations[{index}]: remove needs a path"
                    )));
                }
                let Some(Value::Object(values)) = value else {
                    return Err(ScimError::invalid_value(format!(
                        "Operations[{index}].value: without a path, an object of attributes"
                    )));
                };
                for (key, value) in values {
                    if key.eq_ignore_ascii_case(ENTERPRISE_USER) {
                        let Value::Object(inner) = value else {
                            return Err(ScimError::invalid_value(format!(
                                "{ENTERPRISE_USER}: must be an object"
                            )));
                        };
                        for (k, v) in inner {
                            apply_path(resource, op, &format!("{ENTERPRISE_USER}:{k}"), Some(v))?;
                        }
                    } else {
                        apply_path(resource, op, key, Some(value))?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn apply_path(resource: &mut Value, op: Op, text: &str, value: Option<&Value>) -> ScimResult<()> {
    let root = resource
        .as_object_mut()
        .expect("resources are JSON objects");
    if text.eq_ignore_ascii_case(ENTERPRISE_USER) {
        // The whole extension: its attributes one by one.
        return match (op, value) {
            (Op::Remove, _) => {
                root.retain(|k, _| !k.eq_ignore_ascii_case(ENTERPRISE_USER));
                Ok(())
            }
            (_, Some(Value::Object(inner))) => {
                for (k, v) in inner.clone() {
                    apply_path(resource, op, &format!("{ENTERPRISE_USER}:{k}"), Some(&v))?;
                }
                Ok(())
            }
            _ => Err(ScimError::invalid_value(format!(
                "{ENTERPRISE_USER}: must be an object"
            ))),
        };
    }
    let PatchPath { path, filter, sub } = scim_filter::parse_patch_path(text)
        .map_err(|why| ScimError::invalid_path(format!("path: {why}")))?;
    let in_extension = path
        .schema
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case(ENTERPRISE_USER));
    let container = if in_extension {
        if op == Op::Remove && get(root, ENTERPRISE_USER).is_none() {
            return Ok(());
        }
        let key = root
            .keys()
            .find(|k| k.eq_ignore_ascii_case(ENTERPRISE_USER))
            .cloned()
            .unwrap_or_else(|| ENTERPRISE_USER.to_owned());
        let entry = root.entry(key).or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        entry.as_object_mut().expect("made an object")
    } else {
        root
    };
    let Some(key) = key_in(container, &path.attr) else {
        // An attribute the directory does not keep (a phone number, an address): nothing to
        // change, as RFC 7643 lets a service provider ignore what it does not support.
        return Ok(());
    };
    // A sub-attribute of the attribute itself (`name.givenName`, `manager.value`) or after a
    // value filter (`emails[type eq "work"].value`).
    let sub = path.sub.clone().or(sub);
    match filter {
        None => plain(container, op, &key, sub.as_deref(), value),
        Some(filter) => filtered(container, op, &key, &filter, sub.as_deref(), value),
    }
}

fn required(value: Option<&Value>, op: Op, key: &str) -> ScimResult<Value> {
    value
        .cloned()
        .ok_or_else(|| ScimError::invalid_value(format!("{key}: {op:?} needs a value")))
}

fn same_item(a: &Value, b: &Value) -> bool {
    match (a.get("value"), b.get("value")) {
        (Some(x), Some(y)) => {
            x.as_str().map(str::to_ascii_lowercase) == y.as_str().map(str::to_ascii_lowercase)
        }
        _ => a == b,
    }
}

fn plain(
    container: &mut Map<String, Value>,
    op: Op,
    key: &str,
    sub: Option<&str>,
    value: Option<&Value>,
) -> ScimResult<()> {
    if let Some(sub) = sub {
        if op == Op::Remove {
            if let Some(Value::Object(inner)) = container.get_mut(key) {
                inner.retain(|k, _| !k.eq_ignore_ascii_case(sub));
                if inner.is_empty() {
                    container.remove(key);
                }
            }
            return Ok(());
        }
        let value = required(value, op, key)?;
        let entry = container
            .entry(key.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        match entry {
            Value::Object(inner) => {
                let k = inner
                    .keys()
                    .find(|k| k.eq_ignore_ascii_case(sub))
                    .cloned()
                    .unwrap_or_else(|| sub.to_owned());
                inner.insert(k, value);
            }
            Value::Array(items) => {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    item.insert(sub.to_owned(), value.clone());
                }
            }
            other => *other = serde_json::json!({ sub: value }),
        }
        return Ok(());
    }
    match op {
        Op::Remove => {
            // Entra removes members by listing them in `value`.
            if let (Some(Value::Array(gone)), Some(Value::Array(items))) =
                (value, container.get_mut(key))
            {
                items.retain(|item| !gone.iter().any(|g| same_item(item, g)));
                if items.is_empty() {
                    container.remove(key);
                }
            } else {
                container.remove(key);
            }
        }
        Op::Add => {
            let value = required(value, op, key)?;
            match (container.get_mut(key), value) {
                (Some(Value::Array(items)), Value::Array(new)) => {
                    for item in new {
                        if !items.iter().any(|i| same_item(i, &item)) {
                            items.push(item);
                        }
                    }
                }
                (Some(Value::Array(items)), item @ Value::Object(_)) => {
                    if !items.iter().any(|i| same_item(i, &item)) {
                        items.push(item);
                    }
                }
                (Some(Value::Object(inner)), Value::Object(new)) => inner.extend(new),
                (_, value) => {
                    container.insert(key.to_owned(), value);
                }
            }
        }
        Op::Replace => {
            let value = required(value, op, key)?;
            match (container.get_mut(key), value) {
                (Some(Value::Object(inner)), Value::Object(new)) => inner.extend(new),
                (_, value) => {
                    container.insert(key.to_owned(), value);
                }
            }
        }
    }
    Ok(())
}

fn literal_matches(found: Option<&Value>, op: CompareOp, literal: &Literal) -> bool {
    let fold = |s: &str| s.to_lowercase();
    match (found, literal) {
        (Some(Value::String(s)), Literal::Str(l)) => {
            let (s, l) = (fold(s), fold(l));
            match op {
                CompareOp::Eq => s == l,
                CompareOp::Ne => s != l,
                CompareOp::Co => s.contains(&l),
                CompareOp::Sw => s.starts_with(&l),
                CompareOp::Ew => s.ends_with(&l),
                CompareOp::Gt => s > l,
                CompareOp::Ge => s >= l,
                CompareOp::Lt => s < l,
                CompareOp::Le => s <= l,
            }
        }
        (Some(Value::Bool(b)), Literal::Bool(l)) => match op {
            CompareOp::Eq => b == l,
            CompareOp::Ne => b != l,
            _ => false,
        },
        (None | Some(Value::Null), Literal::Null) => op == CompareOp::Eq,
        (Some(v), Literal::Null) => op == CompareOp::Ne && !v.is_null(),
        (None, _) => op == CompareOp::Ne,
        _ => false,
    }
}

fn matches(item: &Value, filter: &Filter) -> ScimResult<bool> {
    let object = item.as_object();
    let field = |path: &AttrPath| object.and_then(|o| get(o, &path.attr));
    Ok(match filter {
        Filter::Compare { path, op, value } => literal_matches(field(path), *op, value),
        Filter::Present(path) => field(path).is_some(),
        Filter::And(a, b) => matches(item, a)? && matches(item, b)?,
        Filter::Or(a, b) => matches(item, a)? || matches(item, b)?,
        Filter::Not(inner) => !matches(item, inner)?,
        Filter::ValuePath { .. } => {
            return Err(ScimError::invalid_path("path: value filters do not nest"));
        }
    })
}

fn filtered(
    container: &mut Map<String, Value>,
    op: Op,
    key: &str,
    filter: &Filter,
    sub: Option<&str>,
    value: Option<&Value>,
) -> ScimResult<()> {
    let items = match container.get_mut(key) {
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(ScimError::invalid_path(format!(
                "{key}: is not multi-valued"
            )));
        }
        None if op == Op::Remove => return Ok(()),
        None => {
            container.insert(key.to_owned(), Value::Array(Vec::new()));
            match container.get_mut(key) {
                Some(Value::Array(items)) => items,
                _ => unreachable!("just inserted"),
            }
        }
    };
    let mut hits = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if matches(item, filter)? {
            hits.push(i);
        }
    }
    match (op, sub) {
        (Op::Remove, None) => {
            let mut i = 0;
            items.retain(|_| {
                let keep = !hits.contains(&i);
                i += 1;
                keep
            });
        }
        (Op::Remove, Some(sub)) => {
            for &i in &hits {
                if let Some(item) = items[i].as_object_mut() {
                    item.retain(|k, _| !k.eq_ignore_ascii_case(sub));
                }
            }
        }
        (_, sub) => {
            let value = required(value, op, key)?;
            if hits.is_empty() {
                // Nothing matched `type eq "work"`: an item with that type is made, as Entra
                // expects when it sets the work e-mail of someone who has none.
                let Filter::Compare {
                    path,
                    op: CompareOp::Eq,
                    value: Literal::Str(v),
                } = filter
                else {
                    return Err(ScimError::no_target(format!(
                        "{key}: no value matches the filter"
                    )));
                };
                let mut item = Map::new();
                item.insert(path.attr.clone(), Value::String(v.clone()));
                match (sub, value) {
                    (Some(sub), value) => {
                        item.insert(sub.to_owned(), value);
                    }
                    (None, Value::Object(fields)) => item.extend(fields),
                    (None, _) => {
                        return Err(ScimError::invalid_value(format!(
                            "{key}: an item is an object"
                        )));
                    }
                }
                items.push(Value::Object(item));
            } else {
                for &i in &hits {
                    match (sub, &value, items[i].as_object_mut()) {
                        (Some(sub), value, Some(item)) => {
                            item.insert(sub.to_owned(), value.clone());
                        }
                        (None, Value::Object(fields), Some(item)) => item.extend(fields.clone()),
                        _ => items[i] = value.clone(),
                    }
                }
            }
        }
    }
    if items.is_empty() {
        container.remove(key);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn patch(resource: Value, ops: Value) -> Value {
        let mut resource = resource;
        apply(
            &mut resource,
            &json!({"schemas": [super::super::PATCH_OP], "Operations": ops}),
        )
        .unwrap();
        resource
    }

    #[test]
    fn okta_and_entra_shapes() {
        let user = json!({"userName": "ada", "active": true, "emails": [{"value": "a@x.io"}]});
        // Okta deactivates without a path.
        assert_eq!(
            patch(
                user.clone(),
                json!([{"op": "replace", "value": {"active": false}}])
            )["active"],
            json!(false)
        );
        // Entra: capitalised op, a string for a boolean (read later), a filtered e-mail.
        let p = patch(
            user.clone(),
            json!([
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "b@x.io"},
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m-1"},
                {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "123"},
            ]),
        );
        assert_eq!(p["active"], json!("False"));
        assert_eq!(
            p["emails"],
            json!([{"value": "a@x.io"}, {"type": "work", "value": "b@x.io"}])
        );
        assert_eq!(p[ENTERPRISE_USER]["manager"], json!("m-1"));
        assert!(p.get("phoneNumbers").is_none());
    }

    #[test]
    fn members_come_and_go() {
        let group = json!({"displayName": "T", "members": [{"value": "a"}, {"value": "b"}]});
        let p = patch(
            group.clone(),
            json!([{"op": "add", "path": "members", "value": [{"value": "c"}, {"value": "a"}]}]),
        );
        assert_eq!(
            p["members"],
            json!([{"value": "a"}, {"value": "b"}, {"value": "c"}])
        );
        let p = patch(
            group.clone(),
            json!([{"op": "remove", "path": "members[value eq \"a\"]"}]),
        );
        assert_eq!(p["members"], json!([{"value": "b"}]));
        let p = patch(
            group.clone(),
            json!([{"op": "Remove", "path": "members", "value": [{"value": "b"}]}]),
        );
        assert_eq!(p["members"], json!([{"value": "a"}]));
        let p = patch(group, json!([{"op": "remove", "path": "members"}]));
        assert!(p.get("members").is_none());
    }

    #[test]
    fn bad_patches_are_refused() {
        let mut r = json!({"userName": "ada"});
        for body in [
            json!({}),
            json!({"Operations": []}),
            json!({"Operations": [{"op": "move", "path": "userName"}]}),
            json!({"Operations": [{"op": "remove"}]}),
            json!({"Operations": [{"op": "replace", "value": 3}]}),
            json!({"Operations": [{"op": "replace", "path": "emails[type eq", "value": "x"}]}),
        ] {
            assert!(apply(&mut r, &body).is_err(), "{body}");
        }
    }
}
