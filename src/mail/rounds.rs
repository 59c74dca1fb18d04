//! What is sent on a clock rather than on an event: moderators told of waiting customer praise
//! in batches (at most one mail per interval) and reminded of praise older than a working day,
//! managers' weekly digests, and the erasure of customers' addresses after the retention period.
//! Each runs under the mail lock, so one instance does it.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use diesel_async::AsyncPgConnection;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::fan_out::Setting;
use crate::domain::notifications::{MailKind, one_working_day_after};
use crate::models::mail::{self as store, DigestLine, Waiting};
use crate::models::{audit, praise};

/// Days without thanks after which a digest names a person.
const UNTHANKED_DAYS: i64 = 60;

fn local(setting: &Setting<'_>, at: DateTime<Utc>) -> chrono::NaiveDateTime {
    at.with_timezone(&setting.config.timezone).naive_local()
}

/// Midnight starting a local date, as an instant (the earliest, where a clock change repeats it).
fn start_of(setting: &Setting<'_>, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    match setting.config.timezone.from_local_datetime(&midnight) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.to_utc(),
        // A clock change skipped midnight: the day starts an hour later.
        chrono::LocalResult::None => setting
            .config
            .timezone
            .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.to_utc())
            .unwrap_or_else(|| Utc.from_utc_datetime(&midnight)),
    }
}

fn item(setting: &Setting<'_>, w: &Waiting) -> serde_json::Value {
    json!({
        "recipient": w.recipient,
        "customer": w.customer_name,
        "message": w.message,
        "received": local(setting, w.received_at).format("%-d %B %Y, %H:%M").to_string(),
    })
}

/// A key naming exactly this set of praise, so the same batch is never queued twice.
fn batch_key(address: &str, items: &[&Waiting]) -> String {
    let mut hash = Sha256::new();
    for w in items {
        hash.update(w.shoutout_id.as_bytes());
    }
    format!("{address}:{}", hex::encode(&hash.finalize()[..12]))
}

/// Tells moderators of praise waiting for them, and reminds them of praise older than a
/// working day; how many mails were queued.
pub async fn moderation(
    conn: &mut AsyncPgConnection,
    setting: &Setting<'_>,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut by_address: BTreeMap<String, Vec<Waiting>> = BTreeMap::new();
    for w in store::open_notices(conn).await? {
        by_address.entry(w.address.clone()).or_default().push(w);
    }
    let interval = chrono::Duration::seconds(setting.config.mail_moderation_interval_secs as i64);
    let gather_ms = setting.config.mail_moderation_gather_ms as i64;
    let link = format!(
        "{}/api/v1/moderation/shoutouts?status=pending",
        setting.config.public_base_url()
    );
    let mut queued = 0;
    for (address, waiting) in by_address {
        let employee = waiting[0].employee_id;
        let wanted = match employee {
            Some(id) => {
                store::choices_of(conn, id, setting.config.mail_manager_copies)
                    .await?
                    .moderation
            }
            None => {
                !store::is_suppressed(conn, &address, MailKind::Moderation.preference().as_str())
                    .await?
            }
        };
        let name = match employee {
            Some(id) => crate::models::employees::find(conn, id).await?.display_name,
            None => String::new(),
        };
        let untold: Vec<&Waiting> = waiting.iter().filter(|w| !w.told).collect();
        let now_local = local(setting, now);
        let overdue: Vec<&Waiting> = waiting
            .iter()
            .filter(|w| w.told && one_working_day_after(local(setting, w.received_at)) <= now_local)
            .collect();
        for (kind, items, reminder) in [
            (MailKind::Moderation, untold, false),
            (MailKind::ModerationReminder, overdue, true),
        ] {
            if items.is_empty() {
                continue;
            }
            let ids: Vec<Uuid> = items.iter().map(|w| w.shoutout_id).collect();
            if wanted {
                if !reminder
                    && items
                        .iter()
                        .map(|w| w.received_at)
                        .min()
                        .is_some_and(|oldest| {
                            now - oldest < chrono::Duration::milliseconds(gather_ms)
                        })
                {
                    // A burst of praise is still arriving: one mail for all of it, shortly.
                    continue;
                }
                let last = store::last_mail_to(conn, kind.as_str(), &address).await?;
                if last.is_some_and(|t| now - t < interval) {
                    // Gathered into the next mail, once the interval has passed.
                    continue;
                }
                let context = json!({
                    "name": name,
                    "items": items.iter().map(|w| item(setting, w)).collect::<Vec<_>>(),
                    "link": link,
                });
                if setting
                    .queue(
                        conn,
                        kind,
                        batch_key(&address, &items),
                        (&address, employee),
                        None,
                        context,
                    )
                    .await?
                {
                    queued += 1;
                }
            }
            store::mark_told(conn, &address, &ids, reminder).await?;
            if !reminder && !wanted {
                // Nobody to remind either.
                store::mark_told(conn, &address, &ids, true).await?;
            }
        }
    }
    Ok(queued)
}

