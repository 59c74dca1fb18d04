//! Operational endpoints: Prometheus metrics, the OpenAPI document and its reference page.

use actix_web::{HttpResponse, get, web};
use prometheus::{Encoder, IntGauge, Registry, TextEncoder};

use crate::startup::AppState;

/// Gauges sampled at scrape time, beside the per-route request metrics.
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
}

/// Prometheus metrics: request counts and latencies per route, and the connection pool.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let status = state.pool.status();
    state.pool_gauges.size.set(status.size as i64);
    state.pool_gauges.available.set(status.available as i64);
    state.pool_gauges.waiting.set(status.waiting as i64);
    let mut buffer = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&state.registry.gather(), &mut buffer) {
        tracing::error!(error = %e, "encoding metrics");
        return HttpResponse::InternalServerError().finish();
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(buffer)
}

/// This API's OpenAPI 3.1 document.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object))
)]
#[get("/openapi.json")]
pub async fn openapi_json(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(state.openapi_json.clone())
}

/// The API reference page (Swagger UI, served from the binary).
#[utoipa::path(
    tag = "operations",
    responses((status = 308, description = "Redirects to the reference page at /docs/"))
)]
#[get("/docs")]
pub async fn docs() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs/"))
        .finish()
}
