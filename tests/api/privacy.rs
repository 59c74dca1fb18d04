//! People's control over what others see: private shout-outs, seen only by their giver, the
//! people thanked, their managers and admins, never in the public feed, walls, widgets, channel
//! posts or exports, yet counted in the recipient's totals and their manager's report.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shoutout::auth::Role;
use uuid::Uuid;

use crate::helpers::{TestApp, expect_problem, expect_status, id_of};
use crate::receiver::Receiver;

fn quick_hooks(c: &mut shoutout::config::Config) {
    c.webhooks_allow_private = true;
    c.webhooks_poll_ms = 50;
}

/// The ids in a feed page.
async fn feed_ids(app: &TestApp, token: &str) -> Vec<String> {
    let page = expect_status(
        app.get("/api/v1/shoutouts?limit=100", token).await,
        StatusCode::OK,
    )
    .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_private_shout_out_is_seen_only_by_those_it_is_for() {
    let app = TestApp::spawn_with(quick_hooks).await;
    let receiver = Receiver::start().await;
    let standard = app
        .post(
            "/api/v1/webhooks",
            &app.admin_token(),
            &json!({"url": receiver.url("/std"), "events": ["shoutout.published"]}),
        )
        .await;
    expect_status(standard, StatusCode::CREATED).await;
    let slack = app.post("/api/v1/webhooks", &app.admin_token(), &json!({"url": receiver.url("/slack"), "events": ["shoutout.published"], "format": "slack"})).await;
    expect_status(slack, StatusCode::CREATED).await;

    let care = app.team("Care", None).await;
    let sales = app.team("Sales", None).await;
    let (_ann, ann_token) = app.employee("ann", Some(care)).await; // the giver
    let (bob, bob_token) = app.employee("bob", Some(care)).await; // thanked
    let (_cat, cat_token) = app.employee("cat", Some(care)).await; // a colleague
    let (mia, _) = app.employee("mia", None).await; // Care's manager
    let (sam, _) = app.employee("sam", None).await; // Sales' manager
    for (team, manager) in [(care, mia), (sales, sam)] {
        expect_status(
            app.patch(
                &format!("/api/v1/teams/{team}"),
                &app.admin_token(),
                &json!({"manager_id": manager}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
    }
    let mia_token = app.token("mia", &[Role::Manager]);
    let sam_token = app.token("sam", &[Role::Manager]);

    let private = expect_status(
        app.post("/api/v1/shoutouts", &ann_token, &json!({"recipient_ids": [bob], "value": "responding_with_care", "message": "Thank you for the hard week", "visibility": "private"})).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(private["visibility"], "private");
    let private_id = private["id"].as_str().unwrap().to_owned();
    let public = expect_status(
        app.post("/api/v1/shoutouts", &ann_token, &json!({"recipient_ids": [bob], "value": "helping_others", "message": "Thanks for the cover"})).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(public["visibility"], "public");
    let public_id = public["id"].as_str().unwrap().to_owned();

    // Who sees it in the feed and by id.
    for (who, token, sees) in [
        ("giver", &ann_token, true),
        ("thanked", &bob_token, true),
        ("their manager", &mia_token, true),
        ("an admin", &app.admin_token(), true),
        ("a colleague", &cat_token, false),
        ("another team's manager", &sam_token, false),
    ] {
        let ids = feed_ids(&app, token).await;
        assert!(ids.contains(&public_id), "{who}");
        assert_eq!(ids.contains(&private_id), sees, "{who} in the feed");
        let one = app
            .get(&format!("/api/v1/shoutouts/{private_id}"), token)
            .await;
        let expected = if sees {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        assert_eq!(one.status(), expected, "{who} by id");
    }
    // Nor can an outsider cheer it (it does not exist for them).
    assert_eq!(
        app.post(
            &format!("/api/v1/shoutouts/{private_id}/cheers"),
            &cat_token,
            &json!({})
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );

    // A widget key reads the public feed only; the live stream never carries it.
    let key = expect_status(
        app.post(
            "/api/v1/widget-keys",
            &app.admin_token(),
            &json!({"name": "Wall", "scopes": ["feeds"]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let page: Value = app
        .client
        .get(format!("{}/api/v1/shoutouts", app.base))
        .header("X-Widget-Key", key["key"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&public_id.as_str()) && !ids.contains(&private_id.as_str()),
        "{page}"
    );
    let db = app.db().await;
    let streamed: i64 = db
        .query_one(
            "SELECT count(*) FROM stream_events WHERE shoutout_id = $1::text::uuid",
            &[&private_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(streamed, 0);

    // Channels never post it; a standard receiver gets it, marked.
    let got = receiver.wait_for("/std", 10, |got| got.len() >= 2).await;
    let marked: Vec<(String, String)> = got
        .iter()
        .map(|r| {
            let body = r.json();
            (
                body["data"]["id"].as_str().unwrap().to_owned(),
                body["data"]["visibility"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        marked.contains(&(private_id.clone(), "private".to_owned())),
        "{marked:?}"
    );
    let posted = receiver.wait_for("/slack", 10, |got| !got.is_empty()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let posted_again = receiver.wait_for("/slack", 1, |_| true).await;
    assert_eq!(
        posted.len().max(posted_again.len()),
        1,
        "only the public one reaches the channel"
    );
    assert!(!posted_again.iter().any(|r| r.body.contains("hard week")));

    // The CSV export leaves it out (an export leaves the service, where its rule no longer holds).
    let today = chrono::Utc::now().date_naive();
    let csv = app
        .get(
            &format!(
                "/api/v1/reports/shoutouts.csv?from={}&to={}",
                today - chrono::Duration::days(1),
                today + chrono::Duration::days(1)
            ),
            &app.admin_token(),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("Thanks for the cover") && !csv.contains("hard week"),
        "{csv}"
    );

    // It counts: Bob's standing and Care's report include it.
    let report = expect_status(
        app.get(
            &format!(
                "/api/v1/reports/teams/{care}?from={}&to={}",
                today - chrono::Duration::days(1),
                today + chrono::Duration::days(1)
            ),
            &mia_token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(report["totals"]["shoutouts_received"], 2, "{report}");
    let board = expect_status(
        app.get(
            "/api/v1/leaderboards/recipients?period=all_time",
            &bob_token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let entry = board["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["employee"]["id"] == bob.to_string())
        .cloned()
        .unwrap_or_default();
    assert_eq!(entry["count"], 2, "{board}");

    // A shout-out's visibility is chosen once: the database refuses to change it.
    let changed = db
        .execute(
            "UPDATE shoutouts SET visibility = 'public' WHERE id = $1::text::uuid",
            &[&private_id],
        )
        .await;
    assert!(changed.is_err());
}

#[tokio::test]
async fn a_customer_may_keep_their_praise_private_and_bad_visibility_is_named() {
    let app = TestApp::spawn().await;
    let care = app.team("Care", None).await;
    let (bob, _) = app.employee("bob", Some(care)).await;
    let (_, cat_token) = app.employee("cat", Some(care)).await;
    let handle = app.praise_handle(bob).await;
    let sent = app
        .praise(
            &handle,
            "You fixed my broadband after three other calls failed",
            json!({"visibility": "private", "value": "exceeding_expectations"}),
        )
        .await;
    let id = id_of(expect_status(sent, StatusCode::ACCEPTED).await);
    expect_status(
        app.post(
            &format!("/api/v1/shoutouts/{id}/approve"),
            &app.admin_token(),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let one = expect_status(
        app.get(&format!("/api/v1/shoutouts/{id}"), &app.admin_token())
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (one["status"].as_str(), one["visibility"].as_str()),
        (Some("published"), Some("private"))
    );
    assert!(!feed_ids(&app, &cat_token).await.contains(&id.to_string()));
    assert_eq!(
        app.get(&format!("/api/v1/shoutouts/{id}"), &cat_token)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // An unknown visibility is a 422 naming it.
    let (_, ann_token) = app.employee("ann", Some(care)).await;
    expect_problem(
        app.post("/api/v1/shoutouts", &ann_token, &json!({"recipient_ids": [bob], "value": "helping_others", "message": "x", "visibility": "secret"})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("visibility"),
    )
    .await;
}

#[tokio::test]
async fn a_person_gets_everything_held_about_them_streamed() {
    let app = TestApp::spawn().await;
    let care = app.team("Care", None).await;
    let (ann, ann_token) = app.employee("ann", Some(care)).await;
    let (bob, bob_token) = app.employee("bob", Some(care)).await;
    expect_status(
        app.patch(
            "/api/v1/me/notifications",
            &ann_token,
            &json!({"digest": false}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let private = expect_status(
        app.post("/api/v1/shoutouts", &bob_token, &json!({"recipient_ids": [ann], "value": "helping_others", "message": "Only for you", "visibility": "private"})).await,
        StatusCode::CREATED,
    )
    .await;
    let from_ann = expect_status(
        app.post("/api/v1/shoutouts", &ann_token, &json!({"recipient_ids": [bob], "value": "achieving_goals", "message": "Great quarter"})).await,
        StatusCode::CREATED,
    )
    .await;
    let (_, cat_token) = app.employee("cat", Some(care)).await;
    expect_status(
        app.post(
            &format!(
                "/api/v1/shoutouts/{}/cheers",
                from_ann["id"].as_str().unwrap()
            ),
            &cat_token,
            &json!({}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    // A long history (more than one batch of the stream), written straight to the tables.
    let db = app.db().await;
    db.batch_execute(&format!(
        "INSERT INTO shoutouts (id, source, giver_id, value, message, status, created_at) \
         SELECT gen_random_uuid(), 'staff', '{ann}', 'helping_others', 'old thanks ' || g, 'published', \
                now() - g * interval '1 hour' FROM generate_series(1, 450) g; \
         INSERT INTO shoutout_recipients (shoutout_id, recipient_id) \
         SELECT id, '{bob}' FROM shoutouts WHERE message LIKE 'old thanks %';"
    ))
    .await
    .unwrap();

    let response = app.get("/api/v1/me/export", &ann_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let export: Value = response.json().await.unwrap();
    assert_eq!(export["employee"]["external_id"], "ann");
    assert_eq!(export["employee"]["email"], "ann@example.com");
    assert!(export["employee"]["praise_handle"].is_string());
    assert_eq!(export["team"]["name"], "Care");
    assert_eq!(export["notification_preferences"]["digest"], false);
    let given = export["shoutouts_given"].as_array().unwrap();
    assert_eq!(given.len(), 451, "every shout-out given, across batches");
    let ids: std::collections::HashSet<&str> =
        given.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 451, "none twice");
    let received = export["shoutouts_received"].as_array().unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0]["id"], private["id"]);
    assert_eq!(received[0]["visibility"], "private");
    assert!(
        export["audit_trail"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "employee.created")
    );
    assert!(export["mails"].is_array() && export["cheers_given"].is_array());
    // Cat's copy holds her cheer, not Ann's data.
    let cats: Value = app
        .get("/api/v1/me/export", &cat_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cats["cheers_given"].as_array().unwrap().len(), 1);
    assert_eq!(cats["employee"]["external_id"], "cat");
    assert!(cats["shoutouts_given"].as_array().unwrap().is_empty());
    // Someone outside the directory has nothing to export; no token, no export.
    assert_eq!(
        app.get("/api/v1/me/export", &app.admin_token())
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.request(reqwest::Method::GET, "/api/v1/me/export", None, None)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

/// Every text-like column of every table, as (table, column).
async fn text_columns(db: &tokio_postgres::Client) -> Vec<(String, String)> {
    db.query(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY') \
         AND table_name NOT LIKE '\\_\\_%' ORDER BY 1, 2",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

#[tokio::test]
async fn an_erased_person_is_found_nowhere_but_their_counts_and_others_shout_outs_stay() {
    let app = TestApp::spawn_with(quick_hooks).await;
    let receiver = Receiver::start().await;
    expect_status(app.post("/api/v1/webhooks", &app.admin_token(), &json!({"url": receiver.url("/std"), "events": ["shoutout.published", "shoutout.retracted"]})).await, StatusCode::CREATED).await;
    let care = app.team("Care", None).await;
    let tag = &Uuid::new_v4().simple().to_string()[..10];
    let name = format!("Zebediah Quux {tag}");
    let email = format!("zq.{tag}@example.com");
    let external = format!("zq-{tag}");
    let slack = format!(
        "U{}",
        tag.to_uppercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
    );
    let zed = id_of(
        expect_status(
            app.post("/api/v1/employees", &app.admin_token(), &json!({"external_id": external, "display_name": name, "email": email, "team_id": care, "slack_user_id": slack, "title": "Agent"})).await,
            StatusCode::CREATED,
        )
        .await,
    );
    let zed_token = app.token(&external, &[Role::Employee]);
    let handle = app.praise_handle(zed).await;
    let (bob, bob_token) = app.employee("bob", Some(care)).await;
    // Zed is thanked (an idempotent request keeps its answer, with Zed's name, for a day), thanks
    // Bob, retracts a shout-out, and is renamed once (the audit trail holds both names).
    let thanks = app
        .client
        .post(format!("{}/api/v1/shoutouts", app.base))
        .bearer_auth(&bob_token)
        .header("Idempotency-Key", "thanks-1")
        .json(&json!({"recipient_ids": [zed], "value": "helping_others", "message": "Thanks for the handover"}))
        .send()
        .await
        .unwrap();
    assert_eq!(thanks.status(), StatusCode::CREATED);
    let given = expect_status(app.post("/api/v1/shoutouts", &zed_token, &json!({"recipient_ids": [bob], "value": "achieving_goals", "message": "Well done on the launch"})).await, StatusCode::CREATED).await;
    let oops = expect_status(app.post("/api/v1/shoutouts", &zed_token, &json!({"recipient_ids": [bob], "value": "helping_others", "message": "Sent by mistake"})).await, StatusCode::CREATED).await;
    expect_status(
        app.delete(
            &format!("/api/v1/shoutouts/{}", oops["id"].as_str().unwrap()),
            &zed_token,
        )
        .await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let renamed = format!("Zeb Quux {tag}");
    expect_status(
        app.patch(
            &format!("/api/v1/employees/{zed}"),
            &app.admin_token(),
            &json!({"display_name": renamed}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    receiver.wait_for("/std", 10, |got| got.len() >= 4).await;
    let board_before = expect_status(
        app.get(
            "/api/v1/leaderboards/recipients?period=all_time",
            &bob_token,
        )
        .await,
        StatusCode::OK,
    )
    .await;

    // Only admins erase.
    assert_eq!(
        app.post(
            &format!("/api/v1/employees/{zed}/erase"),
            &bob_token,
            &json!({})
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(
            &format!("/api/v1/employees/{}/erase", Uuid::new_v4()),
            &app.admin_token(),
            &json!({})
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    let erased = expect_status(
        app.post(
            &format!("/api/v1/employees/{zed}/erase"),
            &app.admin_token(),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        erased["erased"]
            .as_array()
            .unwrap()
            .contains(&json!("email")),
        "{erased}"
    );
    expect_problem(
        app.post(
            &format!("/api/v1/employees/{zed}/erase"),
            &app.admin_token(),
            &json!({}),
        )
        .await,
        StatusCode::CONFLICT,
        Some("id"),
    )
    .await;

    // A search of every table finds none of the erased values.
    let db = app.db().await;
    let values = [
        name.as_str(),
        renamed.as_str(),
        email.as_str(),
        external.as_str(),
        slack.as_str(),
        handle.as_str(),
    ];
    let mut found = Vec::new();
    for (table, column) in text_columns(&db).await {
        for value in values {
            let n: i64 = db
                .query_one(&format!("SELECT count(*) FROM \"{table}\" WHERE \"{column}\"::text ILIKE '%' || $1 || '%'"), &[&value])
                .await
                .unwrap()
                .get(0);
            if n > 0 {
                found.push(format!("{table}.{column} holds `{value}` ({n} rows)"));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");

    // What stays: the person (by id, erased), their counts, everyone's shout-outs, the trail.
    let row = expect_status(
        app.get(&format!("/api/v1/employees/{zed}"), &app.admin_token())
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (row["display_name"].as_str(), row["active"].as_bool()),
        (Some("Erased person"), Some(false))
    );
    let board_after = expect_status(
        app.get(
            "/api/v1/leaderboards/recipients?period=all_time",
            &bob_token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let counts = |b: &Value| {
        b["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["employee"]["id"].clone(), e["count"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(counts(&board_before), counts(&board_after));
    let kept = expect_status(
        app.get(
            &format!("/api/v1/shoutouts/{}", given["id"].as_str().unwrap()),
            &bob_token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(kept["message"], "Well done on the launch");
    assert_eq!(kept["giver"]["employee"]["display_name"], "Erased person");
    let trail = expect_status(
        app.get(
            &format!("/api/v1/audit?subject_id={zed}&limit=100"),
            &app.admin_token(),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let erasure = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "employee.erased")
        .cloned()
        .expect("an erasure event");
    assert!(
        erasure["after"]["erased"]
            .as_array()
            .unwrap()
            .contains(&json!("display_name"))
    );
    assert!(
        trail["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "employee.created"),
        "history stays, redacted"
    );
    // An erased person stays inactive: reactivating them is a 422 naming the field.
    expect_problem(
        app.patch(
            &format!("/api/v1/employees/{zed}"),
            &app.admin_token(),
            &json!({"active": true}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("active"),
    )
    .await;
    // Their old token no longer names anyone in the directory.
    let me = expect_status(app.get("/api/v1/me", &zed_token).await, StatusCode::OK).await;
    assert_eq!(me["employee"], Value::Null);
}

/// (employee id, rank, count) of a board's lines.
async fn board_lines(app: &TestApp, token: &str, query: &str) -> Vec<(String, i64, i64)> {
    let board = expect_status(
        app.get(&format!("/api/v1/leaderboards/{query}"), token)
            .await,
        StatusCode::OK,
    )
    .await;
    board["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["employee"]["id"].as_str().unwrap_or_default().to_owned(),
                e["rank"].as_i64().unwrap(),
                e["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn someone_may_stay_off_boards_and_walls_and_still_count() {
    let app = TestApp::spawn_with(|c| c.board_sum_below = 0).await;
    let care = app.team("Care", None).await;
    let (ann, ann_token) = app.employee("ann", Some(care)).await;
    let (bob, bob_token) = app.employee("bob", Some(care)).await;
    let (cat, cat_token) = app.employee("cat", Some(care)).await;
    let (mia, _) = app.employee("mia", None).await;
    expect_status(
        app.patch(
            &format!("/api/v1/teams/{care}"),
            &app.admin_token(),
            &json!({"manager_id": mia}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // Bob is thanked three times, Ann twice, Cat once.
    for (token, to) in [
        (&ann_token, bob),
        (&cat_token, bob),
        (&cat_token, bob),
        (&bob_token, ann),
        (&cat_token, ann),
        (&ann_token, cat),
    ] {
        app.shoutout(token, &[to], "helping_others", "Thanks").await;
    }
    let id = |u: Uuid| u.to_string();
    assert_eq!(
        board_lines(&app, &bob_token, "recipients?period=all_time").await,
        vec![(id(bob), 1, 3), (id(ann), 2, 2), (id(cat), 3, 1)]
    );

    // Choices are the person's own, validated.
    let choices = expect_status(
        app.get("/api/v1/me/privacy", &ann_token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        choices,
        json!({"show_on_boards": true, "show_on_wall": true})
    );
    expect_problem(
        app.patch(
            "/api/v1/me/privacy",
            &ann_token,
            &json!({"show_on_boards": "no"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("show_on_boards"),
    )
    .await;
    expect_problem(
        app.patch("/api/v1/me/privacy", &ann_token, &json!({"hide": true}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("hide"),
    )
    .await;
    let choices = expect_status(
        app.patch(
            "/api/v1/me/privacy",
            &ann_token,
            &json!({"show_on_boards": false, "show_on_wall": false}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        choices,
        json!({"show_on_boards": false, "show_on_wall": false})
    );

    // Ann leaves every person board, for every kind of period; ranks close up.
    for period in [
        "all_time",
        "year",
        "month",
        "week",
        "rolling_30d",
        "rolling_7d",
    ] {
        assert_eq!(
            board_lines(&app, &bob_token, &format!("recipients?period={period}")).await,
            vec![(id(bob), 1, 3), (id(cat), 2, 1)],
            "{period}"
        );
        let givers = board_lines(&app, &bob_token, &format!("givers?period={period}")).await;
        assert!(
            !givers.iter().any(|(who, _, _)| *who == id(ann)),
            "{period}: {givers:?}"
        );
    }
    // Her own standing still answers her; to others she is not on the board.
    let own = expect_status(
        app.get(
            &format!("/api/v1/leaderboards/recipients/{ann}?period=all_time"),
            &ann_token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (own["rank"].as_i64(), own["count"].as_i64()),
        (Some(2), Some(2)),
        "{own}"
    );
    let seen = expect_status(
        app.get(
            &format!("/api/v1/leaderboards/recipients/{ann}?period=all_time"),
            &bob_token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(seen["rank"], Value::Null, "{seen}");
    // She still counts for her team and in her manager's report.
    let teams = expect_status(
        app.get("/api/v1/leaderboards/teams?period=all_time", &bob_token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(teams["entries"][0]["count"], 6, "{teams}");
    let today = chrono::Utc::now().date_naive();
    let report = expect_status(
        app.get(
            &format!(
                "/api/v1/reports/teams/{care}?from={}&to={}",
                today - chrono::Duration::days(1),
                today + chrono::Duration::days(1)
            ),
            &app.token("mia", &[Role::Manager]),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(report["totals"]["shoutouts_received"], 6, "{report}");

    // Walls (widget keys, the live stream) leave out shout-outs naming her; the staff feed
    // does not.
    let (_, key) = crate::widgets::mint(&app, &["feeds"], &[]).await;
    let mut wall = crate::widgets::Sse::open(&app, ("X-Widget-Key", &key), None).await;
    let to_ann = app
        .shoutout(&cat_token, &[ann], "helping_others", "For Ann")
        .await;
    let to_bob = app
        .shoutout(&ann_token, &[bob], "helping_others", "From Ann")
        .await;
    let to_cat = app
        .shoutout(&bob_token, &[cat], "helping_others", "For Cat")
        .await;
    // The stream holds events back until every older transaction in the cluster has ended, so
    // under load the thanks given before the wall opened (those not naming Ann) may still come
    // first; of the three given since, the one without Ann is the first shown.
    let mut before = Vec::new();
    loop {
        let event = wall.expect().await;
        if event.data["id"] == to_cat["id"] {
            break;
        }
        before.push(event.data["id"].clone());
        assert!(
            before.len() <= 6,
            "no thanks to Cat on the wall: {before:?}"
        );
    }
    assert!(
        !before.contains(&to_ann["id"]) && !before.contains(&to_bob["id"]),
        "thanks naming Ann were shown: {before:?}"
    );
    let page: Value = app
        .client
        .get(format!("{}/api/v1/shoutouts?limit=100", app.base))
        .header("X-Widget-Key", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let on_wall: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["id"])
        .collect();
    assert!(
        on_wall.contains(&&to_cat["id"])
            && !on_wall.contains(&&to_ann["id"])
            && !on_wall.contains(&&to_bob["id"])
    );
    let staff = feed_ids(&app, &bob_token).await;
    assert!(staff.contains(&to_ann["id"].as_str().unwrap().to_owned()));

    // Choosing again brings her back.
    expect_status(
        app.patch(
            "/api/v1/me/privacy",
            &ann_token,
            &json!({"show_on_boards": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        board_lines(&app, &bob_token, "recipients?period=all_time").await[1].0,
        id(ann)
    );
}
