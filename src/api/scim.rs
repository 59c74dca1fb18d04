//! `/scim/v2`: the SCIM 2.0 service provider an identity provider (Okta, Microsoft Entra ID)
//! provisions the directory through. Outside the OpenAPI document: RFC 7644 is its contract,
//! and `/scim/v2/Schemas` describes what it keeps. Every answer is `application/scim+json`,
//! errors in SCIM's format.

use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::scim_filter::{self, Filter};
use crate::models::scim::{self as store, FindError};
use crate::scim::error::{ScimError, ScimResult};
use crate::scim::provisioning::{self, Provisioner};
use crate::scim::{MAX_PAGE, MEDIA_TYPE, discovery, resources, tokens};
use crate::state::AppState;

/// Largest SCIM request body (a group push of a large team).
const MAX_BODY: usize = 5 * 1024 * 1024;

/// A request made with a live SCIM token; `actor` names it in the audit trail.
pub struct ScimClient {
    actor: String,
}

impl FromRequest for ScimClient {
    type Error = ScimError;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<Self, ScimError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| token.trim().to_owned())
            });
        Box::pin(async move {
            let unauthorized = || {
                ScimError::new(
                    StatusCode::UNAUTHORIZED,
                    None,
                    "a SCIM token is required (Authorization: Bearer sst_…)",
                )
            };
            let token = token
                .filter(|t| t.starts_with(tokens::PREFIX))
                .ok_or_else(unauthorized)?;
            let state = state.expect("the application state is registered");
            let mut conn = state.pool.get().await?;
            let row = store::use_token(&mut conn, &tokens::hash(&token))
                .await?
                .ok_or_else(unauthorized)?;
            Ok(Self {
                actor: format!("scim:{}", row.name),
            })
        })
    }
}

fn base(state: &AppState) -> String {
    format!(
        "{}/scim/v2",
        state.config.public_base_url().trim_end_matches('/')
    )
}

fn scim_json(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, MEDIA_TYPE))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body.to_string())
}

fn created(body: &Value) -> HttpResponse {
    let mut response = scim_json(StatusCode::CREATED, body);
    if let Some(location) = body["meta"]["location"].as_str()
        && let Ok(value) = header::HeaderValue::from_str(location)
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Reads a request body: JSON sent as `application/scim+json` or `application/json`.
fn body(req: &HttpRequest, bytes: &[u8]) -> ScimResult<Value> {
    if let Some(kind) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        let kind = kind
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if kind != MEDIA_TYPE && kind != "application/json" {
            return Err(ScimError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                "send application/scim+json",
            ));
        }
    }
    if bytes.len() > MAX_BODY {
        return Err(ScimError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            "the body is too large",
        ));
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ScimError::invalid_syntax(format!("the body is not JSON: {e}")))
}

fn id_of(text: &str, kind: &str) -> ScimResult<Uuid> {
    Uuid::parse_str(text).map_err(|_| ScimError::not_found(format!("no such {kind}")))
}

/// A list request: from the query string, or from a `/.search` body.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListParams {
    filter: Option<String>,
    start_index: Option<String>,
    count: Option<String>,
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

struct Listing {
    filter: Option<Filter>,
    start_index: i64,
    count: i64,
    attributes: Vec<crate::domain::scim_filter::AttrPath>,
    excluded: Vec<crate::domain::scim_filter::AttrPath>,
}

impl ListParams {
    fn from_search(body: &Value) -> ScimResult<Self> {
        let object = body
            .as_object()
            .ok_or_else(|| ScimError::invalid_syntax("a search is a JSON object"))?;
        let text = |key: &str| -> ScimResult<Option<String>> {
            match resources::get(object, key) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Number(n)) => Ok(Some(n.to_string())),
                Some(Value::Array(list)) => Ok(Some(
                    list.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(","),
                )),
                Some(_) => Err(ScimError::invalid_value(format!("{key}: not understood"))),
            }
        };
        Ok(Self {
            filter: text("filter")?,
            start_index: text("startIndex")?,
            count: text("count")?,
            attributes: text("attributes")?,
            excluded_attributes: text("excludedAttributes")?,
        })
    }

    fn read(self) -> ScimResult<Listing> {
        let number = |v: Option<String>, name: &str| -> ScimResult<Option<i64>> {
            v.map(|s| {
                s.trim().parse::<i64>().map_err(|_| {
                    ScimError::invalid_value(format!("{name}: must be a whole number"))
                })
            })
            .transpose()
        };
        // RFC 7644 §3.4.2.4: below 1 means 1, negative counts mean 0.
        let start_index = number(self.start_index, "startIndex")?.unwrap_or(1).max(1);
        let count = number(self.count, "count")?
            .unwrap_or(100)
            .clamp(0, MAX_PAGE);
        let filter = match self.filter.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(scim_filter::parse(text).map_err(ScimError::invalid_filter)?),
        };
        if self.attributes.is_some() && self.excluded_attributes.is_some() {
            return Err(ScimError::invalid_value(
                "attributes and excludedAttributes cannot both be given",
            ));
        }
        Ok(Listing {
            filter,
            start_index,
            count,
            attributes: resources::attribute_list(self.attributes.as_deref())?,
            excluded: resources::attribute_list(self.excluded_attributes.as_deref())?,
        })
    }
}

