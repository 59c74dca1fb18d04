//! The delivery workers every instance runs. Each loops: fan out new events (one instance at a
//! time, in order), then claim one endpoint with a delivery due (`FOR UPDATE SKIP LOCKED`, plus
//! a lease that outlives one attempt) and send its open deliveries oldest first, stopping at the
//! first failure: an endpoint's events arrive in order, and a failing endpoint waits out its
//! back-off without holding up any other. No database connection is held while a receiver is
//! being waited on, so a slow receiver never slows the API.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use rand::Rng;
use serde_json::Value;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::render::{self, Event};
use super::sender::{Outgoing, Sender};
use super::signing;
use crate::config::Config;
use crate::db::DbPool;
use crate::domain::ShoutoutStatus;
use crate::domain::events::{EventType, WebhookFormat};
use crate::models::webhooks::{self, EndpointRow, NextStep};
use crate::models::{employees, outbox, shoutouts};
use crate::telemetry::OutboxMetrics;
use crate::views::{EmployeeSummary, Shoutout};

/// Events fanned out per transaction, and deliveries read per claim.
const FAN_OUT_BATCH: i64 = 200;
const DELIVERY_BATCH: i64 = 50;

/// What the workers share.
struct Shared {
    pool: DbPool,
    sender: Sender,
    schedule: Vec<Duration>,
    disable_after: chrono::Duration,
    lease: Duration,
    timeout: Duration,
    poll: Duration,
    keep_days: u32,
    config: Arc<Config>,
    metrics: OutboxMetrics,
}

/// The running workers; dropping this leaves them running (they end with the runtime).
pub struct Workers {
    handles: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts `SHOUTOUT_WEBHOOKS_WORKERS` workers on the pool.
    pub fn start(
        pool: DbPool,
        config: Arc<Config>,
        metrics: OutboxMetrics,
    ) -> anyhow::Result<Self> {
        let timeout = Duration::from_millis(config.webhooks_timeout_ms);
        let shared = Arc::new(Shared {
            sender: Sender::new(timeout, config.webhooks_allow_private)?,
            schedule: config.webhooks_retry_schedule.0.clone(),
            disable_after: chrono::Duration::seconds(config.webhooks_disable_after_secs as i64),
            // Longer than one attempt can take, so a live worker never loses its claim
            // mid-attempt; short enough that a dead worker's endpoint is soon taken over.
            lease: timeout * 2 + Duration::from_secs(5),
            timeout,
            poll: Duration::from_millis(config.webhooks_poll_ms),
            keep_days: config.webhooks_keep_days,
            pool,
            config,
            metrics,
        });
        let handles = (0..shared.config.webhooks_workers)
            .map(|n| tokio::spawn(run(shared.clone(), n)))
            .collect();
        Ok(Self { handles })
    }

    /// Stops every worker where it is, as a crash would (for tests of what a crash loses).
    pub fn abort(&self) {
        for handle in &self.handles {
            handle.abort();
        }
    }
}

async fn run(shared: Arc<Shared>, n: u32) {
    let owner = Uuid::new_v4();
    let mut last_sweep = std::time::Instant::now();
    loop {
        let mut busy = false;
        match fan_out(&shared).await {
            Ok(count) => busy |= count > 0,
            Err(e) => tracing::warn!(error = %e, "webhooks: fanning out events"),
        }
        match deliver_next(&shared, owner).await {
            Ok(worked) => busy |= worked,
            Err(e) => tracing::warn!(error = %e, "webhooks: delivering"),
        }
        if n == 0 && last_sweep.elapsed() > Duration::from_secs(3600) {
            last_sweep = std::time::Instant::now();
            if let Ok(mut conn) = shared.pool.get().await
                && let Err(e) = webhooks::forget_older_than(&mut conn, shared.keep_days).await
            {
                tracing::warn!(error = %e, "webhooks: forgetting old deliveries");
            }
        }
        if !busy {
            // A little jitter, so the workers of many instances do not poll in step.
            let jitter = rand::rng().random_range(0..=shared.poll.as_millis() as u64 / 4);
            tokio::time::sleep(shared.poll + Duration::from_millis(jitter)).await;
        }
    }
}

