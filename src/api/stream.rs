//! `GET /api/v1/stream`: Server-Sent Events of shout-outs as they are published (and retracted),
//! for walls and feeds that update themselves.

use std::convert::Infallible;
use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;
use tokio::sync::{broadcast, mpsc};
use utoipa::IntoParams;
use validator::Validate;

use uuid::Uuid;

use crate::db::DbPool;
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidQuery;
use crate::models::{employees, widget_keys};
use crate::state::AppState;
use crate::widgets::keys::{Feeds, Viewer};
use crate::widgets::stream::{Cursor, Event, StreamHub};

const LAST_EVENT_ID: &str = "Last-Event-ID";
/// Milliseconds a disconnected `EventSource` waits before reconnecting.
const RETRY_MS: u32 = 2000;

#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamParams {
    /// A widget key, for `EventSource`, which cannot send the `X-Widget-Key` header.
    pub key: Option<String>,
}

/// Newly published shout-outs as Server-Sent Events (`text/event-stream`), from every instance
/// of the service.
///
/// A stream lives only as long as its credential: it ends at the token's `exp`, within
/// `SHOUTOUT_STREAM_RECHECK_SECS` (15 s by default) of its widget key being revoked or its
/// employee deactivated, and after `SHOUTOUT_STREAM_MAX_SECS` (an hour by default) in any case;
/// the last thing sent is a comment `: closing <reason>`. Clients reconnect with `Last-Event-ID`
/// and miss nothing.
///
/// Events: `published` (data: the shout-out, as `GET /api/v1/shoutouts/{id}` shows it; customer
/// praise arrives when approved) and `retracted` (data: `{"id": ...}`). Each has an `id`; a client
/// that reconnects with `Last-Event-ID` gets everything it missed (events are kept for 7 days).
/// A comment line is sent every `SHOUTOUT_STREAM_HEARTBEAT_SECS` so proxies keep the connection
/// open. For staff with a token, or a widget key with the `feeds` scope.
#[utoipa::path(
    tag = "widgets",
    params(
        StreamParams,
        ("Last-Event-ID" = Option<String>, Header, description = "The `id` of the last event received: resume after it"),
    ),
    security(("bearer" = []), ("widget_key" = [])),
    responses(
        (status = 200, description = "The event stream; it stays open", content_type = "text/event-stream", body = String),
    )
)]
#[get("/stream")]
pub async fn stream(
    viewer: Viewer<Feeds>,
    state: web::Data<AppState>,
    req: HttpRequest,
    _params: ValidQuery<StreamParams>,
) -> ApiResult<HttpResponse> {
    let resume = resume_after(&req)?;
    // Subscribed before anything is read, so nothing published meanwhile is missed.
    let (events, head) = state.stream.subscribe();
    let (sender, receiver) = mpsc::channel::<Bytes>(16);
    let heartbeat = Duration::from_secs(state.config.stream_heartbeat_secs.max(1));
    let lifetime = Lifetime::of(&viewer, &state);
    tokio::spawn(serve_client(
        state.stream.clone(),
        events,
        resume,
        head,
        sender,
        heartbeat,
        lifetime,
    ));
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let chunk = receiver.recv().await?;
        Some((Ok::<_, Infallible>(chunk), receiver))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        // Tells nginx not to buffer the stream.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// Where a reconnecting client left off: the `Last-Event-ID` it sends, if any.
fn resume_after(req: &HttpRequest) -> ApiResult<Option<Cursor>> {
    let Some(value) = req.headers().get(LAST_EVENT_ID) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.parse::<Cursor>().ok())
        .map(Some)
        .ok_or_else(|| ApiError::invalid(LAST_EVENT_ID, "must be an event `id` this stream sent"))
}

/// How long one stream may live: until its deadline (the token's expiry or the maximum
/// lifetime, whichever is first), and while its credential still holds when rechecked.
struct Lifetime {
    deadline: tokio::time::Instant,
    deadline_reason: &'static str,
    recheck: Duration,
    credential: Credential,
    pool: DbPool,
}

enum Credential {
    Key(Uuid),
    Employee(Uuid),
    /// An admin not in the directory: only the token's expiry applies.
    TokenOnly,
}

