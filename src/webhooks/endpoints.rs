//! The rules of webhook endpoints (admins): what an endpoint may say, made, changed, rotated,
//! pinged and deleted, each in one transaction that names the admin for the audit trail.

use chrono::Utc;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use uuid::Uuid;

use super::address::{self, UrlRules};
use super::signing;
use crate::domain::events::{EventType, WebhookFormat};
use crate::domain::fields::{Description, WebhookUrl};
use crate::domain::{HeartValue, ShoutoutSource};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::models::webhooks::{self, EndpointChanges, EndpointRow, NewEndpoint};
use crate::models::{audit, outbox, teams};

/// Which events an endpoint hears of, beside their types.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only shout-outs to someone in this team or beneath it (where they were when thanked).
    pub team_id: Option<Uuid>,
    pub values: Option<Vec<HeartValue>>,
    pub sources: Option<Vec<ShoutoutSource>>,
}

/// An endpoint as asked for.
pub struct Spec {
    pub url: WebhookUrl,
    pub events: Vec<EventType>,
    pub format: WebhookFormat,
    pub filter: Option<Filter>,
    pub description: Option<Description>,
}

/// A change; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Default)]
pub struct Patch {
    pub url: Option<WebhookUrl>,
    pub events: Option<Vec<EventType>>,
    pub format: Option<WebhookFormat>,
    pub filter: Option<Option<Filter>>,
    pub description: Option<Option<Description>>,
    pub enabled: Option<bool>,
}

pub fn not_found(id: Uuid) -> ApiError {
    ApiError::not_found(format!("no webhook with id {id}"))
}

/// Makes an endpoint; its row holds the secret, shown to the admin this once.
pub async fn create(
    conn: &mut AsyncPgConnection,
    actor: &str,
    rules: &UrlRules,
    spec: Spec,
) -> ApiResult<EndpointRow> {
    let url = checked_url(&spec.url, rules)?;
    let events = checked_events(&spec.events, spec.format)?;
    let filter = spec.filter.unwrap_or_default();
    check_filter(&filter)?;
    let new = NewEndpoint {
        id: Uuid::now_v7(),
        url,
        events,
        format: spec.format.as_str().to_owned(),
        filter_team_id: filter.team_id,
        filter_values: filter.values.map(|v| v.into_iter().map(Some).collect()),
        filter_sources: filter.sources.map(|v| v.into_iter().map(Some).collect()),
        description: spec.description.map(Description::into_string),
        secret: signing::new_secret(),
        created_by: actor.to_owned(),
    };
    conn.transaction::<_, ApiError, _>(async |conn| {
        audit::act_as(conn, actor).await?;
        team_exists(conn, new.filter_team_id).await?;
        Ok(webhooks::insert(conn, &new).await?)
    })
    .await
}

/// Changes an endpoint. Enabling a disabled one resumes its deliveries where they stopped.
pub async fn update(
    conn: &mut AsyncPgConnection,
    actor: &str,
    rules: &UrlRules,
    id: Uuid,
    patch: Patch,
) -> ApiResult<EndpointRow> {
    let url = patch
        .url
        .as_ref()
        .map(|u| checked_url(u, rules))
        .transpose()?;
    if let Some(Some(filter)) = &patch.filter {
        check_filter(filter)?;
    }
    conn.transaction::<_, ApiError, _>(async |conn| {
        audit::act_as(conn, actor).await?;
        let current = webhooks::find(conn, id)
            .await
            .map_err(|e| ApiError::missing(e, format!("no webhook with id {id}")))?;
        let format = patch
            .format
            .or_else(|| WebhookFormat::parse(&current.format))
            .unwrap_or(WebhookFormat::Standard);
        let events: Vec<EventType> = match &patch.events {
            Some(events) => events.clone(),
            None => current.events().filter_map(EventType::parse).collect(),
        };
        let events = checked_events(&events, format)?;
        let mut changes = EndpointChanges {
            url,
            events: Some(events),
            format: Some(format.as_str().to_owned()),
            description: patch.description.map(|d| d.map(Description::into_string)),
            ..EndpointChanges::default()
        };
        if let Some(filter) = patch.filter {
            let filter = filter.unwrap_or_default();
            team_exists(conn, filter.team_id).await?;
            changes.filter_team_id = Some(filter.team_id);
            changes.filter_values = Some(filter.values.map(|v| v.into_iter().map(Some).collect()));
            changes.filter_sources =
                Some(filter.sources.map(|v| v.into_iter().map(Some).collect()));
        }
        match patch.enabled {
            Some(true) if !current.enabled => {
                changes.enabled = Some(true);
                changes.disabled_at = Some(None);
                changes.disabled_reason = Some(None);
                changes.failing_since = Some(None);
                changes.next_attempt_at = Some(Utc::now());
            }
            Some(false) if current.enabled => {
                changes.enabled = Some(false);
                changes.disabled_at = Some(Some(Utc::now()));
                changes.disabled_reason = Some(Some(format!("disabled by {actor}")));
            }
            _ => {}
        }
        Ok(webhooks::update(conn, id, changes).await?)
    })
    .await
}

