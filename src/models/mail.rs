//! E-mail in the database: preferences, suppressions, the mail queue (`mail_messages`), what
//! moderators were told (`moderation_notices`), the unsubscribe key, and the reads that choose
//! who hears of what (a person's manager, a manager's people, a digest's week).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Int4, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::domain::HeartValue;
use crate::schema::{mail_messages, mail_suppressions, notification_preferences};

/// The advisory lock that makes the mail fan-out and its rounds one at a time across instances.
const MAIL_LOCK: i64 = 0x5348_4f55_545f_4d4c; // "SHOUT_ML"

#[derive(Debug, Clone, Default, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = notification_preferences)]
pub struct PreferencesRow {
    pub employee_id: Uuid,
    pub thanked: Option<bool>,
    pub manager_copies: Option<bool>,
    pub moderation: Option<bool>,
    pub digest: Option<bool>,
    pub digest_day: Option<i16>,
}

impl PreferencesRow {
    /// The choices with the defaults filled in.
    pub fn choices(&self, manager_copies_default: bool) -> crate::domain::notifications::Choices {
        crate::domain::notifications::Choices::resolve(
            [
                self.thanked,
                self.manager_copies,
                self.moderation,
                self.digest,
            ],
            self.digest_day,
            manager_copies_default,
        )
    }
}

/// A person's choices, defaults filled in (no row: every default).
pub async fn choices_of(
    conn: &mut AsyncPgConnection,
    employee_id: Uuid,
    manager_copies_default: bool,
) -> QueryResult<crate::domain::notifications::Choices> {
    Ok(preferences(conn, employee_id)
        .await?
        .unwrap_or_default()
        .choices(manager_copies_default))
}

pub async fn preferences(
    conn: &mut AsyncPgConnection,
    employee_id: Uuid,
) -> QueryResult<Option<PreferencesRow>> {
    notification_preferences::table
        .find(employee_id)
        .select(PreferencesRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Preferences of many people at once (those without a row are missing).
pub async fn preferences_of(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<PreferencesRow>> {
    notification_preferences::table
        .filter(notification_preferences::employee_id.eq_any(ids))
        .select(PreferencesRow::as_select())
        .load(conn)
        .await
}

/// Writes a person's whole row of choices.
pub async fn save_preferences(
    conn: &mut AsyncPgConnection,
    row: &PreferencesRow,
) -> QueryResult<()> {
    diesel::insert_into(notification_preferences::table)
        .values(row)
        .on_conflict(notification_preferences::employee_id)
        .do_update()
        .set((
            row,
            notification_preferences::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await
        .map(drop)
}

/// Locks a person's row of choices (creating an empty one) so two changes do not interleave.
pub async fn lock_preferences(
    conn: &mut AsyncPgConnection,
    employee_id: Uuid,
) -> QueryResult<PreferencesRow> {
    diesel::insert_into(notification_preferences::table)
        .values(notification_preferences::employee_id.eq(employee_id))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    notification_preferences::table
        .find(employee_id)
        .select(PreferencesRow::as_select())
        .for_update()
        .first(conn)
        .await
}

pub async fn is_suppressed(
    conn: &mut AsyncPgConnection,
    address: &str,
    kind: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        mail_suppressions::table
            .filter(mail_suppressions::address.eq(address.to_lowercase()))
            .filter(mail_suppressions::kind.eq(kind)),
    ))
    .get_result(conn)
    .await
}

pub async fn suppress(conn: &mut AsyncPgConnection, address: &str, kind: &str) -> QueryResult<()> {
    diesel::insert_into(mail_suppressions::table)
        .values((
            mail_suppressions::address.eq(address.to_lowercase()),
            mail_suppressions::kind.eq(kind),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(drop)
}

/// The key that signs unsubscribe links (made by the migration).
pub async fn unsubscribe_key(conn: &mut AsyncPgConnection) -> QueryResult<Vec<u8>> {
    use crate::schema::signing_keys;
    signing_keys::table
        .find("unsubscribe")
        .select(signing_keys::key)
        .first(conn)
        .await
}

/// Takes the mail lock for the rest of the transaction; `false` when another instance has it.
pub async fn try_lock(conn: &mut AsyncPgConnection) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = Bool)]
        locked: bool,
    }
    diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
        .bind::<BigInt, _>(MAIL_LOCK)
        .get_result::<Locked>(conn)
        .await
        .map(|l| l.locked)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct MailEvent {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = SqlUuid)]
    pub event_id: Uuid,
    #[diesel(sql_type = Text)]
    pub event_type: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub shoutout_id: Option<Uuid>,
}