/// Turns waiting events into deliveries for the endpoints that want them; how many events.
async fn fan_out(shared: &Shared) -> anyhow::Result<usize> {
    let mut conn = shared.pool.get().await?;
    let done = conn
        .transaction::<_, anyhow::Error, _>(async |conn| {
            if !outbox::try_lock_fan_out(conn).await? {
                return Ok(0);
            }
            let waiting = outbox::waiting(conn, FAN_OUT_BATCH).await?;
            if waiting.is_empty() {
                return Ok(0);
            }
            let endpoints = webhooks::enabled(conn).await?;
            let context = Context::load(conn, &waiting, &endpoints).await?;
            for event in &waiting {
                let Some(event_type) = EventType::parse(&event.event_type) else {
                    outbox::mark_fanned_out(conn, event.id, &Value::Null).await?;
                    continue;
                };
                let subject = event.shoutout_id.and_then(|id| context.shoutouts.get(&id));
                let mut payload = subject.map(|s| s.json.clone()).unwrap_or(Value::Null);
                if event_type == EventType::ShoutoutCheered
                    && let Some(cheerer) = event.actor_id.and_then(|id| context.people.get(&id))
                    && payload.is_object()
                {
                    payload["cheered_by"] = serde_json::to_value(cheerer)?;
                }
                let wanted: Vec<Uuid> = match subject {
                    Some(subject) => endpoints
                        .iter()
                        .filter(|e| context.wants(e, event_type, subject))
                        .map(|e| e.id)
                        .collect(),
                    None => Vec::new(),
                };
                webhooks::insert_deliveries(conn, event.id, &wanted).await?;
                outbox::mark_fanned_out(conn, event.id, &payload).await?;
            }
            Ok(waiting.len())
        })
        .await?;
    Ok(done)
}

/// A shout-out as the fan-out sees it.
struct Subject {
    json: Value,
    view: Shoutout,
    teams: Vec<Uuid>,
}

/// What the fan-out of one batch needs, read once.
struct Context {
    shoutouts: HashMap<Uuid, Subject>,
    people: HashMap<Uuid, EmployeeSummary>,
    subtrees: HashMap<Uuid, Vec<Uuid>>,
}

impl Context {
    async fn load(
        conn: &mut AsyncPgConnection,
        waiting: &[outbox::WaitingEvent],
        endpoints: &[EndpointRow],
    ) -> anyhow::Result<Self> {
        let mut ids: Vec<Uuid> = waiting.iter().filter_map(|e| e.shoutout_id).collect();
        ids.sort();
        ids.dedup();
        let rows = shoutouts::find_many(conn, &ids).await?;
        let details = shoutouts::details(conn, rows).await?;
        let mut teams: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (shoutout, team) in outbox::recipient_teams_of(conn, &ids).await? {
            if let Some(team) = team {
                teams.entry(shoutout).or_default().push(team);
            }
        }
        let mut shoutouts = HashMap::new();
        for detail in details {
            let view = Shoutout::from(detail);
            shoutouts.insert(
                view.id,
                Subject {
                    json: serde_json::to_value(&view)?,
                    teams: teams.remove(&view.id).unwrap_or_default(),
                    view,
                },
            );
        }
        let actor_ids: Vec<Uuid> = waiting.iter().filter_map(|e| e.actor_id).collect();
        let people = employees::find_many(conn, &actor_ids)
            .await?
            .iter()
            .map(|row| (row.id, EmployeeSummary::from(row)))
            .collect();
        let mut subtrees = HashMap::new();
        for team in endpoints.iter().filter_map(|e| e.filter_team_id) {
            if let std::collections::hash_map::Entry::Vacant(slot) = subtrees.entry(team) {
                slot.insert(outbox::subtree(conn, team).await?);
            }
        }
        Ok(Self {
            shoutouts,
            people,
            subtrees,
        })
    }

    /// Whether `endpoint` hears of this event about `subject`.
    fn wants(&self, endpoint: &EndpointRow, event_type: EventType, subject: &Subject) -> bool {
        if !endpoint.events().any(|e| e == event_type.as_str()) {
            return false;
        }
        let format = WebhookFormat::parse(&endpoint.format).unwrap_or(WebhookFormat::Standard);
        // A channel only ever shows what is published now, and never a private shout-out:
        // a channel is read by people it is not for. Standard receivers get it, marked
        // `visibility: private`, to respect it themselves.
        if format.is_channel()
            && (subject.view.status != ShoutoutStatus::Published
                || subject.view.visibility == crate::domain::Visibility::Private)
        {
            return false;
        }
        if let Some(values) = &endpoint.filter_values
            && !values.contains(&Some(subject.view.value))
        {
            return false;
        }
        if let Some(sources) = &endpoint.filter_sources
            && !sources.contains(&Some(subject.view.source))
        {
            return false;
        }
        if let Some(team) = endpoint.filter_team_id {
            let subtree = self.subtrees.get(&team).map(Vec::as_slice).unwrap_or(&[]);
            if !subject.teams.iter().any(|t| subtree.contains(t)) {
                return false;
            }
        }
        true
    }
}

