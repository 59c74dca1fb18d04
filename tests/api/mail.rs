//! E-mail end to end, against a real SMTP server (aiosmtpd, `tests/e2e/smtp_sink.py`): what
//! arrives (headers, both parts), once per event and person with two instances, nothing for
//! people who opted out, the customer's consent, unsubscribing without a login, retries
//! while the server fails, a retraction cancelling its mail, and a digest of a fixed week.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, expect_problem, expect_status, id_of, scratch_dir};

/// The SMTP server, writing each mail it accepts to a folder of its own.
struct SmtpSink {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl SmtpSink {
    fn start() -> Self {
        let python = std::env::var("SHOUTOUT_TEST_PYTHON").unwrap_or_else(|_| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target/py/bin/python")
                .display()
                .to_string()
        });
        // One folder per sink: tests run side by side.
        let dir = scratch_dir("smtp").join(Uuid::new_v4().to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/smtp_sink.py");
        let mut child = Command::new(&python)
            .arg(&script)
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("running {python} (scripts/test installs it): {e}"));
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the sink prints its port");
        Self { child, dir, port }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Answers every mail with `reply` (a 4xx or 5xx line) until `None`.
    fn fail_with(&self, reply: Option<&str>) {
        let path = self.dir.join("FAIL");
        match reply {
            Some(reply) => std::fs::write(path, reply).unwrap(),
            None => {
                let _ = std::fs::remove_file(path);
            }
        }
    }

    /// Every mail accepted so far, in arrival order.
    fn mails(&self) -> Vec<Value> {
        let mut names: Vec<_> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
            .collect()
    }

    fn to(&self, address: &str) -> Vec<Value> {
        self.mails()
            .into_iter()
            .filter(|m| m["rcpt"].as_array().unwrap().iter().any(|r| r == address))
            .collect()
    }

    /// Waits (up to 20 s) until `address` has `n` mails.
    async fn wait_for(&self, address: &str, n: usize) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let got = self.to(address);
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "{address} got {} mails of {n}: {:#?}",
                got.len(),
                self.mails()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn header<'a>(mail: &'a Value, name: &str) -> Option<&'a str> {
    mail["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
        .and_then(|h| h[1].as_str())
}

/// Mail to the sink, polled quickly, retried after 300 ms.
fn mailing(sink: &SmtpSink) -> impl FnOnce(&mut shoutout::config::Config) + '_ {
    move |c| {
        c.smtp_url = Some(sink.url().into());
        c.mail_from = Some("Shoutout <shoutout@example.test>".into());
        c.mail_poll_ms = 50;
        c.mail_moderation_gather_ms = 700;
        c.mail_retry_schedule = shoutout::config::Schedule(vec![Duration::from_millis(300); 6]);
        // The worker's own digest round (at its first turn, then every ten minutes) sends a
        // manager today's digest when today is their digest day (Monday unless they chose
        // another) and the digest hour has passed. On a loaded machine on a Monday afternoon,
        // the first turn came after a test had made its manager, who got a digest beside the
        // mails the test waited for. An hour that never comes keeps the round out of every
        // test; the digest test runs its day itself (`shoutout digests --on`).
        c.mail_digest_hour = 24;
    }
}

/// The path of a link the service made (its origin is the configured public URL).
fn path_of(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    url.path().to_owned()
}

async fn manage(app: &TestApp, team: Uuid, manager: Uuid) {
    let response = app
        .patch(
            &format!("/api/v1/teams/{team}"),
            &app.admin_token(),
            &json!({"manager_id": manager}),
        )
        .await;
    expect_status(response, StatusCode::OK).await;
}

