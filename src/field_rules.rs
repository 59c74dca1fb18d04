//! The input rules the validators enforce, stated in the OpenAPI document as JSON Schema
//! `pattern`s and lengths: a client can check input before sending it, and whatever the
//! document calls valid the service accepts (schemathesis checks both ways in CI). The patterns
//! live beside the rules in `domain::text`, where a test holds each pair together.

use utoipa::Modify;
use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
use utoipa::openapi::{self, RefOr};

use crate::domain::text;

#[derive(Clone, Copy)]
enum Rule {
    /// `text::trimmed` (messages, reasons) with this many characters at most.
    Text(usize),
    /// `text::name` (names, titles) with this many characters at most.
    Name(usize),
    /// `text::optional`: a name, or only white space for "not given".
    OptionalName(usize),
    ExternalId,
    Email,
    /// `text::optional_email` with this many characters at most.
    OptionalEmail(usize),
    Handle,
    /// Each item of the array is a page origin (`domain::origin::normalise_origin`).
    Origins,
    /// A calendar day in 2000-2099 (campaigns).
    DayThisCentury,
}

/// Which rule each request field follows, by component schema and property.
const FIELDS: &[(&str, &str, Rule)] = &[
    ("CreateTeam", "name", Rule::Name(text::SHORT_TEXT_MAX)),
    ("UpdateTeam", "name", Rule::Name(text::SHORT_TEXT_MAX)),
    ("CreateEmployee", "external_id", Rule::ExternalId),
    (
        "CreateEmployee",
        "display_name",
        Rule::Name(text::SHORT_TEXT_MAX),
    ),
    ("CreateEmployee", "email", Rule::Email),
    ("CreateEmployee", "title", Rule::Name(text::SHORT_TEXT_MAX)),
    ("UpdateEmployee", "external_id", Rule::ExternalId),
    (
        "UpdateEmployee",
        "display_name",
        Rule::Name(text::SHORT_TEXT_MAX),
    ),
    ("UpdateEmployee", "email", Rule::Email),
    ("UpdateEmployee", "title", Rule::Name(text::SHORT_TEXT_MAX)),
    ("ImportEmployee", "external_id", Rule::ExternalId),
    (
        "ImportEmployee",
        "display_name",
        Rule::Name(text::SHORT_TEXT_MAX),
    ),
    ("ImportEmployee", "email", Rule::Email),
    ("ImportEmployee", "title", Rule::Name(text::SHORT_TEXT_MAX)),
    ("CreateShoutout", "message", Rule::Text(text::MESSAGE_MAX)),
    ("ImportShoutout", "message", Rule::Text(text::MESSAGE_MAX)),
    (
        "ImportShoutout",
        "customer_name",
        Rule::Name(text::SHORT_TEXT_MAX),
    ),
    ("SuggestRequest", "message", Rule::Text(text::MESSAGE_MAX)),
    (
        "RejectRequest",
        "reason",
        Rule::Text(crate::api::moderation::REASON_MAX),
    ),
    ("CreateCampaign", "name", Rule::Name(text::SHORT_TEXT_MAX)),
    ("CreateCampaign", "starts_on", Rule::DayThisCentury),
    ("CreateCampaign", "ends_on", Rule::DayThisCentury),
    ("PublicShoutout", "handle", Rule::Handle),
    ("PublicShoutout", "message", Rule::Text(text::MESSAGE_MAX)),
    (
        "PublicShoutout",
        "customer_name",
        Rule::OptionalName(crate::praise::NAME_MAX),
    ),
    (
        "PublicShoutout",
        "customer_email",
        Rule::OptionalEmail(crate::praise::EMAIL_MAX),
    ),
    (
        "CreateWidgetKey",
        "name",
        Rule::Name(crate::api::widget_keys::NAME_MAX),
    ),
    ("CreateWidgetKey", "origins", Rule::Origins),
];

/// Query parameters with a rule of their own, by name.
const PARAMETERS: &[(&str, Rule)] = &[("handle", Rule::Handle)];

pub struct FieldRules;

impl Modify for FieldRules {
    fn modify(&self, api: &mut openapi::OpenApi) {
        if let Some(components) = api.components.as_mut() {
            for &(schema, property, rule) in FIELDS {
                let field = match components.schemas.get_mut(schema) {
                    Some(RefOr::T(Schema::Object(object))) => object.properties.get_mut(property),
                    _ => None,
                };
                match field {
                    Some(RefOr::T(field)) => apply(field, rule),
                    _ => panic!("the OpenAPI document has no field {schema}.{property}"),
                }
            }
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
                    let Some(RefOr::T(schema)) = parameter.schema.as_mut() else {
                        continue;
                    };
                    if let Some(&(_, rule)) = PARAMETERS.iter().find(|(n, _)| *n == parameter.name)
                    {
                        apply(schema, rule);
                    }
                    forbid_nul(schema);
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

fn apply(schema: &mut Schema, rule: Rule) {
    let (pattern, min, max) = match rule {
        Rule::Text(max) => (text::TEXT_PATTERN, 1, max),
        Rule::Name(max) => (text::NAME_PATTERN, 1, max),
        Rule::OptionalName(max) => (text::OPTIONAL_NAME_PATTERN, 0, max),
        Rule::ExternalId => (text::EXTERNAL_ID_PATTERN, 1, text::EXTERNAL_ID_MAX),
        Rule::Email => (text::EMAIL_PATTERN, 3, text::EMAIL_MAX),
        Rule::OptionalEmail(max) => (text::OPTIONAL_EMAIL_PATTERN, 0, max),
        Rule::Handle => (text::HANDLE_PATTERN, 1, 64),
        Rule::DayThisCentury => (r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}$", 10, 10),
        Rule::Origins => {
            if let Schema::Array(array) = schema
                && let ArrayItems::RefOrSchema(items) = &mut array.items
                && let RefOr::T(Schema::Object(item)) = items.as_mut()
            {
                item.pattern = Some(crate::domain::origin::ORIGIN_PATTERN.to_owned());
                item.min_length = Some(1);
                item.max_length = Some(crate::domain::origin::ORIGIN_MAX);
                return;
            }
            panic!("`origins` is not an array of strings");
        }
    };
    match schema {
        Schema::Object(object) => {
            object.pattern = Some(pattern.to_owned());
            object.min_length = Some(min);
            object.max_length = Some(max);
        }
        _ => panic!("a field with a text rule is not a string"),
    }
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
