//! Events to mails: a published shout-out becomes a mail to each person thanked, a copy to
//! their manager (when chosen) and, for customer praise, one mail to a customer who asked for
//! it; praise that waits is noted for its moderators (told in batches by `rounds`). Runs
//! under the mail lock, one instance at a time, and reads each event once.

use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use diesel_async::AsyncPgConnection;

use super::templates;
use super::unsubscribe::{self, Subscriber};
use crate::config::Config;
use crate::domain::events::EventType;
use crate::domain::notifications::{MailKind, Preference};
use crate::domain::{ShoutoutSource, ShoutoutStatus};
use crate::models::mail::{self as store, NewMail};
use crate::models::{employees, shoutouts};
use crate::views::{Giver, Shoutout};

/// Events read per transaction.
const BATCH: i64 = 200;

/// What every queued mail needs besides its own content.
pub struct Setting<'a> {
    pub config: &'a Config,
    pub key: &'a [u8],
}

impl Setting<'_> {
    /// The one-click unsubscribe link for `subscriber` and this kind of mail.
    pub fn unsubscribe_url(&self, subscriber: &Subscriber, preference: Preference) -> String {
        format!(
            "{}/api/v1/public/unsubscribe/{}",
            self.config.public_base_url(),
            unsubscribe::token(self.key, subscriber, preference)
        )
    }

    /// Renders and queues one mail; whether it was new.
    pub async fn queue(
        &self,
        conn: &mut AsyncPgConnection,
        kind: MailKind,
        dedupe_key: String,
        to: (&str, Option<Uuid>),
        shoutout_id: Option<Uuid>,
        context: serde_json::Value,
    ) -> anyhow::Result<bool> {
        if store::is_queued(conn, kind.as_str(), &dedupe_key).await? {
            return Ok(false);
        }
        let subscriber = match to.1 {
            Some(id) => Subscriber::Employee(id),
            None => Subscriber::Address(to.0.to_owned()),
        };
        let url = self.unsubscribe_url(&subscriber, kind.preference());
        let mut context = context;
        context["unsubscribe"] = json!(url);
        context["reason"] = json!(reason(kind));
        let mail = templates::render(kind, &context)?;
        Ok(store::queue(
            conn,
            &NewMail {
                kind: kind.as_str(),
                dedupe_key,
                employee_id: to.1,
                to_address: to.0,
                shoutout_id,
                subject: &mail.subject,
                text_body: &mail.text,
                html_body: &mail.html,
                unsubscribe_url: Some(&url),
            },
        )
        .await?)
    }
}

/// Why someone gets this kind of mail (said in its footer).
fn reason(kind: MailKind) -> &'static str {
    match kind {
        MailKind::Thanked => "someone thanked you in Shoutout",
        MailKind::ManagerCopy => "you chose copies of the thanks your people receive",
        MailKind::Moderation | MailKind::ModerationReminder => {
            "you moderate customer praise for your teams"
        }
        MailKind::Digest => "you manage a team in Shoutout",
        MailKind::CustomerThanks => "you asked to hear when your thanks arrived",
    }
}

/// Reads waiting events into mails; how many events. With mail off, events are only marked
/// read (turning mail on later does not send old news).
pub async fn run(
    conn: &mut AsyncPgConnection,
    setting: &Setting<'_>,
    enabled: bool,
) -> anyhow::Result<usize> {
    let events = store::unmailed_events(conn, BATCH).await?;
    if enabled {
        for event in &events {
            let Some(shoutout_id) = event.shoutout_id else {
                continue;
            };
            match EventType::parse(&event.event_type) {
                Some(EventType::ShoutoutPublished) => {
                    published(conn, setting, event.event_id, shoutout_id).await?
                }
                Some(EventType::PraisePending) => pending(conn, setting, shoutout_id).await?,
                _ => {}
            }
        }
    }
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    store::mark_mailed(conn, &ids).await?;
    Ok(events.len())
}

async fn load(conn: &mut AsyncPgConnection, id: Uuid) -> anyhow::Result<Option<Shoutout>> {
    let rows = shoutouts::find_many(conn, &[id]).await?;
    Ok(shoutouts::details(conn, rows)
        .await?
        .into_iter()
        .next()
        .map(Shoutout::from))
}

