//! Webhooks end to end: real receivers (HTTP servers started here), signatures checked by the
//! Standard Webhooks reference verifier, retries against a receiver that is down, two
//! instances on one database, and an instance killed mid-delivery.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, expect_problem, expect_status};
use crate::receiver::{Received, Receiver, verify_standard};

/// Receivers on loopback, a quick poll and a retry schedule measured in seconds.
fn quick(c: &mut shoutout::config::Config) {
    c.webhooks_allow_private = true;
    c.webhooks_poll_ms = 50;
    c.webhooks_timeout_ms = 2000;
    c.webhooks_retry_schedule = shoutout::config::Schedule(vec![Duration::from_millis(300); 8]);
}

async fn register(app: &TestApp, body: Value) -> Value {
    let response = app
        .post("/api/v1/webhooks", &app.admin_token(), &body)
        .await;
    expect_status(response, StatusCode::CREATED).await
}

async fn deliveries(app: &TestApp, id: &str, query: &str) -> Vec<Value> {
    let response = app
        .get(
            &format!("/api/v1/webhooks/{id}/deliveries?limit=100{query}"),
            &app.admin_token(),
        )
        .await;
    expect_status(response, StatusCode::OK).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn types(got: &[Received]) -> Vec<String> {
    got.iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn every_event_reaches_a_standard_endpoint_signed_as_the_reference_verifier_expects() {
    let app = TestApp::spawn_with(quick).await;
    let receiver = Receiver::start().await;
    let hook = register(
        &app,
        json!({"url": receiver.url("/all"), "description": "everything",
               "events": ["shoutout.published", "shoutout.retracted", "shoutout.cheered",
                          "praise.pending", "praise.rejected"]}),
    )
    .await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(hook["format"], "standard");
    // The secret is shown once.
    let id = hook["id"].as_str().unwrap().to_owned();
    let shown = expect_status(
        app.get(&format!("/api/v1/webhooks/{id}"), &app.admin_token())
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(shown.get("secret").is_none(), "{shown}");

    let (ann, ann_token) = app.employee("ann", None).await;
    let (bob, _) = app.employee("bob", None).await;
    let (cy, cy_token) = app.employee("cy", None).await;
    let given = app
        .shoutout(&ann_token, &[bob], "helping_others", "Thanks for the cover")
        .await;
    let shoutout_id = given["id"].as_str().unwrap().to_owned();
    expect_status(
        app.post(
            &format!("/api/v1/shoutouts/{shoutout_id}/cheers"),
            &cy_token,
            &json!({}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    expect_status(
        app.delete(
            &format!("/api/v1/shoutouts/{shoutout_id}"),
            &app.admin_token(),
        )
        .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    // Customer praise: pending, then rejected. Its e-mail must never travel.
    let handle = app.praise_handle(ann).await;
    let response = app
        .praise(
            &handle,
            "You were so patient with me",
            json!({"customer_name": "Pat", "customer_email": "pat@example.org"}),
        )
        .await;
    assert!(response.status().is_success(), "{}", response.status());
    let pending: Uuid = app
        .db()
        .await
        .query_one("SELECT id FROM shoutouts WHERE status = 'pending'", &[])
        .await
        .unwrap()
        .get(0);
    expect_status(
        app.post(
            &format!("/api/v1/shoutouts/{pending}/reject"),
            &app.admin_token(),
            &json!({"reason": "Names a customer's account number."}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // History is not news.
    let history = json!([{"created_at": "2024-05-03T10:00:00Z", "giver_external_id": "ann",
        "recipient_external_ids": ["bob"], "value": "achieving_goals", "message": "Old times"}]);
    expect_status(
        app.post("/api/v1/shoutouts/import", &app.admin_token(), &history)
            .await,
        StatusCode::OK,
    )
    .await;

    receiver.wait_for("/all", 20, |got| got.len() >= 5).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = receiver.received("/all");
    assert_eq!(
        types(&got),
        [
            "shoutout.published",
            "shoutout.cheered",
            "shoutout.retracted",
            "praise.pending",
            "praise.rejected"
        ],
        "in the order they happened, history left out"
    );
    let verified = verify_standard(&secret, &got);
    for (message, result) in got.iter().zip(&verified) {
        let payload = result.as_ref().unwrap_or_else(|e| panic!("refused: {e}"));
        assert_eq!(payload, &message.json());
        assert!(message.header("webhook-id").starts_with("msg_"));
        assert!(
            !message.body.contains("pat@example.org"),
            "{}",
            message.body
        );
        assert!(payload["timestamp"].is_string());
    }
    assert_eq!(verified[0].as_ref().unwrap()["data"]["id"], shoutout_id);
    assert_eq!(
        verified[0].as_ref().unwrap()["data"]["recipients"][0]["id"],
        bob.to_string()
    );
    assert_eq!(
        verified[1].as_ref().unwrap()["data"]["cheered_by"]["id"],
        cy.to_string()
    );
    assert_eq!(verified[2].as_ref().unwrap()["data"]["status"], "retracted");
    assert_eq!(
        verified[3].as_ref().unwrap()["data"]["giver"]["name"],
        "Pat"
    );
    // Another secret is refused by the verifier: the check is real.
    let wrong = verify_standard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &got[..1]);
    assert!(wrong[0].is_err());

    // The deliveries list says what happened, attempt by attempt (once the worker has written
    // down the last answer, a moment after the receiver had it).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let listed = loop {
        let listed = deliveries(&app, &id, "").await;
        let done = listed.len() == 5 && listed.iter().all(|d| d["status"] == "succeeded");
        if done || std::time::Instant::now() > deadline {
            break listed;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(listed.len(), 5);
    for delivery in &listed {
        assert_eq!(delivery["status"], "succeeded", "{delivery}");
        assert_eq!(delivery["attempts"][0]["status_code"], 200);
        assert!(delivery["attempts"][0]["latency_ms"].is_number());
    }
    let ids: Vec<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
    let listed_ids: Vec<&str> = listed
        .iter()
        .rev()
        .map(|d| d["message_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, listed_ids);

    // A redelivery is the same message, with the same id, signed afresh.
    let first = listed.last().unwrap()["id"].as_str().unwrap();
    expect_status(
        app.post(
            &format!("/api/v1/webhooks/{id}/deliveries/{first}/redeliver"),
            &app.admin_token(),
            &json!({}),
        )
        .await,
        StatusCode::ACCEPTED,
    )
    .await;
    let again = receiver.wait_for("/all", 10, |got| got.len() >= 6).await;
    assert_eq!(again[5].header("webhook-id"), got[0].header("webhook-id"));
    assert_eq!(again[5].body, got[0].body);
    assert!(verify_standard(&secret, &again[5..])[0].is_ok());

    // A ping.
    let ping = expect_status(
        app.post(
            &format!("/api/v1/webhooks/{id}/ping"),
            &app.admin_token(),
            &json!({}),
        )
        .await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(ping["event_type"], "webhook.ping");
    let pinged = receiver.wait_for("/all", 10, |got| got.len() >= 7).await;
    assert_eq!(pinged[6].json()["type"], "webhook.ping");
    assert!(verify_standard(&secret, &pinged[6..])[0].is_ok());

    // The metrics say how it went, once the worker has recorded the last answer (a receiver
    // has the request a moment before the worker has its 2xx written down).
    let settled = |m: &str| {
        m.contains("shoutout_webhook_attempts_total{result=\"succeeded\"} 7")
            && m.contains("shoutout_outbox_open_deliveries 0")
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let metrics = loop {
        let metrics = app
            .client
            .get(format!("{}/metrics", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if settled(&metrics) || std::time::Instant::now() > deadline {
            break metrics;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(
        metrics.contains("shoutout_webhook_attempts_total{result=\"succeeded\"} 7"),
        "{metrics}"
    );
    assert!(
        metrics.contains("shoutout_outbox_open_deliveries 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("shoutout_outbox_waiting_events 0"),
        "{metrics}"
    );
}

#[tokio::test]
async fn during_a_rotation_both_secrets_sign_and_either_verifies() {
    let app = TestApp::spawn_with(quick).await;
    let receiver = Receiver::start().await;
    let hook = register(
        &app,
        json!({"url": receiver.url("/r"), "events": ["shoutout.published"]}),
    )
    .await;
    let old = hook["secret"].as_str().unwrap().to_owned();
    let id = hook["id"].as_str().unwrap();
    let rotated = expect_status(
        app.post(
            &format!("/api/v1/webhooks/{id}/rotate-secret"),
            &app.admin_token(),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let new = rotated["secret"].as_str().unwrap().to_owned();
    assert_ne!(old, new);
    assert!(rotated["previous_secret_valid_until"].is_string());
    let (_, ann_token) = app.employee("ann", None).await;
    let (bob, _) = app.employee("bob", None).await;
    app.shoutout(
        &ann_token,
        &[bob],
        "exceeding_expectations",
        "Above and beyond",
    )
    .await;
    let got = receiver.wait_for("/r", 10, |got| !got.is_empty()).await;
    assert_eq!(got[0].header("webhook-signature").split(' ').count(), 2);
    assert!(verify_standard(&old, &got)[0].is_ok());
    assert!(verify_standard(&new, &got)[0].is_ok());
    // The audit trail records the rotation, without the secret.
    let audit = app
        .db()
        .await
        .query(
            "SELECT action, coalesce(after::text, '') FROM audit_events \
             WHERE subject_type = 'webhook_endpoints' ORDER BY id",
            &[],
        )
        .await
        .unwrap();
    let actions: Vec<String> = audit.iter().map(|r| r.get(0)).collect();
    assert_eq!(actions, ["webhook.created", "webhook.secret_rotated"]);
    assert!(
        audit
            .iter()
            .all(|r| !r.get::<_, String>(1).contains("whsec_"))
    );
}

#[tokio::test]
async fn a_receiver_down_for_a_while_gets_everything_in_order_once_it_recovers() {
    let app = TestApp::spawn_with(quick).await;
    let receiver = Receiver::start().await;
    let healthy = Receiver::start().await;
    receiver.answer("/down", 503);
    let down = register(
        &app,
        json!({"url": receiver.url("/down"), "events": ["shoutout.published"]}),
    )
    .await;
    let hook = down["id"].as_str().unwrap();
    register(
        &app,
        json!({"url": healthy.url("/up"), "events": ["shoutout.published"]}),
    )
    .await;
    let (_, ann_token) = app.employee("ann", None).await;
    let (bob, _) = app.employee("bob", None).await;
    let mut sent = Vec::new();
    for n in 0..5 {
        let given = app
            .shoutout(
                &ann_token,
                &[bob],
                "helping_others",
                &format!("Thanks #{n}"),
            )
            .await;
        sent.push(given["id"].as_str().unwrap().to_owned());
    }
    // The healthy endpoint is not held up by the failing one.
    healthy.wait_for("/up", 10, |got| got.len() == 5).await;
    // While down, only the first event is tried, again and again: order is kept.
    let tried = receiver.wait_for("/down", 10, |got| got.len() >= 3).await;
    assert!(tried.iter().all(|r| r.json()["data"]["id"] == sent[0]));
    let listed = deliveries(&app, hook, "&status=retrying").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["attempts"][0]["status_code"], 503);
    assert!(
        listed[0]["attempts"][0]["error"]
            .as_str()
            .unwrap()
            .contains("503")
    );
    let failing = expect_status(
        app.get(&format!("/api/v1/webhooks/{hook}"), &app.admin_token())
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(failing["failing_since"].is_string());

    receiver.answer("/down", 204);
    let before = receiver.received("/down").len();
    let got = receiver
        .wait_for("/down", 10, |got| got.len() >= before + 5)
        .await;
    let after: Vec<String> = got[before..]
        .iter()
        .map(|r| r.json()["data"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(after, sent, "everything, in order");
    // The receiver has the last request a moment before the worker has its 2xx written down.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let listed = loop {
        let listed = deliveries(&app, hook, "&status=succeeded").await;
        if listed.len() >= 5 || std::time::Instant::now() > deadline {
            break listed;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(listed.len(), 5);
}

#[tokio::test]
async fn a_delivery_dies_after_its_schedule_and_endpoints_are_disabled_by_410_or_a_day_of_failures()
{
    let app = TestApp::spawn_with(|c| {
        quick(c);
        c.webhooks_retry_schedule = shoutout::config::Schedule(vec![Duration::from_millis(200)]);
        c.webhooks_disable_after_secs = 3600;
    })
    .await;
    let receiver = Receiver::start().await;
    receiver.answer("/dead", 500);
    receiver.answer("/gone", 410);
    let dead = register(
        &app,
        json!({"url": receiver.url("/dead"), "events": ["shoutout.published"]}),
    )
    .await;
    let gone = register(
        &app,
        json!({"url": receiver.url("/gone"), "events": ["shoutout.published"]}),
    )
    .await;
    let (_, ann_token) = app.employee("ann", None).await;
    let (bob, _) = app.employee("bob", None).await;
    app.shoutout(&ann_token, &[bob], "helping_others", "One")
        .await;
    // Two attempts (the first and one retry), then dead.
    receiver.wait_for("/dead", 10, |got| got.len() == 2).await;
    let dead_id = dead["id"].as_str().unwrap();
    let mut listed = Vec::new();
    for _ in 0..50 {
        listed = deliveries(&app, dead_id, "&status=dead").await;
        if !listed.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(listed.len(), 1, "the delivery is dead and visible");
    assert_eq!(listed[0]["attempts"].as_array().unwrap().len(), 2);
    // Redelivered once the receiver is back.
    receiver.answer("/dead", 200);
    let delivery = listed[0]["id"].as_str().unwrap();
    expect_status(
        app.post(
            &format!("/api/v1/webhooks/{dead_id}/deliveries/{delivery}/redeliver"),
            &app.admin_token(),
            &json!({}),
        )
        .await,
        StatusCode::ACCEPTED,
    )
    .await;
    receiver.wait_for("/dead", 10, |got| got.len() == 3).await;

    // 410 Gone disables at once, and says so in the API and the audit trail.
    receiver.wait_for("/gone", 10, |got| !got.is_empty()).await;
    let gone_id = gone["id"].as_str().unwrap();
    let mut shown = Value::Null;
    for _ in 0..50 {
        shown = expect_status(
            app.get(&format!("/api/v1/webhooks/{gone_id}"), &app.admin_token())
                .await,
            StatusCode::OK,
        )
        .await;
        if shown["enabled"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(shown["enabled"], false, "{shown}");
    assert!(shown["disabled_reason"].as_str().unwrap().contains("410"));
    let actor: String = app
        .db()
        .await
        .query_one(
            "SELECT actor FROM audit_events WHERE action = 'webhook.disabled' AND subject_id = $1",
            &[&gone_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(actor, "shoutout:webhooks");
    // Nothing more is sent to it; enabling it resumes where it stopped.
    app.shoutout(&ann_token, &[bob], "helping_others", "Two")
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received("/gone").len(), 1);
    receiver.answer("/gone", 200);
    expect_status(
        app.patch(
            &format!("/api/v1/webhooks/{gone_id}"),
            &app.admin_token(),
            &json!({"enabled": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let got = receiver.wait_for("/gone", 10, |got| got.len() == 2).await;
    assert_eq!(got[1].json()["data"]["message"], "One");

    // A day of failures (here: a second) disables an endpoint too.
    let app = TestApp::spawn_with(|c| {
        quick(c);
        c.webhooks_disable_after_secs = 1;
    })
    .await;
    receiver.answer("/flaky", 500);
    let flaky = register(
        &app,
        json!({"url": receiver.url("/flaky"), "events": ["shoutout.published"]}),
    )
    .await;
    let (_, ann_token) = app.employee("ann", None).await;
    let (bob, _) = app.employee("bob", None).await;
    app.shoutout(&ann_token, &[bob], "helping_others", "Three")
        .await;
    let flaky_id = flaky["id"].as_str().unwrap();
    for _ in 0..100 {
        shown = expect_status(
            app.get(&format!("/api/v1/webhooks/{flaky_id}"), &app.admin_token())
                .await,
            StatusCode::OK,
        )
        .await;
        if shown["enabled"] == false {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(shown["enabled"], false, "{shown}");
    assert!(
        shown["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("failed")
    );
}

#[tokio::test]
async fn two_instances_deliver_each_event_once_per_endpoint() {
    let app = TestApp::spawn_with(|c| {
        quick(c);
        c.daily_limit = 1000;
    })
    .await;
    let other = app.spawn_beside(|_| {}).await;
    let receiver = Receiver::start().await;
    for path in ["/a", "/b", "/c"] {
        register(
            &app,
            json!({"url": receiver.url(path), "events": ["shoutout.published"]}),
        )
        .await;
    }
    let (_, ann_token) = app.employee("ann", None).await;
    let (bob, _) = app.employee("bob", None).await;
    let total = 40;
    for n in 0..total {
        let instance = if n % 2 == 0 { &app } else { &other };
        instance
            .shoutout(&ann_token, &[bob], "helping_others", &format!("Thanks {n}"))
            .await;
    }
    for path in ["/a", "/b", "/c"] {
        receiver.wait_for(path, 30, |got| got.len() >= total).await;
    }
    tokio::time::sleep(Duration::from_millis(1000)).await;
    for path in ["/a", "/b", "/c"] {
        let got = receiver.received(path);
        let mut seen: HashMap<String, usize> = HashMap::new();
        for r in &got {
            *seen.entry(r.header("webhook-id").to_owned()).or_default() += 1;
        }
        assert_eq!(seen.len(), total, "{path}: every event");
        assert!(
            seen.values().all(|&n| n == 1),
            "{path}: each once: {seen:?}"
        );
        let messages: Vec<String> = got
            .iter()
            .map(|r| r.json()["data"]["message"].as_str().unwrap().to_owned())
            .collect();
        let expected: Vec<String> = (0..total).map(|n| format!("Thanks {n}")).collect();
        assert_eq!(messages, expected, "{path}: in order");
    }
}

#[tokio::test]
async fn killing_an_instance_mid_delivery_loses_nothing() {
    let receiver = Receiver::start().await;
    // The first instance: the real binary, with its own workers.
    let app = TestApp::spawn_with(|c| {
        quick(c);
        c.webhooks_workers = 0;
    })
    .await;
    let hook = register(
        &app,
        json!({"url": receiver.url("/slow"), "events": ["shoutout.published"]}),
    )
    .await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    receiver.delay("/slow", 30_000);
    let (mut child, _) = crate::faults::start_server(
        &app.database_url,
        &[
            ("SHOUTOUT_WEBHOOKS_ALLOW_PRIVATE", "true"),
            ("SHOUTOUT_WEBHOOKS_POLL_MS", "50"),
            ("SHOUTOUT_WEBHOOKS_TIMEOUT_MS", "1000"),
        ],
    );
    let (_, ann_token) = app.employee("ann", None).await;
    let (bob, _) = app.employee("bob", None).await;
    let given = app
        .shoutout(&ann_token, &[bob], "helping_others", "Kept")
        .await;
    // The binary has sent it and waits for the answer: killed now, as by a crash.
    receiver.wait_for("/slow", 20, |got| !got.is_empty()).await;
    child.kill().unwrap();
    child.wait().unwrap();
    receiver.delay("/slow", 0);
    // An instance that survives takes over once the dead one's claim lapses.
    let _survivor = app
        .spawn_beside(|c| {
            c.webhooks_workers = 2;
        })
        .await;
    let got = receiver.wait_for("/slow", 30, |got| got.len() >= 2).await;
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    assert_eq!(got[1].json()["data"]["id"], given["id"]);
    assert!(verify_standard(&secret, &got[1..2])[0].is_ok());
    let id = hook["id"].as_str().unwrap();
    let mut listed = Vec::new();
    for _ in 0..50 {
        listed = deliveries(&app, id, "&status=succeeded").await;
        if !listed.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn slack_and_teams_channels_get_readable_messages_and_nothing_unpublished() {
    let app = TestApp::spawn_with(|c| {
        quick(c);
        c.shoutout_link = Some("https://intranet.example.com/shoutouts/{id}".into());
    })
    .await;
    let receiver = Receiver::start().await;
    register(
        &app,
        json!({"url": receiver.url("/slack"), "format": "slack",
               "events": ["shoutout.published", "shoutout.cheered"]}),
    )
    .await;
    register(
        &app,
        json!({"url": receiver.url("/teams"), "format": "teams", "events": ["shoutout.published"]}),
    )
    .await;
    // A channel is refused what is not public.
    let response = app
        .post(
            "/api/v1/webhooks",
            &app.admin_token(),
            &json!({"url": receiver.url("/x"), "format": "slack",
                    "events": ["shoutout.published", "praise.pending"]}),
        )
        .await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("events[1]"),
    )
    .await;

    let (ann, ann_token) = app.employee("ann", None).await;
    let (bob, _) = app.employee("bob", None).await;
    // Pending praise goes to no channel; the staff shout-out does.
    let handle = app.praise_handle(ann).await;
    let response = app.praise(&handle, "Lovely service <3", json!({})).await;
    assert!(response.status().is_success());
    let given = app
        .shoutout(
            &ann_token,
            &[bob],
            "responding_with_care",
            "Calm & kind <on the phone>",
        )
        .await;
    let slack = receiver.wait_for("/slack", 10, |got| !got.is_empty()).await;
    let teams = receiver.wait_for("/teams", 10, |got| !got.is_empty()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received("/slack").len(), 1);
    let body = slack[0].json();
    let text = body["blocks"][0]["text"]["text"].as_str().unwrap();
    assert!(
        text.contains("*ann Example* thanked *bob Example*"),
        "{text}"
    );
    assert!(
        text.contains(">Calm &amp; kind &lt;on the phone&gt;"),
        "{text}"
    );
    assert_eq!(
        body["blocks"][1]["elements"][0]["text"],
        "*R · Responding with care*"
    );
    let id = given["id"].as_str().unwrap();
    assert_eq!(
        body["blocks"][2]["elements"][0]["url"],
        format!("https://intranet.example.com/shoutouts/{id}")
    );
    let card = &teams[0].json()["attachments"][0]["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["body"][1]["text"], "ann Example thanked bob Example");
    assert_eq!(card["body"][2]["text"], "Calm & kind <on the phone>");
}

#[tokio::test]
async fn filters_narrow_by_team_subtree_value_and_source() {
    let app = TestApp::spawn_with(quick).await;
    let receiver = Receiver::start().await;
    let support = app.team("Support", None).await;
    let tier1 = app.team("Tier 1", Some(support)).await;
    let sales = app.team("Sales", None).await;
    register(
        &app,
        json!({"url": receiver.url("/support"), "events": ["shoutout.published"],
               "filter": {"team_id": support, "values": ["helping_others", "achieving_goals"],
                          "sources": ["staff"]}}),
    )
    .await;
    let (_, ann_token) = app.employee("ann", Some(tier1)).await;
    let (bea, _) = app.employee("bea", Some(tier1)).await;
    let (sam, _) = app.employee("sam", Some(sales)).await;
    app.shoutout(&ann_token, &[sam], "helping_others", "to sales")
        .await;
    app.shoutout(&ann_token, &[bea], "exceeding_expectations", "wrong value")
        .await;
    app.shoutout(&ann_token, &[bea], "achieving_goals", "wanted")
        .await;
    let got = receiver
        .wait_for("/support", 10, |got| !got.is_empty())
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received("/support").len(), 1);
    assert_eq!(got[0].json()["data"]["message"], "wanted");
}

#[tokio::test]
async fn endpoints_are_checked_and_only_admins_manage_them() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token();
    for (body, field) in [
        (
            json!({"url": "http://127.0.0.1:9/x", "events": ["shoutout.published"]}),
            "url",
        ),
        (
            json!({"url": "https://10.0.0.8/x", "events": ["shoutout.published"]}),
            "url",
        ),
        (
            json!({"url": "https://[::1]/x", "events": ["shoutout.published"]}),
            "url",
        ),
        (
            json!({"url": "http://169.254.169.254/latest", "events": ["shoutout.published"]}),
            "url",
        ),
        (
            json!({"url": "https://localhost/x", "events": ["shoutout.published"]}),
            "url",
        ),
        (
            json!({"url": "https://u:p@hooks.example.com/", "events": ["shoutout.published"]}),
            "url",
        ),
        (
            json!({"url": "ftp://hooks.example.com/", "events": ["shoutout.published"]}),
            "url",
        ),
        (
            json!({"url": "https://hooks.example.com/", "events": []}),
            "events",
        ),
        (
            json!({"url": "https://hooks.example.com/", "events": ["shoutout.deleted"]}),
            "events[0]",
        ),
        // The document allows five (there are five kinds); the same one six times is not five.
        (
            json!({"url": "https://hooks.example.com/", "events": vec!["praise.pending"; 6]}),
            "events",
        ),
        (
            json!({"url": "https://hooks.example.com/", "events": ["shoutout.published"], "format": "email"}),
            "format",
        ),
        (
            json!({"url": "https://hooks.example.com/", "events": ["shoutout.published"],
                "filter": {"team_id": Uuid::now_v7()}}),
            "filter.team_id",
        ),
        (
            json!({"url": "https://hooks.example.com/", "events": ["shoutout.published"],
                "filter": {"values": []}}),
            "filter.values",
        ),
        (
            json!({"url": "https://hooks.example.com/", "events": ["shoutout.published"],
                "filter": {"colour": "red"}}),
            "filter",
        ),
        // serde would read a filter from a positional array, as if its members were named.
        (
            json!({"url": "https://hooks.example.com/", "events": ["shoutout.published"],
                "filter": [null, ["helping_others"]]}),
            "filter",
        ),
        (
            json!({"url": "https://hooks.example.com/", "events": ["shoutout.published"],
                "filter": {"values": ["kindness"]}}),
            "filter.values[0]",
        ),
    ] {
        let response = app.post("/api/v1/webhooks", &admin, &body).await;
        let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, None).await;
        let fields: Vec<&str> = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.iter().any(|f| f.starts_with(field)),
            "{body}: expected {field}, got {problem}"
        );
    }
    assert_eq!(
        app.count("webhook_endpoints").await,
        0,
        "nothing half-written"
    );

    let (_, employee) = app.employee("ann", None).await;
    let body = json!({"url": "https://hooks.example.com/", "events": ["shoutout.published"]});
    let response = app.post("/api/v1/webhooks", &employee, &body).await;
    expect_problem(response, StatusCode::FORBIDDEN, None).await;
    let hook = register(&app, body).await;
    let id = hook["id"].as_str().unwrap();
    let response = app.get("/api/v1/webhooks", &employee).await;
    expect_problem(response, StatusCode::FORBIDDEN, None).await;
    let listed = expect_status(app.get("/api/v1/webhooks", &admin).await, StatusCode::OK).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(listed["items"][0].get("secret").is_none());
    // A change is checked like a creation.
    let response = app
        .patch(
            &format!("/api/v1/webhooks/{id}"),
            &admin,
            &json!({"format": "teams", "events": ["praise.rejected"]}),
        )
        .await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("events[0]"),
    )
    .await;
    let changed = expect_status(
        app.patch(
            &format!("/api/v1/webhooks/{id}"),
            &admin,
            &json!({"description": "Intranet", "filter": {"sources": ["customer"]}}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(changed["description"], "Intranet");
    assert_eq!(changed["filter"]["sources"], json!(["customer"]));
    // Found by the fuzzer: a filter sent as an array was taken, as a filter of nothing, and
    // six events where the document allows five.
    for (body, field) in [
        (json!({"filter": [null, null]}), "filter"),
        (json!({"events": vec!["praise.pending"; 6]}), "events"),
    ] {
        let response = app
            .patch(&format!("/api/v1/webhooks/{id}"), &admin, &body)
            .await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let kept = expect_status(
        app.get(&format!("/api/v1/webhooks/{id}"), &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(kept["filter"]["sources"], json!(["customer"]), "unchanged");
    assert_eq!(kept["events"], json!(["shoutout.published"]), "unchanged");
    let missing = Uuid::now_v7();
    for response in [
        app.get(&format!("/api/v1/webhooks/{missing}"), &admin)
            .await,
        app.get(&format!("/api/v1/webhooks/{missing}/deliveries"), &admin)
            .await,
        app.post(
            &format!("/api/v1/webhooks/{missing}/ping"),
            &admin,
            &json!({}),
        )
        .await,
        app.post(
            &format!("/api/v1/webhooks/{id}/deliveries/{missing}/redeliver"),
            &admin,
            &json!({}),
        )
        .await,
    ] {
        expect_problem(response, StatusCode::NOT_FOUND, None).await;
    }
    expect_status(
        app.delete(&format!("/api/v1/webhooks/{id}"), &admin).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    expect_problem(
        app.delete(&format!("/api/v1/webhooks/{id}"), &admin).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
}

#[tokio::test]
async fn internal_addresses_are_refused_where_the_connection_is_made() {
    // An endpoint whose name resolves to loopback only later (DNS rebinding): stored directly,
    // as if its name had pointed elsewhere when it was registered.
    let app = TestApp::spawn_with(|c| {
        quick(c);
        c.webhooks_allow_private = false;
    })
    .await;
    let receiver = Receiver::start().await;
    let url = receiver.url("/internal").replace("127.0.0.1", "localhost");
    let hook = register(
        &app,
        json!({"url": "https://hooks.example.com/", "events": ["shoutout.published"]}),
    )
    .await;
    let id: Uuid = hook["id"].as_str().unwrap().parse().unwrap();
    app.db()
        .await
        .execute(
            "UPDATE webhook_endpoints SET url = $1 WHERE id = $2",
            &[&url, &id],
        )
        .await
        .unwrap();
    let (_, ann_token) = app.employee("ann", None).await;
    let (bob, _) = app.employee("bob", None).await;
    app.shoutout(&ann_token, &[bob], "helping_others", "Hi")
        .await;
    let mut listed = Vec::new();
    for _ in 0..100 {
        listed = deliveries(&app, &id.to_string(), "&status=retrying").await;
        if !listed.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let error = listed[0]["attempts"][0]["error"].as_str().unwrap();
    assert!(error.contains("internal addresses"), "{error}");
    assert!(receiver.received("/internal").is_empty());
}

#[tokio::test]
async fn deleting_an_endpoint_while_its_deliveries_are_sent_never_fails() {
    let app = TestApp::spawn_with(|c| {
        quick(c);
        c.daily_limit = 1000;
    })
    .await;
    let receiver = Receiver::start().await;
    // A receiver that answers a little late, so that deletes meet deliveries in flight.
    receiver.delay("/busy", 20);
    let (_, ann_token) = app.employee("ann", None).await;
    let (bob, _) = app.employee("bob", None).await;
    for round in 0..5 {
        let hook = register(
            &app,
            json!({"url": receiver.url("/busy"), "events": ["shoutout.published"]}),
        )
        .await;
        for n in 0..10 {
            app.shoutout(
                &ann_token,
                &[bob],
                "helping_others",
                &format!("{round}.{n}"),
            )
            .await;
        }
        receiver
            .wait_for("/busy", 10, |got| got.len() > round * 10)
            .await;
        let id = hook["id"].as_str().unwrap();
        let response = app
            .delete(&format!("/api/v1/webhooks/{id}"), &app.admin_token())
            .await;
        expect_status(response, StatusCode::NO_CONTENT).await;
    }
    assert_eq!(app.count("webhook_endpoints").await, 0);
    assert_eq!(app.count("webhook_deliveries").await, 0);
    // The workers carry on: a new endpoint gets what comes next.
    let hook = register(
        &app,
        json!({"url": receiver.url("/after"), "events": ["shoutout.published"]}),
    )
    .await;
    assert!(hook["id"].is_string());
    app.shoutout(&ann_token, &[bob], "helping_others", "after")
        .await;
    receiver.wait_for("/after", 10, |got| !got.is_empty()).await;
}
