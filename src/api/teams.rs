//! Teams: admins write, staff read.

use actix_web::{HttpResponse, get, patch, post, web};
use diesel_async::AsyncConnection;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::{Team, location, nullable};
use crate::auth::{Admin, Member};
use crate::domain::fields::{ExternalId, Name};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ValidJson, ValidQuery};
use crate::models::audit;
use crate::models::teams::{self, NewTeam, TeamChanges};
use crate::pagination::{self, NameKey, Page};
use crate::state::AppState;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    /// 1-200 characters; unique among its siblings (case-insensitively).
    pub name: Name,
    pub parent_id: Option<Uuid>,
    pub manager_id: Option<Uuid>,
    /// The team's id in the system it comes from (an HR code); unique. Imports may name the
    /// team by it (`team_external_id`).
    pub external_id: Option<ExternalId>,
}

/// Absent fields stay as they are; `null` clears `parent_id`, `manager_id` or `external_id`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTeam {
    pub name: Option<Name>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub parent_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Uuid>, nullable)]
    pub manager_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<ExternalId>, nullable)]
    pub external_id: Option<Option<ExternalId>>,
}

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TeamQuery {
    /// Only the direct children of this team.
    pub parent_id: Option<Uuid>,
    /// 1-100, default 20.
    #[validate(range(min = 1, max = 100, message = "must be between 1 and 100"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Creates a team, optionally beneath another.
#[utoipa::path(
    tag = "directory",
    request_body = CreateTeam,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = Team,
         headers(("Location" = String, description = "URL of the new team"))),
        (status = 409, description = "A sibling has this name", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/teams")]
pub async fn create_team(
    admin: Admin,
    state: web::Data<AppState>,
    body: ValidJson<CreateTeam>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let new = NewTeam {
        id: Uuid::now_v7(),
        name: body.name.into_string(),
        parent_id: body.parent_id,
        manager_id: body.manager_id,
        external_id: body.external_id.map(ExternalId::into_string),
    };
    let mut conn = state.pool.get().await?;
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            audit::act_as(conn, &admin.0.subject).await?;
            Ok(teams::insert(conn, &new).await?)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", location("teams", row.id)))
        .json(Team::from(row)))
}

/// Lists teams by name.
#[utoipa::path(
    tag = "directory",
    params(TeamQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "A page of teams", body = Page<Team>))
)]
#[get("/teams")]
pub async fn list_teams(
    _member: Member,
    state: web::Data<AppState>,
    query: ValidQuery<TeamQuery>,
) -> ApiResult<web::Json<Page<Team>>> {
    let query = query.0;
    let limit = pagination::limit(query.limit);
    let after =
        pagination::after::<NameKey>(query.cursor.as_deref())?.map(|NameKey(name, id)| (name, id));
    let mut conn = state.pool.get().await?;
    let rows = teams::list(&mut conn, query.parent_id, after, i64::from(limit) + 1).await?;
    Ok(web::Json(pagination::page(
        rows,
        limit,
        |t| NameKey(t.name.to_lowercase(), t.id),
        Team::from,
    )))
}

/// One team.
#[utoipa::path(
    tag = "directory",
    params(("id" = Uuid, Path, description = "Team id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The team", body = Team),
        (status = 404, description = "No such team", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/teams/{id}")]
pub async fn get_team(
    _member: Member,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Team>> {
    let mut conn = state.pool.get().await?;
    let row = teams::find(&mut conn, *id)
        .await
        .map_err(|e| ApiError::missing(e, format!("no team with id {id}")))?;
    Ok(web::Json(row.into()))
}

/// Renames a team, moves it in the tree or changes its manager.
#[utoipa::path(
    tag = "directory",
    params(("id" = Uuid, Path, description = "Team id")),
    request_body = UpdateTeam,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The updated team", body = Team),
        (status = 404, description = "No such team", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A sibling has this name", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/teams/{id}")]
pub async fn update_team(
    admin: Admin,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateTeam>,
) -> ApiResult<web::Json<Team>> {
    let body = body.0;
    let changes = TeamChanges {
        name: body.name.map(Name::into_string),
        parent_id: body.parent_id,
        manager_id: body.manager_id,
        external_id: body.external_id.map(|e| e.map(ExternalId::into_string)),
        updated_at: None,
    };
    let mut conn = state.pool.get().await?;
    if changes.name.is_none()
        && changes.parent_id.is_none()
        && changes.manager_id.is_none()
        && changes.external_id.is_none()
    {
        let row = teams::find(&mut conn, *id)
            .await
            .map_err(|e| ApiError::missing(e, format!("no team with id {id}")))?;
        return Ok(web::Json(row.into()));
    }
    let moves = changes.parent_id.is_some();
    let row = conn
        .transaction::<_, ApiError, _>(async |conn| {
            audit::act_as(conn, &admin.0.subject).await?;
            if moves {
                // Moving a team recounts the report roll-ups of the teams above it (a division
                // at 10M shout-outs takes seconds), longer than a request's usual timeout.
                teams::allow_recount(conn).await?;
            }
            teams::update(conn, *id, changes)
                .await
                .map_err(|e| ApiError::missing(e, format!("no team with id {id}")))
        })
        .await?;
    Ok(web::Json(row.into()))
}
