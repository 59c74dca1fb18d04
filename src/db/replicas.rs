//! Reads on PostgreSQL streaming replicas (`SHOUTOUT_READ_DATABASE_URLS`).
//!
//! Boards, standings, the feed, reports and exports take their connection from [`ReadPools`]:
//! a healthy replica, in turn, else the primary. A replica is healthy while it answers, is
//! still in recovery (a promoted one no longer follows this primary) and is no further behind
//! than `SHOUTOUT_REPLICA_MAX_LAG_MS`; a checker measures that twice a second.
//!
//! **Reading your own writes** needs no memory shared between instances: every successful write
//! answers with a `Shoutout-Consistency` header holding the primary's WAL position after it
//! (an LSN); a read that sends it back is served by a replica only if the checker has seen
//! that replica replay at least that far, and by the primary otherwise. The positions the
//! checker remembers only ever trail the truth, so the rule never lets an older state through.
//!
//! Writes, the outbox and the stream's `LISTEN` stay on the primary pool.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use diesel::sql_types::{Bool, Double, Text};
use diesel::{QueryableByName, sql_query};
use prometheus::{IntCounterVec, IntGaugeVec, Opts};

use super::{DbConn, DbPool, PoolError};

/// The header a write answers with and a read may send back.
pub const HEADER: &str = "shoutout-consistency";

/// A position in the primary's write-ahead log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Lsn(pub u64);

impl Lsn {
    /// Reads PostgreSQL's text form, `16/B374D848`.
    pub fn parse(text: &str) -> Option<Self> {
        let (high, low) = text.trim().split_once('/')?;
        if high.is_empty() || low.is_empty() || high.len() > 8 || low.len() > 8 {
            return None;
        }
        let high = u64::from_str_radix(high, 16).ok()?;
        let low = u64::from_str_radix(low, 16).ok()?;
        Some(Self((high << 32) | low))
    }
}

impl std::fmt::Display for Lsn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

/// The pools of one database: one for reads in general, one for the boards' statements.
///
/// A board's statements are prepared, cached per connection, and written so that their shape
/// does not hang on their parameters (each range a `LATERAL` scan of its own fenced with
/// `OFFSET 0`, each filter a sub-plan): one generic plan serves every period, date and filter.
/// Left to choose, PostgreSQL never settled on it (its estimates for unknown arrays and limits
/// made it look dearer) and planned every run afresh: 0.43 of a week board's 0.57 ms in the
/// database at 100k shout-outs, 1.25 of a 7-day givers span's 3.3 ms. The boards' pool forces
/// generic plans (see `PoolSettings::generic_plans`); it is a pool of its own because the
/// setting belongs to a session, and everything else (one-off statements among them, which a
/// generic plan only makes worse) keeps PostgreSQL's choice. Setting it per request instead,
/// in a transaction of its own, cost three round trips: as much as it saved.
#[derive(Clone)]
pub struct Pools {
    pub general: DbPool,
    pub boards: DbPool,
}

struct Replica {
    /// Host, port and database: the label metrics carry (never the password).
    name: String,
    pools: Pools,
    healthy: AtomicBool,
    /// The replay position the checker last saw.
    replayed: AtomicU64,
}

pub struct ReadPools {
    primary: Pools,
    replicas: Vec<Replica>,
    max_lag: Duration,
    next: AtomicUsize,
    served: IntCounterVec,
    lag_ms: IntGaugeVec,
    healthy: IntGaugeVec,
}

#[derive(QueryableByName)]
struct Position {
    #[diesel(sql_type = Text)]
    lsn: String,
}

#[derive(QueryableByName)]
struct ReplicaState {
    #[diesel(sql_type = Bool)]
    in_recovery: bool,
    #[diesel(sql_type = Text)]
    replayed: String,
    #[diesel(sql_type = Double)]
    replay_age_secs: f64,
}

