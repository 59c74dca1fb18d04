//! Builds the application: the pool, migrations, the HTTP server bound to its own listener
//! (port 0 works, so tests run the real server in-process).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpMessage, HttpServer, web};
use anyhow::Context;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use prometheus::Registry;
use secrecy::ExposeSecret;
use utoipa_actix_web::AppExt;

use crate::auth::TokenVerifier;
use crate::config::Config;
use crate::db::replicas::ReadPools;
use crate::db::{self, DbPool, PoolSettings};
use crate::error::ApiError;
use crate::praise::Praise;
use crate::routes;
use crate::state::AppState;
use crate::telemetry::{OutboxMetrics, PoolGauges};
use crate::widgets::keys as widget_keys;
use crate::widgets::stream::StreamHub;

pub struct Application {
    port: u16,
    server: Server,
    pool: DbPool,
    stream: Arc<StreamHub>,
    webhooks: crate::webhooks::worker::Workers,
    mail: crate::mail::worker::MailWorker,
    /// Measures the read replicas (none without SHOUTOUT_READ_DATABASE_URLS).
    replica_checker: Option<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Connects, migrates and binds. `config.database_url` must be set (the binary resolves the
    /// embedded cluster before calling this).
    pub async fn build(mut config: Config) -> anyhow::Result<Self> {
        let database_url = config
            .database_url
            .as_ref()
            .context("a database URL is required")?
            .expose_secret()
            .to_owned();
        let tokens = TokenVerifier::from_config(&config).await?;
        db::run_migrations(&database_url).await?;
        sync_leaderboard_timezone(&database_url, config.timezone.name()).await?;
        let primary = PoolSettings {
            max_size: config.db_pool_size as usize,
            wait: config.db_wait(),
            statement_timeout: Duration::from_millis(config.statement_timeout_ms),
            verify: false,
            generic_plans: false,
        };
        let pool = db::build_pool(&database_url, &primary)?;
        // Each database also gets a pool for the boards' statements (see `db::replicas::Pools`).
        let boards = |settings: &PoolSettings| PoolSettings {
            generic_plans: true,
            ..settings.clone()
        };
        let primary_pools = db::replicas::Pools {
            general: pool.clone(),
            boards: db::build_pool(&database_url, &boards(&primary))?,
        };
        let mut replicas = Vec::new();
        for url in &config.read_database_urls {
            let url = url.expose_secret();
            let settings = PoolSettings {
                max_size: config.db_pool_size as usize,
                wait: Duration::from_millis(config.replica_wait_ms),
                statement_timeout: Duration::from_millis(config.statement_timeout_ms),
                verify: true,
                generic_plans: false,
            };
            let pools = db::replicas::Pools {
                general: db::build_pool(url, &settings)?,
                boards: db::build_pool(url, &boards(&settings))?,
            };
            replicas.push((db::replicas::label(url), pools));
        }
        let reads = Arc::new(ReadPools::new(
            primary_pools,
            replicas,
            Duration::from_millis(config.replica_max_lag_ms),
        ));
        // Measured once before the first request, then twice a second.
        reads.check().await;
        let replica_checker = reads.start_checking(Duration::from_millis(500));
        let praise = Arc::new(Praise::from_config(
            &config,
            config.checked_jwt_secret()?.expose_secret().as_bytes(),
        ));
        spawn_housekeeping(pool.clone(), praise.clone());
        let listen_url = config.listen_database_url.as_ref().map_or_else(
            || database_url.clone(),
            |url| url.expose_secret().to_owned(),
        );
        let stream =
            StreamHub::start(pool.clone(), listen_url, config.stream_buffer as usize).await?;
        let demo_key = if config.demo {
            Some(ensure_demo_key(&pool, &config).await?)
        } else {
            None
        };
        let cors_origins = config.cors_origins.clone();
        let app_stream = stream.clone();
        let app_pool = pool.clone();

        let registry = Registry::new();
        let pool_gauges = PoolGauges::register(&registry)?;
        let board_metrics = crate::telemetry::BoardMetrics::register(&registry)?;
        let outbox_metrics = OutboxMetrics::register(&registry)?;
        reads.register(&registry)?;
        let listener =
            TcpListener::bind(&config.bind).with_context(|| format!("binding {}", config.bind))?;
        let port = listener.local_addr()?.port();
        // Bound to port 0 (tests, a second instance beside the first), links name the port
        // actually taken.
        if config.public_url.is_none()
            && let Ok(address) = listener.local_addr()
        {
            config.public_url = Some(format!("http://{address}"));
        }
        let config = Arc::new(config);
        let webhooks = crate::webhooks::worker::Workers::start(
            pool.clone(),
            config.clone(),
            outbox_metrics.clone(),
        )?;
        let mail = crate::mail::worker::MailWorker::start(pool.clone(), config.clone())?;
        let metrics = actix_web_prom::PrometheusMetricsBuilder::new("shoutout")
            .registry(registry.clone())
            .mask_unmatched_patterns("UNMATCHED")
            .build()
            .map_err(|e| anyhow::anyhow!("building metrics: {e}"))?;
        // Built once: served as /openapi.json, and the route table behind 405 answers.
        let api = routes::openapi();
        let openapi_json = api.to_json()?;
        let methods = web::Data::new(routes::MethodTable::from_openapi(&api));
        let shutdown_timeout = config.shutdown_timeout_secs;
        // What extractors need, apart from the rest of the state: they sit below it.
        let tokens = web::Data::new(tokens);
        let sign_in = web::Data::new(crate::web::console::oidc::Provider::from_config(&config)?);
        let pool_data = web::Data::new(pool.clone());
        let state = web::Data::new(AppState {
            pool,
            reads,
            config,
            registry,
            pool_gauges,
            board_metrics,
            outbox_metrics,
            openapi_json,
            praise,
            stream,
            demo_key,
            threshold_log: Arc::default(),
            board_statistics: Arc::default(),
        });

        let server = HttpServer::new(move || {
            App::new()
                .into_utoipa_app()
                .app_data(state.clone())
                .app_data(tokens.clone())
                .app_data(sign_in.clone())
                .app_data(pool_data.clone())
                .app_data(methods.clone())
                .app_data(web::PathConfig::default().error_handler(|error, req| {
                    let methods = req.app_data::<web::Data<routes::MethodTable>>();
                    match methods.and_then(|m| m.allowed_literally(req.path())) {
                        Some(allow) => actix_web::error::InternalError::from_response(
                            error,
                            method_not_allowed(&allow),
                        )
                        .into(),
                        None => ApiError::not_found(format!("no such resource: {error}")).into(),
                    }
                }))
                .configure(routes::configure)
                .into_app()
                .service(crate::api::scim::scope())
                .service(crate::web::console::scope())
                .service(crate::web::praise_page::form)
                .service(crate::web::praise_page::send)
                .service(crate::web::praise_page::thanks)
                .service(crate::web::praise_js)
                .service(crate::web::praise_css)
                .service(crate::web::report_page::page)
                .service(crate::web::report_css)
                .service(crate::web::widget_js)
                .service(crate::web::demo_css)
                .service(crate::web::demo_page::page)
                .service(
                    utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}")
                        .config(utoipa_swagger_ui::Config::new(["/openapi.json"])),
                )
                .default_service(web::to(unrouted))
                .wrap(cors(&cors_origins))
                .wrap(metrics.clone())
                // Outside the metrics: a method outside the standard set would otherwise become
                // a label value of its own, and anyone could grow `/metrics` without bound.
                .wrap(from_fn(consistency_token))
                .wrap(from_fn(standard_methods_only))
                .wrap(from_fn(log_request))
        })
        .listen(listener)?
        .shutdown_timeout(shutdown_timeout)
        // Signals are ours (see `run_until_stopped`): live streams must end before the server
        // waits for in-flight requests.
        .disable_signals()
        .run();
        Ok(Self {
            port,
            server,
            pool: app_pool,
            stream: app_stream,
            webhooks,
            mail,
            replica_checker,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// The webhook delivery workers (a test stops them as a crash would).
    pub fn webhook_workers(&self) -> &crate::webhooks::worker::Workers {
        &self.webhooks
    }

    /// The mail worker (a test stops it as a crash would).
    pub fn mail_worker(&self) -> &crate::mail::worker::MailWorker {
        &self.mail
    }

    /// Serves until SIGINT or SIGTERM, then stops accepting, ends the live streams and lets
    /// in-flight requests finish (up to `SHOUTOUT_SHUTDOWN_TIMEOUT_SECS`).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let stream = self.stream.clone();
        tokio::spawn(async move {
            if wait_for_stop_signal().await.is_err() {
                return;
            }
            tracing::info!("stopping: no new connections; finishing requests in flight");
            stream.close();
            handle.stop(true).await;
        });
        let served = self.server.await;
        // The background workers stop with the server, before the caller stops the database
        // under them (their work is leased: what they were doing is picked up again).
        self.webhooks.abort();
        self.mail.abort();
        if let Some(checker) = &self.replica_checker {
            checker.abort();
        }
        served
    }
}

async fn wait_for_stop_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    Ok(())
}

/// CORS for the listed intranet origins only: bearer tokens and widget keys travel in headers,
/// never cookies, so credentials are not allowed, and there is no wildcard. A request from
/// another origin is still answered, without CORS headers: the browser keeps the answer from
/// that page, and non-browser clients (and our own pages) are unaffected.
fn cors(origins: &[String]) -> actix_cors::Cors {
    use actix_web::http::header;
    let mut cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static(widget_keys::HEADER),
            header::HeaderName::from_static("last-event-id"),
            header::HeaderName::from_static(db::replicas::HEADER),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("idempotent-replayed"),
            header::HeaderName::from_static(db::replicas::HEADER),
        ])
        .block_on_origin_mismatch(false)
        .max_age(600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// Makes the leaderboards count days in `timezone`: when the configured zone differs from the
/// one the tallies were cut in, they are recounted (on a connection without the pool's
/// statement timeout, since a recount of a large history takes a while).
pub async fn sync_leaderboard_timezone(database_url: &str, timezone: &str) -> anyhow::Result<()> {
    let mut conn = AsyncPgConnection::establish(database_url)
        .await
        .context("connecting to check the leaderboards' time zone")?;
    let zone = timezone.to_owned();
    let rebuilt = conn
        .transaction::<_, diesel::result::Error, _>(async |conn| {
            crate::models::campaigns::sync_timezone(conn, &zone).await
        })
        .await
        .context("recounting the leaderboards in the configured time zone")?;
    if rebuilt {
        tracing::info!(%timezone, "recounted the leaderboards in a new time zone");
    }
    Ok(())
}

/// The demo page's widget key (boards and feeds, any origin), derived from the service's
/// secret so that every instance on the database shares it.
async fn ensure_demo_key(pool: &DbPool, config: &Config) -> anyhow::Result<String> {
    let secret = widget_keys::derived(
        config.checked_jwt_secret()?.expose_secret().as_bytes(),
        "shoutout demo page widget key",
    );
    let hash = widget_keys::hash(&secret);
    let mut conn = pool.get().await.context("connecting for the demo key")?;
    crate::models::widget_keys::insert_if_absent(
        &mut conn,
        &crate::models::widget_keys::NewWidgetKey {
            id: uuid::Uuid::now_v7(),
            name: "Demo page",
            key_hash: &hash,
            key_prefix: widget_keys::shown_prefix(&secret),
            scopes: vec![Some("boards".into()), Some("feeds".into())],
            origins: Vec::new(),
            created_by: "shoutout --demo",
        },
    )
    .await
    .context("storing the demo widget key")?;
    Ok(secret)
}

/// Background upkeep: forget idempotency keys after a day, spent challenges once expired, and
/// rate-limit entries whose budget has refilled (every minute, so a flood of addresses cannot
/// pile up).
fn spawn_housekeeping(pool: DbPool, praise: Arc<Praise>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        let mut minutes = 0_u64;
        loop {
            tick.tick().await;
            praise.limits.sweep();
            minutes += 1;
            if minutes % 60 != 1 {
                continue;
            }
            let Ok(mut conn) = pool.get().await else {
                continue;
            };
            match crate::models::shoutouts::expire_idempotency_keys(
                &mut conn,
                chrono::Duration::hours(24),
            )
            .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(expired = n, "forgot old idempotency keys"),
                Err(e) => tracing::warn!(error = %e, "expiring idempotency keys"),
            }
            if let Err(e) = crate::models::praise::forget_spent_challenges(&mut conn).await {
                tracing::warn!(error = %e, "forgetting spent challenges");
            }
            if let Err(e) = crate::models::praise::forget_budgets(&mut conn).await {
                tracing::warn!(error = %e, "forgetting old praise budgets");
            }
        }
    });
}

