//! Giving, reading, listing, retracting and cheering shout-outs, and the rules that hold under
//! concurrency: the daily limit and Idempotency-Key.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shoutout::auth::Role;
use uuid::Uuid;

use crate::helpers::{BURST_DB_WAIT_MS, TestApp, expect_problem, expect_status, id_of};

const MESSAGE: &str = "Thanks for covering my shift!";

#[tokio::test]
async fn giving_a_shoutout_to_several_colleagues() {
    let app = TestApp::spawn().await;
    let team = app.team("Support", None).await;
    let (_, giver) = app.employee("giver", Some(team)).await;
    let (bob, _) = app.employee("bob", Some(team)).await;
    let (carol, _) = app.employee("carol", None).await;

    let response = app
        .post(
            "/api/v1/shoutouts",
            &giver,
            &json!({"recipient_ids": [bob, carol, bob], "value": "helping_others", "message": "  Thank you both!  "}),
        )
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body = expect_status(response, StatusCode::CREATED).await;
    assert_eq!(
        location,
        format!("/api/v1/shoutouts/{}", body["id"].as_str().unwrap())
    );
    assert_eq!(body["source"], "staff");
    assert_eq!(body["status"], "published");
    assert_eq!(body["value"], "helping_others");
    assert_eq!(body["message"], "Thank you both!", "the message is trimmed");
    assert_eq!(body["giver"]["kind"], "employee");
    assert_eq!(body["giver"]["employee"]["display_name"], "giver Example");
    assert_eq!(body["cheers"], 0);
    let recipients: HashSet<&str> = body["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        recipients.len(),
        2,
        "a repeated recipient counts once: {body}"
    );
    assert_eq!(app.count("shoutout_recipients").await, 2);

    // Readable by anyone on staff, and the same as what creation returned.
    let (_, reader) = app.employee("reader", None).await;
    let read = expect_status(app.get(&location, &reader).await, StatusCode::OK).await;
    assert_eq!(read, body);
}

#[tokio::test]
async fn the_rules_of_a_shoutout() {
    let app = TestApp::spawn().await;
    let (me, token) = app.employee("me", None).await;
    let (bob, _) = app.employee("bob", None).await;
    let (leaver, _) = app.employee("leaver", None).await;
    expect_status(
        app.patch(
            &format!("/api/v1/employees/{leaver}"),
            &app.admin_token(),
            &json!({"active": false}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let give = |body: Value| {
        let app = &app;
        let token = token.clone();
        async move { app.post("/api/v1/shoutouts", &token, &body).await }
    };

    // No thanking yourself, alone or among others.
    let response =
        give(json!({"recipient_ids": [me], "value": "helping_others", "message": MESSAGE})).await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("recipient_ids[0]"),
    )
    .await;
    let response =
        give(json!({"recipient_ids": [bob, me], "value": "helping_others", "message": MESSAGE}))
            .await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("recipient_ids[1]"),
    )
    .await;
    // Recipients must exist and be active.
    let response = give(json!({"recipient_ids": [bob, Uuid::now_v7()], "value": "helping_others", "message": MESSAGE})).await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("recipient_ids[1]"),
    )
    .await;
    let response =
        give(json!({"recipient_ids": [leaver], "value": "helping_others", "message": MESSAGE}))
            .await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("recipient_ids[0]"),
    )
    .await;
    let response =
        give(json!({"recipient_ids": [], "value": "helping_others", "message": MESSAGE})).await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("recipient_ids"),
    )
    .await;
    let many: Vec<Uuid> = (0..26).map(|_| Uuid::now_v7()).collect();
    let response =
        give(json!({"recipient_ids": many, "value": "helping_others", "message": MESSAGE})).await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("recipient_ids"),
    )
    .await;
    // The message: 1-1000 characters after trimming, counted as characters.
    for message in ["", "   \n\t ", &"x".repeat(1001)] {
        let response =
            give(json!({"recipient_ids": [bob], "value": "helping_others", "message": message}))
                .await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("message")).await;
    }
    // A value must be one of the five codes.
    for value in ["kindness", "Helping_Others", "H", ""] {
        let response =
            give(json!({"recipient_ids": [bob], "value": value, "message": MESSAGE})).await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("value")).await;
    }
    assert_eq!(
        app.count("shoutouts").await,
        0,
        "nothing refused was written"
    );
    assert_eq!(app.count("shoutout_recipients").await, 0);

    // The limit counts characters as sent (what the OpenAPI pattern and maxLength say).
    let padded = format!("  {}  ", "é".repeat(997));
    let response =
        give(json!({"recipient_ids": [bob], "value": "helping_others", "message": padded})).await;
    expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("message")).await;

    // The edges that are allowed: 1000 characters (not bytes); surrounding white space is
    // trimmed when stored.
    let body = app
        .shoutout(&token, &[bob], "exceeding_expectations", &"é".repeat(1000))
        .await;
    assert_eq!(body["message"].as_str().unwrap().chars().count(), 1000);
    let body = app
        .shoutout(&token, &[bob], "exceeding_expectations", "  Thanks!\r\n  ")
        .await;
    assert_eq!(body["message"], "Thanks!");
    for value in [
        "helping_others",
        "achieving_goals",
        "responding_with_care",
        "thriving_through_teamwork",
    ] {
        app.shoutout(&token, &[bob], value, MESSAGE).await;
    }
    assert_eq!(app.count("shoutouts").await, 6);
}

