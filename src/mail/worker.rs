//! The mail worker every instance runs. Each turn it takes the mail lock (one instance at a
//! time) to read new events into mails and to run the rounds (moderators, digests), then
//! claims due mails with `SKIP LOCKED` and a lease and sends them: a temporary failure (4xx, no
//! connection) is retried on `SHOUTOUT_MAIL_RETRY_SCHEDULE`, a permanent one (5xx) is recorded
//! and not tried again. No database connection is held while the SMTP server is waited on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use diesel_async::AsyncConnection;
use rand::Rng;
use secrecy::ExposeSecret;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::fan_out::{self, Setting};
use super::rounds;
use super::transport::{Mailer, Outgoing, SendError};
use crate::config::Config;
use crate::db::DbPool;
use crate::models::mail::{self as store, Outcome};

/// Mails claimed per turn.
const BATCH: i64 = 20;
/// How often the digest round looks for managers whose digest is due.
const DIGEST_EVERY: Duration = Duration::from_secs(600);
/// How often customers' old addresses are erased.
const RETENTION_EVERY: Duration = Duration::from_secs(3600);

/// The running worker; dropping this leaves it running (it ends with the runtime).
pub struct MailWorker {
    handle: JoinHandle<()>,
}

impl MailWorker {
    /// Starts the worker. Without `SHOUTOUT_SMTP_URL` and `SHOUTOUT_MAIL_FROM` it sends
    /// nothing, but still marks events read and erases customers' old addresses.
    pub fn start(pool: DbPool, config: Arc<Config>) -> anyhow::Result<Self> {
        let mailer = match (&config.smtp_url, &config.mail_from) {
            (Some(url), Some(from)) => Some(Mailer::new(url.expose_secret(), from)?),
            _ => None,
        };
        if mailer.is_none() {
            tracing::info!("mail: SHOUTOUT_SMTP_URL or SHOUTOUT_MAIL_FROM unset, no mail is sent");
        }
        Ok(Self {
            handle: tokio::spawn(run(pool, config, mailer)),
        })
    }

    /// Stops the worker where it is, as a crash would.
    pub fn abort(&self) {
        self.handle.abort();
    }
}

async fn run(pool: DbPool, config: Arc<Config>, mailer: Option<Mailer>) {
    let owner = Uuid::new_v4();
    let poll = Duration::from_millis(config.mail_poll_ms);
    let mut last_digest: Option<Instant> = None;
    let mut last_retention: Option<Instant> = None;
    let mut key: Option<Vec<u8>> = None;
    loop {
        let mut busy = false;
        if key.is_none() {
            key = match pool.get().await {
                Ok(mut conn) => store::unsubscribe_key(&mut conn).await.ok(),
                Err(_) => None,
            };
        }
        if let Some(key) = &key {
            let setting = Setting {
                config: &config,
                key,
            };
            let digest_due = last_digest.is_none_or(|t| t.elapsed() >= DIGEST_EVERY);
            match turn(&pool, &setting, mailer.is_some(), digest_due).await {
                Ok(Some(read)) => {
                    busy |= read > 0;
                    if digest_due {
                        last_digest = Some(Instant::now());
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "mail: reading events"),
            }
            if last_retention.is_none_or(|t| t.elapsed() >= RETENTION_EVERY) {
                last_retention = Some(Instant::now());
                if let Err(e) = retention(&pool, &setting).await {
                    tracing::warn!(error = %e, "mail: erasing customers' old addresses");
                }
            }
        }
        if let Some(mailer) = &mailer {
            match send_due(&pool, &config, mailer, owner).await {
                Ok(sent) => busy |= sent > 0,
                Err(e) => tracing::warn!(error = %e, "mail: sending"),
            }
        }
        if !busy {
            let jitter = rand::rng().random_range(0..=poll.as_millis() as u64 / 4);
            tokio::time::sleep(poll + Duration::from_millis(jitter)).await;
        }
    }
}

/// One turn under the mail lock; `None` when another instance holds it.
async fn turn(
    pool: &DbPool,
    setting: &Setting<'_>,
    enabled: bool,
    digest_due: bool,
) -> anyhow::Result<Option<usize>> {
    let mut conn = pool.get().await?;
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        if !store::try_lock(conn).await? {
            return Ok(None);
        }
        let read = fan_out::run(conn, setting, enabled).await?;
        if enabled {
            let now = Utc::now();
            rounds::moderation(conn, setting, now).await?;
            if digest_due && let Some(date) = rounds::digest_date_due(setting, now) {
                rounds::digests(conn, setting, date).await?;
            }
        }
        Ok(Some(read))
    })
    .await
}

async fn retention(pool: &DbPool, setting: &Setting<'_>) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    conn.transaction::<_, anyhow::Error, _>(async |conn| {
        if store::try_lock(conn).await? {
            rounds::erase_expired_addresses(conn, setting).await?;
        }
        Ok(())
    })
    .await
}

/// Claims due mails and sends them; how many were tried.
async fn send_due(
    pool: &DbPool,
    config: &Config,
    mailer: &Mailer,
    owner: Uuid,
) -> anyhow::Result<usize> {
    // Longer than the transport's own timeout, so a live worker keeps its claim while it waits.
    let lease = Duration::from_secs(60);
    let due = {
        let mut conn = pool.get().await?;
        store::claim_due(&mut conn, owner, lease, BATCH).await?
    };
    let schedule = &config.mail_retry_schedule.0;
    for (n, mail) in due.iter().enumerate() {
        let Some(to) = mail.to_address.as_deref() else {
            continue;
        };
        // A retraction since the claim cancels the mail; the next claim records that.
        if !store::still_due(&mut *pool.get().await?, mail.id, owner).await? {
            store::release(&mut *pool.get().await?, &[mail.id], owner).await?;
            continue;
        }
        let outcome = match mailer
            .send(&Outgoing {
                to,
                subject: &mail.subject,
                text: &mail.text_body,
                html: &mail.html_body,
                unsubscribe_url: mail.unsubscribe_url.as_deref(),
                message_id: format!(
                    "<mail-{}-{}@{}>",
                    mail.id,
                    mail.created_at.timestamp_micros(),
                    mailer.domain()
                ),
            })
            .await
        {
            Ok(()) => Outcome::Sent,
            Err(SendError::Permanent(e)) => Outcome::Failed(e),
            Err(SendError::Temporary(e)) => {
                let attempt = mail.attempts as usize + 1;
                match schedule.get(attempt - 1) {
                    Some(wait) => Outcome::RetryAt(
                        Utc::now() + chrono::Duration::milliseconds(wait.as_millis() as i64),
                        e,
                    ),
                    None => Outcome::Failed(format!("gave up after {attempt} attempts: {e}")),
                }
            }
        };
        if let Outcome::Failed(e) = &outcome {
            tracing::warn!(mail = mail.id, kind = %mail.kind, error = %e, "mail not sent");
        }
        let mut conn = pool.get().await?;
        store::record(&mut conn, mail.id, owner, &outcome).await?;
        if let Outcome::RetryAt(..) = outcome {
            // The server is failing: the rest waits for the next turn, unclaimed.
            let rest: Vec<i64> = due[n + 1..].iter().map(|m| m.id).collect();
            store::release(&mut conn, &rest, owner).await?;
            break;
        }
    }
    Ok(due.len())
}