/// A request id for correlating log lines (taken from `X-Request-Id` when a proxy sent one).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// One structured log line per request: method, route, status, latency and request id. Headers
/// (and so tokens) and bodies are never logged.
async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let span =
        tracing::info_span!("request", request_id = %request_id, method = %method, path = %path);
    let result = tracing::Instrument::instrument(next.call(req), span.clone()).await;
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    match &result {
        Ok(response) => {
            let status = response.status().as_u16();
            let route = response
                .request()
                .match_pattern()
                .unwrap_or_else(|| "UNMATCHED".into());
            tracing::info!(parent: &span, status, route = %route, latency_ms, "request");
        }
        Err(error) => {
            let status = error.as_response_error().status_code().as_u16();
            tracing::info!(parent: &span, status, latency_ms, "request");
        }
    }
    result.map(|mut response| {
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(
                actix_web::http::header::HeaderName::from_static("x-request-id"),
                value,
            );
        }
        response
    })
}

/// The methods HTTP defines (RFC 9110, and PATCH). Anything else (`QUERY`, `FOO`) is answered
/// here, outside the metrics, as no route takes it: 405 with `Allow` on a route's path, 404
/// elsewhere. Counted by the metrics, every made-up method would become a label value of its
/// own, and anyone could grow `/metrics` without bound.
const STANDARD_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
];

