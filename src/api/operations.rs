//! Operational endpoints: Prometheus metrics, the OpenAPI document and its reference page.

use actix_web::{HttpResponse, get, web};
use prometheus::{Encoder, TextEncoder};

use crate::state::AppState;

/// Prometheus metrics: request counts and latencies per route, and the connection pool.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    state
        .pool_gauges
        .sample(state.pool.status(), state.reads.primary_boards_status());
    state.board_metrics.sample(state.threshold_log.outcomes());
    // The outbox's backlog is every instance's: read from the database, when it answers.
    if let Ok(mut conn) = state.pool.get().await
        && let Ok(backlog) = crate::models::webhooks::backlog(&mut conn).await
    {
        state
            .outbox_metrics
            .sample(backlog.open, backlog.oldest_secs, backlog.waiting_events);
    }
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
