//! The test harness: every test gets its own database, cloned from a migrated template, and the
//! real server on a free port. Tests talk to it over HTTP like any client.
//!
//! The database server is `DATABASE_URL` when set; otherwise the embedded cluster (the same code
//! the service uses), in a folder of its own, shared by all test processes and left running for
//! the next run (`scripts/test` stops it at the end).

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use shoutout::auth::{self, Role};
use shoutout::config::Config;
use shoutout::db::embedded::EmbeddedPostgres;
use shoutout::startup::Application;
use tokio::sync::OnceCell;
use uuid::Uuid;

pub const SECRET: &str = "test-secret-test-secret-test-secret-42";
/// The pool wait for tests whose requests all race at once and must all succeed. The usual
/// two seconds is the service's overload cut-off (a 503 with `Retry-After`), and how long a
/// burst of gives queues for a connection depends on how busy the machine is (other tests,
/// a debug build), not on the code: on a loaded CI machine sixty gives had one wait past two
/// seconds. What these tests check (counts, limits, keys) does not depend on that wait, and
/// a real collision (a deadlock) still answers 503 at once.
pub const BURST_DB_WAIT_MS: u64 = 60_000;
const TEST_DB_PREFIX: &str = "shoutout_test_";
const TEMPLATE_PREFIX: &str = "shoutout_tpl_";
/// Leftover test databases older than this are from crashed runs.
const STALE_AFTER_SECS: u64 = 2 * 3600;

/// A folder of this test run's own, for a PostgreSQL cluster or other scratch files: under
/// `SHOUTOUT_TEST_DIR` (a fresh folder `scripts/test` makes for each run and removes after),
/// else under a folder of this checkout's own, so that two copies of the project on one
/// machine never share a cluster. As root, PostgreSQL runs as `postgres`, which may not be
/// able to reach a checkout inside a private folder, so root's default is under the system's
/// temporary folder, named after the checkout.
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    if let Some(dir) = std::env::var_os("SHOUTOUT_TEST_DIR").filter(|d| !d.is_empty()) {
        return Path::new(&dir).join(name);
    }
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        use sha2::{Digest, Sha256};
        let checkout = Sha256::digest(env!("CARGO_MANIFEST_DIR").as_bytes());
        std::env::temp_dir()
            .join(format!("shoutout-test-{}", hex::encode(&checkout[..6])))
            .join(name)
    } else {
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
    }
}

/// The database server tests use.
pub struct TestCluster {
    /// A connection string to the server's `postgres` database.
    admin_url: String,
    template: String,
}

static CLUSTER: OnceCell<TestCluster> = OnceCell::const_new();

pub async fn cluster() -> &'static TestCluster {
    CLUSTER.get_or_init(TestCluster::start).await
}