#[tokio::test]
async fn a_thanked_person_gets_one_good_mail_and_its_link_unsubscribes_without_a_login() {
    let sink = SmtpSink::start();
    let app = TestApp::spawn_with(mailing(&sink)).await;
    let team = app.team("Support", None).await;
    let (_, giver) = app.employee("gia", Some(team)).await;
    let (ana, ana_token) = app.employee("ana", Some(team)).await;
    let (bo, _) = app.employee("bo", Some(team)).await;
    let message = "Thanks for <b>staying</b> late & fixing the queue";
    let given = app
        .shoutout(&giver, &[ana], "helping_others", message)
        .await;

    let mails = sink.wait_for("ana@example.com", 1).await;
    let mail = &mails[0];
    assert_eq!(mail["content_type"], "multipart/alternative");
    assert_eq!(mail["parts"], json!(["text/plain", "text/html"]));
    assert!(header(mail, "Message-ID").unwrap().starts_with("<mail-"));
    assert!(header(mail, "Date").is_some());
    assert_eq!(header(mail, "Auto-Submitted"), Some("auto-generated"));
    assert_eq!(
        header(mail, "List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert_eq!(
        header(mail, "Subject"),
        Some("gia Example thanked you: Helping others")
    );
    let text = mail["text"].as_str().unwrap();
    let html = mail["html"].as_str().unwrap();
    assert!(text.contains(message), "{text}");
    assert!(
        text.contains(given["id"].as_str().unwrap()),
        "the link: {text}"
    );
    assert!(
        html.contains("&lt;b&gt;staying&lt;&#x2f;b&gt; late &amp; fixing"),
        "{html}"
    );
    assert!(!html.contains("<b>staying"), "{html}");
    assert!(!html.contains("<img"), "no remote images: {html}");

    // One-click: a POST with RFC 8058's body, no token.
    let link = header(mail, "List-Unsubscribe").unwrap();
    let link = link.trim_start_matches('<').trim_end_matches('>');
    assert!(text.contains(link), "the text part carries the link too");
    let page = app
        .client
        .get(format!("{}{}", app.base, path_of(link)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Unsubscribe"));
    let me = app.get("/api/v1/me/notifications", &ana_token).await;
    assert_eq!(
        expect_status(me, StatusCode::OK).await["thanked"],
        true,
        "a GET changes nothing"
    );
    let done = app
        .client
        .post(format!("{}{}", app.base, path_of(link)))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let me = app.get("/api/v1/me/notifications", &ana_token).await;
    let me = expect_status(me, StatusCode::OK).await;
    assert_eq!(me["thanked"], false);
    assert_eq!(me["digest"], true);

    // A forged or damaged link is refused.
    let forged = format!("{}x", path_of(link));
    let response = app
        .client
        .post(format!("{}{forged}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Opted out: nothing more for Ana; Bo, thanked after her, still hears (the barrier).
    app.shoutout(&giver, &[ana], "achieving_goals", "Again, thank you")
        .await;
    app.shoutout(&giver, &[bo], "achieving_goals", "Thank you too")
        .await;
    sink.wait_for("bo@example.com", 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.to("ana@example.com").len(), 1);
}

#[tokio::test]
async fn preferences_are_validated_and_a_manager_gets_copies_when_chosen() {
    let sink = SmtpSink::start();
    let app = TestApp::spawn_with(mailing(&sink)).await;
    let team = app.team("Support", None).await;
    let (boss, boss_token) = app.employee("boss", Some(team)).await;
    manage(&app, team, boss).await;
    let (_, giver) = app.employee("gia", Some(team)).await;
    let (ana, _) = app.employee("ana", Some(team)).await;

    let response = app
        .patch(
            "/api/v1/me/notifications",
            &boss_token,
            &json!({"digest_day": "someday"}),
        )
        .await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("digest_day"),
    )
    .await;
    let response = app
        .patch(
            "/api/v1/me/notifications",
            &boss_token,
            &json!({"thanked": "yes"}),
        )
        .await;
    expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("thanked")).await;
    let response = app
        .patch(
            "/api/v1/me/notifications",
            &boss_token,
            &json!({"colour": "red"}),
        )
        .await;
    assert!(response.status().is_client_error());
    let admin_only = app
        .get("/api/v1/me/notifications", &app.admin_token())
        .await;
    assert_eq!(
        admin_only.status(),
        StatusCode::FORBIDDEN,
        "not in the directory"
    );

    // Copies are off by default (SHOUTOUT_MAIL_MANAGER_COPIES): nothing for the boss.
    let me = expect_status(
        app.get("/api/v1/me/notifications", &boss_token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["manager_copies"], false);
    assert_eq!(me["digest_day"], "monday");
    app.shoutout(&giver, &[ana], "helping_others", "First")
        .await;
    sink.wait_for("ana@example.com", 1).await;

    let response = app
        .patch(
            "/api/v1/me/notifications",
            &boss_token,
            &json!({"manager_copies": true, "digest_day": "friday"}),
        )
        .await;
    let me = expect_status(response, StatusCode::OK).await;
    assert_eq!(me["manager_copies"], true);
    assert_eq!(me["digest_day"], "friday");
    assert_eq!(me["thanked"], true);
    app.shoutout(&giver, &[ana], "exceeding_expectations", "Second")
        .await;
    let copies = sink.wait_for("boss@example.com", 1).await;
    assert_eq!(
        header(&copies[0], "Subject"),
        Some("ana Example was thanked: Exceeding expectations")
    );
    assert!(copies[0]["text"].as_str().unwrap().contains("Second"));
    sink.wait_for("ana@example.com", 2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.to("boss@example.com").len(), 1, "no copy of the first");
}

#[tokio::test]
async fn two_instances_send_each_mail_once() {
    let sink = SmtpSink::start();
    let app = TestApp::spawn_with(mailing(&sink)).await;
    let other = app.spawn_beside(|_| {}).await;
    let team = app.team("Support", None).await;
    let (_, giver) = app.employee("gia", Some(team)).await;
    let mut people = Vec::new();
    for n in 0..4 {
        people.push(app.employee(&format!("p{n}"), Some(team)).await.0);
    }
    for n in 0..6 {
        let to = if n % 2 == 0 {
            &people[..2]
        } else {
            &people[2..]
        };
        let via = if n % 2 == 0 { &app } else { &other };
        via.shoutout(
            &giver,
            to,
            "thriving_through_teamwork",
            &format!("Shout-out {n}"),
        )
        .await;
    }
    // Six shout-outs to two people each: twelve mails.
    for n in 0..4 {
        sink.wait_for(&format!("p{n}@example.com"), 3).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mails = sink.mails();
    assert_eq!(mails.len(), 12, "{mails:#?}");
    let mut ids: Vec<&str> = mails
        .iter()
        .map(|m| header(m, "Message-ID").unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12);
}

#[tokio::test]
async fn a_failing_server_gets_everything_once_it_recovers_but_not_what_was_retracted() {
    let sink = SmtpSink::start();
    // Retries far enough apart that nothing is in flight while the test retracts.
    let app = TestApp::spawn_with(|c| {
        mailing(&sink)(c);
        c.mail_retry_schedule = shoutout::config::Schedule(vec![Duration::from_millis(1500); 6]);
    })
    .await;
    let team = app.team("Support", None).await;
    let (_, giver) = app.employee("gia", Some(team)).await;
    let (ana, _) = app.employee("ana", Some(team)).await;
    sink.fail_with(Some("451 4.3.0 mailbox busy, try later"));
    let kept = app
        .shoutout(&giver, &[ana], "helping_others", "Kept one")
        .await;
    let gone = app
        .shoutout(&giver, &[ana], "helping_others", "Retracted one")
        .await;
    let also = app
        .shoutout(&giver, &[ana], "helping_others", "Kept two")
        .await;
    let db = app.db().await;
    // Wait until the mails are queued and have failed at least once.
    let start = Instant::now();
    loop {
        let failed: i64 = db
            .query_one("SELECT count(*) FROM mail_messages WHERE attempts > 0", &[])
            .await
            .unwrap()
            .get(0);
        if failed == 3 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no attempt was made"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let response = app
        .delete(
            &format!("/api/v1/shoutouts/{}", gone["id"].as_str().unwrap()),
            &giver,
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    assert!(sink.mails().is_empty());
    sink.fail_with(None);
    let mails = sink.wait_for("ana@example.com", 2).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mails_now = sink.to("ana@example.com");
    assert_eq!(mails_now.len(), 2, "{mails_now:#?}");
    let texts: Vec<&str> = mails.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains(kept["id"].as_str().unwrap()))
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains(also["id"].as_str().unwrap()))
    );
    assert!(texts.iter().all(|t| !t.contains("Retracted one")));
    let cancelled: i64 = db
        .query_one(
            "SELECT count(*) FROM mail_messages WHERE status = 'cancelled' AND shoutout_id = $1",
            &[&Uuid::parse_str(gone["id"].as_str().unwrap()).unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(cancelled, 1);

    // A permanent refusal is recorded and not tried again.
    sink.fail_with(Some("550 5.1.1 no such mailbox"));
    app.shoutout(&giver, &[ana], "helping_others", "Refused")
        .await;
    let start = Instant::now();
    loop {
        let row = db
            .query_opt(
                "SELECT attempts, last_error FROM mail_messages WHERE status = 'failed'",
                &[],
            )
            .await
            .unwrap();
        if let Some(row) = row {
            assert_eq!(row.get::<_, i32>(0), 1);
            assert!(row.get::<_, String>(1).contains("550"));
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "never recorded as failed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sink.fail_with(None);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(sink.to("ana@example.com").len(), 2);
}

#[tokio::test]
async fn a_customer_hears_once_and_only_when_they_asked() {
    let sink = SmtpSink::start();
    let app = TestApp::spawn_with(mailing(&sink)).await;
    let team = app.team("Support", None).await;
    let (maria, _) = app.employee("maria", Some(team)).await;
    let handle = app.praise_handle(maria).await;

    let response = app
        .praise(
            &handle,
            "Maria sorted my refund in minutes",
            json!({"email_consent": true}),
        )
        .await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("email_consent"),
    )
    .await;

    let asked = app
        .praise(
            &handle,
            "Maria sorted my refund in minutes",
            json!({"customer_name": "Lee", "customer_email": "lee@customer.test", "email_consent": true}),
        )
        .await;
    let asked = id_of(expect_status(asked, StatusCode::ACCEPTED).await);
    let quiet = app
        .praise(
            &handle,
            "Maria was patient with my questions",
            json!({"customer_email": "kim@customer.test"}),
        )
        .await;
    let quiet = id_of(expect_status(quiet, StatusCode::ACCEPTED).await);
    let rejected = app
        .praise(
            &handle,
            "Maria is nice but this is spam",
            json!({"customer_email": "rex@customer.test", "email_consent": true}),
        )
        .await;
    let rejected = id_of(expect_status(rejected, StatusCode::ACCEPTED).await);
    for id in [asked, quiet] {
        let response = app
            .post(
                &format!("/api/v1/shoutouts/{id}/approve"),
                &app.admin_token(),
                &json!({}),
            )
            .await;
        expect_status(response, StatusCode::OK).await;
    }
    let response = app
        .post(
            &format!("/api/v1/shoutouts/{rejected}/reject"),
            &app.admin_token(),
            &json!({"reason": "spam"}),
        )
        .await;
    assert!(response.status().is_success());

    let mails = sink.wait_for("lee@customer.test", 1).await;
    assert_eq!(
        header(&mails[0], "Subject"),
        Some("Your thanks reached maria Example")
    );
    assert!(mails[0]["text"].as_str().unwrap().contains("Hello Lee"));
    sink.wait_for("maria@example.com", 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        sink.to("kim@customer.test").is_empty(),
        "no consent, no mail"
    );
    assert!(sink.to("rex@customer.test").is_empty(), "rejected: nothing");
    assert_eq!(sink.to("lee@customer.test").len(), 1);
    // The sent mail keeps no copy of the address.
    let db = app.db().await;
    let kept: i64 = db
        .query_one(
            "SELECT count(*) FROM mail_messages WHERE to_address LIKE '%customer.test'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept, 0);

    // The customer's one-click link erases their address.
    let link = header(&mails[0], "List-Unsubscribe").unwrap();
    let link = link.trim_start_matches('<').trim_end_matches('>');
    let done = app
        .client
        .post(format!("{}{}", app.base, path_of(link)))
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), StatusCode::OK);
    let left: Option<String> = db
        .query_one(
            "SELECT customer_email FROM customer_praise WHERE shoutout_id = $1",
            &[&asked],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, None);
}

#[tokio::test]
async fn moderators_are_told_in_one_batch_and_reminded_after_a_working_day() {
    let sink = SmtpSink::start();
    let app = TestApp::spawn_with(|c| {
        mailing(&sink)(c);
        c.mail_admins = vec!["admins@example.test".into()];
    })
    .await;
    let team = app.team("Support", None).await;
    let (boss, _) = app.employee("boss", Some(team)).await;
    manage(&app, team, boss).await;
    let (maria, _) = app.employee("maria", Some(team)).await;
    let (solo, _) = app.employee("solo", None).await;
    let handle = app.praise_handle(maria).await;
    for message in ["Maria was wonderful today", "Maria fixed my order twice"] {
        let response = app.praise(&handle, message, json!({})).await;
        expect_status(response, StatusCode::ACCEPTED).await;
    }
    let mails = sink.wait_for("boss@example.com", 1).await;
    let text = mails[0]["text"].as_str().unwrap();
    assert_eq!(
        header(&mails[0], "Subject"),
        Some("2 customer praises wait for you")
    );
    assert!(
        text.contains("Maria was wonderful today") && text.contains("Maria fixed my order twice")
    );
    // Nobody manages Solo: the admins hear of it.
    let solo_handle = app.praise_handle(solo).await;
    let response = app
        .praise(&solo_handle, "Solo helped at the desk", json!({}))
        .await;
    expect_status(response, StatusCode::ACCEPTED).await;
    sink.wait_for("admins@example.test", 1).await;

    // More praise within the interval waits for the next batch.
    let response = app.praise(&handle, "Maria again, great", json!({})).await;
    expect_status(response, StatusCode::ACCEPTED).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(sink.to("boss@example.com").len(), 1);

    // Praise received three working days ago is overdue: one reminder lists it.
    let db = app.db().await;
    db.execute(
        "UPDATE shoutouts SET created_at = now() - interval '6 days' \
         WHERE message = 'Maria was wonderful today'",
        &[],
    )
    .await
    .unwrap();
    let mails = sink.wait_for("boss@example.com", 2).await;
    let reminder = &mails[1];
    assert_eq!(
        header(reminder, "Subject"),
        Some("Reminder: customer praise has waited more than a working day")
    );
    let text = reminder["text"].as_str().unwrap();
    assert!(text.contains("Maria was wonderful today"));
    assert!(!text.contains("Maria fixed my order twice"));
}

#[tokio::test]
async fn a_managers_digest_tells_the_week_of_their_team() {
    let sink = SmtpSink::start();
    let app = TestApp::spawn_with(mailing(&sink)).await;
    let team = app.team("Support", None).await;
    let squad = app.team("Squad", Some(team)).await;
    let (boss, _) = app.employee("boss", Some(team)).await;
    manage(&app, team, boss).await;
    for (who, t) in [("ana", squad), ("bo", team), ("cy", team), ("out", squad)] {
        app.employee(who, Some(t)).await;
    }
    let rows = [
        // The week of Monday 3 March 2025.
        ("2025-03-03T09:00:00Z", "bo", vec!["ana"], "helping_others"),
        ("2025-03-05T09:00:00Z", "cy", vec!["ana"], "helping_others"),
        ("2025-03-09T22:00:00Z", "ana", vec!["bo"], "achieving_goals"),
        // Before and after the week: not in it.
        ("2025-03-02T23:00:00Z", "bo", vec!["cy"], "helping_others"),
        ("2025-03-10T00:00:00Z", "bo", vec!["cy"], "helping_others"),
    ];
    let body: Vec<Value> = rows
        .iter()
        .map(|(at, giver, to, value)| {
            json!({"created_at": at, "giver_external_id": giver,
                   "recipient_external_ids": to, "value": value, "message": "Thanks"})
        })
        .collect();
    let response = app
        .post("/api/v1/shoutouts/import", &app.admin_token(), &json!(body))
        .await;
    expect_status(response, StatusCode::OK).await;
    // Cy also thanked someone outside the team, privately: the manager does not hear of it.
    let elsewhere = app.team("Elsewhere", None).await;
    let (far, _) = app.employee("far", Some(elsewhere)).await;
    let db = app.db().await;
    db.batch_execute(&format!(
        "WITH s AS (INSERT INTO shoutouts (id, source, giver_id, value, message, status, created_at, visibility) \
             SELECT gen_random_uuid(), 'staff', id, 'helping_others', 'Between us', 'published', \
                    '2025-03-06T09:00:00Z', 'private' FROM employees WHERE external_id = 'cy' RETURNING id) \
         INSERT INTO shoutout_recipients (shoutout_id, recipient_id) SELECT id, '{far}' FROM s"
    ))
    .await
    .unwrap();

    let run = Command::new(env!("CARGO_BIN_EXE_shoutout"))
        .args(["digests", "--on", "2025-03-10"])
        .env("DATABASE_URL", &app.database_url)
        .env("SHOUTOUT_TIMEZONE", "UTC")
        .env(
            "SHOUTOUT_JWT_SECRET",
            "unused-here-but-required-by-config-0123456789",
        )
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(String::from_utf8_lossy(&run.stdout).contains("1 digest(s) queued"));
    let mails = sink.wait_for("boss@example.com", 1).await;
    let digest = &mails[0];
    assert_eq!(
        header(digest, "Subject"),
        Some("Your team's week in thanks, 3 March 2025 to 9 March 2025")
    );
    // The wire's line ends are CRLF.
    let text = digest["text"].as_str().unwrap().replace("\r\n", "\n");
    let section = |title: &str| -> String {
        let start = text
            .find(title)
            .unwrap_or_else(|| panic!("{title} in {text}"));
        text[start..].split("\n\n").next().unwrap().to_owned()
    };
    let thanked = section("Thanked this week:");
    assert!(
        thanked.contains("- ana Example: H Helping others (2)"),
        "{thanked}"
    );
    assert!(
        thanked.contains("- bo Example: A Achieving goals (1)"),
        "{thanked}"
    );
    assert!(!thanked.contains("cy Example"), "{thanked}");
    let givers = section("Who thanked others:");
    assert!(
        givers.contains("- bo Example: 1")
            && givers.contains("- cy Example: 1")
            && givers.contains("- ana Example: 1"),
        "{givers}"
    );
    let unthanked = section("Not thanked in the last 60 days");
    assert!(unthanked.contains("- out Example"), "{unthanked}");
    assert!(!unthanked.contains("- ana Example"), "{unthanked}");
    // Cy was thanked the night before the week: within the 60 days.
    assert!(!unthanked.contains("- cy Example"), "{unthanked}");
    let html = digest["html"].as_str().unwrap();
    assert!(html.contains("ana Example: H Helping others (2)"));

    // Run again: the same day's digest is not queued twice.
    let again = Command::new(env!("CARGO_BIN_EXE_shoutout"))
        .args(["digests", "--on", "2025-03-10"])
        .env("DATABASE_URL", &app.database_url)
        .env(
            "SHOUTOUT_JWT_SECRET",
            "unused-here-but-required-by-config-0123456789",
        )
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 digest(s) queued"));
}

/// The mail fan-out marks events read in id order, the order the webhook fan-out takes them in.
/// Marked in the order a scan met them (the table's physical order, which updates shuffle), the
/// two fan-outs each held a row the other wanted, and PostgreSQL aborted one of them.
#[tokio::test]
async fn marking_events_mailed_takes_them_in_the_webhook_fan_outs_order() {
    use diesel_async::{AsyncConnection, AsyncPgConnection};
    // Workers that stay asleep: this test plays both fan-outs itself.
    let app = TestApp::spawn_with(|c| {
        c.mail_poll_ms = 3_600_000;
        c.webhooks_poll_ms = 3_600_000;
    })
    .await;
    let db = app.db().await;
    db.batch_execute(
        "INSERT INTO webhook_endpoints (id, url, events, format, secret, created_by) \
         VALUES (gen_random_uuid(), 'https://hooks.example.org/in', \
                 ARRAY['shoutout.published'], 'standard', 'whsec_test', 'test'); \
         INSERT INTO outbox_events (event_type, endpoint_id) \
         SELECT 'webhook.ping', id FROM webhook_endpoints, generate_series(1, 50);",
    )
    .await
    .unwrap();
    let ids: Vec<i64> = db
        .query("SELECT id FROM outbox_events ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids.len(), 50);
    let (first, last) = (ids[0], ids[49]);
    // An update writes a new version of the row: the first event now lies after the others.
    db.execute(
        "UPDATE outbox_events SET actor_id = gen_random_uuid() WHERE id = $1",
        &[&first],
    )
    .await
    .unwrap();

    // The webhook fan-out, in id order, has taken the first event...
    let webhooks = app.db().await;
    webhooks.batch_execute("BEGIN").await.unwrap();
    webhooks
        .execute(
            "UPDATE outbox_events SET actor_id = NULL WHERE id = $1",
            &[&first],
        )
        .await
        .unwrap();
    // ... when the mail fan-out marks all fifty, and waits for the first ...
    let url = app.database_url.clone();
    let marking = tokio::spawn(async move {
        let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
        conn.transaction::<_, diesel::result::Error, _>(async |conn| {
            shoutout::models::mail::mark_mailed(conn, &ids).await
        })
        .await
    });
    app.until_someone_waits_for_a_lock("the mail fan-out").await;
    // ... and the webhook fan-out goes on to the last one, which must not be held.
    webhooks
        .execute(
            "UPDATE outbox_events SET actor_id = NULL WHERE id = $1",
            &[&last],
        )
        .await
        .expect("the webhook fan-out goes on");
    webhooks.batch_execute("COMMIT").await.unwrap();
    marking
        .await
        .unwrap()
        .expect("the mail fan-out marks every event");
    let mailed: i64 = db
        .query_one(
            "SELECT count(*) FROM outbox_events WHERE mailed_at IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(mailed, 50);
}

/// Two events that name `who` by id and name (frozen payloads, as the webhook fan-out leaves them), waiting for
/// mail, of which the first (by id) is rewritten so that a scan of the table meets it last.
/// `fanned_out_days_ago`: when they were fanned out, if they were.
async fn two_events_naming(
    app: &TestApp,
    who: Uuid,
    fanned_out_days_ago: Option<i32>,
) -> (i64, i64) {
    let db = app.db().await;
    db.batch_execute(
        "INSERT INTO webhook_endpoints (id, url, events, format, secret, created_by) \
         VALUES (gen_random_uuid(), 'https://hooks.example.org/in', \
                 ARRAY['shoutout.published'], 'standard', 'whsec_test', 'test')",
    )
    .await
    .unwrap();
    let ids: Vec<i64> = db
        .query(
            "INSERT INTO outbox_events (event_type, endpoint_id, payload, fanned_out_at) \
             SELECT 'webhook.ping', e.id, \
                    jsonb_build_object('recipient', jsonb_build_object( \
                        'id', p.id, 'display_name', p.display_name)), \
                    now() - $2::int4 * interval '1 day' \
             FROM webhook_endpoints e, employees p, generate_series(1, 2) \
             WHERE p.id = $1 \
             RETURNING id",
            &[&who, &fanned_out_days_ago],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    rewrite_the_first(&db, "outbox_events", "actor_id = gen_random_uuid()", &ids).await
}

/// Rewrites the first (by id) of two rows of `table` with `set`, so that a scan of the table
/// meets it after the second, and checks that it does; the two ids in id order.
async fn rewrite_the_first(
    db: &tokio_postgres::Client,
    table: &str,
    set: &str,
    ids: &[i64],
) -> (i64, i64) {
    let (first, second) = (ids[0].min(ids[1]), ids[0].max(ids[1]));
    db.execute(
        &format!("UPDATE {table} SET {set} WHERE id = $1"),
        &[&first],
    )
    .await
    .unwrap();
    let scanned: Vec<i64> = db
        .query(
            &format!("SELECT id FROM {table} WHERE id IN ($1, $2) ORDER BY ctid"),
            &[&first, &second],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        scanned,
        [second, first],
        "a scan of {table} meets the first row last"
    );
    (first, second)
}

/// The mail fan-out marks `first` and `second` mailed, in one transaction, while `other` (started
/// once the fan-out holds `first`, and left to wait for it) writes the same events; `other`'s
/// outcome. The fan-out must finish: with `other` taking the events in scan order, it held
/// `second` while waiting for `first`, the fan-out then waited for `second`, and PostgreSQL
/// aborted one of them as a deadlock.
async fn mark_mailed_beside<T>(
    app: &TestApp,
    (first, second): (i64, i64),
    other: impl std::future::Future<Output = T>,
) -> T {
    use diesel_async::{AsyncConnection, AsyncPgConnection};
    let (holding, held) = tokio::sync::oneshot::channel::<()>();
    let mut conn = AsyncPgConnection::establish(&app.database_url)
        .await
        .unwrap();
    let marking = conn.transaction::<_, diesel::result::Error, _>(async |conn| {
        shoutout::models::mail::mark_mailed(conn, &[first]).await?;
        holding.send(()).unwrap();
        app.until_someone_waits_for_a_lock("the other writer").await;
        shoutout::models::mail::mark_mailed(conn, &[first, second]).await
    });
    let other = async {
        held.await.unwrap();
        other.await
    };
    let (marked, other) = tokio::join!(marking, other);
    marked.expect("the mail fan-out marks both events");
    other
}

/// An erasure redacts the events that name the person in id order, as the mail fan-out marks
/// them (migration `erasure_lock_order`).
#[tokio::test]
async fn erasing_someone_takes_their_events_in_the_mail_fan_outs_order() {
    let app = TestApp::spawn_with(|c| {
        c.mail_poll_ms = 3_600_000;
        c.webhooks_poll_ms = 3_600_000;
    })
    .await;
    let (zed, _) = app.employee("zed", None).await;
    let events = two_events_naming(&app, zed, None).await;
    let erased = mark_mailed_beside(
        &app,
        events,
        app.post(
            &format!("/api/v1/employees/{zed}/erase"),
            &app.admin_token(),
            &json!({}),
        ),
    )
    .await;
    expect_status(erased, StatusCode::OK).await;
    let left: i64 = app
        .db()
        .await
        .query_one(
            "SELECT count(*) FROM outbox_events \
             WHERE mailed_at IS NOT NULL AND payload->'recipient'->>'id' = $1::text \
               AND payload->'recipient'->>'display_name' = 'Erased person'",
            &[&zed.to_string()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 2, "both events mailed, and neither gives the name");
}

/// Forgetting old events deletes them in id order, as the mail fan-out marks them.
#[tokio::test]
async fn forgetting_old_events_takes_them_in_the_mail_fan_outs_order() {
    use diesel_async::{AsyncConnection, AsyncPgConnection};
    let app = TestApp::spawn_with(|c| {
        c.mail_poll_ms = 3_600_000;
        c.webhooks_poll_ms = 3_600_000;
    })
    .await;
    let (zed, _) = app.employee("zed", None).await;
    let events = two_events_naming(&app, zed, Some(400)).await;
    let mut conn = AsyncPgConnection::establish(&app.database_url)
        .await
        .unwrap();
    let forgotten = mark_mailed_beside(
        &app,
        events,
        shoutout::models::webhooks::forget_older_than(&mut conn, 30),
    )
    .await;
    assert_eq!(forgotten.expect("the old events are forgotten"), 2);
    assert_eq!(app.count("outbox_events").await, 0);
}

/// Two pending, due mails to `who` about shout-out `about` (retracted), leased by `owner`, of
/// which the first (by id) is rewritten so that a scan of the table, or of an index by time or
/// shout-out, meets it last.
async fn two_mails_to(app: &TestApp, who: Uuid, about: Uuid, owner: Uuid) -> (i64, i64) {
    let db = app.db().await;
    let ids: Vec<i64> = db
        .query(
            "INSERT INTO mail_messages (kind, dedupe_key, employee_id, to_address, shoutout_id, \
                                        subject, text_body, html_body, lease_owner, leased_until) \
             SELECT 'thanked', 'lock-order-' || n, e.id, e.email, $2, 'You were thanked', \
                    'Thanks', '<p>Thanks</p>', $3, now() - interval '1 minute' \
             FROM employees e, generate_series(1, 2) n WHERE e.id = $1 \
             RETURNING id",
            &[&who, &about, &owner],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    // Not a HOT update (an indexed column changes), so every index of the queue, and the table
    // itself, now meets the first mail after the second.
    rewrite_the_first(&db, "mail_messages", "next_attempt_at = now()", &ids).await
}

/// Runs `other` while a writer that keeps id order (as the mail workers do) holds the first of
/// two mails; once `other` waits, that writer goes on to the second and commits. Without the
/// same order in `other`, it would hold the second, and PostgreSQL would abort one of the two.
async fn hold_first_mail_beside<T>(
    app: &TestApp,
    (first, second): (i64, i64),
    other: impl std::future::Future<Output = T>,
) -> T {
    let (holding, held) = tokio::sync::oneshot::channel::<()>();
    let worker = async {
        let db = app.db().await;
        db.batch_execute("BEGIN").await.unwrap();
        db.execute(
            "UPDATE mail_messages SET attempts = attempts WHERE id = $1",
            &[&first],
        )
        .await
        .unwrap();
        holding.send(()).unwrap();
        app.until_someone_waits_for_a_lock("the other writer").await;
        db.execute(
            "UPDATE mail_messages SET attempts = attempts WHERE id = $1",
            &[&second],
        )
        .await
        .expect("the worker takes the second mail: nobody holds it");
        db.batch_execute("COMMIT").await.unwrap();
    };
    let other = async {
        held.await.unwrap();
        other.await
    };
    let ((), other) = tokio::join!(worker, other);
    other
}

/// A test app with sleeping workers, a person with two mails waiting about a retracted
/// shout-out (see `two_mails_to`), and the lease's owner.
async fn two_mails_about_a_retracted_shoutout() -> (TestApp, Uuid, (i64, i64), Uuid) {
    let app = TestApp::spawn_with(|c| {
        c.mail_poll_ms = 3_600_000;
        c.webhooks_poll_ms = 3_600_000;
    })
    .await;
    let (zed, _) = app.employee("zed", None).await;
    let (_, amy) = app.employee("amy", None).await;
    let given = app
        .shoutout(&amy, &[zed], "helping_others", "Thanks for the help")
        .await;
    let id = id_of(given);
    let retracted = app.delete(&format!("/api/v1/shoutouts/{id}"), &amy).await;
    assert!(retracted.status().is_success(), "{}", retracted.status());
    let owner = Uuid::new_v4();
    let mails = two_mails_to(&app, zed, id, owner).await;
    (app, zed, mails, owner)
}

async fn statuses(app: &TestApp, (first, second): (i64, i64)) -> Vec<(String, Option<Uuid>)> {
    app.db()
        .await
        .query(
            "SELECT status, lease_owner FROM mail_messages WHERE id IN ($1, $2) ORDER BY id",
            &[&first, &second],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

/// A worker giving back the mails it did not try locks them in id order.
#[tokio::test]
async fn releasing_mails_takes_them_in_id_order() {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    let (app, _, mails, owner) = two_mails_about_a_retracted_shoutout().await;
    let mut conn = AsyncPgConnection::establish(&app.database_url)
        .await
        .unwrap();
    // A sequential scan is what a small queue gets; it meets the rows in the table's order.
    conn.batch_execute("SET enable_indexscan = off; SET enable_bitmapscan = off")
        .await
        .unwrap();
    let released = hold_first_mail_beside(
        &app,
        mails,
        shoutout::models::mail::release(&mut conn, &[mails.0, mails.1], owner),
    )
    .await;
    released.expect("both mails are given back");
    assert_eq!(
        statuses(&app, mails).await,
        [("pending".to_string(), None), ("pending".to_string(), None)]
    );
}

/// Claiming cancels the mails about shout-outs no longer published, in id order.
#[tokio::test]
async fn claiming_cancels_mails_in_id_order() {
    use diesel_async::{AsyncConnection, AsyncPgConnection};
    let (app, _, mails, _) = two_mails_about_a_retracted_shoutout().await;
    let mut conn = AsyncPgConnection::establish(&app.database_url)
        .await
        .unwrap();
    let claimed = hold_first_mail_beside(
        &app,
        mails,
        shoutout::models::mail::claim_due(
            &mut conn,
            Uuid::new_v4(),
            std::time::Duration::from_secs(60),
            10,
        ),
    )
    .await;
    assert!(claimed.expect("the claim goes through").is_empty());
    let cancelled: Vec<String> = statuses(&app, mails)
        .await
        .into_iter()
        .map(|(s, _)| s)
        .collect();
    assert_eq!(cancelled, ["cancelled", "cancelled"]);
}

/// A retraction cancels the mails about it in id order.
#[tokio::test]
async fn cancelling_a_shoutouts_mails_takes_them_in_id_order() {
    use diesel_async::{AsyncConnection, AsyncPgConnection};
    let (app, _, mails, _) = two_mails_about_a_retracted_shoutout().await;
    let about: Uuid = app
        .db()
        .await
        .query_one(
            "SELECT shoutout_id FROM mail_messages WHERE id = $1",
            &[&mails.0],
        )
        .await
        .unwrap()
        .get(0);
    let mut conn = AsyncPgConnection::establish(&app.database_url)
        .await
        .unwrap();
    let cancelled = hold_first_mail_beside(
        &app,
        mails,
        shoutout::models::mail::cancel_for_shoutout(&mut conn, about),
    )
    .await;
    assert_eq!(cancelled.expect("the mails are cancelled"), 2);
}

/// An erasure deletes the person's mails, and rewrites others' that name them, in id order
/// (migration `mail_lock_order`).
#[tokio::test]
async fn erasing_someone_takes_their_mails_in_id_order() {
    let (app, zed, mails, _) = two_mails_about_a_retracted_shoutout().await;
    // A manager's copy that names them is rewritten, not deleted; it is locked in the same
    // pass, in id order, before the deletions.
    let db = app.db().await;
    db.execute(
        "INSERT INTO mail_messages (kind, dedupe_key, to_address, subject, text_body, html_body) \
         VALUES ('manager_copy', 'lock-order-copy', 'boss@example.com', \
                 'zed Example was thanked', 'zed Example was thanked', '<p>zed Example</p>')",
        &[],
    )
    .await
    .unwrap();
    let erased = hold_first_mail_beside(
        &app,
        mails,
        app.post(
            &format!("/api/v1/employees/{zed}/erase"),
            &app.admin_token(),
            &json!({}),
        ),
    )
    .await;
    expect_status(erased, StatusCode::OK).await;
    let left: Vec<(String, String)> = db
        .query(
            "SELECT kind, subject FROM mail_messages \
             WHERE dedupe_key LIKE 'lock-order-%' ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        left,
        [(
            "manager_copy".to_string(),
            "Erased person was thanked".to_string()
        )]
    );
}