/// Groups a manager's lines by person, in the order read.
fn by_person(lines: &[DigestLine]) -> Vec<(String, Vec<&DigestLine>)> {
    let mut people: Vec<(Uuid, String, Vec<&DigestLine>)> = Vec::new();
    for line in lines {
        match people.last_mut() {
            Some((id, _, group)) if *id == line.id => group.push(line),
            _ => people.push((line.id, line.display_name.clone(), vec![line])),
        }
    }
    people.into_iter().map(|(_, n, g)| (n, g)).collect()
}

/// Queues the weekly digest of every manager whose digest day `date` is (a local date), for
/// the seven days before it; how many were queued. Run once a day after the digest hour, and
/// by `shoutout digests --on DATE` to send a given day's again (a digest already queued
/// for a manager and day is not queued twice).
pub async fn digests(
    conn: &mut AsyncPgConnection,
    setting: &Setting<'_>,
    date: NaiveDate,
) -> anyhow::Result<usize> {
    let to = start_of(setting, date);
    let first = date - chrono::Duration::days(7);
    let from = start_of(setting, first);
    let since = start_of(setting, date - chrono::Duration::days(UNTHANKED_DAYS));
    let mut queued = 0;
    for manager in store::managers(conn).await? {
        let choices =
            store::choices_of(conn, manager.id, setting.config.mail_manager_copies).await?;
        if !choices.digest || choices.digest_day.weekday() != date.weekday() {
            continue;
        }
        let key = format!("{}:{date}", manager.id);
        if store::is_queued(conn, MailKind::Digest.as_str(), &key).await? {
            continue;
        }
        let thanked = store::digest_thanked(conn, manager.id, from, to).await?;
        let givers = store::digest_givers(conn, manager.id, from, to).await?;
        let unthanked = store::digest_unthanked(conn, manager.id, since, to).await?;
        if thanked.is_empty() && givers.is_empty() && unthanked.is_empty() {
            continue; // Nobody in their teams.
        }
        let thanked: Vec<_> = by_person(&thanked)
            .into_iter()
            .map(|(name, lines)| {
                let values: Vec<String> = lines
                    .iter()
                    .filter_map(|l| {
                        l.value
                            .map(|v| format!("{} {} ({})", v.letter(), v.label(), l.count))
                    })
                    .collect();
                json!({"name": name, "values": values.join(", ")})
            })
            .collect();
        let givers: Vec<_> = givers
            .iter()
            .map(|l| json!({"name": l.display_name, "count": l.count}))
            .collect();
        let unthanked: Vec<_> = unthanked
            .iter()
            .map(|l| json!({"name": l.display_name}))
            .collect();
        let last = date - chrono::Duration::days(1);
        let context = json!({
            "name": manager.display_name,
            "from": first.format("%-d %B %Y").to_string(),
            "to": last.format("%-d %B %Y").to_string(),
            "thanked": thanked, "givers": givers, "unthanked": unthanked,
        });
        if setting
            .queue(
                conn,
                MailKind::Digest,
                key,
                (&manager.email, Some(manager.id)),
                None,
                context,
            )
            .await?
        {
            queued += 1;
        }
    }
    Ok(queued)
}

/// The local date whose digests are due now: today once the digest hour has come.
pub fn digest_date_due(setting: &Setting<'_>, now: DateTime<Utc>) -> Option<NaiveDate> {
    use chrono::Timelike;
    let local = local(setting, now);
    (local.hour() >= setting.config.mail_digest_hour).then(|| local.date())
}

/// Erases customers' addresses kept longer than the retention period; how many.
pub async fn erase_expired_addresses(
    conn: &mut AsyncPgConnection,
    setting: &Setting<'_>,
) -> anyhow::Result<usize> {
    let expired =
        store::expired_customer_addresses(conn, setting.config.customer_email_retention_days)
            .await?;
    if !expired.is_empty() {
        audit::act_as(conn, "shoutout:retention").await?;
    }
    for id in &expired {
        praise::erase_email(conn, *id).await?;
    }
    Ok(expired.len())
}

/// `shoutout digests --on DATE`: the digest round for one date, on its own connection.
pub async fn queue_digests_on(
    database_url: &str,
    config: &crate::config::Config,
    date: NaiveDate,
) -> anyhow::Result<usize> {
    use diesel_async::AsyncConnection;
    let mut conn = diesel_async::AsyncPgConnection::establish(database_url).await?;
    let key = store::unsubscribe_key(&mut conn).await?;
    let setting = Setting { config, key: &key };
    conn.transaction::<_, anyhow::Error, _>(async |conn| digests(conn, &setting, date).await)
        .await
}
