//! Every route, in one place: this function reads as the API's table of contents. The OpenAPI
//! document is collected from the same registrations, so the two cannot drift apart.

use actix_web::App;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{self, Components, ContentBuilder, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::web::unsubscribe_page;

use crate::api::{
    audit, employees, health, history, leaderboards, me, moderation, notifications, operations,
    praise, privacy, reports, scim_tokens, shoutouts, slack, stream, teams, values, webhooks,
    widget_keys,
};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(operations::metrics)
        .service(operations::openapi_json)
        .service(operations::docs)
        .service(slack::slack_command)
        .service(
            scope::scope("/api/v1")
                .service(values::list_values)
                .service(praise::suggest_value)
                .service(me::me)
                .service(me::export)
                .service(privacy::get_privacy)
                .service(privacy::update_privacy)
                .service(notifications::get_notifications)
                .service(notifications::update_notifications)
                .service(unsubscribe_page::unsubscribe_page)
                .service(unsubscribe_page::unsubscribe_now)
                .service(teams::create_team)
                .service(teams::list_teams)
                .service(teams::get_team)
                .service(teams::update_team)
                .service(employees::import_employees)
                .service(employees::create_employee)
                .service(employees::list_employees)
                .service(employees::get_employee)
                .service(employees::update_employee)
                .service(employees::erase_employee)
                .service(praise::praise_link)
                .service(praise::rotate_praise_link)
                .service(history::import_shoutouts)
                .service(shoutouts::create_shoutout)
                .service(shoutouts::list_shoutouts)
                .service(shoutouts::get_shoutout)
                .service(shoutouts::retract_shoutout)
                .service(shoutouts::add_cheer)
                .service(shoutouts::remove_cheer)
                .service(praise::challenge)
                .service(praise::create_public_shoutout)
                .service(moderation::queue)
                .service(moderation::approve)
                .service(moderation::reject)
                .service(moderation::erase_customer_email)
                .service(leaderboards::leaderboard)
                .service(leaderboards::standing)
                .service(leaderboards::create_campaign)
                .service(leaderboards::list_campaigns)
                .service(leaderboards::get_campaign)
                .service(reports::team_report)
                .service(reports::report_link)
                .service(reports::export)
                .service(scim_tokens::create_scim_token)
                .service(scim_tokens::list_scim_tokens)
                .service(scim_tokens::revoke_scim_token)
                .service(widget_keys::create_widget_key)
                .service(widget_keys::list_widget_keys)
                .service(widget_keys::revoke_widget_key)
                .service(webhooks::create_webhook)
                .service(webhooks::list_webhooks)
                .service(webhooks::get_webhook)
                .service(webhooks::update_webhook)
                .service(webhooks::delete_webhook)
                .service(webhooks::rotate_webhook_secret)
                .service(webhooks::ping_webhook)
                .service(webhooks::list_deliveries)
                .service(webhooks::redeliver)
                .service(audit::list_audit_events)
                .service(stream::stream),
        );
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Shoutout API",
        version = "1.0.0",
        description = "Year-round peer recognition: staff thank colleagues with one of the five \
            H.E.A.R.T. values (Helping others, Exceeding expectations, Achieving goals, Responding \
            with care, Thriving through teamwork). Errors are RFC 9457 problem documents.",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(
        crate::error::Problem,
        crate::error::FieldError,
        // Named by the boards' path parameter, which does not collect its schema by itself.
        crate::services::boards::Board,
        crate::api::webhooks::DeliveryStatus,
    )),
    modifiers(&CommonResponses),
    tags(
        (name = "values", description = "The five H.E.A.R.T. values"),
        (name = "directory", description = "Teams and employees"),
        (name = "shoutouts", description = "Giving, reading and cheering shout-outs"),
        (name = "customer praise", description = "Praise from customers: the public endpoint, praise links, moderation"),
        (name = "leaderboards", description = "Boards for any period, and campaigns"),
        (name = "reports", description = "Manager reports and exports"),
        (name = "widgets", description = "Intranet widgets: widget keys and the live stream"),
        (name = "webhooks", description = "Recognition events delivered to other systems: Standard Webhooks, Slack and Teams channels"),
        (name = "notifications", description = "E-mail: each person's choices, and the one-click unsubscribe link in every mail"),
        (name = "integrations", description = "Giving from where people work: the Slack slash command"),
        (name = "operations", description = "Probes, metrics, the audit trail and this document"),
    )
)]
struct ApiDoc;

