//! What the service tells a SCIM client about itself (RFC 7644 §4): its configuration, the
//! resource types and the schemas, listing exactly the attributes it keeps, so that a client
//! reading them knows what survives a round trip.

use serde_json::{Value, json};

use super::{CORE_GROUP, CORE_USER, ENTERPRISE_USER, MAX_PAGE};

const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SERVICE_PROVIDER_CONFIG: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// One attribute's definition; `sub` for a complex one.
struct Attr {
    name: &'static str,
    kind: &'static str,
    multi: bool,
    required: bool,
    mutability: &'static str,
    returned: &'static str,
    case_exact: bool,
    unique: bool,
    description: &'static str,
    references: &'static [&'static str],
    canonical: &'static [&'static str],
    sub: Vec<Attr>,
}

fn attr(name: &'static str, kind: &'static str, description: &'static str) -> Attr {
    Attr {
        name,
        kind,
        multi: false,
        required: false,
        mutability: "readWrite",
        returned: "default",
        case_exact: false,
        unique: false,
        description,
        references: &[],
        canonical: &[],
        sub: Vec::new(),
    }
}

impl Attr {
    fn required(mut self) -> Self {
        self.required = true;
        self
    }
    fn multi(mut self) -> Self {
        self.multi = true;
        self
    }
    fn read_only(mut self) -> Self {
        self.mutability = "readOnly";
        self
    }
    fn immutable(mut self) -> Self {
        self.mutability = "immutable";
        self
    }
    fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    fn unique(mut self) -> Self {
        self.unique = true;
        self
    }
    fn always(mut self) -> Self {
        self.returned = "always";
        self
    }
    fn references(mut self, to: &'static [&'static str]) -> Self {
        self.references = to;
        self
    }
    fn canonical(mut self, values: &'static [&'static str]) -> Self {
        self.canonical = values;
        self
    }
    fn with(mut self, sub: Vec<Attr>) -> Self {
        self.sub = sub;
        self
    }

    fn json(&self) -> Value {
        let mut out = json!({
            "name": self.name,
            "type": self.kind,
            "multiValued": self.multi,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": if self.unique { "server" } else { "none" },
        });
        if !self.references.is_empty() {
            out["referenceTypes"] = json!(self.references);
        }
        if !self.canonical.is_empty() {
            out["canonicalValues"] = json!(self.canonical);
        }
        if !self.sub.is_empty() {
            out["subAttributes"] = Value::Array(self.sub.iter().map(Attr::json).collect());
        }
        out
    }
}

