//! What a request may reach: the state every handler and page is given. It sits above the
//! pieces it holds (the pool, the configuration, praise, the stream hub, the gauges), which
//! never import it: extractors and services are handed the pieces they use.

use std::sync::Arc;

use prometheus::Registry;

use crate::config::Config;
use crate::db::DbPool;
use crate::db::replicas::ReadPools;
use crate::models::tallies::{Statistics, ThresholdLog};
use crate::praise::Praise;
use crate::telemetry::{OutboxMetrics, PoolGauges};
use crate::widgets::stream::StreamHub;

/// What every handler can reach.
pub struct AppState {
    /// The primary: writes, and reads that must be current (the caller's identity, checks).
    pub pool: DbPool,
    /// Reads that may go to a replica: boards, standings, the feed, reports, exports.
    pub reads: Arc<ReadPools>,
    pub config: Arc<Config>,
    pub registry: Registry,
    pub pool_gauges: PoolGauges,
    pub board_metrics: crate::telemetry::BoardMetrics,
    pub outbox_metrics: OutboxMetrics,
    pub openapi_json: String,
    pub praise: Arc<Praise>,
    pub stream: Arc<StreamHub>,
    /// The demo page's widget key, when serving demo data.
    pub demo_key: Option<String>,
    /// How the boards' threshold algorithm fared lately (see `models::tallies::ThresholdLog`).
    pub threshold_log: Arc<ThresholdLog>,
    /// The planner's statistics the boards' spans are weighed with (see
    /// `models::tallies::Statistics`).
    pub board_statistics: Arc<Statistics>,
}