/// Claims one endpoint with work due and sends what it can; whether there was any.
async fn deliver_next(shared: &Shared, owner: Uuid) -> anyhow::Result<bool> {
    // The lease as this worker counts it: from just before the statement that set it, so
    // never later than the database's.
    let mut lease_until = std::time::Instant::now() + shared.lease;
    let (endpoint, open) = {
        let mut conn = shared.pool.get().await?;
        let Some(endpoint) = webhooks::claim(&mut conn, owner, shared.lease).await? else {
            return Ok(false);
        };
        let open = webhooks::open_deliveries(&mut conn, endpoint.id, DELIVERY_BATCH).await?;
        (endpoint, open)
    };
    let format = WebhookFormat::parse(&endpoint.format).unwrap_or(WebhookFormat::Standard);
    for delivery in open {
        if delivery.next_attempt_at > Utc::now() {
            break;
        }
        // Renewed only when what is left of the lease might not cover one more attempt
        // (a quick receiver takes many attempts per renewal).
        if lease_until < std::time::Instant::now() + shared.timeout + Duration::from_secs(2) {
            let renewing = std::time::Instant::now();
            let mut conn = shared.pool.get().await?;
            if !webhooks::renew_lease(&mut conn, endpoint.id, owner, shared.lease).await? {
                // The claim lapsed (or the endpoint was disabled): someone else may hold it.
                return Ok(true);
            }
            lease_until = renewing + shared.lease;
        }
        let message_id = signing::message_id(delivery.event_id);
        let link = delivery.payload["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .map(|id| shared.config.shoutout_link(id));
        let body = render::body(
            format,
            &Event {
                event_type: &delivery.event_type,
                occurred_at: delivery.occurred_at,
                data: &delivery.payload,
                link,
            },
        );
        let now = Utc::now();
        let timestamp = now.timestamp();
        let signature = signing::signature_header(
            &endpoint.signing_secrets(now),
            &message_id,
            timestamp,
            &body,
        );
        let outcome = shared
            .sender
            .send(Outgoing {
                url: &endpoint.url,
                message_id: &message_id,
                timestamp,
                signature: &signature,
                body,
            })
            .await;
        let attempt_no = delivery.attempts as usize + 1;
        let next = if outcome.attempt.succeeded {
            NextStep::Succeeded
        } else if outcome.gone || attempt_no > shared.schedule.len() {
            if outcome.gone {
                NextStep::RetryAt(Utc::now())
            } else {
                NextStep::Dead
            }
        } else {
            NextStep::RetryAt(Utc::now() + jittered(shared.schedule[attempt_no - 1]))
        };
        let disable = if outcome.gone {
            Some("the receiver answered 410 Gone".to_owned())
        } else if !outcome.attempt.succeeded && failing_for(&endpoint, now) >= shared.disable_after
        {
            Some(format!(
                "every delivery failed for {} hours",
                shared.disable_after.num_hours().max(1)
            ))
        } else {
            None
        };
        let mut conn = shared.pool.get().await?;
        let (endpoint_id, delivery_id, attempt) = (endpoint.id, delivery.id, &outcome.attempt);
        let still_open = conn
            .transaction::<_, anyhow::Error, _>(async |conn| {
                let open =
                    webhooks::record_attempt(conn, endpoint_id, delivery_id, attempt, next).await?;
                if let Some(reason) = &disable {
                    crate::models::audit::act_as(conn, "shoutout:webhooks").await?;
                    webhooks::disable(conn, endpoint_id, reason).await?;
                }
                Ok(open)
            })
            .await?;
        shared.metrics.attempt(match next {
            NextStep::Succeeded => "succeeded",
            NextStep::RetryAt(_) => "failed",
            NextStep::Dead => "dead",
        });
        if let Some(reason) = disable {
            tracing::warn!(webhook = %endpoint.id, %reason, "webhook disabled");
            return Ok(true);
        }
        if !outcome.attempt.succeeded {
            break;
        }
        if !still_open {
            // Deleted or disabled meanwhile: nothing more goes to it.
            break;
        }
    }
    let mut conn = shared.pool.get().await?;
    webhooks::release(&mut conn, endpoint.id, owner).await?;
    Ok(true)
}

/// How long the endpoint has failed without a success in between, counting this failure.
fn failing_for(endpoint: &EndpointRow, now: DateTime<Utc>) -> chrono::Duration {
    now - endpoint.failing_since.unwrap_or(now)
}

/// A wait, give or take a tenth, so receivers that failed together are not retried together.
fn jittered(wait: Duration) -> chrono::Duration {
    let tenth = wait.as_millis() as i64 / 10;
    let offset = if tenth > 0 {
        rand::rng().random_range(-tenth..=tenth)
    } else {
        0
    };
    chrono::Duration::milliseconds((wait.as_millis() as i64 + offset).max(0))
}