/// Events the mail fan-out has not read, oldest first.
pub async fn unmailed_events(
    conn: &mut AsyncPgConnection,
    limit: i64,
) -> QueryResult<Vec<MailEvent>> {
    diesel::sql_query(
        "SELECT id, event_id, event_type, shoutout_id FROM outbox_events \
         WHERE mailed_at IS NULL ORDER BY id LIMIT $1",
    )
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

/// Marks events read by the mail fan-out. Their rows are locked in id order first, the order in
/// which the webhook fan-out updates them one by one: a plain `UPDATE ... WHERE id = ANY` locks
/// in the order its scan meets the rows, which is the table's physical order once updates have
/// moved rows, and the two fan-outs then waited on each other ("deadlock detected").
pub async fn mark_mailed(conn: &mut AsyncPgConnection, ids: &[i64]) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE outbox_events SET mailed_at = now() WHERE id IN \
         (SELECT id FROM outbox_events WHERE id = ANY($1) ORDER BY id FOR UPDATE)",
    )
    .bind::<Array<BigInt>, _>(ids)
    .execute(conn)
    .await
    .map(drop)
}

/// A mail to queue, rendered.
pub struct NewMail<'a> {
    pub kind: &'a str,
    pub dedupe_key: String,
    pub employee_id: Option<Uuid>,
    pub to_address: &'a str,
    pub shoutout_id: Option<Uuid>,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: &'a str,
    pub unsubscribe_url: Option<&'a str>,
}

/// Queues a mail; `false` when this kind of mail with this key was queued before (by this
/// instance or another): the unique key is what sends it once.
pub async fn queue(conn: &mut AsyncPgConnection, mail: &NewMail<'_>) -> QueryResult<bool> {
    let inserted = diesel::insert_into(mail_messages::table)
        .values((
            mail_messages::kind.eq(mail.kind),
            mail_messages::dedupe_key.eq(&mail.dedupe_key),
            mail_messages::employee_id.eq(mail.employee_id),
            mail_messages::to_address.eq(Some(mail.to_address)),
            mail_messages::shoutout_id.eq(mail.shoutout_id),
            mail_messages::subject.eq(mail.subject),
            mail_messages::text_body.eq(mail.text_body),
            mail_messages::html_body.eq(mail.html_body),
            mail_messages::unsubscribe_url.eq(mail.unsubscribe_url),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(inserted == 1)
}

pub async fn is_queued(
    conn: &mut AsyncPgConnection,
    kind: &str,
    dedupe_key: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        mail_messages::table
            .filter(mail_messages::kind.eq(kind))
            .filter(mail_messages::dedupe_key.eq(dedupe_key)),
    ))
    .get_result(conn)
    .await
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_messages)]
pub struct MailRow {
    pub id: i64,
    pub kind: String,
    pub to_address: Option<String>,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub unsubscribe_url: Option<String>,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
}

