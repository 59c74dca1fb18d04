//! The live stream: every instance keeps one PostgreSQL connection that `LISTEN`s for
//! `shoutout_stream`, reads new events from `stream_events` in commit-safe order (see the
//! migration) and broadcasts them, already rendered, to the walls connected to it. A posted
//! shout-out therefore reaches walls on every instance behind a load balancer.
//!
//! A wall that reads slowly never holds anyone up: the broadcast drops what a lagging receiver
//! has not taken, and that receiver catches up from the table, where nothing is lost.

use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use diesel_async::AsyncPgConnection;
use futures_util::StreamExt;
use tokio::sync::{Notify, broadcast, watch};
use uuid::Uuid;

use crate::db::DbPool;
use crate::models::{shoutouts, stream_events};

/// The notification channel the migration's trigger signals.
const CHANNEL: &str = "shoutout_stream";
/// Events read (and rendered) per round trip.
const BATCH: i64 = 200;
/// How long events are kept for walls that reconnect with `Last-Event-ID`.
const RETENTION_DAYS: u32 = 7;

/// Where an event sits in the stream: the writing transaction, then the event's id. Sent as
/// the SSE `id` (`tx-id`), so a reconnecting client resumes exactly after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Cursor {
    pub tx: i64,
    pub id: i64,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.tx, self.id)
    }
}

impl FromStr for Cursor {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        let (tx, id) = text.trim().split_once('-').ok_or(())?;
        let cursor = Self {
            tx: tx.parse().map_err(drop)?,
            id: id.parse().map_err(drop)?,
        };
        if cursor.tx < 0 || cursor.id < 0 {
            return Err(());
        }
        Ok(cursor)
    }
}

/// One event, rendered once per instance for every wall.
#[derive(Debug, Clone)]
pub struct Event {
    pub cursor: Cursor,
    /// `published` or `retracted` (the SSE event name).
    pub kind: String,
    /// The JSON sent as `data`: the shout-out as `GET /api/v1/shoutouts/{id}` shows it, or
    /// `{"id": ...}` for a retraction.
    pub data: String,
}

impl Event {
    /// The event in SSE wire format.
    pub fn to_sse(&self) -> String {
        format!(
            "id: {}\nevent: {}\ndata: {}\n\n",
            self.cursor, self.kind, self.data
        )
    }
}

pub struct StreamHub {
    pool: DbPool,
    sender: broadcast::Sender<Arc<Event>>,
    /// The last event broadcast. Sending and subscribing both hold this lock, so a new
    /// subscriber knows exactly where its broadcast begins (and where to catch up from).
    head: Mutex<Cursor>,
    wake: Notify,
    /// Set when the service shuts down: open streams end, so that a graceful shutdown waits
    /// for real requests only, not for walls that would never hang up.
    closing: watch::Sender<bool>,
}

impl StreamHub {
    /// Starts listening and broadcasting in the background. `buffer` is how many events a
    /// wall may fall behind before it catches up from the database instead.
    pub async fn start(
        pool: DbPool,
        database_url: String,
        buffer: usize,
    ) -> anyhow::Result<Arc<Self>> {
        let (sender, _) = broadcast::channel(buffer.max(1));
        let head = head(&pool).await?;
        let hub = Arc::new(Self {
            pool,
            sender,
            head: Mutex::new(head),
            wake: Notify::new(),
            closing: watch::Sender::new(false),
        });
        tokio::spawn(listen(hub.clone(), database_url));
        tokio::spawn(pump(hub.clone()));
        Ok(hub)
    }

    /// A receiver of every event broadcast from now on, and the cursor of the last event
    /// broadcast before it.
    pub fn subscribe(&self) -> (broadcast::Receiver<Arc<Event>>, Cursor) {
        let head = self.head.lock().unwrap_or_else(|e| e.into_inner());
        (self.sender.subscribe(), *head)
    }

    /// Ends every open stream (their clients reconnect, to another instance or to this one
    /// once it is back, with their last event id).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves once [`close`](Self::close) has been called.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut closing = self.closing.subscribe();
        async move {
            let _ = closing.wait_for(|closing| *closing).await;
        }
    }

    fn broadcast(&self, event: Arc<Event>) {
        let mut head = self.head.lock().unwrap_or_else(|e| e.into_inner());
        *head = event.cursor;
        // No receivers is not an error: nobody is watching.
        let _ = self.sender.send(event);
    }

    /// The events after `after` that can no longer change, oldest first, at most `BATCH`.
    pub async fn read_after(&self, after: Cursor) -> anyhow::Result<Vec<Arc<Event>>> {
        let mut conn = self.pool.get().await?;
        read_after(&mut conn, after).await
    }
}

/// Keeps a `LISTEN` connection open until the hub closes (a stop is not a failure: nothing is
/// logged as a warning once it has begun).
async fn listen(hub: Arc<StreamHub>, database_url: String) {
    let closed = hub.closed();
    tokio::select! {
        () = closed => tracing::debug!("stream listener stopped"),
        () = keep_listening(hub.clone(), database_url) => {}
    }
}

fn stopping(hub: &StreamHub) -> bool {
    *hub.closing.borrow()
}