fn found<T>(result: Result<T, FindError>) -> ScimResult<T> {
    result.map_err(|e| match e {
        FindError::Filter(why) => ScimError::invalid_filter(why),
        FindError::Database(e) => e.into(),
    })
}

/// Query parameters of a single-resource read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Projection {
    attributes: Option<String>,
    excluded_attributes: Option<String>,
}

impl Projection {
    fn apply(&self, resource: &mut Value) -> ScimResult<()> {
        let attributes = resources::attribute_list(self.attributes.as_deref())?;
        let excluded = resources::attribute_list(self.excluded_attributes.as_deref())?;
        resources::project(resource, &attributes, &excluded);
        Ok(())
    }
}

fn query<T: serde::de::DeserializeOwned + Default>(req: &HttpRequest) -> ScimResult<T> {
    serde_urlencoded::from_str(req.query_string())
        .map_err(|e| ScimError::invalid_value(format!("query: {e}")))
}

// ---- Users ----

async fn list_users(listing: Listing, state: &AppState) -> ScimResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let (rows, total) = found(
        store::find_users(
            &mut conn,
            listing.filter.as_ref(),
            listing.start_index - 1,
            listing.count,
        )
        .await,
    )?;
    let base = base(state);
    let resources = rows
        .iter()
        .map(|row| {
            let mut user = resources::user_json(&base, row);
            resources::project(&mut user, &listing.attributes, &listing.excluded);
            user
        })
        .collect();
    Ok(scim_json(
        StatusCode::OK,
        &resources::list_json(resources, total, listing.start_index),
    ))
}

async fn get_users(
    _c: ScimClient,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ScimResult<HttpResponse> {
    list_users(query::<ListParams>(&req)?.read()?, &state).await
}

async fn search_users(
    _c: ScimClient,
    req: HttpRequest,
    state: web::Data<AppState>,
    bytes: web::Bytes,
) -> ScimResult<HttpResponse> {
    list_users(
        ListParams::from_search(&body(&req, &bytes)?)?.read()?,
        &state,
    )
    .await
}

async fn get_user(
    _c: ScimClient,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ScimResult<HttpResponse> {
    let id = id_of(&id, "User")?;
    let projection: Projection = query(&req)?;
    let mut conn = state.pool.get().await?;
    let row = store::find_user(&mut conn, id)
        .await?
        .ok_or_else(|| ScimError::not_found("no such User"))?;
    let mut user = resources::user_json(&base(&state), &row);
    projection.apply(&mut user)?;
    Ok(scim_json(StatusCode::OK, &user))
}

async fn create_user(
    c: ScimClient,
    req: HttpRequest,
    state: web::Data<AppState>,
    bytes: web::Bytes,
) -> ScimResult<HttpResponse> {
    let body = body(&req, &bytes)?;
    let base = base(&state);
    let mut conn = state.pool.get().await?;
    let row = Provisioner {
        actor: &c.actor,
        base: &base,
    }
    .create_user(&mut conn, &body)
    .await?;
    Ok(created(&resources::user_json(&base, &row)))
}

/// `PUT` replaces a User; `PATCH` applies its operations to the current one.
async fn write_user(
    c: ScimClient,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    bytes: web::Bytes,
) -> ScimResult<HttpResponse> {
    let id = id_of(&id, "User")?;
    let body = body(&req, &bytes)?;
    let base = base(&state);
    let mut conn = state.pool.get().await?;
    let provisioner = Provisioner {
        actor: &c.actor,
        base: &base,
    };
    let row = if req.method() == actix_web::http::Method::PATCH {
        provisioner.patch_user(&mut conn, id, &body).await?
    } else {
        provisioner.replace_user(&mut conn, id, &body).await?
    };
    Ok(scim_json(
        StatusCode::OK,
        &resources::user_json(&base, &row),
    ))
}

async fn delete_user(
    c: ScimClient,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ScimResult<HttpResponse> {
    let id = id_of(&id, "User")?;
    let base = base(&state);
    let mut conn = state.pool.get().await?;
    Provisioner {
        actor: &c.actor,
        base: &base,
    }
    .delete_user(&mut conn, id)
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- Groups ----

/// Whether members are to be written out (listing them costs a query).
fn wants_members(
    attributes: &[crate::domain::scim_filter::AttrPath],
    excluded: &[crate::domain::scim_filter::AttrPath],
) -> bool {
    let named = |p: &crate::domain::scim_filter::AttrPath| p.attr == "members";
    (attributes.is_empty() || attributes.iter().any(named))
        && !excluded.iter().any(|p| named(p) && p.sub.is_none())
}

async fn render_groups(
    conn: &mut diesel_async::AsyncPgConnection,
    base: &str,
    rows: &[store::GroupRow],
    members: bool,
) -> ScimResult<Vec<Value>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let members = if members {
        Some(provisioning::group_members(conn, &ids).await?)
    } else {
        None
    };
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            resources::group_json(base, row, members.as_ref().map(|m| m[i].1.as_slice()))
        })
        .collect())
}

