//! Typed configuration, read from the environment and command-line flags.
//!
//! Every setting is both an environment variable and a flag of `shoutout serve`. The attributes below are the one list of settings and defaults; the README's Configuration
//! table and `shoutout serve --help` describe them for people.
//!
//! Nothing here is global: the binary parses a `Config` and passes it down, so tests build
//! their own.

use std::path::PathBuf;
use std::time::Duration;

use chrono_tz::Tz;
use clap::{Args, ValueEnum};
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};

/// Shortest HS256 secret accepted: 256 bits, the size of the HMAC-SHA256 output.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// PostgreSQL URL; when absent the service runs its own embedded cluster.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<SecretString>,

    /// Folder for the embedded cluster and the generated development secret.
    #[arg(long, env = "SHOUTOUT_DATA_DIR", default_value_os_t = default_data_dir())]
    pub data_dir: PathBuf,

    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "SHOUTOUT_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// HS256 signing key for bearer tokens (at least 32 bytes).
    #[arg(long, env = "SHOUTOUT_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<SecretString>,

    /// `production` refuses to start unless bearer tokens come from an identity provider
    /// (SHOUTOUT_JWT_PUBLIC_KEY or SHOUTOUT_JWKS) with a required issuer and audience; HS256
    /// bearer tokens are then refused. `development` also accepts HS256 tokens signed with
    /// SHOUTOUT_JWT_SECRET (what `shoutout token` mints).
    #[arg(long, env = "SHOUTOUT_MODE", value_enum, default_value_t = Mode::Development)]
    pub mode: Mode,

    /// The identity provider's public key (PEM file): RSA for RS256 tokens or Ed25519 for
    /// EdDSA tokens.
    #[arg(long, env = "SHOUTOUT_JWT_PUBLIC_KEY")]
    pub jwt_public_key: Option<PathBuf>,

    /// The identity provider's JWKS: a file, or an http(s) URL fetched and cached.
    #[arg(long, env = "SHOUTOUT_JWKS")]
    pub jwks: Option<String>,

    /// A fetched JWKS is fetched again once it is this old (seconds).
    #[arg(long, env = "SHOUTOUT_JWKS_MAX_AGE_SECS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub jwks_max_age_secs: u64,

    /// At most one JWKS fetch per this many seconds, however many unknown key ids arrive.
    #[arg(long, env = "SHOUTOUT_JWKS_COOLDOWN_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub jwks_cooldown_secs: u64,

    /// Timeout of a JWKS fetch (milliseconds).
    #[arg(long, env = "SHOUTOUT_JWKS_TIMEOUT_MS", default_value_t = 3000, value_parser = clap::value_parser!(u64).range(100..=60_000))]
    pub jwks_timeout_ms: u64,

    /// Largest JWKS document accepted (bytes).
    #[arg(long, env = "SHOUTOUT_JWKS_MAX_BYTES", default_value_t = 65_536)]
    pub jwks_max_bytes: usize,

    /// Required `iss` claim, when set.
    #[arg(long, env = "SHOUTOUT_JWT_ISSUER")]
    pub jwt_issuer: Option<String>,

    /// Required `aud` claim, when set.
    #[arg(long, env = "SHOUTOUT_JWT_AUDIENCE")]
    pub jwt_audience: Option<String>,

    /// IANA time zone where the organisation's days, weeks, months and years begin.
    #[arg(long, env = "SHOUTOUT_TIMEZONE", default_value = "UTC", value_parser = parse_timezone)]
    pub timezone: Tz,

    /// Boards over spans whose buckets hold fewer rows than this are added up whole in one
    /// statement; larger ones first try the threshold algorithm, which reads only the top of
    /// each bucket (see the README's leaderboards section). 0 always tries that first.
    #[arg(long, env = "SHOUTOUT_BOARD_SUM_BELOW", default_value_t = 20_000, value_parser = clap::value_parser!(u32).range(0..=100_000_000))]
    pub board_sum_below: u32,

    /// Shout-outs one employee may give per day.
    #[arg(long, env = "SHOUTOUT_DAILY_LIMIT", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub daily_limit: u32,

    /// Minutes during which a giver may retract their own shout-out.
    #[arg(long, env = "SHOUTOUT_RETRACT_GRACE_MINUTES", default_value_t = 15)]
    pub retract_grace_minutes: u32,

    /// Database connections in the pool.
    #[arg(long, env = "SHOUTOUT_DB_POOL_SIZE", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=500))]
    pub db_pool_size: u32,

    /// The live stream's `LISTEN` connection, when DATABASE_URL goes through a pooler in
    /// transaction mode (PgBouncer), where a `LISTEN` would be lost: a URL straight to the
    /// primary (one connection per instance). Default: DATABASE_URL.
    #[arg(long, env = "SHOUTOUT_LISTEN_DATABASE_URL", hide_env_values = true)]
    pub listen_database_url: Option<SecretString>,

    /// Streaming replicas for reads (comma-separated PostgreSQL URLs; none by default):
    /// boards, standings, the feed, reports, exports and widget reads go to a healthy replica
    /// that has replayed what the caller wrote; writes, the outbox and the stream's LISTEN
    /// stay on DATABASE_URL.
    #[arg(
        long,
        env = "SHOUTOUT_READ_DATABASE_URLS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub read_database_urls: Vec<SecretString>,

    /// A replica further behind the primary than this (milliseconds) gets no reads until it
    /// catches up.
    #[arg(long, env = "SHOUTOUT_REPLICA_MAX_LAG_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub replica_max_lag_ms: u64,

    /// Milliseconds a read waits for a replica connection before trying the next replica, then
    /// the primary (a replica that is down costs a read at most this).
    #[arg(long, env = "SHOUTOUT_REPLICA_WAIT_MS", default_value_t = 250, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub replica_wait_ms: u64,

    /// Milliseconds a request waits for a database connection before answering 503.
    #[arg(long, env = "SHOUTOUT_DB_WAIT_MS", default_value_t = 3000)]
    pub db_wait_ms: u64,

    /// PostgreSQL statement_timeout, in milliseconds, on every pooled connection.
    #[arg(long, env = "SHOUTOUT_STATEMENT_TIMEOUT_MS", default_value_t = 5000)]
    pub statement_timeout_ms: u64,

    /// Seconds a bulk import (directory or history) may run: its own budget, since a file at
    /// the documented maximum takes longer than `SHOUTOUT_STATEMENT_TIMEOUT_MS` on a busy machine.
    #[arg(long, env = "SHOUTOUT_IMPORT_TIMEOUT_SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub import_timeout_secs: u64,

    /// Largest share of active people (percent) a `mode=sync` directory import deactivates
    /// without `force=true`: a truncated file must not empty the company.
    #[arg(long, env = "SHOUTOUT_IMPORT_SYNC_MAX_PERCENT", default_value_t = 10, value_parser = clap::value_parser!(u32).range(0..=100))]
    pub import_sync_max_percent: u32,

    /// Seconds SIGTERM waits for in-flight requests before closing them.
    #[arg(long, env = "SHOUTOUT_SHUTDOWN_TIMEOUT_SECS", default_value_t = 30)]
    pub shutdown_timeout_secs: u64,

    /// The address customers reach the service at, for praise links and QR codes
    /// (default: `http://` + `SHOUTOUT_BIND`).
    #[arg(long, env = "SHOUTOUT_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Proxies (addresses or CIDR ranges, comma-separated) whose `X-Forwarded-For` is believed
    /// when they are the direct peer; anyone else's is ignored.
    #[arg(long, env = "SHOUTOUT_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_network)]
    pub trusted_proxies: Vec<IpNet>,

    /// Customer praise one client address may send per hour.
    #[arg(long, env = "SHOUTOUT_PRAISE_PER_ADDRESS_PER_HOUR", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub praise_per_address_per_hour: u32,

    /// Customer praise one employee may receive per hour (a flood at one person).
    #[arg(long, env = "SHOUTOUT_PRAISE_PER_EMPLOYEE_PER_HOUR", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub praise_per_employee_per_hour: u32,

    /// Leading zero bits the praise form's proof of work needs (each bit doubles the work;
    /// 16 is about a quarter of a second on a phone).
    #[arg(long, env = "SHOUTOUT_PRAISE_POW_BITS", default_value_t = 16, value_parser = clap::value_parser!(u8).range(0..=28))]
    pub praise_pow_bits: u8,

    /// Seconds a person needs at least to fill the praise form; faster is a bot.
    #[arg(long, env = "SHOUTOUT_PRAISE_MIN_FILL_SECS", default_value_t = 3)]
    pub praise_min_fill_secs: u64,

    /// Seconds a praise form (its challenge) stays valid.
    #[arg(long, env = "SHOUTOUT_PRAISE_FORM_TTL_SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub praise_form_ttl_secs: u64,

    /// Intranet origins (comma-separated, e.g. `https://intranet.example.com`) whose pages may
    /// call the API from a browser (CORS). Empty: no cross-origin calls. No wildcard.
    #[arg(long, env = "SHOUTOUT_CORS_ORIGINS", value_delimiter = ',', value_parser = parse_origin)]
    pub cors_origins: Vec<String>,

    /// Seconds between heartbeats on an idle live stream, so proxies keep it open.
    #[arg(long, env = "SHOUTOUT_STREAM_HEARTBEAT_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub stream_heartbeat_secs: u64,

    /// Seconds between checks that a live stream's credential still holds (a widget key not
    /// revoked, an employee still active); a stream whose credential lapsed is closed. A token's
    /// expiry ends its stream at `exp` exactly, without waiting for a check.
    #[arg(long, env = "SHOUTOUT_STREAM_RECHECK_SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..=30))]
    pub stream_recheck_secs: u64,

    /// Seconds a live stream stays open at most; then it ends and the client reconnects (with
    /// `Last-Event-ID`, missing nothing), presenting its credential again.
    #[arg(long, env = "SHOUTOUT_STREAM_MAX_SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub stream_max_secs: u64,

    /// Events a live-stream client may fall behind before it catches up from the database.
    #[arg(long, env = "SHOUTOUT_STREAM_BUFFER", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub stream_buffer: u32,

    /// Let webhooks reach private, loopback and link-local addresses (receivers on the company
    /// network, and tests). Off: such addresses are refused when an endpoint is made and on the
    /// address actually connected to, so a name that resolves to one later cannot reach it.
    #[arg(long, env = "SHOUTOUT_WEBHOOKS_ALLOW_PRIVATE", default_value_t = false)]
    pub webhooks_allow_private: bool,

    /// Milliseconds a receiver has to answer a delivery with a 2xx.
    #[arg(long, env = "SHOUTOUT_WEBHOOKS_TIMEOUT_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=60_000))]
    pub webhooks_timeout_ms: u64,

    /// Waits between a failed delivery attempt and the next (comma-separated, with `s`, `m`
    /// or `h`); after the last, the delivery is dead.
    #[arg(long, env = "SHOUTOUT_WEBHOOKS_RETRY_SCHEDULE", default_value = "5s,5m,30m,2h,5h,10h,10h", value_parser = parse_schedule)]
    pub webhooks_retry_schedule: Schedule,

    /// Seconds of failures in a row after which an endpoint is disabled (a `410 Gone` disables
    /// it at once).
    #[arg(long, env = "SHOUTOUT_WEBHOOKS_DISABLE_AFTER_SECS", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..=2_592_000))]
    pub webhooks_disable_after_secs: u64,

    /// Seconds the previous secret keeps signing after a rotation, beside the new one.
    #[arg(long, env = "SHOUTOUT_WEBHOOKS_ROTATION_GRACE_SECS", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(0..=2_592_000))]
    pub webhooks_rotation_grace_secs: u64,

    /// Delivery workers in this instance (each delivers to one endpoint at a time; 0: this
    /// instance delivers nothing and leaves it to the others).
    #[arg(long, env = "SHOUTOUT_WEBHOOKS_WORKERS", default_value_t = 4, value_parser = clap::value_parser!(u32).range(0..=64))]
    pub webhooks_workers: u32,

    /// Milliseconds an idle worker waits before looking for work again.
    #[arg(long, env = "SHOUTOUT_WEBHOOKS_POLL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub webhooks_poll_ms: u64,

    /// Days finished deliveries (and their attempts) are kept for the deliveries list.
    #[arg(long, env = "SHOUTOUT_WEBHOOKS_KEEP_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub webhooks_keep_days: u32,

    /// The link a channel message carries to a shout-out; `{id}` is replaced by its id
    /// (default: the API's URL of the shout-out under SHOUTOUT_PUBLIC_URL).
    #[arg(long, env = "SHOUTOUT_SHOUTOUT_LINK")]
    pub shoutout_link: Option<String>,

    /// The Slack app's signing secret; unset, `/integrations/slack/commands` answers 404.
    #[arg(long, env = "SHOUTOUT_SLACK_SIGNING_SECRET", hide_env_values = true)]
    pub slack_signing_secret: Option<SecretString>,

    /// Where mail goes: `smtp://host:port` (plain, to a local relay: refused in production
    /// unless the host is loopback), `smtp://host:port?tls=required` (STARTTLS) or
    /// `smtps://host:port` (TLS), with `user:password@` for credentials. Unset (or without
    /// `SHOUTOUT_MAIL_FROM`), no mail is sent.
    #[arg(long, env = "SHOUTOUT_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<SecretString>,

    /// The mails' sender, e.g. `Shoutout <shoutout@example.com>`.
    #[arg(long, env = "SHOUTOUT_MAIL_FROM")]
    pub mail_from: Option<String>,

    /// Whether managers get a copy of their people's shout-outs unless they chose otherwise.
    #[arg(long, env = "SHOUTOUT_MAIL_MANAGER_COPIES", default_value_t = false, action = clap::ArgAction::Set)]
    pub mail_manager_copies: bool,

    /// Addresses (comma-separated) told of customer praise that waits where no manager is
    /// above the praised person: the programme's admins.
    #[arg(long, env = "SHOUTOUT_MAIL_ADMINS", value_delimiter = ',')]
    pub mail_admins: Vec<String>,

    /// Seconds between two "praise waits" mails to one moderator (praise arriving meanwhile
    /// is gathered into the next).
    #[arg(long, env = "SHOUTOUT_MAIL_MODERATION_INTERVAL_SECS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(0..=604_800))]
    pub mail_moderation_interval_secs: u64,

    /// Milliseconds the first "praise waits" mail to a moderator waits after the oldest praise
    /// in it arrived, so that a burst of praise makes one mail.
    #[arg(long, env = "SHOUTOUT_MAIL_MODERATION_GATHER_MS", default_value_t = 60_000, value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub mail_moderation_gather_ms: u64,

    /// The local hour (in SHOUTOUT_TIMEZONE) from which a digest day's digests go out.
    #[arg(long, env = "SHOUTOUT_MAIL_DIGEST_HOUR", default_value_t = 8, value_parser = clap::value_parser!(u32).range(0..=23))]
    pub mail_digest_hour: u32,

    /// Waits after a temporary (4xx or connection) failure to send a mail; after the last,
    /// the mail is recorded as failed.
    #[arg(long, env = "SHOUTOUT_MAIL_RETRY_SCHEDULE", default_value = "1m,5m,30m,2h,6h,12h", value_parser = parse_schedule)]
    pub mail_retry_schedule: Schedule,

    /// Milliseconds the idle mail worker waits before looking for work again.
    #[arg(long, env = "SHOUTOUT_MAIL_POLL_MS", default_value_t = 2000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
    pub mail_poll_ms: u64,

    /// Days a customer's e-mail address is kept after their praise arrived; then it is erased
    /// (whether or not a mail went to it).
    #[arg(long, env = "SHOUTOUT_CUSTOMER_EMAIL_RETENTION_DAYS", default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub customer_email_retention_days: u32,

    /// The console's identity provider (OpenID Connect issuer URL; its discovery document is
    /// read from `<issuer>/.well-known/openid-configuration`). Without it the console offers
    /// only the development sign-in, and only with `--demo` outside production.
    #[arg(long, env = "SHOUTOUT_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,

    /// The console's client id at the identity provider.
    #[arg(long, env = "SHOUTOUT_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,

    /// The console's client secret at the identity provider.
    #[arg(long, env = "SHOUTOUT_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<SecretString>,

    /// A console session ends this many minutes after sign-in, whatever happens.
    #[arg(long, env = "SHOUTOUT_CONSOLE_SESSION_MINUTES", default_value_t = 480, value_parser = clap::value_parser!(u32).range(5..=10_080))]
    pub console_session_minutes: u32,

    /// A console session ends after this many minutes without a request.
    #[arg(long, env = "SHOUTOUT_CONSOLE_IDLE_MINUTES", default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=10_080))]
    pub console_idle_minutes: u32,

    /// Load demo teams, employees and shout-outs when the directory is empty, and serve the
    /// demo intranet page at `/demo`.
    #[arg(long, env = "SHOUTOUT_DEMO", default_value_t = false)]
    pub demo: bool,

    /// Log line format.
    #[arg(long, env = "SHOUTOUT_LOG_FORMAT", value_enum, default_value_t = LogFormat::Json)]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Json,
    Text,
}