#[tokio::test]
async fn the_feed_filters_and_pages() {
    let app = TestApp::spawn().await;
    let parent = app.team("Customer Care", None).await;
    let child = app.team("Tier 1", Some(parent)).await;
    let other = app.team("Sales", None).await;
    let (alice_id, alice) = app.employee("alice", Some(child)).await;
    let (bob_id, bob) = app.employee("bob", Some(other)).await;
    let (carol_id, _) = app.employee("carol", Some(parent)).await;

    let first = app
        .shoutout(&alice, &[bob_id], "helping_others", "one")
        .await;
    let second = app
        .shoutout(&bob, &[alice_id], "achieving_goals", "two")
        .await;
    let third = app
        .shoutout(&bob, &[carol_id], "helping_others", "three")
        .await;
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let id = |s: &Value| s["id"].as_str().unwrap().to_owned();

    let all = expect_status(app.get("/api/v1/shoutouts", &alice).await, StatusCode::OK).await;
    assert_eq!(
        ids(&all),
        vec![id(&third), id(&second), id(&first)],
        "newest first"
    );
    assert_eq!(all["next_cursor"], Value::Null);

    let check = |query: String, expected: Vec<String>| {
        let app = &app;
        let alice = alice.clone();
        async move {
            let page = expect_status(
                app.get(&format!("/api/v1/shoutouts?{query}"), &alice).await,
                StatusCode::OK,
            )
            .await;
            assert_eq!(ids(&page), expected, "query {query}");
        }
    };
    check(format!("recipient_id={alice_id}"), vec![id(&second)]).await;
    check(format!("giver_id={bob_id}"), vec![id(&third), id(&second)]).await;
    check("value=helping_others".into(), vec![id(&third), id(&first)]).await;
    check(
        "source=staff".into(),
        vec![id(&third), id(&second), id(&first)],
    )
    .await;
    check("source=customer".into(), vec![]).await;
    // A team means its whole subtree: Customer Care covers Tier 1.
    check(format!("team_id={parent}"), vec![id(&third), id(&second)]).await;
    check(format!("team_id={child}"), vec![id(&second)]).await;
    let at = |s: &Value| s["created_at"].as_str().unwrap().to_owned();
    check(
        format!("since={}", at(&second)),
        vec![id(&third), id(&second)],
    )
    .await;
    check(format!("until={}", at(&second)), vec![id(&first)]).await;

    // Cursor pagination visits everything once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/shoutouts?limit=2&cursor={c}"),
            None => "/api/v1/shoutouts?limit=2".to_owned(),
        };
        let page = expect_status(app.get(&path, &alice).await, StatusCode::OK).await;
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, vec![id(&third), id(&second), id(&first)]);

    // Bad filters are named.
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("value=kindness", "value"),
        ("recipient_id=nope", "recipient_id"),
        ("since=yesterday", "since"),
        ("cursor=garbage", "cursor"),
        ("colour=blue", "colour"),
    ] {
        let response = app.get(&format!("/api/v1/shoutouts?{query}"), &alice).await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let response = app
        .get(
            &format!(
                "/api/v1/shoutouts?since={}&until={}",
                at(&third),
                at(&first)
            ),
            &alice,
        )
        .await;
    expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("until")).await;
}