async fn list_groups(listing: Listing, state: &AppState) -> ScimResult<HttpResponse> {
    let mut conn = state.pool.get().await?;
    let (rows, total) = found(
        store::find_groups(
            &mut conn,
            listing.filter.as_ref(),
            listing.start_index - 1,
            listing.count,
        )
        .await,
    )?;
    let base = base(state);
    let mut groups = render_groups(
        &mut conn,
        &base,
        &rows,
        wants_members(&listing.attributes, &listing.excluded),
    )
    .await?;
    for group in &mut groups {
        resources::project(group, &listing.attributes, &listing.excluded);
    }
    Ok(scim_json(
        StatusCode::OK,
        &resources::list_json(groups, total, listing.start_index),
    ))
}

async fn get_groups(
    _c: ScimClient,
    req: HttpRequest,
    state: web::Data<AppState>,
) -> ScimResult<HttpResponse> {
    list_groups(query::<ListParams>(&req)?.read()?, &state).await
}

async fn search_groups(
    _c: ScimClient,
    req: HttpRequest,
    state: web::Data<AppState>,
    bytes: web::Bytes,
) -> ScimResult<HttpResponse> {
    list_groups(
        ListParams::from_search(&body(&req, &bytes)?)?.read()?,
        &state,
    )
    .await
}

async fn one_group(state: &AppState, id: Uuid, projection: &Projection) -> ScimResult<Value> {
    let mut conn = state.pool.get().await?;
    let row = store::find_group(&mut conn, id)
        .await?
        .ok_or_else(|| ScimError::not_found("no such Group"))?;
    let attributes = resources::attribute_list(projection.attributes.as_deref())?;
    let excluded = resources::attribute_list(projection.excluded_attributes.as_deref())?;
    let mut group = render_groups(
        &mut conn,
        &base(state),
        &[row],
        wants_members(&attributes, &excluded),
    )
    .await?
    .remove(0);
    resources::project(&mut group, &attributes, &excluded);
    Ok(group)
}