#[derive(Serialize)]
struct About<'a> {
    giver: String,
    value_letter: String,
    value_label: &'a str,
    message: &'a str,
    link: String,
}

async fn published(
    conn: &mut AsyncPgConnection,
    setting: &Setting<'_>,
    event_id: Uuid,
    shoutout_id: Uuid,
) -> anyhow::Result<()> {
    let Some(shoutout) = load(conn, shoutout_id).await? else {
        return Ok(());
    };
    // Retracted (or back in moderation) before we got to it: nobody is told.
    if shoutout.status != ShoutoutStatus::Published {
        return Ok(());
    }
    let about = About {
        giver: match &shoutout.giver {
            Giver::Employee { employee } => employee.display_name.clone(),
            Giver::Customer { name: Some(name) } => format!("{name}, a customer,"),
            Giver::Customer { name: None } => "A customer".to_owned(),
        },
        value_letter: shoutout.value.letter().to_string(),
        value_label: shoutout.value.label(),
        message: &shoutout.message,
        link: setting.config.shoutout_link(shoutout.id),
    };
    let copies_default = setting.config.mail_manager_copies;
    for recipient in &shoutout.recipients {
        let person = employees::find(conn, recipient.id).await?;
        if !person.active {
            continue;
        }
        if store::choices_of(conn, person.id, copies_default)
            .await?
            .thanked
        {
            let mut context = serde_json::to_value(&about)?;
            context["name"] = json!(person.display_name);
            setting
                .queue(
                    conn,
                    MailKind::Thanked,
                    format!("{event_id}:{}", person.id),
                    (&person.email, Some(person.id)),
                    Some(shoutout.id),
                    context,
                )
                .await?;
        }
        if let Some(manager) = store::manager_of(conn, person.id).await?
            && store::choices_of(conn, manager.id, copies_default)
                .await?
                .manager_copies
        {
            let mut context = serde_json::to_value(&about)?;
            context["name"] = json!(manager.display_name);
            context["recipient"] = json!(person.display_name);
            setting
                .queue(
                    conn,
                    MailKind::ManagerCopy,
                    format!("{event_id}:{}:{}", manager.id, person.id),
                    (&manager.email, Some(manager.id)),
                    Some(shoutout.id),
                    context,
                )
                .await?;
        }
    }
    if shoutout.source == ShoutoutSource::Customer
        && let Some(address) = store::consenting_customer(conn, shoutout.id).await?
        && !store::is_suppressed(conn, &address, Preference::CustomerThanks.as_str()).await?
    {
        let names: Vec<&str> = shoutout
            .recipients
            .iter()
            .map(|r| r.display_name.as_str())
            .collect();
        let name = match &shoutout.giver {
            Giver::Customer { name } => name.clone(),
            Giver::Employee { .. } => None,
        };
        // Keyed by the praise alone: one mail to a customer, ever, whatever happens next.
        setting
            .queue(
                conn,
                MailKind::CustomerThanks,
                shoutout.id.to_string(),
                (&address, None),
                Some(shoutout.id),
                json!({"name": name, "recipient": names.join(" and ")}),
            )
            .await?;
    }
    Ok(())
}

/// Notes who moderates this praise: the nearest manager above the person thanked, else the
/// programme's admins.
async fn pending(
    conn: &mut AsyncPgConnection,
    setting: &Setting<'_>,
    shoutout_id: Uuid,
) -> anyhow::Result<()> {
    let Some(shoutout) = load(conn, shoutout_id).await? else {
        return Ok(());
    };
    if shoutout.status != ShoutoutStatus::Pending {
        return Ok(());
    }
    for recipient in &shoutout.recipients {
        match store::manager_of(conn, recipient.id).await? {
            Some(manager) => {
                store::note_for_moderator(conn, shoutout.id, &manager.email, Some(manager.id))
                    .await?
            }
            None => {
                for admin in &setting.config.mail_admins {
                    let admin = admin.trim();
                    if !admin.is_empty() {
                        store::note_for_moderator(conn, shoutout.id, admin, None).await?;
                    }
                }
            }
        }
    }
    Ok(())
}