impl Config {
    /// A configuration with every default and the given database and secret; what tests
    /// and tools start from before overriding fields.
    pub fn with_database(database_url: String, jwt_secret: String) -> Self {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            config: Config,
        }
        // Parse an empty command line so that the defaults live in one place: the attributes
        // above. (The process environment still applies, as it would to the binary.)
        let mut config = Wrapper::parse_from(["shoutout"]).config;
        config.database_url = Some(database_url.into());
        config.jwt_secret = Some(jwt_secret.into());
        config
    }

    /// Where praise links point: `SHOUTOUT_PUBLIC_URL` without a trailing slash, or the bind
    /// address.
    pub fn public_base_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", self.bind),
        }
    }

    /// The link to shout-out `id` that channel messages carry.
    pub fn shoutout_link(&self, id: uuid::Uuid) -> String {
        match &self.shoutout_link {
            Some(template) => template.replace("{id}", &id.to_string()),
            None => format!("{}/api/v1/shoutouts/{id}", self.public_base_url()),
        }
    }

    pub fn db_wait(&self) -> Duration {
        Duration::from_millis(self.db_wait_ms)
    }

    pub fn retract_grace(&self) -> chrono::Duration {
        chrono::Duration::minutes(i64::from(self.retract_grace_minutes))
    }

    /// What production mode demands of the configuration (nothing in development).
    pub fn check_mode(&self) -> anyhow::Result<()> {
        if self.mode == Mode::Development {
            return Ok(());
        }
        anyhow::ensure!(
            self.jwt_public_key.is_some() || self.jwks.is_some(),
            "production mode does not accept HS256 bearer tokens: set SHOUTOUT_JWT_PUBLIC_KEY or \
             SHOUTOUT_JWKS to the identity provider's RS256 or EdDSA keys"
        );
        anyhow::ensure!(
            self.jwt_issuer.is_some() && self.jwt_audience.is_some(),
            "production mode needs SHOUTOUT_JWT_ISSUER and SHOUTOUT_JWT_AUDIENCE"
        );
        if let Some(location) = self.jwks.as_deref() {
            anyhow::ensure!(
                jwks_transport_is_safe(location),
                "production mode fetches the JWKS over https only (plain http only from this \
                 machine: localhost, 127.0.0.0/8 or [::1])"
            );
        }
        if let Some(url) = &self.smtp_url {
            anyhow::ensure!(
                smtp_transport_is_safe(url.expose_secret()),
                "production mode sends mail over TLS (smtps:// or smtp://...?tls=required); plain \
                 smtp:// only to this machine (localhost, 127.0.0.0/8 or [::1])"
            );
        }
        // The secret still signs the service's own links and forms.
        self.checked_jwt_secret()?;
        if let Some(issuer) = self.oidc_issuer.as_deref() {
            anyhow::ensure!(
                jwks_transport_is_safe(issuer),
                "production mode signs in to the console over https only (plain http only from \
                 this machine: localhost, 127.0.0.0/8 or [::1])"
            );
        }
        Ok(())
    }

    /// The console's identity provider, when it is configured; an error when only part of it
    /// is.
    pub fn oidc(&self) -> anyhow::Result<Option<(&str, &str, Option<&SecretString>)>> {
        match (&self.oidc_issuer, &self.oidc_client_id) {
            (Some(issuer), Some(client)) => {
                Ok(Some((issuer, client, self.oidc_client_secret.as_ref())))
            }
            (None, None) if self.oidc_client_secret.is_none() => Ok(None),
            _ => anyhow::bail!(
                "the console's sign-in needs SHOUTOUT_OIDC_ISSUER and SHOUTOUT_OIDC_CLIENT_ID together"
            ),
        }
    }

    /// Whether the console offers the development sign-in (pick any demo person): only with
    /// `--demo`, and never in production.
    pub fn console_dev_sign_in(&self) -> bool {
        self.demo && self.mode == Mode::Development
    }

    /// The HS256 secret, checked for length.
    pub fn checked_jwt_secret(&self) -> anyhow::Result<&SecretString> {
        let secret = self
            .jwt_secret
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("SHOUTOUT_JWT_SECRET is not set"))?;
        anyhow::ensure!(
            secret.expose_secret().len() >= MIN_JWT_SECRET_BYTES,
            "SHOUTOUT_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes"
        );
        Ok(secret)
    }
}