impl TestCluster {
    async fn start() -> Self {
        let admin_url = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => with_database(&url, "postgres"),
            _ => {
                let pg = EmbeddedPostgres::new(&scratch_dir("pg")).expect("PostgreSQL binaries");
                let runner = pg.clone();
                tokio::task::spawn_blocking(move || {
                    // Test data is disposable: trade durability for speed.
                    runner.ensure_running(&[
                        "fsync = off",
                        "synchronous_commit = off",
                        "full_page_writes = off",
                    ])
                })
                .await
                .unwrap()
                .expect("starting the embedded test cluster");
                pg.url("postgres")
            }
        };
        let template = format!("{TEMPLATE_PREFIX}{}", migrations_fingerprint());
        let cluster = Self {
            admin_url,
            template,
        };
        cluster.prepare_template().await;
        cluster
    }

    pub fn url(&self, database: &str) -> String {
        with_database(&self.admin_url, database)
    }

    pub async fn admin(&self) -> tokio_postgres::Client {
        connect(&self.admin_url).await
    }

    /// Creates the migrated template once (across processes: under an advisory lock) and sweeps
    /// what crashed runs left behind.
    async fn prepare_template(&self) {
        let admin = self.admin().await;
        admin
            .execute("SELECT pg_advisory_lock(727274)", &[])
            .await
            .unwrap();
        let exists = admin
            .query_opt(
                "SELECT 1 FROM pg_database WHERE datname = $1",
                &[&self.template],
            )
            .await
            .unwrap()
            .is_some();
        if !exists {
            let building = format!("{}_building", self.template);
            for statement in [
                format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
                format!("CREATE DATABASE {building}"),
            ] {
                admin.batch_execute(&statement).await.unwrap();
            }
            shoutout::db::run_migrations(&self.url(&building))
                .await
                .expect("migrating the template");
            admin
                .batch_execute(&format!(
                    "ALTER DATABASE {building} RENAME TO {}",
                    self.template
                ))
                .await
                .unwrap();
        }
        let now = unix_now();
        let names: Vec<String> = admin
            .query(
                "SELECT datname FROM pg_database WHERE datname LIKE 'shoutout\\_%'",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        for name in names {
            let stale_test = name
                .strip_prefix(TEST_DB_PREFIX)
                .and_then(|rest| rest.split('_').next())
                .and_then(|ts| ts.parse::<u64>().ok())
                .is_some_and(|ts| now.saturating_sub(ts) > STALE_AFTER_SECS);
            let old_template = name.starts_with(TEMPLATE_PREFIX)
                && name != self.template
                && !name.ends_with("_building");
            if stale_test || old_template {
                let _ = admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        }
        admin
            .execute("SELECT pg_advisory_unlock(727274)", &[])
            .await
            .unwrap();
    }

    /// A new database for one test, cloned from the template.
    pub async fn create_database(&self) -> String {
        let name = format!(
            "{TEST_DB_PREFIX}{}_{}",
            unix_now(),
            &Uuid::new_v4().simple().to_string()[..12]
        );
        self.admin()
            .await
            .batch_execute(&format!(
                "CREATE DATABASE {name} TEMPLATE {}",
                self.template
            ))
            .await
            .unwrap();
        name
    }

    /// A new, empty database (for the migration round trip).
    pub async fn create_empty_database(&self) -> String {
        let name = format!(
            "{TEST_DB_PREFIX}{}_{}",
            unix_now(),
            &Uuid::new_v4().simple().to_string()[..12]
        );
        self.admin()
            .await
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap();
        name
    }
}

/// Drops a test database; runs on its own thread so it works from `Drop` inside a runtime.
pub fn drop_database(admin_url: String, name: String) {
    let _ = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            if let Ok((client, connection)) =
                tokio_postgres::connect(&admin_url, tokio_postgres::NoTls).await
            {
                tokio::spawn(connection);
                let _ = client
                    .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        });
    })
    .join();
}

pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to the test database: {e}"));
    tokio::spawn(connection);
    client
}

/// Points a connection string (URL or key=value form) at another database.
pub fn with_database(url: &str, database: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let (base, query) = match url.find('?') {
            Some(q) => (&url[..q], &url[q..]),
            None => (url, ""),
        };
        let after_scheme = scheme_end + 3;
        let path_start = base[after_scheme..]
            .find('/')
            .map(|i| after_scheme + i)
            .unwrap_or(base.len());
        format!("{}/{database}{query}", &base[..path_start])
    } else {
        let kept: Vec<&str> = url
            .split_whitespace()
            .filter(|part| !part.starts_with("dbname="))
            .collect();
        format!("{} dbname={database}", kept.join(" "))
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A digest of the migrations folder: a changed migration gets a fresh template.
fn migrations_fingerprint() -> String {
    use sha2::{Digest, Sha256};
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out)
            } else {
                out.push(path)
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files.sort();
    let mut hasher = Sha256::new();
    for file in files {
        hasher.update(
            file.strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .as_bytes(),
        );
        hasher.update(std::fs::read(&file).unwrap());
    }
    hex::encode(&hasher.finalize()[..6])
}

/// The real server on a free port, with its own database.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub config: Config,
    pub database: String,
    pub database_url: String,
    admin_url: String,
    /// Whether this app created the database (and drops it when done); a second instance
    /// beside it does not.
    owns_database: bool,
}