impl ReadPools {
    /// `replicas` are (label, pools). With none, every read goes to the primary.
    pub fn new(primary: Pools, replicas: Vec<(String, Pools)>, max_lag: Duration) -> Self {
        let metric = |name: &str, help: &str| IntGaugeVec::new(Opts::new(name, help), &["replica"]);
        Self {
            primary,
            replicas: replicas
                .into_iter()
                .map(|(name, pools)| Replica {
                    name,
                    pools,
                    // Not trusted until the checker has seen it.
                    healthy: AtomicBool::new(false),
                    replayed: AtomicU64::new(0),
                })
                .collect(),
            max_lag,
            next: AtomicUsize::new(0),
            served: IntCounterVec::new(
                Opts::new(
                    "shoutout_reads_served_total",
                    "Reads routed to each database (`primary` or a replica)",
                ),
                &["served_by"],
            )
            .expect("a valid metric"),
            lag_ms: metric(
                "shoutout_replica_lag_milliseconds",
                "How far each replica's replay trails the primary, as last measured",
            )
            .expect("a valid metric"),
            healthy: metric(
                "shoutout_replica_healthy",
                "1 while a replica takes reads, 0 while it is down, promoted or too far behind",
            )
            .expect("a valid metric"),
        }
    }

    /// The metrics, for the registry `/metrics` serves.
    pub fn register(&self, registry: &prometheus::Registry) -> prometheus::Result<()> {
        registry.register(Box::new(self.served.clone()))?;
        registry.register(Box::new(self.lag_ms.clone()))?;
        registry.register(Box::new(self.healthy.clone()))
    }

    pub fn has_replicas(&self) -> bool {
        !self.replicas.is_empty()
    }

    /// The replicas that may serve a read after `after`, starting at the next in turn.
    fn eligible(&self, after: Option<Lsn>) -> impl Iterator<Item = &Replica> {
        let count = self.replicas.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..count)
            .map(move |i| &self.replicas[(start + i) % count])
            .filter(move |replica| {
                replica.healthy.load(Ordering::Acquire)
                    && after.is_none_or(|lsn| replica.replayed.load(Ordering::Acquire) >= lsn.0)
            })
    }

    fn count(&self, served_by: &str) {
        self.served.with_label_values(&[served_by]).inc();
    }

    /// A connection for reading, on a healthy replica that has replayed `after` (the caller's
    /// last write), else on the primary. A replica that cannot hand out a connection within
    /// its pool's wait is marked down and the next one is tried.
    pub async fn get(&self, after: Option<Lsn>) -> Result<DbConn, PoolError> {
        self.get_from(after, |pools| &pools.general).await
    }

    /// A connection for a board's statements, chosen as [`get`](Self::get) chooses, from the
    /// pools that plan them once per connection ([`Pools`]).
    pub async fn get_for_boards(&self, after: Option<Lsn>) -> Result<DbConn, PoolError> {
        self.get_from(after, |pools| &pools.boards).await
    }

    /// [`get`](Self::get) from the pool `pick` chooses of each database.
    async fn get_from(
        &self,
        after: Option<Lsn>,
        pick: fn(&Pools) -> &DbPool,
    ) -> Result<DbConn, PoolError> {
        for replica in self.eligible(after) {
            match pick(&replica.pools).get().await {
                Ok(conn) => {
                    self.count(&replica.name);
                    return Ok(conn);
                }
                Err(error) => {
                    tracing::warn!(replica = %replica.name, %error, "replica unreachable; reading elsewhere");
                    replica.healthy.store(false, Ordering::Release);
                    self.healthy
                        .with_label_values(&[replica.name.as_str()])
                        .set(0);
                }
            }
        }
        self.count("primary");
        pick(&self.primary).get().await
    }

    /// How the boards' pool on the primary stands (for `/metrics`).
    pub fn primary_boards_status(&self) -> deadpool::Status {
        self.primary.boards.status()
    }

    /// The pool a streamed read (an export) should use, chosen as [`get`](Self::get) chooses.
    pub fn pool_for(&self, after: Option<Lsn>) -> DbPool {
        match self.eligible(after).next() {
            Some(replica) => {
                self.count(&replica.name);
                replica.pools.general.clone()
            }
            None => {
                self.count("primary");
                self.primary.general.clone()
            }
        }
    }

    /// The primary's WAL position now: after a write has committed, a replica that has
    /// replayed this far has it. (The insert position: with asynchronous commit the write
    /// position may still trail a committed transaction.)
    pub async fn primary_position(&self) -> anyhow::Result<Lsn> {
        // Scoped: its `load` would shadow the atomics' elsewhere in this file.
        use diesel_async::RunQueryDsl;
        let mut conn = self.primary.general.get().await?;
        let row: Position = sql_query("SELECT pg_current_wal_insert_lsn()::text AS lsn")
            .get_result(&mut conn)
            .await?;
        Lsn::parse(&row.lsn).ok_or_else(|| anyhow::anyhow!("unreadable LSN {}", row.lsn))
    }

    /// Measures every replica once.
    pub async fn check(&self) {
        if self.replicas.is_empty() {
            return;
        }
        let Ok(primary_at) = self.primary_position().await else {
            // Without the primary there is nothing to measure against; keep the last verdicts.
            return;
        };
        for replica in &self.replicas {
            let verdict =
                tokio::time::timeout(Duration::from_secs(2), measure(&replica.pools.general)).await;
            let (healthy, lag_ms) = match verdict {
                Ok(Ok(state)) if state.in_recovery => {
                    let replayed = Lsn::parse(&state.replayed).unwrap_or(Lsn(0));
                    replica.replayed.fetch_max(replayed.0, Ordering::AcqRel);
                    // Caught up: no lag, however long ago the last transaction was. Behind:
                    // as old as the last transaction it has replayed.
                    let lag_ms = if replayed >= primary_at {
                        0
                    } else {
                        (state.replay_age_secs.max(0.0) * 1000.0) as u64
                    };
                    (lag_ms <= self.max_lag.as_millis() as u64, lag_ms as i64)
                }
                Ok(Ok(_)) => {
                    tracing::warn!(replica = %replica.name, "replica is not in recovery (promoted?); no reads go to it");
                    (false, -1)
                }
                Ok(Err(error)) => {
                    tracing::debug!(replica = %replica.name, %error, "replica check failed");
                    (false, -1)
                }
                Err(_) => (false, -1),
            };
            let was = replica.healthy.swap(healthy, Ordering::AcqRel);
            if was != healthy {
                tracing::info!(replica = %replica.name, healthy, lag_ms, "replica state changed");
            }
            self.healthy
                .with_label_values(&[replica.name.as_str()])
                .set(i64::from(healthy));
            self.lag_ms
                .with_label_values(&[replica.name.as_str()])
                .set(lag_ms);
        }
    }

    /// Checks the replicas every `interval` until the returned task is aborted.
    pub fn start_checking(
        self: &Arc<Self>,
        interval: Duration,
    ) -> Option<tokio::task::JoinHandle<()>> {
        if !self.has_replicas() {
            return None;
        }
        let pools = self.clone();
        Some(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                pools.check().await;
            }
        }))
    }
}