/// Whether mail may travel this way in production: TLS, or plain SMTP to a relay on this
/// machine.
pub fn smtp_transport_is_safe(location: &str) -> bool {
    let Ok(url) = url::Url::parse(location) else {
        return false;
    };
    let tls_required = url
        .query_pairs()
        .any(|(k, v)| k == "tls" && v == "required");
    match (url.scheme(), url.host()) {
        ("smtps", Some(_)) => true,
        ("smtp", Some(_)) if tls_required => true,
        ("smtp", Some(url::Host::Domain(host))) => host.eq_ignore_ascii_case("localhost"),
        ("smtp", Some(url::Host::Ipv4(ip))) => ip.is_loopback(),
        ("smtp", Some(url::Host::Ipv6(ip))) => ip.is_loopback(),
        _ => false,
    }
}

/// Whether a JWKS location may be trusted in production: a file, an https URL, or plain http
/// to this machine. The host is read as a URL parser reads it, so `http://127.0.0.1:80@evil/`
/// (a user name before the real host) is seen for what it is.
pub fn jwks_transport_is_safe(location: &str) -> bool {
    let Some(url) = jwks_url(location) else {
        return true;
    };
    match (url.scheme(), url.host()) {
        ("https", Some(_)) => true,
        ("http", Some(url::Host::Domain(host))) => host.eq_ignore_ascii_case("localhost"),
        ("http", Some(url::Host::Ipv4(ip))) => ip.is_loopback(),
        ("http", Some(url::Host::Ipv6(ip))) => ip.is_loopback(),
        _ => false,
    }
}