#[tokio::test]
async fn retracting_within_the_grace_period() {
    let app = TestApp::spawn().await;
    let (_, giver) = app.employee("giver", None).await;
    let (bob_id, bob) = app.employee("bob", None).await;
    let shoutout = app
        .shoutout(&giver, &[bob_id], "helping_others", MESSAGE)
        .await;
    let path = format!("/api/v1/shoutouts/{}", shoutout["id"].as_str().unwrap());

    // Only the giver (or an admin): not the recipient.
    expect_problem(app.delete(&path, &bob).await, StatusCode::FORBIDDEN, None).await;
    expect_status(app.delete(&path, &giver).await, StatusCode::NO_CONTENT).await;
    // Retracting again changes nothing.
    expect_status(app.delete(&path, &giver).await, StatusCode::NO_CONTENT).await;

    // Gone from the feed and from others' view, kept for the giver and the audit trail.
    let feed = expect_status(app.get("/api/v1/shoutouts", &bob).await, StatusCode::OK).await;
    assert_eq!(feed["items"].as_array().unwrap().len(), 0);
    expect_problem(app.get(&path, &bob).await, StatusCode::NOT_FOUND, None).await;
    let kept = expect_status(app.get(&path, &giver).await, StatusCode::OK).await;
    assert_eq!(kept["status"], "retracted");
    assert!(kept["retracted_at"].is_string());
    let row = app
        .db()
        .await
        .query_one("SELECT status::text, retracted_by FROM shoutouts", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "retracted");
    assert_eq!(row.get::<_, String>(1), "giver");
}