fn schema(base: &str, id: &str, name: &str, description: &str, attrs: Vec<Attr>) -> Value {
    json!({
        "schemas": [SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attrs.iter().map(Attr::json).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
    })
}

fn user_schema(base: &str) -> Value {
    schema(
        base,
        CORE_USER,
        "User",
        "A person in the directory",
        vec![
            attr("userName", "string", "The identity provider's subject for the person (`sub` in their tokens); the directory's external_id")
                .required()
                .case_exact()
                .unique(),
            attr("displayName", "string", "The name shown on boards and shout-outs (made from `name` when absent)").required(),
            attr("emails", "complex", "The person's work e-mail address (the primary one, else the first)")
                .multi()
                .required()
                .with(vec![attr("value", "string", "An e-mail address").required()]),
            attr("title", "string", "Job title"),
            attr("active", "boolean", "Whether the person may give and receive shout-outs; false keeps their history")
                .required(),
            attr("groups", "complex", "The person's team (a person is in at most one)")
                .multi()
                .read_only()
                .with(vec![
                    attr("value", "string", "The team's id").read_only(),
                    attr("$ref", "reference", "The team's Group").read_only().references(&["Group"]),
                    attr("display", "string", "The team's name").read_only(),
                ]),
        ],
    )
}

fn enterprise_schema(base: &str) -> Value {
    schema(
        base,
        ENTERPRISE_USER,
        "EnterpriseUser",
        "What an organisation says of a person",
        vec![
            attr(
                "department",
                "string",
                "The department, as the identity provider names it",
            ),
            attr("manager", "complex", "The person's manager").with(vec![
                attr("value", "string", "The manager's User id"),
                attr("$ref", "reference", "The manager's User").references(&["User"]),
            ]),
        ],
    )
}

fn group_schema(base: &str) -> Value {
    schema(
        base,
        CORE_GROUP,
        "Group",
        "A team",
        vec![
            attr(
                "displayName",
                "string",
                "The team's name, unique among teams at the top level",
            )
            .required(),
            attr(
                "members",
                "complex",
                "The team's people; joining one team leaves any other",
            )
            .multi()
            .with(vec![
                attr("value", "string", "A User id").immutable(),
                attr("$ref", "reference", "The User")
                    .immutable()
                    .references(&["User"]),
                attr("type", "string", "Always User: teams hold people")
                    .immutable()
                    .canonical(&["User"]),
            ]),
        ],
    )
}

fn resource_type_schema(base: &str) -> Value {
    schema(
        base,
        RESOURCE_TYPE,
        "ResourceType",
        "A kind of resource the service provides",
        vec![
            attr("id", "string", "The resource type's id").read_only(),
            attr("name", "string", "Its name").required().read_only(),
            attr("description", "string", "What it is").read_only(),
            attr("endpoint", "reference", "Where it is served")
                .required()
                .read_only()
                .references(&["uri"]),
            attr("schema", "reference", "Its schema")
                .required()
                .read_only()
                .case_exact()
                .references(&["uri"]),
            attr("schemaExtensions", "complex", "Extensions of its schema")
                .multi()
                .read_only()
                .with(vec![
                    attr("schema", "reference", "An extension")
                        .required()
                        .read_only()
                        .case_exact()
                        .references(&["uri"]),
                    attr("required", "boolean", "Whether it must be present")
                        .required()
                        .read_only(),
                ]),
        ],
    )
}

fn config_schema(base: &str) -> Value {
    let supported = || {
        attr("supported", "boolean", "Whether it is supported")
            .required()
            .read_only()
    };
    schema(
        base,
        SERVICE_PROVIDER_CONFIG,
        "ServiceProviderConfig",
        "What the service supports",
        vec![
            attr("documentationUri", "reference", "Help")
                .read_only()
                .references(&["external"]),
            attr("patch", "complex", "PATCH")
                .required()
                .read_only()
                .with(vec![supported()]),
            attr("bulk", "complex", "Bulk operations")
                .required()
                .read_only()
                .with(vec![
                    supported(),
                    attr("maxOperations", "integer", "Most operations")
                        .required()
                        .read_only(),
                    attr("maxPayloadSize", "integer", "Largest payload")
                        .required()
                        .read_only(),
                ]),
            attr("filter", "complex", "Filters")
                .required()
                .read_only()
                .with(vec![
                    supported(),
                    attr("maxResults", "integer", "Most resources answered")
                        .required()
                        .read_only(),
                ]),
            attr("changePassword", "complex", "Password changes")
                .required()
                .read_only()
                .with(vec![supported()]),
            attr("sort", "complex", "Sorting")
                .required()
                .read_only()
                .with(vec![supported()]),
            attr("etag", "complex", "ETags")
                .required()
                .read_only()
                .with(vec![supported()]),
            attr(
                "authenticationSchemes",
                "complex",
                "How clients authenticate",
            )
            .multi()
            .required()
            .read_only()
            .with(vec![
                attr("type", "string", "The scheme").required().read_only(),
                attr("name", "string", "Its name").required().read_only(),
                attr("description", "string", "What it is")
                    .required()
                    .read_only(),
                attr("primary", "boolean", "Whether it is the preferred one").read_only(),
            ]),
        ],
    )
}

fn schema_schema(base: &str) -> Value {
    let attribute_fields = || {
        vec![
            attr("name", "string", "Attribute name")
                .required()
                .read_only()
                .case_exact(),
            attr("type", "string", "Attribute type")
                .required()
                .read_only(),
            attr("multiValued", "boolean", "Multi-valued")
                .required()
                .read_only(),
            attr("description", "string", "What it is").read_only(),
            attr("required", "boolean", "Required").read_only(),
            attr("caseExact", "boolean", "Case-sensitive").read_only(),
            attr("mutability", "string", "Mutability").read_only(),
            attr("returned", "string", "When returned").read_only(),
            attr("uniqueness", "string", "Uniqueness").read_only(),
            attr("referenceTypes", "string", "What a reference may name")
                .multi()
                .read_only(),
            attr("canonicalValues", "string", "Suggested values")
                .multi()
                .read_only(),
        ]
    };
    let mut attribute = attribute_fields();
    attribute.push(
        attr("subAttributes", "complex", "Sub-attributes")
            .multi()
            .read_only()
            .with(attribute_fields()),
    );
    schema(
        base,
        SCHEMA,
        "Schema",
        "A schema",
        vec![
            attr("id", "string", "The schema's URN")
                .required()
                .read_only()
                .always(),
            attr("name", "string", "Its name").read_only(),
            attr("description", "string", "What it describes").read_only(),
            attr("attributes", "complex", "Its attributes")
                .multi()
                .required()
                .read_only()
                .with(attribute),
        ],
    )
}

/// Every schema, in the order listed.
pub fn schemas(base: &str) -> Vec<Value> {
    vec![
        user_schema(base),
        enterprise_schema(base),
        group_schema(base),
        resource_type_schema(base),
        config_schema(base),
        schema_schema(base),
    ]
}

pub fn resource_types(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": [RESOURCE_TYPE],
            "id": "User",
            "name": "User",
            "description": "A person in the directory",
            "endpoint": "/Users",
            "schema": CORE_USER,
            "schemaExtensions": [{"schema": ENTERPRISE_USER, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
        }),
        json!({
            "schemas": [RESOURCE_TYPE],
            "id": "Group",
            "name": "Group",
            "description": "A team",
            "endpoint": "/Groups",
            "schema": CORE_GROUP,
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
        }),
    ]
}

pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": [SERVICE_PROVIDER_CONFIG],
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_PAGE},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A SCIM token an admin minted (POST /api/v1/scim-tokens), as `Authorization: Bearer …`",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}