/// The server's warnings and errors (a 503's or a 500's cause, a worker's failed round) go to
/// the test's captured output, which the runner prints when the test fails. `RUST_LOG`
/// overrides the level.
fn capture_server_log() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_test_writer()
        .try_init();
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if self.owns_database {
            drop_database(self.admin_url.clone(), self.database.clone());
        }
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts the server with the test configuration changed by `adjust`.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Config)) -> Self {
        let cluster = cluster().await;
        let database = cluster.create_database().await;
        let database_url = cluster.url(&database);
        let mut config = Config::with_database(database_url.clone(), SECRET.to_owned());
        config.bind = "127.0.0.1:0".into();
        config.db_pool_size = 5;
        config.db_wait_ms = 2000;
        // Customer praise: a trivial proof of work, no minimum fill time and room for many
        // submissions; the tests of each protection turn it back on.
        config.praise_pow_bits = 4;
        config.praise_min_fill_secs = 0;
        config.praise_per_address_per_hour = 10_000;
        config.praise_per_employee_per_hour = 10_000;
        adjust(&mut config);
        Self::start(config, database, database_url, true).await
    }

    /// The service on a database of the caller's own (another cluster), which it neither
    /// creates nor drops.
    pub async fn spawn_on(database_url: String, adjust: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::with_database(database_url.clone(), SECRET.to_owned());
        config.bind = "127.0.0.1:0".into();
        adjust(&mut config);
        Self::start(config, String::new(), database_url, false).await
    }

    /// A second instance of the service on this app's database (as behind a load balancer),
    /// with the same configuration changed by `adjust`.
    pub async fn spawn_beside(&self, adjust: impl FnOnce(&mut Config)) -> Self {
        let mut config = self.config.clone();
        adjust(&mut config);
        Self::start(
            config,
            self.database.clone(),
            self.database_url.clone(),
            false,
        )
        .await
    }

    async fn start(
        config: Config,
        database: String,
        database_url: String,
        owns_database: bool,
    ) -> Self {
        capture_server_log();
        let application = Application::build(config.clone())
            .await
            .expect("building the app");
        let base = format!("http://127.0.0.1:{}", application.port());
        tokio::spawn(application.run_until_stopped());
        Self {
            base,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            config,
            database,
            database_url,
            admin_url: cluster().await.admin_url.clone(),
            owns_database,
        }
    }

    /// What `/metrics` says now (Prometheus text).
    pub async fn metrics(&self) -> String {
        self.request(Method::GET, "/metrics", None, None)
            .await
            .text()
            .await
            .unwrap()
    }

    /// A direct connection to this test's database, for checking what was (not) written.
    pub async fn db(&self) -> tokio_postgres::Client {
        connect(&self.database_url).await
    }

    pub async fn count(&self, table: &str) -> i64 {
        self.db()
            .await
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .unwrap()
            .get(0)
    }

    /// Returns once a session of this test's database waits for a lock (a row another holds);
    /// panics, naming `who`, if none does within ten seconds.
    pub async fn until_someone_waits_for_a_lock(&self, who: &str) {
        self.until_someone_waits_for_a_lock_within(who, std::time::Duration::from_secs(10))
            .await;
    }

    /// As [`Self::until_someone_waits_for_a_lock`], within `limit` (a browser takes a while to
    /// get to its first write).
    pub async fn until_someone_waits_for_a_lock_within(
        &self,
        who: &str,
        limit: std::time::Duration,
    ) {
        self.until_lock_waiters(|n| n > 0, limit, &format!("{who} never waited"))
            .await;
    }

    /// Returns once no session of this test's database waits for a lock (the waiters got it or
    /// gave up); panics, naming `who`, if one still does after ten seconds.
    pub async fn until_nobody_waits_for_a_lock(&self, who: &str) {
        self.until_lock_waiters(
            |n| n == 0,
            std::time::Duration::from_secs(10),
            &format!("{who} still waits"),
        )
        .await;
    }

    async fn until_lock_waiters(
        &self,
        done: impl Fn(i64) -> bool,
        limit: std::time::Duration,
        failure: &str,
    ) {
        let db = self.db().await;
        let deadline = std::time::Instant::now() + limit;
        loop {
            let waiting: i64 = db
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity \
                     WHERE datname = current_database() AND wait_event_type = 'Lock'",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            if done(waiting) {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "{failure}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub fn token(&self, sub: &str, roles: &[Role]) -> String {
        auth::mint_token(&self.config, sub, roles, chrono::Duration::hours(1)).unwrap()
    }

    pub fn admin_token(&self) -> String {
        self.token("root-admin", &[Role::Admin])
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    /// Creates a team as an admin; returns its id.
    pub async fn team(&self, name: &str, parent: Option<Uuid>) -> Uuid {
        let response = self
            .post(
                "/api/v1/teams",
                &self.admin_token(),
                &json!({"name": name, "parent_id": parent}),
            )
            .await;
        id_of(expect_status(response, StatusCode::CREATED).await)
    }

    /// Makes `employee` the manager of `team`.
    pub async fn set_manager(&self, team: Uuid, employee: Uuid) {
        let response = self
            .patch(
                &format!("/api/v1/teams/{team}"),
                &self.admin_token(),
                &json!({"manager_id": employee}),
            )
            .await;
        expect_status(response, StatusCode::OK).await;
    }

    /// Creates an employee as an admin; returns their id and a token for them.
    pub async fn employee(&self, external_id: &str, team: Option<Uuid>) -> (Uuid, String) {
        let response = self
            .post(
                "/api/v1/employees",
                &self.admin_token(),
                &json!({
                    "external_id": external_id,
                    "display_name": format!("{external_id} Example"),
                    "email": format!("{external_id}@example.com"),
                    "team_id": team,
                }),
            )
            .await;
        let id = id_of(expect_status(response, StatusCode::CREATED).await);
        (id, self.token(external_id, &[Role::Employee]))
    }

    /// Gives a shout-out; returns its JSON.
    pub async fn shoutout(
        &self,
        token: &str,
        recipients: &[Uuid],
        value: &str,
        message: &str,
    ) -> Value {
        let response = self
            .post(
                "/api/v1/shoutouts",
                token,
                &json!({"recipient_ids": recipients, "value": value, "message": message}),
            )
            .await;
        expect_status(response, StatusCode::CREATED).await
    }
}

impl TestApp {
    /// An employee's praise handle (read as an admin).
    pub async fn praise_handle(&self, employee: Uuid) -> String {
        let response = self
            .get(
                &format!("/api/v1/employees/{employee}/praise-link"),
                &self.admin_token(),
            )
            .await;
        let body = expect_status(response, StatusCode::OK).await;
        body["handle"].as_str().unwrap().to_owned()
    }

    /// A challenge for `handle`, solved.
    pub async fn solved_challenge(&self, handle: &str) -> (String, String) {
        let response = self
            .request(
                Method::GET,
                &format!("/api/v1/public/challenge?handle={handle}"),
                None,
                None,
            )
            .await;
        let body = expect_status(response, StatusCode::OK).await;
        let token = body["challenge"].as_str().unwrap().to_owned();
        let bits = body["difficulty_bits"].as_u64().unwrap() as u8;
        let solution = shoutout::praise::challenge::solve(&token, bits);
        (token, solution)
    }

    /// Posts the praise form (or any form) as a browser would, with `fields` URL-encoded.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        self.client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Every customer praise stored, oldest first: (value, whether the service suggested it,
    /// message).
    pub async fn customer_praise(&self) -> Vec<(String, bool, String)> {
        self.db()
            .await
            .query(
                "SELECT s.value::text, p.value_suggested, s.message FROM shoutouts s \
                 JOIN customer_praise p ON p.shoutout_id = s.id ORDER BY s.created_at",
                &[],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect()
    }

    /// Sends customer praise through the public API with a fresh solved challenge; `extra`
    /// fields are merged into the body.
    pub async fn praise(&self, handle: &str, message: &str, extra: Value) -> Response {
        let (challenge, solution) = self.solved_challenge(handle).await;
        let mut body = json!({
            "handle": handle,
            "message": message,
            "challenge": challenge,
            "solution": solution,
        });
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            body[k] = v;
        }
        self.request(Method::POST, "/api/v1/public/shoutouts", None, Some(&body))
            .await
    }
}

/// Asserts the status (showing the body when it differs) and returns the JSON body (or null).
pub async fn expect_status(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(actual, status, "unexpected status; body: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}

/// Asserts a problem+json answer with this status, naming `field` when given; returns it.
pub async fn expect_problem(response: Response, status: StatusCode, field: Option<&str>) -> Value {
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = expect_status(response, status).await;
    assert_eq!(content_type, "application/problem+json", "body: {body}");
    assert_eq!(body["status"], status.as_u16(), "body: {body}");
    assert!(
        body["type"].is_string() && body["title"].is_string() && body["detail"].is_string(),
        "{body}"
    );
    if let Some(field) = field {
        let fields: Vec<&str> = body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("no errors list in {body}"))
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.contains(&field),
            "expected an error for `{field}`, got {fields:?}: {body}"
        );
    }
    body
}

pub fn id_of(body: Value) -> Uuid {
    body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {body}"))
        .parse()
        .unwrap()
}
