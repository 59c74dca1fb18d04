//! The Slack slash command, with requests signed exactly as Slack signs them (`v0=` hex
//! HMAC-SHA256 of `v0:{timestamp}:{body}`), and with bad, old and replayed signatures.

use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

use crate::helpers::{TestApp, expect_problem, expect_status};

const SIGNING_SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// The form Slack posts for `/shoutout {text}` typed by `user`.
fn form(user: &str, text: &str, trigger: &str) -> String {
    serde_urlencoded::to_string([
        ("token", "gIkuvaNzQIHg97ATvDxqgjtO"),
        ("team_id", "T0001"),
        ("team_domain", "example"),
        ("channel_id", "C2147483705"),
        ("channel_name", "general"),
        ("user_id", user),
        ("user_name", "someone"),
        ("command", "/shoutout"),
        ("text", text),
        ("api_app_id", "A123456"),
        ("response_url", "https://hooks.slack.com/commands/1234/5678"),
        ("trigger_id", trigger),
    ])
    .unwrap()
}

async fn send(app: &TestApp, body: &str, headers: &[(&str, String)]) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/integrations/slack/commands", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    request.send().await.unwrap()
}

async fn signed(app: &TestApp, body: &str, extra: &[(&str, String)]) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut headers = vec![
        ("x-slack-request-timestamp", now.to_string()),
        ("x-slack-signature", signature(SIGNING_SECRET, now, body)),
    ];
    headers.extend(extra.iter().cloned());
    let reply = expect_status(send(app, body, &headers).await, StatusCode::OK).await;
    assert_eq!(reply["response_type"], "ephemeral", "{reply}");
    reply
}

async fn slack_app() -> (TestApp, Uuid, Uuid) {
    let app = TestApp::spawn_with(|c| {
        c.slack_signing_secret = Some(SIGNING_SECRET.to_owned().into());
        c.daily_limit = 3;
    })
    .await;
    let (ann, _) = app.employee("ann", None).await;
    let (bob, _) = app.employee("bob", None).await;
    for (id, slack) in [(ann, "U0ANN"), (bob, "U0BOB")] {
        let response = app
            .patch(
                &format!("/api/v1/employees/{id}"),
                &app.admin_token(),
                &json!({"slack_user_id": slack}),
            )
            .await;
        let employee = expect_status(response, StatusCode::OK).await;
        assert_eq!(employee["slack_user_id"], slack);
    }
    (app, ann, bob)
}

#[tokio::test]
async fn a_signed_command_gives_a_shoutout_under_every_rule() {
    let (app, ann, bob) = slack_app().await;
    let body = form(
        "U0ANN",
        "<@U0BOB|bob> H thanks for covering my shift!",
        "1.1.a",
    );
    let reply = signed(&app, &body, &[]).await;
    let text = reply["text"].as_str().unwrap();
    assert!(text.contains("You thanked <@U0BOB>"), "{text}");
    assert!(text.contains("H · Helping others"), "{text}");
    let row = app
        .db()
        .await
        .query_one(
            "SELECT s.giver_id, r.recipient_id, s.value::text, s.message FROM shoutouts s \
             JOIN shoutout_recipients r ON r.shoutout_id = s.id",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, Uuid>(0), ann);
    assert_eq!(row.get::<_, Uuid>(1), bob);
    assert_eq!(row.get::<_, String>(2), "helping_others");
    assert_eq!(row.get::<_, String>(3), "thanks for covering my shift!");

    // Slack retries the same command (same trigger id) when we are slow: nothing new.
    let reply = signed(&app, &body, &[("x-slack-retry-num", "1".into())]).await;
    assert!(
        reply["text"].as_str().unwrap().starts_with("Already sent"),
        "{reply}"
    );
    assert_eq!(app.count("shoutouts").await, 1);

    // No value: one is suggested from the message, and said so.
    let body = form(
        "U0ANN",
        "<@U0BOB> you made the whole team stronger together",
        "1.1.b",
    );
    let reply = signed(&app, &body, &[]).await;
    assert!(
        reply["text"]
            .as_str()
            .unwrap()
            .contains("picked from your message"),
        "{reply}"
    );
    assert_eq!(app.count("shoutouts").await, 2);

    // Every rule of giving applies: no self-thanks, the daily limit.
    let reply = signed(&app, &form("U0ANN", "<@U0ANN> me!", "1.1.c"), &[]).await;
    assert!(
        reply["text"]
            .as_str()
            .unwrap()
            .contains("cannot thank yourself"),
        "{reply}"
    );
    signed(&app, &form("U0ANN", "<@U0BOB> T three", "1.1.d"), &[]).await;
    let reply = signed(&app, &form("U0ANN", "<@U0BOB> T four", "1.1.e"), &[]).await;
    assert!(
        reply["text"].as_str().unwrap().contains("daily limit"),
        "{reply}"
    );
    assert_eq!(app.count("shoutouts").await, 3);
}

