//! The one rule every string in a request shares, stated in the OpenAPI document: no NUL
//! (PostgreSQL text cannot hold it). Text with rules of its own states them through its type
//! (`domain::fields`); this gives every other string (cursors, free search, ids as text) the
//! `^[^\u0000]*$` pattern, so a client or a fuzzer knows what the service accepts.

use utoipa::Modify;
use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
use utoipa::openapi::{self, RefOr};

use crate::domain::text;

pub struct ForbidNul;

impl Modify for ForbidNul {
    fn modify(&self, api: &mut openapi::OpenApi) {
        if let Some(components) = api.components.as_mut() {
            // Only what requests carry: answers echo what they were sent (an unknown field's
            // name, say), and say so in JSON, which can hold any character.
            for name in request_schemas(request_bodies(&api.paths), components) {
                if let Some(RefOr::T(schema)) = components.schemas.get_mut(&name) {
                    forbid_nul(schema);
                }
            }
        }
        for item in api.paths.paths.values_mut() {
            for operation in operations_mut(item) {
                for parameter in operation.parameters.iter_mut().flatten() {
                    if let Some(RefOr::T(schema)) = parameter.schema.as_mut() {
                        forbid_nul(schema);
                    }
                }
            }
        }
    }
}

/// The schemas of every request body.
fn request_bodies(paths: &openapi::Paths) -> Vec<RefOr<Schema>> {
    paths
        .paths
        .values()
        .flat_map(|item| [&item.get, &item.post, &item.put, &item.patch, &item.delete])
        .flatten()
        .filter_map(|operation| operation.request_body.as_ref())
        .flat_map(|body| body.content.values())
        .filter_map(|content| content.schema.clone())
        .collect()
}

/// The component schemas request bodies use, directly or through other schemas.
fn request_schemas(roots: Vec<RefOr<Schema>>, components: &openapi::Components) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut todo = roots;
    while let Some(next) = todo.pop() {
        match next {
            RefOr::Ref(reference) => {
                let name = reference
                    .ref_location
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                if !found.contains(&name)
                    && let Some(schema) = components.schemas.get(&name)
                {
                    found.push(name);
                    todo.push(schema.clone());
                }
            }
            RefOr::T(Schema::Object(object)) => todo.extend(object.properties.into_values()),
            RefOr::T(Schema::Array(array)) => {
                if let ArrayItems::RefOrSchema(items) = array.items {
                    todo.push(*items);
                }
            }
            RefOr::T(Schema::OneOf(one)) => todo.extend(one.items),
            RefOr::T(Schema::AllOf(all)) => todo.extend(all.items),
            RefOr::T(Schema::AnyOf(any)) => todo.extend(any.items),
            RefOr::T(_) => {}
        }
    }
    found
}

/// Every string without a pattern, format or list of values gets the one rule all strings
/// share: no NUL (PostgreSQL text cannot hold it).
fn forbid_nul(schema: &mut Schema) {
    match schema {
        Schema::Object(object) => {
            let is_string = match &object.schema_type {
                SchemaType::Type(t) => *t == Type::String,
                SchemaType::Array(types) => types.contains(&Type::String),
                SchemaType::AnyValue => false,
            };
            if is_string
                && object.pattern.is_none()
                && object.format.is_none()
                && object.enum_values.is_none()
            {
                object.pattern = Some(text::NO_NUL_PATTERN.to_owned());
            }
            for property in object.properties.values_mut() {
                if let RefOr::T(property) = property {
                    forbid_nul(property);
                }
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items
                && let RefOr::T(items) = items.as_mut()
            {
                forbid_nul(items);
            }
        }
        Schema::OneOf(one) => forbid_nul_in(&mut one.items),
        Schema::AllOf(all) => forbid_nul_in(&mut all.items),
        Schema::AnyOf(any) => forbid_nul_in(&mut any.items),
        _ => {}
    }
}

fn forbid_nul_in(schemas: &mut [RefOr<Schema>]) {
    for schema in schemas {
        if let RefOr::T(schema) = schema {
            forbid_nul(schema);
        }
    }
}

/// The operations of a path, whichever methods it takes.
pub fn operations_mut(
    item: &mut openapi::PathItem,
) -> impl Iterator<Item = &mut openapi::path::Operation> {
    [
        &mut item.get,
        &mut item.post,
        &mut item.put,
        &mut item.patch,
        &mut item.delete,
    ]
    .into_iter()
    .flatten()
}