/// Claims due mails for `lease`: first cancels those whose shout-out is no longer published
/// (retracted before its mail went out), then takes the rest with `SKIP LOCKED`, so two
/// instances never send one mail at once.
///
/// Every statement here that writes several mails locks them in id order first, as every other
/// writer of the queue does (`release`, `cancel_for_shoutout`, erasure): in the order a scan
/// meets them, a mail rewritten since it was queued (leased, retried) comes after later ones,
/// and two writers each holding a row the other wants is a deadlock that PostgreSQL ends by
/// failing one of them.
pub async fn claim_due(
    conn: &mut AsyncPgConnection,
    owner: Uuid,
    lease: std::time::Duration,
    limit: i64,
) -> QueryResult<Vec<MailRow>> {
    diesel::sql_query(
        "UPDATE mail_messages SET status = 'cancelled', completed_at = now(), \
                last_error = 'the shout-out is no longer published', \
                to_address = CASE WHEN kind = 'customer_thanks' THEN NULL ELSE to_address END \
         WHERE id IN (SELECT m.id FROM mail_messages m JOIN shoutouts s ON s.id = m.shoutout_id \
                      WHERE m.status = 'pending' \
                        AND m.kind IN ('thanked', 'manager_copy', 'customer_thanks') \
                        AND s.status <> 'published' AND m.next_attempt_at <= now() \
                      ORDER BY m.id FOR UPDATE OF m)",
    )
    .execute(conn)
    .await?;
    #[derive(QueryableByName)]
    struct Claimed {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let ids: Vec<i64> = diesel::sql_query(
        "UPDATE mail_messages SET leased_until = now() + $2 * interval '1 millisecond', lease_owner = $1 \
         WHERE id IN (SELECT id FROM mail_messages \
                      WHERE status = 'pending' AND next_attempt_at <= now() \
                        AND (leased_until IS NULL OR leased_until < now()) \
                      ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) \
         RETURNING id",
    )
    .bind::<SqlUuid, _>(owner)
    .bind::<BigInt, _>(lease.as_millis() as i64)
    .bind::<BigInt, _>(limit)
    .load::<Claimed>(conn)
    .await?
    .into_iter()
    .map(|c| c.id)
    .collect();
    mail_messages::table
        .filter(mail_messages::id.eq_any(&ids))
        .order(mail_messages::id)
        .select(MailRow::as_select())
        .load(conn)
        .await
}

/// What became of one attempt.
#[derive(Debug, Clone)]
pub enum Outcome {
    Sent,
    RetryAt(DateTime<Utc>, String),
    Failed(String),
}

/// Records an attempt by the lease's owner. A customer's address is not kept once their one
/// mail is done with.
pub async fn record(
    conn: &mut AsyncPgConnection,
    id: i64,
    owner: Uuid,
    outcome: &Outcome,
) -> QueryResult<()> {
    let (status, next, error): (&str, Option<DateTime<Utc>>, Option<&str>) = match outcome {
        Outcome::Sent => ("sent", None, None),
        Outcome::RetryAt(at, e) => ("pending", Some(*at), Some(e)),
        Outcome::Failed(e) => ("failed", None, Some(e)),
    };
    diesel::sql_query(
        "UPDATE mail_messages SET status = $3, attempts = attempts + 1, \
                next_attempt_at = coalesce($4, next_attempt_at), last_error = $5, \
                leased_until = NULL, lease_owner = NULL, \
                completed_at = CASE WHEN $3 = 'pending' THEN NULL ELSE now() END, \
                to_address = CASE WHEN kind = 'customer_thanks' AND $3 <> 'pending' THEN NULL \
                                  ELSE to_address END \
         WHERE id = $1 AND lease_owner = $2 AND status = 'pending'",
    )
    .bind::<BigInt, _>(id)
    .bind::<SqlUuid, _>(owner)
    .bind::<Text, _>(status)
    .bind::<Nullable<Timestamptz>, _>(next)
    .bind::<Nullable<Text>, _>(error)
    .execute(conn)
    .await
    .map(drop)
}

/// Cancels the mails about shout-out `id` that have not gone out: it was just retracted. A mail
/// a worker is sending at this moment may still go; `still_due` narrows that to the send itself.
pub async fn cancel_for_shoutout(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE mail_messages SET status = 'cancelled', completed_at = now(), \
                last_error = 'the shout-out is no longer published', leased_until = NULL, \
                lease_owner = NULL, \
                to_address = CASE WHEN kind = 'customer_thanks' THEN NULL ELSE to_address END \
         WHERE id IN (SELECT id FROM mail_messages \
                      WHERE shoutout_id = $1 AND status = 'pending' \
                        AND kind IN ('thanked', 'manager_copy', 'customer_thanks') \
                      ORDER BY id FOR UPDATE)",
    )
    .bind::<SqlUuid, _>(id)
    .execute(conn)
    .await
}

