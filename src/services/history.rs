//! Importing history from another tool: past shout-outs with their original dates, givers,
//! recipients and values, so they count in the periods they fall in. All or nothing, every bad
//! row named, and idempotent (each row's key claimed once).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::{NoContext, Timestamp, Uuid};
use validator::Validate;

use crate::domain::fields::{Message, Name};
use crate::domain::period;
use crate::domain::{HeartValue, ShoutoutSource, ShoutoutStatus};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract;
use crate::models::shoutouts::{self, NewShoutout};
use crate::services::import_rows::ImportRow;

/// One past shout-out. In CSV the columns are `created_at, giver_external_id, customer_name,
/// recipient_external_ids, value, message` and optionally `source_id`, with recipients
/// separated by `;`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportShoutout {
    /// Its id in the tool it comes from (1-200 characters): importing a row with a `source_id`
    /// already imported creates nothing. Without one, a row is the same as an imported one when
    /// its `created_at`, giver, recipients, value and message are.
    #[serde(default, deserialize_with = "blank_as_none")]
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    pub source_id: Option<String>,
    /// When it was given (RFC 3339); from 2000 on, not in the future.
    pub created_at: DateTime<Utc>,
    /// The giver's `external_id`, for a colleague's shout-out...
    #[serde(default, deserialize_with = "blank_as_none")]
    pub giver_external_id: Option<String>,
    /// ...or the customer's name, for a customer's praise (exactly one of the two).
    #[serde(default, deserialize_with = "blank_or_name")]
    pub customer_name: Option<Name>,
    /// 1-25 `external_id`s (a JSON array, or `a;b;c` in CSV).
    #[serde(deserialize_with = "one_or_many")]
    #[schema(value_type = Vec<String>)]
    #[validate(length(min = 1, max = 25, message = "name 1 to 25 recipients"))]
    pub recipient_external_ids: Vec<String>,
    pub value: HeartValue,
    pub message: Message,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryReport {
    /// Shout-outs created by this import.
    pub imported: usize,
    /// Rows that were already imported (by an earlier import, or earlier in this file), and so
    /// created nothing.
    pub already_imported: usize,
    /// Recipient lines created (a shout-out to three people makes three).
    pub recipients: usize,
}

/// What identifies an imported row: its `source_id`, or else all of what it says.
fn import_key(row: &ImportShoutout, giver: Option<Uuid>, recipients: &BTreeSet<Uuid>) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    match &row.source_id {
        Some(source_id) => {
            hasher.update(b"source\0");
            hasher.update(source_id.as_bytes());
        }
        None => {
            hasher.update(b"row\0");
            hasher.update(row.created_at.timestamp_micros().to_be_bytes());
            match (giver, &row.customer_name) {
                (Some(giver), _) => hasher.update(giver.as_bytes()),
                (None, name) => {
                    hasher.update(b"customer\0");
                    hasher.update(name.as_deref().unwrap_or("").as_bytes());
                }
            }
            hasher.update(b"\0");
            for recipient in recipients {
                hasher.update(recipient.as_bytes());
            }
            hasher.update(row.value.code().as_bytes());
            hasher.update(b"\0");
            hasher.update(row.message.as_bytes());
        }
    }
    hasher.finalize().into()
}

fn blank_as_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value = Option::<String>::deserialize(d)?;
    Ok(value.filter(|s| !s.trim().is_empty()))
}

/// A name, or nothing: an empty CSV cell or blank text is "not given".
fn blank_or_name<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Name>, D::Error> {
    blank_as_none(d)?
        .map(|name| Name::parse(&name).map_err(serde::de::Error::custom))
        .transpose()
}

/// A JSON array of strings, or one string with `;` between the items (CSV). CSV hands over
/// a lone numeric id ("10045") as a number, so numbers are taken as ids too.
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    struct Ids;
    impl<'de> serde::de::Visitor<'de> for Ids {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array of external ids, or ids separated by `;`")
        }
        fn visit_str<E: serde::de::Error>(self, joined: &str) -> Result<Self::Value, E> {
            Ok(joined
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect())
        }
        fn visit_u64<E: serde::de::Error>(self, id: u64) -> Result<Self::Value, E> {
            Ok(vec![id.to_string()])
        }
        fn visit_i64<E: serde::de::Error>(self, id: i64) -> Result<Self::Value, E> {
            Ok(vec![id.to_string()])
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut ids = Vec::new();
            while let Some(id) = seq.next_element::<String>()? {
                ids.push(id);
            }
            Ok(ids)
        }
    }
    d.deserialize_any(Ids)
}