async fn measure(pool: &DbPool) -> anyhow::Result<ReplicaState> {
    use diesel_async::RunQueryDsl;
    let mut conn = pool.get().await?;
    Ok(sql_query(
        "SELECT pg_is_in_recovery() AS in_recovery, \
                COALESCE(pg_last_wal_replay_lsn(), '0/0')::text AS replayed, \
                COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)::float8 \
                    AS replay_age_secs",
    )
    .get_result(&mut conn)
    .await?)
}

/// What a replica URL is called in logs and metrics: host, port and database, no secrets.
pub fn label(url: &str) -> String {
    if let Ok(parsed) = url::Url::parse(url)
        && parsed.scheme().starts_with("postgres")
    {
        return format!(
            "{}:{}{}",
            parsed.host_str().unwrap_or("localhost"),
            parsed.port().unwrap_or(5432),
            parsed.path()
        );
    }
    // A keyword/value string (`host=... dbname=...`): keep host, port and dbname.
    url.split_whitespace()
        .filter(|part| {
            ["host=", "port=", "dbname="]
                .iter()
                .any(|k| part.starts_with(k))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsns_read_and_order_as_postgresql_writes_them() {
        let a = Lsn::parse("16/B374D848").unwrap();
        assert_eq!(a.to_string(), "16/B374D848");
        assert!(Lsn::parse("0/1").unwrap() < Lsn::parse("0/10").unwrap());
        assert!(Lsn::parse("1/0").unwrap() > Lsn::parse("0/FFFFFFFF").unwrap());
        for bad in ["", "/", "1/", "x/1", "123456789/0", "1/2/3"] {
            assert_eq!(Lsn::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn labels_hold_no_secrets() {
        assert_eq!(
            label("postgres://reader:hunter2@db-replica-1:5433/shoutout"),
            "db-replica-1:5433/shoutout"
        );
        assert_eq!(
            label("host='/tmp/run' port=5432 user=postgres password=x dbname=shoutout"),
            "host='/tmp/run' port=5432 dbname=shoutout"
        );
    }
}
