//! The connection pool, embedded migrations and readiness checks.
//!
//! Every pooled connection gets a statement timeout and an application name, so a runaway query
//! cannot hold a connection for ever and `pg_stat_activity` shows who is connected. Requests wait
//! a bounded time for a connection and answer 503 when none comes (see `error.rs`).

pub mod embedded;
pub mod prepared;
pub mod replicas;

use std::sync::LazyLock;
use std::time::Duration;

use anyhow::Context;
use diesel::prelude::*;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use futures_util::FutureExt;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type DbPool = Pool<AsyncPgConnection>;
pub type DbConn = Object<AsyncPgConnection>;
pub type PoolError = diesel_async::pooled_connection::deadpool::PoolError;

/// Settings applied to each new connection.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_size: usize,
    pub wait: Duration,
    pub statement_timeout: Duration,
    /// Test each connection with a round trip before handing it out. Replicas do: one that
    /// was stopped leaves dead connections in the pool, and a read must move on to another
    /// database rather than fail.
    pub verify: bool,
    /// Run every prepared statement on its generic plan, planned once per connection: for the
    /// boards' own pools only (see [`replicas::Pools`]).
    pub generic_plans: bool,
}

/// The runtime that drives every pooled connection's socket, for as long as the process runs.
///
/// diesel-async hands a new connection's socket to a task spawned on whichever runtime opened
/// it. Opened inside a request, that was one actix worker's runtime, shared by every worker
/// through the pool; at a graceful stop each worker ends once its own requests are done, and
/// the first to end took its connections with it, failing another worker's request in flight
/// with "connection closed" (a 503 from an instance draining under load). One thread is
/// plenty: the task only moves bytes between the socket and the connection's channels.
static CONNECTIONS: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("shoutout-db")
        .enable_all()
        .build()
        .expect("starting the database connections' runtime")
});

pub fn build_pool(database_url: &str, settings: &PoolSettings) -> anyhow::Result<DbPool> {
    let statement_timeout_ms = settings.statement_timeout.as_millis();
    let plan_cache_mode = if settings.generic_plans {
        "force_generic_plan"
    } else {
        "auto"
    };
    let mut manager_config = ManagerConfig::default();
    // No `SELECT 1` on every checkout (a round trip, twice per request): a connection whose
    // socket closed or whose transaction broke is already known as broken and replaced, and a
    // request that meets a server going away answers 503 (see `error.rs`).
    manager_config.recycling_method = if settings.verify {
        RecyclingMethod::Verified
    } else {
        RecyclingMethod::Fast
    };
    // No JIT: every statement here takes milliseconds, and on a busy board the planner's
    // estimate crosses `jit_above_cost`, so PostgreSQL's default (on, where it is built with
    // LLVM, as Debian's is) spent ~10 ms compiling a statement that then ran in 35 (the
    // givers' 7-day span at 10M shout-outs: p50 46 ms with JIT, 35 without).
    manager_config.custom_setup = Box::new(move |url| {
        let url = url.to_owned();
        async move {
            // Opened on the connections' own runtime, where its socket is then driven.
            let opened = CONNECTIONS.spawn(async move {
                let mut conn = AsyncPgConnection::establish(&url).await?;
                conn.batch_execute(&format!(
                    "SET application_name = 'shoutout'; \
                     SET statement_timeout = {statement_timeout_ms}; \
                     SET idle_in_transaction_session_timeout = 60000; \
                     SET jit = off; \
                     SET TIME ZONE 'UTC'; \
                     SET plan_cache_mode = {plan_cache_mode};"
                ))
                .await
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(conn)
            });
            opened
                .await
                .map_err(|e| diesel::ConnectionError::BadConnection(e.to_string()))?
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(
        database_url,
        manager_config,
    );
    Pool::builder(manager)
        .max_size(settings.max_size)
        // The connection used last is handed out first. Each connection keeps its own prepared
        // statements, and PostgreSQL plans a prepared statement afresh for at least its first
        // five runs on a connection (a generic plan, once built, is kept per connection too).
        // Taken in turn (the default), every idle connection had to see a statement five times
        // before any could stop planning it; taken last-first, the few connections a steady
        // load needs stay warm.
        .queue_mode(deadpool::managed::QueueMode::Lifo)
        .wait_timeout(Some(settings.wait))
        .create_timeout(Some(settings.wait))
        .recycle_timeout(Some(settings.wait))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .context("building the database pool")
}

/// Gives the current transaction `seconds` of statement time instead of the pool's per-request
/// timeout: for bulk work (imports) that is expected to take longer than a request.
pub async fn allow_seconds(conn: &mut AsyncPgConnection, seconds: u64) -> QueryResult<()> {
    conn.batch_execute(&format!("SET LOCAL statement_timeout = '{seconds}s'"))
        .await
}

/// Applies every pending migration. Migrations are synchronous in diesel, so they run on a
/// blocking thread through `AsyncConnectionWrapper` (a current-thread runtime must not block).
pub async fn run_migrations(database_url: &str) -> anyhow::Result<()> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut conn =
            <AsyncConnectionWrapper<AsyncPgConnection> as diesel::Connection>::establish(&url)
                .context("connecting to run migrations")?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?;
        for version in applied {
            tracing::info!(%version, "applied migration");
        }
        Ok(())
    })
    .await
    .context("migration task panicked")?
}

/// Reverts every migration, newest first (used by the migration round-trip test).
pub async fn revert_all_migrations(database_url: &str) -> anyhow::Result<()> {
    let url = database_url.to_owned();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut conn =
            <AsyncConnectionWrapper<AsyncPgConnection> as diesel::Connection>::establish(&url)?;
        conn.revert_all_migrations(MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("reverting migrations: {e}"))?;
        Ok(())
    })
    .await?
}

/// The versions of the migrations compiled into this binary.
pub fn embedded_versions() -> Vec<String> {
    use diesel::migration::MigrationSource;
    let migrations: Vec<Box<dyn diesel::migration::Migration<diesel::pg::Pg>>> =
        MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)
            .expect("embedded migrations are readable");
    migrations
        .iter()
        .map(|m| m.name().version().to_string())
        .collect()
}

diesel::table! {
    __diesel_schema_migrations (version) {
        version -> VarChar,
    }
}

/// Why the service is not ready, if it is not: the database must answer and every migration
/// this binary knows must be applied.
pub async fn readiness(pool: &DbPool) -> Result<(), String> {
    let mut conn = pool
        .get()
        .await
        .map_err(|e| format!("no database connection: {e}"))?;
    let applied: Vec<String> = __diesel_schema_migrations::table
        .select(__diesel_schema_migrations::version)
        .load(&mut conn)
        .await
        .map_err(|e| format!("cannot read applied migrations: {e}"))?;
    let missing: Vec<String> = embedded_versions()
        .into_iter()
        .filter(|v| !applied.contains(v))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("migrations not applied: {}", missing.join(", ")))
    }
}
