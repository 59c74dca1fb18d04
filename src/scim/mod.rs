//! SCIM 2.0 provisioning (RFC 7643, RFC 7644): the identity provider keeps the directory in
//! step. A SCIM User is an employee (`userName` is the `external_id`, so people created through
//! the API and through SCIM are the same records); a SCIM Group is a team, its members the
//! team's people. `resources` reads and writes the JSON, `patch` applies PATCH operations in
//! the shapes Okta and Microsoft Entra send, `provisioning` writes in transactions with the
//! token's name as the audit actor, `error` answers in SCIM's error format.

pub mod discovery;
pub mod error;
pub mod patch;
pub mod provisioning;
pub mod resources;
pub mod tokens;

pub const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The media type SCIM answers with.
pub const MEDIA_TYPE: &str = "application/scim+json";

/// Most resources one page holds (`count` above it is lowered to it).
pub const MAX_PAGE: i64 = 200;