/// Whether mail `id` is still `owner`'s to send, checked just before sending: still pending
/// under its lease, and any shout-out it tells of still published.
pub async fn still_due(conn: &mut AsyncPgConnection, id: i64, owner: Uuid) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Due {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        due: bool,
    }
    let due: Due = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM mail_messages m \
                        LEFT JOIN shoutouts s ON s.id = m.shoutout_id \
                        WHERE m.id = $1 AND m.status = 'pending' AND m.lease_owner = $2 \
                          AND (m.kind NOT IN ('thanked', 'manager_copy', 'customer_thanks') \
                               OR s.status = 'published')) AS due",
    )
    .bind::<BigInt, _>(id)
    .bind::<SqlUuid, _>(owner)
    .get_result(conn)
    .await?;
    Ok(due.due)
}

/// Gives back `owner`'s claims on mails it did not try, so the next turn takes them at once.
/// Locks them in id order (see `claim_due`): a plain `id = ANY` is met in whatever order the
/// plan reads the table.
pub async fn release(conn: &mut AsyncPgConnection, ids: &[i64], owner: Uuid) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE mail_messages SET leased_until = NULL, lease_owner = NULL \
         WHERE id IN (SELECT id FROM mail_messages WHERE id = ANY($1) AND lease_owner = $2 \
                      ORDER BY id FOR UPDATE)",
    )
    .bind::<Array<BigInt>, _>(ids)
    .bind::<SqlUuid, _>(owner)
    .execute(conn)
    .await
    .map(drop)
}

/// Cancels a customer's mail that has not gone out (their address was erased).
pub async fn cancel_customer_mail(
    conn: &mut AsyncPgConnection,
    shoutout_id: Uuid,
) -> QueryResult<()> {
    diesel::sql_query(
        "UPDATE mail_messages SET status = CASE WHEN status = 'pending' THEN 'cancelled' ELSE status END, \
                completed_at = coalesce(completed_at, now()), to_address = NULL \
         WHERE kind = 'customer_thanks' AND shoutout_id = $1",
    )
    .bind::<SqlUuid, _>(shoutout_id)
    .execute(conn)
    .await
    .map(drop)
}

/// Mails by status (for the metrics).
pub async fn queue_depth(conn: &mut AsyncPgConnection) -> QueryResult<(i64, Option<f64>)> {
    #[derive(QueryableByName)]
    struct Depth {
        #[diesel(sql_type = BigInt)]
        open: i64,
        #[diesel(sql_type = Nullable<diesel::sql_types::Double>)]
        oldest: Option<f64>,
    }
    let d: Depth = diesel::sql_query(
        "SELECT count(*) AS open, extract(epoch FROM now() - min(created_at))::float8 AS oldest \
         FROM mail_messages WHERE status = 'pending'",
    )
    .get_result(conn)
    .await?;
    Ok((d.open, d.oldest))
}

/// Someone with an address.
#[derive(Debug, Clone, QueryableByName)]
pub struct Person {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub display_name: String,
    #[diesel(sql_type = Text)]
    pub email: String,
}

/// The nearest active manager above `employee` who is not that person: their own team's
/// manager, else the parent team's, and so on up.
pub async fn manager_of(
    conn: &mut AsyncPgConnection,
    employee: Uuid,
) -> QueryResult<Option<Person>> {
    diesel::sql_query(
        "WITH RECURSIVE up AS ( \
             SELECT t.id, t.parent_id, t.manager_id, 0 AS depth FROM teams t \
             JOIN employees e ON e.team_id = t.id WHERE e.id = $1 \
           UNION ALL \
             SELECT t.id, t.parent_id, t.manager_id, up.depth + 1 FROM teams t \
             JOIN up ON t.id = up.parent_id WHERE up.depth < 64) \
         SELECT m.id, m.display_name, m.email FROM up JOIN employees m ON m.id = up.manager_id \
         WHERE m.id <> $1 AND m.active ORDER BY up.depth LIMIT 1",
    )
    .bind::<SqlUuid, _>(employee)
    .get_result(conn)
    .await
    .optional()
}