/// A JWKS location that is a URL (any letter case of `http://` or `https://`), else `None` for
/// a file path.
pub fn jwks_url(location: &str) -> Option<url::Url> {
    let lower = location.get(..8).unwrap_or(location).to_ascii_lowercase();
    if !(lower.starts_with("http://") || lower.starts_with("https://")) {
        return None;
    }
    // An unparseable URL is refused as unsafe: an `about:` URL has no host.
    Some(
        url::Url::parse(location)
            .unwrap_or_else(|_| url::Url::parse("about:invalid").expect("a URL")),
    )
}

/// Waits between delivery attempts, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule(pub Vec<Duration>);

fn parse_schedule(text: &str) -> Result<Schedule, String> {
    let waits = text
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (number, unit) = part.split_at(part.len() - 1);
            let seconds = match unit {
                "s" => 1,
                "m" => 60,
                "h" => 3600,
                _ => return Err(format!("`{part}` needs a unit: s, m or h (e.g. 5m)")),
            };
            let n: u64 = number
                .parse()
                .map_err(|_| format!("`{part}` is not a whole number of {unit}"))?;
            Ok(Duration::from_secs(
                n.saturating_mul(seconds).min(7 * 86_400),
            ))
        })
        .collect::<Result<Vec<_>, String>>()?;
    if waits.len() > 30 {
        return Err("at most 30 retries".into());
    }
    Ok(Schedule(waits))
}

fn parse_network(text: &str) -> Result<IpNet, String> {
    let text = text.trim();
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{text}` is not an IP address or CIDR range"))
}

fn parse_origin(text: &str) -> Result<String, String> {
    crate::domain::origin::normalise_origin(text)
        .map_err(|why| format!("`{}` {why} (no wildcards: list each origin)", text.trim()))
}

fn parse_timezone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>()
        .map_err(|_| format!("`{name}` is not an IANA time zone name (e.g. Europe/London)"))
}

/// Where the embedded cluster lives by default. Root's home is usually private (mode 0700), and
/// the cluster runs as the `postgres` user when we are root, so root gets a system folder.
pub fn default_data_dir() -> PathBuf {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        return PathBuf::from("/var/lib/shoutout");
    }
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("shoutout");
    }
    match std::env::var_os("HOME") {
        Some(home) => PathBuf::from(home).join(".local/share/shoutout"),
        None => PathBuf::from(".shoutout"),
    }
}