/// A new secret, shown this once; the previous one keeps signing beside it for `grace`.
pub async fn rotate_secret(
    conn: &mut AsyncPgConnection,
    actor: &str,
    id: Uuid,
    grace: chrono::Duration,
) -> ApiResult<EndpointRow> {
    let secret = signing::new_secret();
    conn.transaction::<_, ApiError, _>(async |conn| {
        audit::act_as(conn, actor).await?;
        webhooks::rotate_secret(conn, id, &secret, Utc::now() + grace)
            .await
            .map_err(|e| ApiError::missing(e, format!("no webhook with id {id}")))
    })
    .await
}

pub async fn delete(conn: &mut AsyncPgConnection, actor: &str, id: Uuid) -> ApiResult<()> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        audit::act_as(conn, actor).await?;
        if webhooks::delete(conn, id).await? {
            Ok(())
        } else {
            Err(not_found(id))
        }
    })
    .await
}

/// Queues a `webhook.ping` for this endpoint alone; the workers send it like any event.
pub async fn ping(conn: &mut AsyncPgConnection, id: Uuid) -> ApiResult<webhooks::DeliveryRow> {
    conn.transaction::<_, ApiError, _>(async |conn| {
        let endpoint = webhooks::find(conn, id)
            .await
            .map_err(|e| ApiError::missing(e, format!("no webhook with id {id}")))?;
        if !endpoint.enabled {
            return Err(ApiError::conflict(
                "enabled",
                "the webhook is disabled; enable it (PATCH {\"enabled\": true}) to ping it",
            ));
        }
        let (event, event_id) = outbox::insert_ping(conn, id).await?;
        let payload = serde_json::json!({
            "webhook_id": id,
            "message": "Shoutout is connected: this endpoint will receive the events it chose.",
        });
        outbox::mark_fanned_out(conn, event, &payload).await?;
        webhooks::insert_deliveries(conn, event, &[id]).await?;
        let delivery = webhooks::delivery_of_event(conn, id, event_id).await?;
        Ok(delivery)
    })
    .await
}

fn checked_url(url: &WebhookUrl, rules: &UrlRules) -> ApiResult<String> {
    address::check_url(url.as_str(), rules)
        .map(|u| u.to_string())
        .map_err(|why| ApiError::invalid("url", why))
}

/// The events, each once, in a stable order; a channel takes only what everyone may see.
fn checked_events(events: &[EventType], format: WebhookFormat) -> ApiResult<Vec<Option<String>>> {
    if events.is_empty() {
        return Err(ApiError::invalid("events", "name at least one event"));
    }
    let errors: Vec<FieldError> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| format.is_channel() && !e.fit_for_channels())
        .map(|(i, e)| {
            FieldError::new(
                format!("events[{i}]"),
                format!(
                    "a {} channel is no place for {e:?} events ({}): only shoutout.published \
                     and shoutout.cheered go to channels",
                    format.as_str(),
                    e.as_str()
                ),
            )
        })
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let mut sorted = events.to_vec();
    sorted.sort();
    sorted.dedup();
    Ok(sorted
        .into_iter()
        .map(|e| Some(e.as_str().to_owned()))
        .collect())
}

fn check_filter(filter: &Filter) -> ApiResult<()> {
    if filter.values.as_ref().is_some_and(Vec::is_empty) {
        return Err(ApiError::invalid(
            "filter.values",
            "name at least one value, or leave it out for every value",
        ));
    }
    if filter.sources.as_ref().is_some_and(Vec::is_empty) {
        return Err(ApiError::invalid(
            "filter.sources",
            "name at least one source, or leave it out for both",
        ));
    }
    Ok(())
}

async fn team_exists(conn: &mut AsyncPgConnection, team_id: Option<Uuid>) -> ApiResult<()> {
    let Some(team_id) = team_id else {
        return Ok(());
    };
    match teams::find(conn, team_id).await {
        Ok(_) => Ok(()),
        Err(diesel::result::Error::NotFound) => Err(ApiError::invalid(
            "filter.team_id",
            format!("no team with id {team_id}"),
        )),
        Err(e) => Err(e.into()),
    }
}