/// Active people who manage a team.
pub async fn managers(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Person>> {
    diesel::sql_query(
        "SELECT DISTINCT m.id, m.display_name, m.email FROM teams t \
         JOIN employees m ON m.id = t.manager_id WHERE m.active ORDER BY m.id",
    )
    .load(conn)
    .await
}

/// The customer's address when they ticked consent and it was not erased.
pub async fn consenting_customer(
    conn: &mut AsyncPgConnection,
    shoutout_id: Uuid,
) -> QueryResult<Option<String>> {
    use crate::schema::customer_praise as cp;
    cp::table
        .find(shoutout_id)
        .filter(cp::email_consent.eq(true))
        .select(cp::customer_email)
        .first::<Option<String>>(conn)
        .await
        .optional()
        .map(Option::flatten)
}

/// Remembers that `address` moderates this praise (a later round tells them).
pub async fn note_for_moderator(
    conn: &mut AsyncPgConnection,
    shoutout_id: Uuid,
    address: &str,
    employee_id: Option<Uuid>,
) -> QueryResult<()> {
    use crate::schema::moderation_notices as n;
    diesel::insert_into(n::table)
        .values((
            n::shoutout_id.eq(shoutout_id),
            n::address.eq(address),
            n::employee_id.eq(employee_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await
        .map(drop)
}

/// Praise a moderator was noted for, still pending.
#[derive(Debug, Clone, QueryableByName)]
pub struct Waiting {
    #[diesel(sql_type = Text)]
    pub address: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub employee_id: Option<Uuid>,
    #[diesel(sql_type = SqlUuid)]
    pub shoutout_id: Uuid,
    #[diesel(sql_type = Text)]
    pub recipient: String,
    #[diesel(sql_type = Text)]
    pub message: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub customer_name: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub received_at: DateTime<Utc>,
    #[diesel(sql_type = Bool)]
    pub told: bool,
}

/// Notices not yet told (or not yet reminded), of praise still pending; those of praise
/// decided meanwhile are closed first.
pub async fn open_notices(conn: &mut AsyncPgConnection) -> QueryResult<Vec<Waiting>> {
    diesel::sql_query(
        "UPDATE moderation_notices n SET told_at = coalesce(told_at, now()), \
                reminded_at = coalesce(reminded_at, now()) \
         FROM shoutouts s WHERE s.id = n.shoutout_id AND s.status <> 'pending' \
           AND (n.told_at IS NULL OR n.reminded_at IS NULL)",
    )
    .execute(conn)
    .await?;
    diesel::sql_query(
        "SELECT n.address, n.employee_id, n.shoutout_id, e.display_name AS recipient, s.message, \
                s.customer_name, s.created_at AS received_at, n.told_at IS NOT NULL AS told \
         FROM moderation_notices n JOIN shoutouts s ON s.id = n.shoutout_id \
         JOIN shoutout_recipients r ON r.shoutout_id = s.id JOIN employees e ON e.id = r.recipient_id \
         WHERE (n.told_at IS NULL OR n.reminded_at IS NULL) AND s.status = 'pending' \
         ORDER BY n.address, s.created_at, s.id",
    )
    .load(conn)
    .await
}

pub async fn mark_told(
    conn: &mut AsyncPgConnection,
    address: &str,
    ids: &[Uuid],
    reminder: bool,
) -> QueryResult<()> {
    let column = if reminder { "reminded_at" } else { "told_at" };
    diesel::sql_query(format!(
        "UPDATE moderation_notices SET {column} = now() WHERE address = $1 AND shoutout_id = ANY($2)"
    ))
    .bind::<Text, _>(address)
    .bind::<Array<SqlUuid>, _>(ids)
    .execute(conn)
    .await
    .map(drop)
}

/// When `address` was last sent (or queued) a mail of this kind.
pub async fn last_mail_to(
    conn: &mut AsyncPgConnection,
    kind: &str,
    address: &str,
) -> QueryResult<Option<DateTime<Utc>>> {
    mail_messages::table
        .filter(mail_messages::kind.eq(kind))
        .filter(mail_messages::to_address.eq(address))
        .select(diesel::dsl::max(mail_messages::created_at))
        .first(conn)
        .await
}

/// One line of a digest: a person and a count, by value where it applies.
#[derive(Debug, Clone, QueryableByName)]
pub struct DigestLine {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub display_name: String,
    #[diesel(sql_type = Nullable<crate::schema::sql_types::HeartValue>)]
    pub value: Option<HeartValue>,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// A manager's people: everyone active in the teams they manage and beneath, but themselves.
const TEAM_PEOPLE: &str = "people AS ( \
      SELECT DISTINCT e.id, e.display_name FROM teams t \
      CROSS JOIN LATERAL unnest(team_subtree(t.id)) AS sub(team_id) \
      JOIN employees e ON e.team_id = sub.team_id \
      WHERE t.manager_id = $1 AND e.active AND e.id <> $1)";

/// Who of a manager's people was thanked in [from, to), by value.
pub async fn digest_thanked(
    conn: &mut AsyncPgConnection,
    manager: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<DigestLine>> {
    diesel::sql_query(format!(
        "WITH {TEAM_PEOPLE} \
         SELECT p.id, p.display_name, r.value, count(*) AS count FROM people p \
         JOIN shoutout_recipients r ON r.recipient_id = p.id \
         WHERE r.status = 'published' AND r.created_at >= $2 AND r.created_at < $3 \
         GROUP BY p.id, p.display_name, r.value ORDER BY p.display_name, p.id, r.value"
    ))
    .bind::<SqlUuid, _>(manager)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(conn)
    .await
}

/// Who of a manager's people gave in [from, to). A private shout-out counts only when it
/// thanked one of the manager's people: the manager may not know of the others.
pub async fn digest_givers(
    conn: &mut AsyncPgConnection,
    manager: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<DigestLine>> {
    diesel::sql_query(format!(
        "WITH {TEAM_PEOPLE} \
         SELECT p.id, p.display_name, NULL::heart_value AS value, count(*) AS count FROM people p \
         JOIN shoutouts s ON s.giver_id = p.id \
         WHERE s.status = 'published' AND s.created_at >= $2 AND s.created_at < $3 \
           AND (s.visibility = 'public' OR EXISTS (SELECT 1 FROM shoutout_recipients r \
                JOIN people q ON q.id = r.recipient_id WHERE r.shoutout_id = s.id)) \
         GROUP BY p.id, p.display_name ORDER BY count(*) DESC, p.display_name, p.id"
    ))
    .bind::<SqlUuid, _>(manager)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(conn)
    .await
}

/// Who of a manager's people was not thanked in [since, to).
pub async fn digest_unthanked(
    conn: &mut AsyncPgConnection,
    manager: Uuid,
    since: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<DigestLine>> {
    diesel::sql_query(format!(
        "WITH {TEAM_PEOPLE} \
         SELECT p.id, p.display_name, NULL::heart_value AS value, 0::int8 AS count FROM people p \
         WHERE NOT EXISTS (SELECT 1 FROM shoutout_recipients r \
                           WHERE r.recipient_id = p.id AND r.status = 'published' \
                             AND r.created_at >= $2 AND r.created_at < $3) \
         ORDER BY p.display_name, p.id"
    ))
    .bind::<SqlUuid, _>(manager)
    .bind::<Timestamptz, _>(since)
    .bind::<Timestamptz, _>(to)
    .load(conn)
    .await
}

/// Customer praise whose address is older than the retention period.
pub async fn expired_customer_addresses(
    conn: &mut AsyncPgConnection,
    days: u32,
) -> QueryResult<Vec<Uuid>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        shoutout_id: Uuid,
    }
    diesel::sql_query(
        "SELECT shoutout_id FROM customer_praise WHERE customer_email IS NOT NULL \
           AND received_at < now() - $1 * interval '1 day' LIMIT 1000",
    )
    .bind::<Int4, _>(days as i32)
    .load::<Id>(conn)
    .await
    .map(|rows| rows.into_iter().map(|r| r.shoutout_id).collect())
}

/// Customer praise that still keeps this address.
pub async fn praise_with_address(
    conn: &mut AsyncPgConnection,
    address: &str,
) -> QueryResult<Vec<Uuid>> {
    use crate::schema::customer_praise as cp;
    cp::table
        .filter(
            diesel::dsl::sql::<Bool>("lower(customer_email) = ")
                .bind::<Text, _>(address.to_lowercase()),
        )
        .select(cp::shoutout_id)
        .load(conn)
        .await
}