#[tokio::test]
async fn bad_old_and_missing_signatures_are_refused_and_write_nothing() {
    let (app, _, _) = slack_app().await;
    let body = form("U0ANN", "<@U0BOB> H thanks", "2.2.a");
    let now = chrono::Utc::now().timestamp();
    let cases: Vec<Vec<(&str, String)>> = vec![
        vec![],
        vec![("x-slack-request-timestamp", now.to_string())],
        vec![
            ("x-slack-request-timestamp", now.to_string()),
            ("x-slack-signature", signature("another-secret", now, &body)),
        ],
        // Replayed: a genuine signature, six minutes old.
        vec![
            ("x-slack-request-timestamp", (now - 360).to_string()),
            (
                "x-slack-signature",
                signature(SIGNING_SECRET, now - 360, &body),
            ),
        ],
        // Signed for another body.
        vec![
            ("x-slack-request-timestamp", now.to_string()),
            (
                "x-slack-signature",
                signature(SIGNING_SECRET, now, "text=other"),
            ),
        ],
        vec![
            ("x-slack-request-timestamp", now.to_string()),
            ("x-slack-signature", "v0=zz".into()),
        ],
    ];
    for headers in cases {
        let response = send(&app, &body, &headers).await;
        expect_problem(response, StatusCode::UNAUTHORIZED, None).await;
    }
    assert_eq!(app.count("shoutouts").await, 0);

    // Without a signing secret the integration is off; unsigned is still unsigned.
    let off = TestApp::spawn().await;
    let signed_headers = [
        ("x-slack-request-timestamp", now.to_string()),
        ("x-slack-signature", signature(SIGNING_SECRET, now, &body)),
    ];
    let response = send(&off, &body, &signed_headers).await;
    expect_problem(response, StatusCode::NOT_FOUND, None).await;
    let response = send(&off, &body, &[]).await;
    expect_problem(response, StatusCode::UNAUTHORIZED, None).await;
}

#[tokio::test]
async fn unknown_people_and_unreadable_commands_get_a_reason_and_write_nothing() {
    let (app, _, _) = slack_app().await;
    for (user, text, says) in [
        ("U0NOBODY", "<@U0BOB> H thanks", "not linked"),
        (
            "U0ANN",
            "<@U0STRANGER> H thanks",
            "do not know <@U0STRANGER>",
        ),
        ("U0ANN", "@bob thanks", "Escape channels"),
        ("U0ANN", "", "Whom do you want to thank"),
        ("U0ANN", "<@U0BOB> H", "a few words"),
    ] {
        let reply = signed(&app, &form(user, text, &format!("3.{text}")), &[]).await;
        let reply = reply["text"].as_str().unwrap();
        assert!(reply.contains(says), "{text}: {reply}");
    }
    assert_eq!(app.count("shoutouts").await, 0);
}

#[tokio::test]
async fn slack_user_ids_are_checked_unique_and_importable() {
    let (app, ann, bob) = slack_app().await;
    let admin = app.admin_token();
    let response = app
        .patch(
            &format!("/api/v1/employees/{ann}"),
            &admin,
            &json!({"slack_user_id": "U0BOB"}),
        )
        .await;
    expect_problem(response, StatusCode::CONFLICT, Some("slack_user_id")).await;
    let response = app
        .patch(
            &format!("/api/v1/employees/{ann}"),
            &admin,
            &json!({"slack_user_id": "not-a-slack-id"}),
        )
        .await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("slack_user_id"),
    )
    .await;
    // An import sets it; a file without it leaves it as it was.
    let rows = json!([
        {"external_id": "ann", "display_name": "ann Example", "email": "ann@example.com",
         "slack_user_id": "U0ANN2"},
        {"external_id": "bob", "display_name": "bob Example", "email": "bob@example.com"},
    ]);
    expect_status(
        app.post("/api/v1/employees/import", &admin, &rows).await,
        StatusCode::OK,
    )
    .await;
    for (id, expected) in [(ann, "U0ANN2"), (bob, "U0BOB")] {
        let employee = expect_status(
            app.get(&format!("/api/v1/employees/{id}"), &admin).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(employee["slack_user_id"], expected);
    }
}