async fn standard_methods_only(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    if !STANDARD_METHODS.contains(&req.method().as_str()) {
        let (http, _) = req.into_parts();
        let methods = http
            .app_data::<web::Data<routes::MethodTable>>()
            .expect("the method table is registered")
            .clone();
        let response = unrouted(http.clone(), methods).await;
        return Ok(ServiceResponse::new(http, response));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// After a successful write, the primary's WAL position as `Shoutout-Consistency` (only when
/// reads may go to replicas): a client that sends it back on its next reads sees its write
/// (`db::replicas`). A position that cannot be read leaves the header out; the write stands.
async fn consistency_token(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let writes = !matches!(req.method().as_str(), "GET" | "HEAD" | "OPTIONS");
    let reads = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.reads.clone())
        .filter(|reads| reads.has_replicas());
    let mut response = next.call(req).await?;
    if writes
        && response.status().is_success()
        && let Some(reads) = reads
    {
        match reads.primary_position().await {
            Ok(lsn) => {
                if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&lsn.to_string())
                {
                    response.headers_mut().insert(
                        actix_web::http::header::HeaderName::from_static(db::replicas::HEADER),
                        value,
                    );
                }
            }
            Err(error) => tracing::warn!(%error, "no consistency position for this write"),
        }
    }
    Ok(response)
}

/// What no route answered: 405 with `Allow` when the path is a route for other methods (a
/// `TRACE /api/v1/teams`, say), otherwise a 404 problem.
async fn unrouted(
    req: actix_web::HttpRequest,
    methods: web::Data<routes::MethodTable>,
) -> actix_web::HttpResponse {
    use actix_web::ResponseError;
    match methods.allowed(req.path()) {
        Some(allow) => method_not_allowed(&allow),
        None => ApiError::NoRoute.error_response(),
    }
}

fn method_not_allowed(allow: &str) -> actix_web::HttpResponse {
    use actix_web::ResponseError;
    let mut response = ApiError::MethodNotAllowed.error_response();
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(allow) {
        response
            .headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    response
}