/// Imports past shout-outs (admins), all or nothing, and idempotent.
///
/// Every row is checked first (dates, giver or customer, recipients that exist, no thanking
/// oneself, value, message); if any is wrong nothing is written and every wrong row is named
/// as `[index].field`. Imported shout-outs are published, keep their dates, and count on the
/// boards of the periods they fall in. Leavers may appear: history is history. The daily
/// limit does not apply. Importing the same rows again creates nothing (`already_imported`
/// counts them); two identical imports at once create each row once. An import has its own
/// time budget (`SHOUTOUT_IMPORT_TIMEOUT_SECS`), not the per-request statement timeout.
pub async fn import(
    conn: &mut AsyncPgConnection,
    parsed: Vec<ImportRow<ImportShoutout>>,
    budget_secs: u64,
) -> ApiResult<HistoryReport> {
    let mut errors = Vec::new();
    let mut rows = Vec::with_capacity(parsed.len());
    for (index, row) in parsed.into_iter().enumerate() {
        // A row whose text broke its rules is still checked as sent, so one answer names all
        // that is wrong with it; with an error on record nothing is written.
        let row = match row {
            Ok(row) => row,
            Err(refused) => {
                errors.extend(refused.errors);
                match refused.as_sent {
                    Some(row) => row,
                    None => continue,
                }
            }
        };
        if let Err(ApiError::Invalid(fields)) = extract::validate(&row) {
            errors.extend(
                fields
                    .into_iter()
                    .map(|f| FieldError::new(format!("[{index}].{}", f.field), f.message)),
            );
        }
        rows.push((index, row));
    }
    let external_ids: Vec<String> = rows
        .iter()
        .flat_map(|(_, r)| r.giver_external_id.iter().chain(&r.recipient_external_ids))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let known = shoutouts::ids_by_external_id(conn, &external_ids).await?;
    let earliest = period::local_midnight(chrono_tz::UTC, period::first_day());
    let now = Utc::now();
    let total = rows.len();
    let mut new = Vec::with_capacity(rows.len());
    let mut recipients = Vec::new();
    let mut keys = Vec::with_capacity(rows.len());
    let mut keys_in_file = std::collections::HashSet::with_capacity(rows.len());
    for (index, row) in rows {
        let mut fail = |field: &str, message: String| {
            errors.push(FieldError::new(format!("[{index}].{field}"), message));
        };
        if row.created_at < earliest || row.created_at > now {
            fail("created_at", "must be between 2000-01-01 and now".into());
        }
        let giver_id = match (&row.giver_external_id, &row.customer_name) {
            (Some(giver), None) => match known.get(giver) {
                Some(&id) => Some(id),
                None => {
                    fail(
                        "giver_external_id",
                        format!("no employee has external_id `{giver}`"),
                    );
                    None
                }
            },
            (None, Some(_)) => None,
            _ => {
                fail(
                    "giver_external_id",
                    "give exactly one of `giver_external_id` and `customer_name`".into(),
                );
                None
            }
        };
        let mut ids = BTreeSet::new();
        for external_id in &row.recipient_external_ids {
            match known.get(external_id) {
                Some(&id) if Some(id) == giver_id => fail(
                    "recipient_external_ids",
                    format!("`{external_id}` cannot thank themselves"),
                ),
                Some(&id) => {
                    ids.insert(id);
                }
                None => fail(
                    "recipient_external_ids",
                    format!("no employee has external_id `{external_id}`"),
                ),
            }
        }
        if errors.len() >= 100 {
            break;
        }
        // Time-ordered ids from the original date keep the feed's order stable.
        let nanos = row.created_at.timestamp_subsec_nanos();
        let seconds = row.created_at.timestamp().max(0) as u64;
        let id = Uuid::new_v7(Timestamp::from_unix(NoContext, seconds, nanos));
        let customer = row.customer_name.is_some();
        let key = import_key(&row, giver_id, &ids);
        if !keys_in_file.insert(key) {
            // The same row twice in one file is one shout-out.
            continue;
        }
        keys.push((key, id, row.source_id.clone()));
        recipients.extend(ids.into_iter().map(|r| (id, r, giver_id)));
        new.push(NewShoutout {
            id,
            source: if customer {
                ShoutoutSource::Customer
            } else {
                ShoutoutSource::Staff
            },
            giver_id,
            customer_name: row.customer_name.map(Name::into_string),
            value: row.value,
            message: row.message.into_string(),
            status: ShoutoutStatus::Published,
            created_at: row.created_at,
            visibility: "public",
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let budget = budget_secs;
    let (imported, lines) = conn
        .transaction::<_, ApiError, _>(async |conn| {
            crate::db::allow_seconds(conn, budget).await?;
            crate::models::outbox::quiet_for_history(conn).await?;
            let mut claims: Vec<shoutouts::ImportClaim> = keys
                .iter()
                .map(|(key, shoutout_id, source_id)| shoutouts::ImportClaim {
                    key: *key,
                    shoutout_id: *shoutout_id,
                    source_id: source_id.as_deref(),
                })
                .collect();
            let claimed = shoutouts::claim_import_keys(conn, &mut claims).await?;
            let fresh: std::collections::HashSet<Uuid> = claims
                .iter()
                .filter(|c| claimed.contains(c.key.as_slice()))
                .map(|c| c.shoutout_id)
                .collect();
            new.retain(|s| fresh.contains(&s.id));
            recipients.retain(|(id, _, _)| fresh.contains(id));
            shoutouts::insert_many(conn, &new, &recipients).await?;
            Ok((new.len(), recipients.len()))
        })
        .await?;
    Ok(HistoryReport {
        imported,
        already_imported: total - imported,
        recipients: lines,
    })
}