async fn get_group(
    _c: ScimClient,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ScimResult<HttpResponse> {
    let id = id_of(&id, "Group")?;
    let projection: Projection = query(&req)?;
    Ok(scim_json(
        StatusCode::OK,
        &one_group(&state, id, &projection).await?,
    ))
}

async fn create_group(
    c: ScimClient,
    req: HttpRequest,
    state: web::Data<AppState>,
    bytes: web::Bytes,
) -> ScimResult<HttpResponse> {
    let body = body(&req, &bytes)?;
    let base = base(&state);
    let row = {
        let mut conn = state.pool.get().await?;
        Provisioner {
            actor: &c.actor,
            base: &base,
        }
        .create_group(&mut conn, &body)
        .await?
    };
    Ok(created(
        &one_group(&state, row.id, &Projection::default()).await?,
    ))
}

/// `PUT` replaces a Group; `PATCH` applies its operations to the current one.
async fn write_group(
    c: ScimClient,
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
    bytes: web::Bytes,
) -> ScimResult<HttpResponse> {
    let id = id_of(&id, "Group")?;
    let body = body(&req, &bytes)?;
    let base = base(&state);
    {
        let mut conn = state.pool.get().await?;
        let provisioner = Provisioner {
            actor: &c.actor,
            base: &base,
        };
        if req.method() == actix_web::http::Method::PATCH {
            provisioner.patch_group(&mut conn, id, &body).await?;
        } else {
            provisioner.replace_group(&mut conn, id, &body).await?;
        }
    }
    Ok(scim_json(
        StatusCode::OK,
        &one_group(&state, id, &Projection::default()).await?,
    ))
}

async fn delete_group(
    c: ScimClient,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ScimResult<HttpResponse> {
    let id = id_of(&id, "Group")?;
    let base = base(&state);
    let mut conn = state.pool.get().await?;
    Provisioner {
        actor: &c.actor,
        base: &base,
    }
    .delete_group(&mut conn, id)
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- Discovery ----

async fn service_provider_config(_c: ScimClient, state: web::Data<AppState>) -> HttpResponse {
    scim_json(
        StatusCode::OK,
        &discovery::service_provider_config(&base(&state)),
    )
}

async fn resource_types(_c: ScimClient, state: web::Data<AppState>) -> HttpResponse {
    let all = discovery::resource_types(&base(&state));
    let total = all.len() as i64;
    scim_json(StatusCode::OK, &resources::list_json(all, total, 1))
}

async fn resource_type(
    _c: ScimClient,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ScimResult<HttpResponse> {
    discovery::resource_types(&base(&state))
        .into_iter()
        .find(|t| t["id"] == id.as_str())
        .map(|t| scim_json(StatusCode::OK, &t))
        .ok_or_else(|| ScimError::not_found("no such resource type"))
}

async fn schemas(_c: ScimClient, state: web::Data<AppState>) -> HttpResponse {
    let all = discovery::schemas(&base(&state));
    let total = all.len() as i64;
    scim_json(StatusCode::OK, &resources::list_json(all, total, 1))
}

async fn schema(
    _c: ScimClient,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> ScimResult<HttpResponse> {
    discovery::schemas(&base(&state))
        .into_iter()
        .find(|s| {
            s["id"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(&id))
        })
        .map(|s| scim_json(StatusCode::OK, &s))
        .ok_or_else(|| ScimError::not_found("no such schema"))
}

async fn read_only() -> ScimResult<HttpResponse> {
    Err(ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        "this endpoint is read-only",
    ))
}

async fn not_allowed() -> ScimResult<HttpResponse> {
    Err(ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        "this endpoint does not take that method",
    ))
}

async fn no_such_endpoint() -> ScimResult<HttpResponse> {
    Err(ScimError::not_found("no such SCIM endpoint"))
}

/// A search across resource types is not offered: search `/Users/.search` or `/Groups/.search`.
async fn root_search(_c: ScimClient) -> ScimResult<HttpResponse> {
    Err(ScimError::new(
        StatusCode::NOT_IMPLEMENTED,
        None,
        "search /Users/.search or /Groups/.search",
    ))
}

/// The SCIM service, mounted at `/scim/v2`.
pub fn scope() -> actix_web::Scope {
    web::scope("/scim/v2")
        .app_data(web::PayloadConfig::new(MAX_BODY))
        .service(
            web::resource("/ServiceProviderConfig")
                .route(web::get().to(service_provider_config))
                .default_service(web::to(read_only)),
        )
        .service(
            web::resource("/ResourceTypes")
                .route(web::get().to(resource_types))
                .default_service(web::to(read_only)),
        )
        .service(
            web::resource("/ResourceTypes/{id}")
                .route(web::get().to(resource_type))
                .default_service(web::to(read_only)),
        )
        .service(
            web::resource("/Schemas")
                .route(web::get().to(schemas))
                .default_service(web::to(read_only)),
        )
        .service(
            web::resource("/Schemas/{id}")
                .route(web::get().to(schema))
                .default_service(web::to(read_only)),
        )
        .service(
            web::resource("/.search")
                .route(web::post().to(root_search))
                .default_service(web::to(not_allowed)),
        )
        .service(
            web::resource("/Users")
                .route(web::get().to(get_users))
                .route(web::post().to(create_user))
                .default_service(web::to(not_allowed)),
        )
        .service(
            web::resource("/Users/.search")
                .route(web::post().to(search_users))
                .default_service(web::to(not_allowed)),
        )
        .service(
            web::resource("/Users/{id}")
                .route(web::get().to(get_user))
                .route(web::put().to(write_user))
                .route(web::patch().to(write_user))
                .route(web::delete().to(delete_user))
                .default_service(web::to(not_allowed)),
        )
        .service(
            web::resource("/Groups")
                .route(web::get().to(get_groups))
                .route(web::post().to(create_group))
                .default_service(web::to(not_allowed)),
        )
        .service(
            web::resource("/Groups/.search")
                .route(web::post().to(search_groups))
                .default_service(web::to(not_allowed)),
        )
        .service(
            web::resource("/Groups/{id}")
                .route(web::get().to(get_group))
                .route(web::put().to(write_group))
                .route(web::patch().to(write_group))
                .route(web::delete().to(delete_group))
                .default_service(web::to(not_allowed)),
        )
        .default_service(web::to(no_such_endpoint))
}
