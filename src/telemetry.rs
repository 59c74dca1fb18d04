//! Structured logging with `tracing` (JSON lines by default, readable text on request) and the
//! gauges `/metrics` samples beside the per-route request metrics.

use prometheus::{IntCounterVec, IntGauge, Opts, Registry};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber once; later calls (tests) are ignored. `RUST_LOG` overrides the
/// default level (`info`).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// How the boards' threshold algorithm fared (see `models::tallies::ThresholdLog`), brought
/// up to date at scrape time.
#[derive(Clone)]
pub struct BoardMetrics {
    threshold: IntCounterVec,
}

impl BoardMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let threshold = IntCounterVec::new(
            Opts::new(
                "shoutout_board_threshold_total",
                "Span boards tried with the threshold algorithm, by outcome (settled: answered \
                 without adding everyone up; gave_up: added up whole after all)",
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(threshold.clone()))?;
        Ok(Self { threshold })
    }

    /// Brings the counters up to the log's totals.
    pub fn sample(&self, (settled, gave_up): (u64, u64)) {
        for (outcome, total) in [("settled", settled), ("gave_up", gave_up)] {
            let counter = self.threshold.with_label_values(&[outcome]);
            counter.inc_by(total.saturating_sub(counter.get()));
        }
    }
}

/// One pool's gauges: open connections, idle ones, requests waiting.
struct PoolGauge {
    size: IntGauge,
    available: IntGauge,
    waiting: IntGauge,
}

impl PoolGauge {
    /// The gauges `shoutout_db_{prefix}_connections`, `_idle` and `_waiting`; `of` says whose
    /// (appended to each help text).
    fn register(registry: &Registry, prefix: &str, of: &str) -> prometheus::Result<Self> {
        let gauge = |suffix: &str, help: &str| -> prometheus::Result<IntGauge> {
            let g = IntGauge::new(
                format!("shoutout_db_{prefix}_{suffix}"),
                format!("{help}{of}"),
            )?;
            registry.register(Box::new(g.clone()))?;
            Ok(g)
        };
        Ok(Self {
            size: gauge("connections", "Open database connections")?,
            available: gauge("idle", "Idle database connections")?,
            waiting: gauge("waiting", "Requests waiting for a connection")?,
        })
    }

    fn set(&self, status: deadpool::Status) {
        self.size.set(status.size as i64);
        self.available.set(status.available as i64);
        self.waiting.set(status.waiting as i64);
    }
}

/// Database pool gauges, sampled at scrape time: the primary's general pool
/// (`shoutout_db_pool_*`) and its boards' pool (`shoutout_db_boards_pool_*`, see
/// `db::replicas::Pools`).
pub struct PoolGauges {
    general: PoolGauge,
    boards: PoolGauge,
}

impl PoolGauges {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        Ok(Self {
            general: PoolGauge::register(registry, "pool", "")?,
            boards: PoolGauge::register(
                registry,
                "boards_pool",
                " (the boards' pool on the primary)",
            )?,
        })
    }

    /// Samples the pools' state into the gauges.
    pub fn sample(&self, general: deadpool::Status, boards: deadpool::Status) {
        self.general.set(general);
        self.boards.set(boards);
    }
}

/// The outbox's metrics: attempts by result (counted by the workers), and the backlog
/// (sampled at scrape time).
#[derive(Clone)]
pub struct OutboxMetrics {
    attempts: IntCounterVec,
    open: IntGauge,
    oldest_secs: IntGauge,
    waiting_events: IntGauge,
}

impl OutboxMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let attempts = IntCounterVec::new(
            Opts::new(
                "shoutout_webhook_attempts_total",
                "Webhook delivery attempts by this instance, by result (succeeded, failed, dead)",
            ),
            &["result"],
        )?;
        registry.register(Box::new(attempts.clone()))?;
        let gauge = |name: &str, help: &str| -> prometheus::Result<IntGauge> {
            let g = IntGauge::new(name, help)?;
            registry.register(Box::new(g.clone()))?;
            Ok(g)
        };
        Ok(Self {
            attempts,
            open: gauge(
                "shoutout_outbox_open_deliveries",
                "Webhook deliveries not yet succeeded or dead (all instances)",
            )?,
            oldest_secs: gauge(
                "shoutout_outbox_oldest_open_seconds",
                "Age of the oldest open webhook delivery, in seconds (0 when none)",
            )?,
            waiting_events: gauge(
                "shoutout_outbox_waiting_events",
                "Events written but not yet fanned out to endpoints",
            )?,
        })
    }

    pub fn attempt(&self, result: &str) {
        self.attempts.with_label_values(&[result]).inc();
    }

    /// Samples the backlog into the gauges.
    pub fn sample(&self, open: i64, oldest_secs: Option<f64>, waiting_events: i64) {
        self.open.set(open);
        self.oldest_secs
            .set(oldest_secs.unwrap_or(0.0).round() as i64);
        self.waiting_events.set(waiting_events);
    }
}