/// The OpenAPI document of every route `configure` registers.
pub fn openapi() -> openapi::OpenApi {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(configure)
        .split_for_parts();
    CommonResponses.modify(&mut api);
    crate::no_nul::ForbidNul.modify(&mut api);
    api
}

/// Which methods each route path takes, from the OpenAPI document: a request for a path that
/// exists with a method it does not take is a 405 naming the methods (`Allow`), not a 404.
pub struct MethodTable(Vec<(Vec<String>, Vec<&'static str>)>);

impl MethodTable {
    pub fn from_openapi(api: &openapi::OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let methods = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, present)| present.then_some(method))
                .collect();
                (segments, methods)
            })
            .collect();
        Self(routes)
    }

    /// The methods `path` takes, if it is a route at all.
    pub fn allowed(&self, path: &str) -> Option<String> {
        self.find(path, true)
    }

    /// The methods `path` takes if it is a route with no parameters (`/api/v1/shoutouts/import`,
    /// which a GET would otherwise reach as `/api/v1/shoutouts/{id}` with a bad id).
    pub fn allowed_literally(&self, path: &str) -> Option<String> {
        self.find(path, false)
    }

    fn find(&self, path: &str, parameters: bool) -> Option<String> {
        let asked: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .find(|(segments, _)| {
                segments.len() == asked.len()
                    && segments.iter().zip(&asked).all(|(template, segment)| {
                        template == segment
                            || (parameters && template.starts_with('{') && !segment.is_empty())
                    })
            })
            .map(|(_, methods)| methods.join(", "))
    }
}

/// Adds the error answers every operation can give, so each handler only documents its own:
/// 401/403 where a token is needed, 400/413/415/422 where a body or query is read, 500/503 always.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, api: &mut openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Components::new);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "JWT from the identity provider (RS256 or EdDSA; HS256 in development) \
                         with `sub` (the employee's external_id), `roles` and `exp`",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "widget_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Widget-Key",
                "A read-only widget key minted by an admin (`POST /api/v1/widget-keys`)",
            ))),
        );
        let problem = |description: &str| -> RefOr<openapi::Response> {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        crate::error::PROBLEM_JSON,
                        ContentBuilder::new()
                            .schema(Some(openapi::Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            )
        };
        for item in api.paths.paths.values_mut() {
            for operation in crate::no_nul::operations_mut(item) {
                let secured = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let has_body = operation.request_body.is_some();
                let has_path = operation.parameters.as_ref().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p.parameter_in == openapi::path::ParameterIn::Path)
                });
                let has_query = operation.parameters.as_ref().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p.parameter_in == openapi::path::ParameterIn::Query)
                });
                let responses = &mut operation.responses.responses;
                let mut add = |code: &str, description: &str| {
                    responses
                        .entry(code.to_owned())
                        .or_insert_with(|| problem(description));
                };
                if has_body {
                    add("400", "The body is not valid JSON");
                    add("413", "The body is too large");
                    add("415", "The body is not of a supported media type");
                }
                if has_body || has_query {
                    add("422", "A field is invalid; `errors` names each one");
                }
                if has_path {
                    add("404", "Nothing has this id (or it is not an id)");
                }
                if secured {
                    add("401", "No valid bearer token");
                    add("403", "The token does not grant this");
                }
                add(
                    "500",
                    "Something went wrong on our side (logged; no details are sent)",
                );
                add(
                    "503",
                    "The database is unavailable; retry after `Retry-After` seconds",
                );
            }
        }
    }
}
