//! Structured logging with `tracing` (JSON lines by default, readable text on request) and the
//! gauges `/metrics` samples beside the per-route request metrics.

use prometheus::{IntGauge, Registry};
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

/// Database pool gauges, sampled at scrape time.
pub struct PoolGauges {
    size: IntGauge,
    available: IntGauge,
    waiting: IntGauge,
}

impl PoolGauges {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let gauge = |name: &str, help: &str| -> prometheus::Result<IntGauge> {
            let g = IntGauge::new(name, help)?;
            registry.register(Box::new(g.clone()))?;
            Ok(g)
        };
        Ok(Self {
            size: gauge("shoutout_db_pool_connections", "Open database connections")?,
            available: gauge("shoutout_db_pool_idle", "Idle database connections")?,
            waiting: gauge(
                "shoutout_db_pool_waiting",
                "Requests waiting for a connection",
            )?,
        })
    }

    /// Samples the pool's state into the gauges.
    pub fn sample(&self, status: deadpool::Status) {
        self.size.set(status.size as i64);
        self.available.set(status.available as i64);
        self.waiting.set(status.waiting as i64);
    }
}