#[tokio::test]
async fn after_the_grace_period_only_an_admin_retracts() {
    let app = TestApp::spawn_with(|c| c.retract_grace_minutes = 0).await;
    let (_, giver) = app.employee("giver", None).await;
    let (bob_id, _) = app.employee("bob", None).await;
    let shoutout = app
        .shoutout(&giver, &[bob_id], "helping_others", MESSAGE)
        .await;
    let path = format!("/api/v1/shoutouts/{}", shoutout["id"].as_str().unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let problem =
        expect_problem(app.delete(&path, &giver).await, StatusCode::FORBIDDEN, None).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("grace period"),
        "{problem}"
    );
    expect_status(
        app.delete(&path, &app.admin_token()).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let unknown = format!("/api/v1/shoutouts/{}", Uuid::now_v7());
    expect_problem(
        app.delete(&unknown, &app.admin_token()).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
}

#[tokio::test]
async fn cheers_are_once_per_colleague_and_apart_from_shoutouts() {
    let app = TestApp::spawn().await;
    let (_, giver) = app.employee("giver", None).await;
    let (bob_id, bob) = app.employee("bob", None).await;
    let (_, fan) = app.employee("fan", None).await;
    let (_, other_fan) = app.employee("other", None).await;
    let shoutout = app
        .shoutout(&giver, &[bob_id], "helping_others", MESSAGE)
        .await;
    let id = shoutout["id"].as_str().unwrap();
    let cheers = format!("/api/v1/shoutouts/{id}/cheers");

    let body = expect_status(
        app.request(Method::POST, &cheers, Some(&fan), None).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(body["cheers"], 1);
    assert_eq!(body["cheered"], true);
    let body = expect_status(
        app.request(Method::POST, &cheers, Some(&fan), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        body["cheers"], 1,
        "a second cheer by the same person changes nothing"
    );
    expect_status(
        app.request(Method::POST, &cheers, Some(&other_fan), None)
            .await,
        StatusCode::CREATED,
    )
    .await;
    // Neither the giver nor the recipient cheers their own shout-out.
    expect_problem(
        app.request(Method::POST, &cheers, Some(&giver), None).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    expect_problem(
        app.request(Method::POST, &cheers, Some(&bob), None).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;

    let read = expect_status(
        app.get(&format!("/api/v1/shoutouts/{id}"), &fan).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read["cheers"], 2);
    assert_eq!(app.count("shoutouts").await, 1, "cheers are not shout-outs");

    let body = expect_status(app.delete(&cheers, &fan).await, StatusCode::OK).await;
    assert_eq!(body["cheers"], 1);
    assert_eq!(body["cheered"], false);
    let body = expect_status(app.delete(&cheers, &fan).await, StatusCode::OK).await;
    assert_eq!(body["cheers"], 1);

    let unknown = format!("/api/v1/shoutouts/{}/cheers", Uuid::now_v7());
    expect_problem(
        app.request(Method::POST, &unknown, Some(&fan), None).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    // A retracted shout-out takes no cheers.
    expect_status(
        app.delete(&format!("/api/v1/shoutouts/{id}"), &giver).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    expect_problem(
        app.request(Method::POST, &cheers, Some(&fan), None).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
}

#[tokio::test]
async fn the_daily_limit_is_reached_with_a_clear_answer() {
    let app = TestApp::spawn_with(|c| c.daily_limit = 3).await;
    let (_, giver) = app.employee("giver", None).await;
    let (bob_id, _) = app.employee("bob", None).await;
    for _ in 0..3 {
        app.shoutout(&giver, &[bob_id], "helping_others", MESSAGE)
            .await;
    }
    let response = app
        .post(
            "/api/v1/shoutouts",
            &giver,
            &json!({"recipient_ids": [bob_id], "value": "helping_others", "message": MESSAGE}),
        )
        .await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=24 * 3600 + 3600).contains(&retry_after),
        "{retry_after}"
    );
    expect_problem(response, StatusCode::TOO_MANY_REQUESTS, None).await;
    assert_eq!(app.count("shoutouts").await, 3);
    // The limit is per giver.
    let (_, other) = app.employee("other", None).await;
    app.shoutout(&other, &[bob_id], "helping_others", MESSAGE)
        .await;
}

/// Twenty simultaneous requests from one giver with a limit of five: exactly five succeed,
/// because the limit is one conditional upsert on the giver's row, inside the transaction.
#[tokio::test]
async fn the_daily_limit_holds_under_concurrent_requests() {
    let app = TestApp::spawn_with(|c| {
        c.daily_limit = 5;
        c.db_pool_size = 10;
        c.db_wait_ms = BURST_DB_WAIT_MS;
    })
    .await;
    let (_, giver) = app.employee("giver", None).await;
    let (bob_id, _) = app.employee("bob", None).await;
    let requests = (0..20).map(|i| {
        let app = &app;
        let giver = giver.clone();
        async move {
            app.post(
                "/api/v1/shoutouts",
                &giver,
                &json!({"recipient_ids": [bob_id], "value": "helping_others", "message": format!("thanks #{i}")}),
            )
            .await
            .status()
        }
    });
    let statuses = futures_util::future::join_all(requests).await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let limited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((created, limited), (5, 15), "{statuses:?}");
    assert_eq!(app.count("shoutouts").await, 5);
    let given: i32 = app
        .db()
        .await
        .query_one("SELECT given FROM giver_daily_counts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(given, 5);
}

#[tokio::test]
async fn an_idempotency_key_makes_a_retry_create_nothing() {
    let app = TestApp::spawn().await;
    let (_, giver) = app.employee("giver", None).await;
    let (bob_id, _) = app.employee("bob", None).await;
    let body = json!({"recipient_ids": [bob_id], "value": "helping_others", "message": MESSAGE});
    let send = |key: &'static str, body: Value| {
        let app = &app;
        let giver = giver.clone();
        async move {
            app.client
                .post(format!("{}/api/v1/shoutouts", app.base))
                .bearer_auth(giver)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let first = send("key-1", body.clone()).await;
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first_location = first.headers()["location"].clone();
    let first = expect_status(first, StatusCode::CREATED).await;
    let retry = send("key-1", body.clone()).await;
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(retry.headers()["location"], first_location);
    let retry = expect_status(retry, StatusCode::CREATED).await;
    assert_eq!(retry, first, "the retry returns the first response");
    assert_eq!(app.count("shoutouts").await, 1);

    // The same key for a different request is refused, and creates nothing.
    let other = json!({"recipient_ids": [bob_id], "value": "achieving_goals", "message": MESSAGE});
    expect_problem(
        send("key-1", other.clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("Idempotency-Key"),
    )
    .await;
    // A new key is a new shout-out; keys are per caller.
    expect_status(send("key-2", body.clone()).await, StatusCode::CREATED).await;
    assert_eq!(app.count("shoutouts").await, 2);
    let (_, someone_else) = app.employee("someone", None).await;
    let response = app
        .client
        .post(format!("{}/api/v1/shoutouts", app.base))
        .bearer_auth(someone_else)
        .header("Idempotency-Key", "key-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    expect_status(response, StatusCode::CREATED).await;
    assert_eq!(app.count("shoutouts").await, 3);
    // A malformed key is named.
    let response = app
        .client
        .post(format!("{}/api/v1/shoutouts", app.base))
        .bearer_auth(&giver)
        .header("Idempotency-Key", "x".repeat(300))
        .json(&body)
        .send()
        .await
        .unwrap();
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("Idempotency-Key"),
    )
    .await;
}

/// Fifty retries that race each other: all get the same answer and exactly one row exists.
#[tokio::test]
async fn fifty_racing_retries_with_one_key_create_one_shoutout() {
    let app = TestApp::spawn_with(|c| {
        c.db_pool_size = 10;
        c.db_wait_ms = BURST_DB_WAIT_MS;
    })
    .await;
    let (_, giver) = app.employee("giver", None).await;
    let (bob_id, _) = app.employee("bob", None).await;
    let body = json!({"recipient_ids": [bob_id], "value": "helping_others", "message": MESSAGE});
    let requests = (0..50).map(|_| {
        let app = &app;
        let giver = giver.clone();
        let body = body.clone();
        async move {
            let response = app
                .client
                .post(format!("{}/api/v1/shoutouts", app.base))
                .bearer_auth(giver)
                .header("Idempotency-Key", "the-one-key")
                .json(&body)
                .send()
                .await
                .unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    });
    let answers = futures_util::future::join_all(requests).await;
    let ids: HashSet<Uuid> = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, StatusCode::CREATED, "{body}");
            id_of(body.clone())
        })
        .collect();
    assert_eq!(ids.len(), 1, "every answer names the same shout-out");
    assert_eq!(app.count("shoutouts").await, 1);
    assert_eq!(app.count("shoutout_recipients").await, 1);
    let given: i32 = app
        .db()
        .await
        .query_one("SELECT given FROM giver_daily_counts", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(given, 1, "replays do not count against the daily limit");
}

#[tokio::test]
async fn unknown_and_malformed_ids_are_not_found() {
    let app = TestApp::spawn().await;
    let (_, token) = app.employee("reader", None).await;
    let unknown = format!("/api/v1/shoutouts/{}", Uuid::now_v7());
    expect_problem(app.get(&unknown, &token).await, StatusCode::NOT_FOUND, None).await;
    expect_problem(
        app.get("/api/v1/shoutouts/not-a-uuid", &token).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    let admin = app.token("root-admin", &[Role::Admin]);
    expect_problem(app.get(&unknown, &admin).await, StatusCode::NOT_FOUND, None).await;
}