impl Lifetime {
    fn of(viewer: &Viewer<Feeds>, state: &AppState) -> Self {
        let max = Duration::from_secs(state.config.stream_max_secs);
        let mut deadline = tokio::time::Instant::now() + max;
        let mut deadline_reason = "the stream's maximum lifetime";
        let credential = match viewer {
            Viewer::Key(key, _) => Credential::Key(key.id),
            Viewer::Member(member) => {
                let left = (member.caller.expires_at - chrono::Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO);
                if left < max {
                    deadline = tokio::time::Instant::now() + left;
                    deadline_reason = "the token expired";
                }
                match &member.employee {
                    Some(employee) => Credential::Employee(employee.id),
                    None => Credential::TokenOnly,
                }
            }
        };
        Self {
            deadline,
            deadline_reason,
            recheck: Duration::from_secs(state.config.stream_recheck_secs.max(1)),
            credential,
            pool: state.pool.clone(),
        }
    }

    /// Why the credential no longer holds, if it does not. A database that cannot be asked
    /// right now is no reason to cut a wall off: the next check asks again.
    async fn lapsed(&self) -> Option<&'static str> {
        let mut conn = self.pool.get().await.ok()?;
        match self.credential {
            Credential::Key(id) => match widget_keys::find(&mut conn, id).await {
                Ok(key) if key.revoked_at.is_none() => None,
                Ok(_) | Err(diesel::result::Error::NotFound) => Some("the widget key was revoked"),
                Err(_) => None,
            },
            Credential::Employee(id) => match employees::find(&mut conn, id).await {
                Ok(employee) if employee.active => None,
                Ok(_) | Err(diesel::result::Error::NotFound) => {
                    Some("the employee is no longer active")
                }
                Err(_) => None,
            },
            Credential::TokenOnly => None,
        }
    }
}

/// Feeds one client until it goes away: what it missed (from the table), then live events
/// (skipping any it already had), heartbeats when nothing happens. When it falls too far behind
/// the broadcast, it catches up from the table: a slow client is only ever late, never
/// incomplete, and never delays anyone else.
async fn serve_client(
    hub: std::sync::Arc<StreamHub>,
    mut events: broadcast::Receiver<std::sync::Arc<Event>>,
    resume: Option<Cursor>,
    head: Cursor,
    sender: mpsc::Sender<Bytes>,
    heartbeat: Duration,
    lifetime: Lifetime,
) {
    let send = |text: String| {
        let sender = sender.clone();
        async move { sender.send(Bytes::from(text)).await.is_ok() }
    };
    if !send(format!("retry: {RETRY_MS}\n: connected\n\n")).await {
        return;
    }
    // Everything up to `last` has been sent (or, for a new client, was before its time).
    let mut last = match resume {
        Some(after) => match catch_up(&hub, after, &send).await {
            Some(cursor) => cursor,
            None => return,
        },
        None => head,
    };
    let mut ticker = tokio::time::interval(heartbeat);
    ticker.tick().await;
    let closed = hub.closed();
    tokio::pin!(closed);
    let mut recheck = tokio::time::interval(lifetime.recheck);
    recheck.tick().await;
    let end = tokio::time::sleep_until(lifetime.deadline);
    tokio::pin!(end);
    loop {
        tokio::select! {
            () = &mut closed => return,
            () = &mut end => {
                send(format!(": closing ({})\n\n", lifetime.deadline_reason)).await;
                return;
            }
            _ = recheck.tick() => {
                if let Some(reason) = lifetime.lapsed().await {
                    send(format!(": closing ({reason})\n\n")).await;
                    return;
                }
            }
            received = events.recv() => match received {
                Ok(event) => {
                    if event.cursor <= last {
                        continue;
                    }
                    if !send(event.to_sse()).await {
                        return;
                    }
                    last = event.cursor;
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "a stream client fell behind; catching up");
                    match catch_up(&hub, last, &send).await {
                        Some(cursor) => last = cursor,
                        None => return,
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = ticker.tick() => {
                if !send(": heartbeat\n\n".to_owned()).await {
                    return;
                }
            }
        }
    }
}

/// Sends every event after `after` from the table; the cursor of the last one sent, or `None`
/// when the client has gone (or the table cannot be read).
async fn catch_up<F, Fut>(hub: &StreamHub, mut after: Cursor, send: &F) -> Option<Cursor>
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    loop {
        let batch = match hub.read_after(after).await {
            Ok(batch) => batch,
            Err(e) => {
                // Going on live would leave a gap: close instead, and the client's reconnection
                // (with the last id it got) fills it.
                tracing::warn!(error = %e, "reading missed stream events");
                return None;
            }
        };
        if batch.is_empty() {
            return Some(after);
        }
        for event in batch {
            if !send(event.to_sse()).await {
                return None;
            }
            after = event.cursor;
        }
    }
}