/// Reconnects with a growing pause after a failure, and wakes the pump for every notification
/// (and after every reconnection, in case something was written meanwhile).
async fn keep_listening(hub: Arc<StreamHub>, database_url: String) {
    let mut pause = Duration::from_millis(250);
    loop {
        match tokio_postgres::connect(&database_url, tokio_postgres::NoTls).await {
            Ok((client, mut connection)) => {
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                let driver_hub = hub.clone();
                let driver = tokio::spawn(async move {
                    let mut messages =
                        futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    while let Some(message) = messages.next().await {
                        match message {
                            Ok(tokio_postgres::AsyncMessage::Notification(_)) => {
                                let _ = tx.send(());
                            }
                            Ok(_) => {}
                            Err(e) if stopping(&driver_hub) => {
                                tracing::debug!(error = %e, "stream listener closed on stop");
                                break;
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "stream listener connection failed");
                                break;
                            }
                        }
                    }
                });
                match client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
                    Ok(()) => {
                        tracing::debug!("stream listener connected");
                        pause = Duration::from_millis(250);
                        hub.wake.notify_one();
                        while rx.recv().await.is_some() {
                            hub.wake.notify_one();
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "LISTEN failed"),
                }
                driver.abort();
            }
            Err(e) => tracing::warn!(error = %e, "stream listener cannot connect"),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}

/// Reads new events when woken and broadcasts them in order, until the hub closes.
async fn pump(hub: Arc<StreamHub>) {
    let closed = hub.closed();
    tokio::select! {
        () = closed => tracing::debug!("stream pump stopped"),
        () = keep_pumping(hub.clone()) => {}
    }
}

/// While events of transactions older than a still-running one wait to become readable it
/// looks again soon; otherwise it also looks every few seconds, whatever the notifications say.
async fn keep_pumping(hub: Arc<StreamHub>) {
    let mut cursor = hub.subscribe().1;
    let mut pending = false;
    let mut rounds = 0_u64;
    loop {
        let wait = if pending {
            Duration::from_millis(50)
        } else {
            Duration::from_secs(5)
        };
        let _ = tokio::time::timeout(wait, hub.wake.notified()).await;
        match advance(&hub, cursor).await {
            Ok((next, waiting)) => {
                cursor = next;
                pending = waiting;
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading stream events");
                pending = true;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        rounds += 1;
        if rounds % 720 == 1 {
            forget_old_events(&hub.pool).await;
        }
    }
}

/// Broadcasts every readable event after `cursor`; returns the new cursor and whether events
/// are waiting on an older transaction.
async fn advance(hub: &StreamHub, mut cursor: Cursor) -> anyhow::Result<(Cursor, bool)> {
    let mut conn = hub.pool.get().await?;
    loop {
        let events = read_after(&mut conn, cursor).await?;
        let full = events.len() as i64 == BATCH;
        for event in events {
            cursor = event.cursor;
            hub.broadcast(event);
        }
        if !full {
            break;
        }
    }
    let waiting = stream_events::waiting_after(&mut conn, cursor.tx, cursor.id).await?;
    Ok((cursor, waiting))
}

/// The last event that can no longer change: where a new instance starts broadcasting.
async fn head(pool: &DbPool) -> anyhow::Result<Cursor> {
    let mut conn = pool.get().await.context("reading the stream's head")?;
    let row = stream_events::last_settled(&mut conn).await?;
    Ok(row.map_or_else(Cursor::default, |r| Cursor { tx: r.tx, id: r.id }))
}

async fn read_after(
    conn: &mut AsyncPgConnection,
    after: Cursor,
) -> anyhow::Result<Vec<Arc<Event>>> {
    let rows = stream_events::settled_after(conn, after.tx, after.id, BATCH).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let published: Vec<Uuid> = rows
        .iter()
        .filter(|r| r.kind == "published")
        .map(|r| r.shoutout_id)
        .collect();
    // The stream is the live wall: nobody who chose to stay off walls is shown on it.
    let off_walls: std::collections::HashSet<Uuid> =
        shoutouts::naming_someone_off_walls(conn, &published)
            .await?
            .into_iter()
            .collect();
    let published: Vec<Uuid> = published
        .into_iter()
        .filter(|id| !off_walls.contains(id))
        .collect();
    let found = shoutouts::find_many(conn, &published).await?;
    let mut rendered: std::collections::HashMap<Uuid, String> = shoutouts::details(conn, found)
        .await?
        .into_iter()
        .map(|details| {
            let id = details.row.id;
            let view = crate::views::Shoutout::from(details);
            (id, serde_json::to_string(&view).unwrap_or_default())
        })
        .collect();
    Ok(rows
        .into_iter()
        .filter(|row| !off_walls.contains(&row.shoutout_id))
        .map(|row| {
            let data = if row.kind == "published" {
                rendered
                    .remove(&row.shoutout_id)
                    .unwrap_or_else(|| serde_json::json!({ "id": row.shoutout_id }).to_string())
            } else {
                serde_json::json!({ "id": row.shoutout_id }).to_string()
            };
            Arc::new(Event {
                cursor: Cursor {
                    tx: row.tx,
                    id: row.id,
                },
                kind: row.kind,
                data,
            })
        })
        .collect())
}

async fn forget_old_events(pool: &DbPool) {
    let Ok(mut conn) = pool.get().await else {
        return;
    };
    let deleted = stream_events::forget_older_than(&mut conn, RETENTION_DAYS).await;
    match deleted {
        Ok(0) => {}
        Ok(n) => tracing::info!(deleted = n, "forgot old stream events"),
        Err(e) => tracing::warn!(error = %e, "forgetting old stream events"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_order_by_transaction_first() {
        let a = Cursor { tx: 7, id: 12 };
        assert_eq!(a.to_string(), "7-12");
        assert_eq!("7-12".parse::<Cursor>(), Ok(a));
        assert!(Cursor { tx: 7, id: 12 } < Cursor { tx: 8, id: 3 });
        for bad in ["", "7", "7-", "-1-2", "a-b", "7-12-1"] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad}");
        }
    }
}
