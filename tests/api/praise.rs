//! Customer praise, tried as a customer, a moderator and a spammer would: praise links and QR
//! codes, the public endpoint and form, moderation, and every abuse protection.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shoutout::auth::Role;
use uuid::Uuid;

use crate::helpers::{TestApp, expect_problem, expect_status, id_of};

/// A company with a manager over a team of two, and someone elsewhere.
struct Company {
    app: TestApp,
    support: Uuid,
    ann: Uuid,
    ann_token: String,
    bob: Uuid,
    cy: Uuid,
    manager_token: String,
    other_manager_token: String,
}

async fn company_with(adjust: impl FnOnce(&mut shoutout::config::Config)) -> Company {
    let app = TestApp::spawn_with(adjust).await;
    let support = app.team("Support", None).await;
    let sales = app.team("Sales", None).await;
    let (ann, ann_token) = app.employee("ann", Some(support)).await;
    let (bob, _) = app.employee("bob", Some(support)).await;
    let (cy, _) = app.employee("cy", Some(sales)).await;
    let (mia, _) = app.employee("mia", Some(support)).await;
    let (max, _) = app.employee("max", Some(sales)).await;
    for (team, manager) in [(support, mia), (sales, max)] {
        let response = app
            .patch(
                &format!("/api/v1/teams/{team}"),
                &app.admin_token(),
                &json!({"manager_id": manager}),
            )
            .await;
        expect_status(response, StatusCode::OK).await;
    }
    let manager_token = app.token("mia", &[Role::Manager]);
    let other_manager_token = app.token("max", &[Role::Manager]);
    Company {
        app,
        support,
        ann,
        ann_token,
        bob,
        cy,
        manager_token,
        other_manager_token,
    }
}

async fn company() -> Company {
    company_with(|_| {}).await
}

async fn recipients_board(app: &TestApp, query: &str) -> Vec<(String, i64)> {
    let response = app
        .get(
            &format!("/api/v1/leaderboards/recipients?period=all_time{query}"),
            &app.admin_token(),
        )
        .await;
    let body = expect_status(response, StatusCode::OK).await;
    body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["employee"]["display_name"].as_str().unwrap().to_owned(),
                e["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn customer_rows(app: &TestApp) -> i64 {
    app.db()
        .await
        .query_one(
            "SELECT count(*) FROM shoutouts WHERE source = 'customer'",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

async fn feed_ids(app: &TestApp, token: &str) -> Vec<String> {
    let body = expect_status(app.get("/api/v1/shoutouts", token).await, StatusCode::OK).await;
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn get_text(app: &TestApp, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let response = app.request(Method::GET, path, None, None).await;
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

#[tokio::test]
async fn every_employee_has_an_unguessable_link_with_a_qr_code_and_admins_can_rotate_it() {
    let c = company().await;
    let app = &c.app;
    let response = app
        .get(
            &format!("/api/v1/employees/{}/praise-link", c.ann),
            &c.ann_token,
        )
        .await;
    let link = expect_status(response, StatusCode::OK).await;
    let handle = link["handle"].as_str().unwrap().to_owned();
    // 128 random bits, URL-safe, and nothing of the person in it.
    assert_eq!(handle.len(), 22, "{handle}");
    assert!(
        handle
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert!(!handle.contains("ann") && !handle.contains(&c.ann.simple().to_string()[..8]));
    assert_ne!(handle, app.praise_handle(c.bob).await);
    assert_eq!(
        link["url"].as_str().unwrap(),
        // Without SHOUTOUT_PUBLIC_URL, links name the address the service listens on.
        format!("{}/praise/{handle}", app.base)
    );
    let svg = link["qr_svg"].as_str().unwrap();
    assert!(svg.starts_with("<?xml") && svg.contains("<svg") && svg.contains("</svg>"));
    // The QR code alone, for printing.
    let response = app
        .client
        .get(format!(
            "{}/api/v1/employees/{}/praise-link",
            app.base, c.ann
        ))
        .bearer_auth(&c.ann_token)
        .header("accept", "image/svg+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    assert_eq!(response.text().await.unwrap(), svg);

    // Their manager may read it; a colleague and another team's manager may not.
    let path = format!("/api/v1/employees/{}/praise-link", c.bob);
    expect_status(app.get(&path, &c.manager_token).await, StatusCode::OK).await;
    expect_problem(
        app.get(&path, &c.ann_token).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    expect_problem(
        app.get(&path, &c.other_manager_token).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;

    // The form is there; after rotation the old link is a friendly 404 and the new one works.
    let (status, _, _) = get_text(app, &format!("/praise/{handle}")).await;
    assert_eq!(status, StatusCode::OK);
    let rotate = format!("/api/v1/employees/{}/praise-link/rotate", c.ann);
    expect_problem(
        app.post(&rotate, &c.ann_token, &json!({})).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    let rotated = expect_status(
        app.post(&rotate, &app.admin_token(), &json!({})).await,
        StatusCode::OK,
    )
    .await;
    let new_handle = rotated["handle"].as_str().unwrap();
    assert_ne!(new_handle, handle);
    let (status, headers, page) = get_text(app, &format!("/praise/{handle}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.contains("does not work any more"), "{page}");
    let (status, _, _) = get_text(app, &format!("/praise/{new_handle}")).await;
    assert_eq!(status, StatusCode::OK);
    // The API refuses the old handle too, naming the field.
    let response = app.praise(new_handle, "Thanks!", json!({})).await;
    expect_status(response, StatusCode::ACCEPTED).await;
    let response = app
        .request(
            Method::GET,
            &format!("/api/v1/public/challenge?handle={handle}"),
            None,
            None,
        )
        .await;
    expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("handle")).await;
    let missing = format!("/api/v1/employees/{}/praise-link", Uuid::now_v7());
    expect_problem(
        app.get(&missing, &app.admin_token()).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
}

#[tokio::test]
async fn the_form_names_the_person_explains_the_values_and_is_labelled() {
    let c = company().await;
    let app = &c.app;
    let handle = app.praise_handle(c.ann).await;
    let (status, headers, page) = get_text(app, &format!("/praise/{handle}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert_eq!(headers["cache-control"], "no-store");
    assert!(page.contains("<html lang=\"en\">"));
    assert!(page.contains("Say thank you to ann Example"));
    for (code, label) in [
        ("helping_others", "Helping others"),
        ("exceeding_expectations", "Exceeding expectations"),
        ("achieving_goals", "Achieving goals"),
        ("responding_with_care", "Responding with care"),
        ("thriving_through_teamwork", "Thriving through teamwork"),
    ] {
        assert!(page.contains(&format!("for=\"value-{code}\"")), "{code}");
        assert!(page.contains(label), "{label}");
    }
    // Every visible control has a label; nothing is loaded from elsewhere.
    for id in ["message", "customer_name", "customer_email", "value-none"] {
        assert!(page.contains(&format!("for=\"{id}\"")), "{id}");
    }
    assert!(!page.contains("http://") && !page.contains("https://"));
    let (status, _, script) = get_text(app, "/static/praise.js").await;
    assert_eq!(status, StatusCode::OK);
    assert!(script.contains("sha256Head"));
    let (status, _, page) = get_text(app, "/praise/no-such-handle").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("thank-you link"));
    // A leaver's link stops working.
    let response = app
        .patch(
            &format!("/api/v1/employees/{}", c.bob),
            &app.admin_token(),
            &json!({"active": false}),
        )
        .await;
    expect_status(response, StatusCode::OK).await;
    let bob_handle = app
        .db()
        .await
        .query_one(
            "SELECT praise_handle FROM employees WHERE id = $1",
            &[&c.bob],
        )
        .await
        .unwrap()
        .get::<_, String>(0);
    let (status, _, _) = get_text(app, &format!("/praise/{bob_handle}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn customer_praise_waits_for_a_moderator_before_anyone_sees_it() {
    let c = company().await;
    let app = &c.app;
    let handle = app.praise_handle(c.ann).await;
    let response = app
        .praise(
            &handle,
            "Ann was so patient with my mum and explained every step. Thank you!",
            json!({"value": "responding_with_care", "customer_name": "Pat", "customer_email": "pat@example.org"}),
        )
        .await;
    let accepted = expect_status(response, StatusCode::ACCEPTED).await;
    assert_eq!(accepted["status"], "pending");
    let id = id_of(accepted);
    let row = app
        .db()
        .await
        .query_one(
            "SELECT source::text, status::text, giver_id IS NULL, customer_name FROM shoutouts WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "customer");
    assert_eq!(row.get::<_, String>(1), "pending");
    assert!(row.get::<_, bool>(2));
    assert_eq!(row.get::<_, String>(3), "Pat");

    // Nowhere before approval: not the feed, not a board, not by id for staff.
    assert!(feed_ids(app, &c.ann_token).await.is_empty());
    assert!(recipients_board(app, "").await.is_empty());
    let by_id = format!("/api/v1/shoutouts/{id}");
    expect_problem(
        app.get(&by_id, &c.ann_token).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;

    // The moderator sees the e-mail; approving publishes it to feeds and boards.
    let queue = expect_status(
        app.get(
            "/api/v1/moderation/shoutouts?status=pending",
            &c.manager_token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let item = &queue["items"][0];
    assert_eq!(item["customer_email"], "pat@example.org");
    assert_eq!(item["value_suggested"], false);
    assert_eq!(item["praised"]["id"], c.ann.to_string());
    assert_eq!(
        item["shoutout"]["giver"],
        json!({"kind": "customer", "name": "Pat"})
    );
    let approved = expect_status(
        app.post(
            &format!("/api/v1/shoutouts/{id}/approve"),
            &c.manager_token,
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(approved["shoutout"]["status"], "published");
    assert_eq!(approved["decision"]["decision"], "approved");
    assert_eq!(approved["decision"]["decided_by"], "mia");
    assert!(approved["decision"]["decided_at"].is_string());
    assert_eq!(feed_ids(app, &c.ann_token).await, vec![id.to_string()]);
    assert_eq!(
        recipients_board(app, "").await,
        vec![("ann Example".to_owned(), 1)]
    );
    assert_eq!(
        recipients_board(app, "&source=customer&value=responding_with_care").await,
        vec![("ann Example".to_owned(), 1)]
    );
    // Staff never see the customer's e-mail, not even an admin outside moderation.
    for token in [c.ann_token.clone(), app.admin_token()] {
        let text = app.get(&by_id, &token).await.text().await.unwrap();
        assert!(!text.contains("pat@example.org"), "{text}");
        let text = app
            .get("/api/v1/shoutouts", &token)
            .await
            .text()
            .await
            .unwrap();
        assert!(!text.contains("pat@example.org"), "{text}");
    }
    // Decided once: a second decision is a conflict.
    let again = app
        .post(
            &format!("/api/v1/shoutouts/{id}/reject"),
            &app.admin_token(),
            &json!({"reason": "spam"}),
        )
        .await;
    expect_problem(again, StatusCode::CONFLICT, Some("status")).await;
}

#[tokio::test]
async fn without_a_value_the_service_suggests_one_and_the_moderator_may_correct_it_and_the_person()
{
    let c = company().await;
    let app = &c.app;
    let handle = app.praise_handle(c.ann).await;
    let message =
        "She went above and beyond and even called me back the next day, way more than I expected.";
    let id = id_of(
        expect_status(
            app.praise(&handle, message, json!({})).await,
            StatusCode::ACCEPTED,
        )
        .await,
    );
    let queue = expect_status(
        app.get("/api/v1/moderation/shoutouts", &app.admin_token())
            .await,
        StatusCode::OK,
    )
    .await;
    let item = &queue["items"][0];
    assert_eq!(item["value_suggested"], true);
    assert_eq!(item["shoutout"]["value"], "exceeding_expectations");
    assert_eq!(item["suggestion"]["value"], "exceeding_expectations");
    assert!(
        item["suggestion"]["cues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["cue"] == "beyond" && c["value"] == "exceeding_expectations")
    );

    // The praise was really about Bob: the moderator moves it and picks another value.
    let approved = expect_status(
        app.post(
            &format!("/api/v1/shoutouts/{id}/approve"),
            &c.manager_token,
            &json!({"value": "helping_others", "recipient_id": c.bob}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(approved["shoutout"]["value"], "helping_others");
    assert_eq!(
        approved["shoutout"]["recipients"][0]["id"],
        c.bob.to_string()
    );
    assert_eq!(
        approved["decision"]["value_before"],
        "exceeding_expectations"
    );
    assert_eq!(approved["decision"]["recipient_before"], c.ann.to_string());
    assert_eq!(approved["decision"]["recipient_after"], c.bob.to_string());
    assert_eq!(
        recipients_board(app, "&value=helping_others").await,
        vec![("bob Example".to_owned(), 1)]
    );
    assert!(
        recipients_board(app, "&value=exceeding_expectations")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn managers_moderate_their_own_teams_only_and_every_decision_is_recorded() {
    let c = company().await;
    let app = &c.app;
    let ann = app.praise_handle(c.ann).await;
    let cy = app.praise_handle(c.cy).await;
    let for_ann = id_of(
        expect_status(
            app.praise(&ann, "Thank you Ann", json!({})).await,
            StatusCode::ACCEPTED,
        )
        .await,
    );
    let for_cy = id_of(
        expect_status(
            app.praise(&cy, "Thank you Cy", json!({})).await,
            StatusCode::ACCEPTED,
        )
        .await,
    );

    let ids = |queue: &Value| -> Vec<String> {
        queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["shoutout"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let mine = expect_status(
        app.get("/api/v1/moderation/shoutouts", &c.manager_token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&mine), vec![for_ann.to_string()]);
    let all = expect_status(
        app.get("/api/v1/moderation/shoutouts", &app.admin_token())
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&all), vec![for_ann.to_string(), for_cy.to_string()]);
    expect_problem(
        app.get("/api/v1/moderation/shoutouts", &c.ann_token).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    // An employee with the manager role but no team, and a manager of another team.
    let fake = app.token("ann", &[Role::Manager]);
    expect_problem(
        app.get("/api/v1/moderation/shoutouts", &fake).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    let response = app
        .post(
            &format!("/api/v1/shoutouts/{for_ann}/approve"),
            &c.other_manager_token,
            &json!({}),
        )
        .await;
    expect_problem(response, StatusCode::NOT_FOUND, None).await;
    // A manager cannot move praise out of their reach.
    let response = app
        .post(
            &format!("/api/v1/shoutouts/{for_ann}/approve"),
            &c.manager_token,
            &json!({"recipient_id": c.cy}),
        )
        .await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("recipient_id"),
    )
    .await;

    // Rejecting needs a reason; it is recorded with who and when, and the praise stays hidden.
    let reject = format!("/api/v1/shoutouts/{for_cy}/reject");
    expect_problem(
        app.post(&reject, &c.other_manager_token, &json!({"reason": "  "}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("reason"),
    )
    .await;
    expect_problem(
        app.post(&reject, &c.other_manager_token, &json!({})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("reason"),
    )
    .await;
    let rejected = expect_status(
        app.post(
            &reject,
            &c.other_manager_token,
            &json!({"reason": "Meant for another company"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(rejected["shoutout"]["status"], "rejected");
    let row = app
        .db()
        .await
        .query_one("SELECT decision, decided_by, reason, decided_at > now() - interval '1 minute' FROM moderation_decisions WHERE shoutout_id = $1", &[&for_cy])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "rejected");
    assert_eq!(row.get::<_, String>(1), "max");
    assert_eq!(row.get::<_, String>(2), "Meant for another company");
    assert!(row.get::<_, bool>(3));
    let decided = expect_status(
        app.get(
            "/api/v1/moderation/shoutouts?status=rejected",
            &app.admin_token(),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&decided), vec![for_cy.to_string()]);
    assert!(feed_ids(app, &c.ann_token).await.is_empty());
    // Only customer praise is moderated.
    let (giver, giver_token) = app.employee("gus", Some(c.support)).await;
    let _ = giver;
    let staff = app
        .shoutout(&giver_token, &[c.ann], "helping_others", "Thanks")
        .await;
    let response = app
        .post(
            &format!(
                "/api/v1/shoutouts/{}/approve",
                staff["id"].as_str().unwrap()
            ),
            &app.admin_token(),
            &json!({}),
        )
        .await;
    expect_problem(response, StatusCode::NOT_FOUND, None).await;
    expect_problem(
        app.get(
            "/api/v1/moderation/shoutouts?status=retracted",
            &app.admin_token(),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("status"),
    )
    .await;
}

#[tokio::test]
async fn racing_moderators_decide_once_and_the_board_counts_once() {
    let c = company().await;
    let app = &c.app;
    let handle = app.praise_handle(c.ann).await;
    let id = id_of(
        expect_status(
            app.praise(&handle, "Thanks a lot", json!({})).await,
            StatusCode::ACCEPTED,
        )
        .await,
    );
    let mut tasks = Vec::new();
    for i in 0..10 {
        let client = app.client.clone();
        let url = format!(
            "{}/api/v1/shoutouts/{id}/{}",
            app.base,
            if i % 2 == 0 { "approve" } else { "reject" }
        );
        let token = app.admin_token();
        let body = if i % 2 == 0 {
            json!({})
        } else {
            json!({"reason": "no"})
        };
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CONFLICT)
            .count(),
        9,
        "{statuses:?}"
    );
    assert_eq!(app.count("moderation_decisions").await, 1);
    let published: bool = app
        .db()
        .await
        .query_one(
            "SELECT status = 'published' FROM shoutouts WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap()
        .get(0);
    let expected = if published {
        vec![("ann Example".to_owned(), 1)]
    } else {
        vec![]
    };
    assert_eq!(recipients_board(app, "").await, expected);
}

#[tokio::test]
async fn the_same_message_to_the_same_person_within_a_day_is_stored_once_even_when_racing() {
    let c = company().await;
    let app = &c.app;
    let handle = app.praise_handle(c.ann).await;
    let first = id_of(
        expect_status(
            app.praise(&handle, "Brilliant service, thank you!", json!({}))
                .await,
            StatusCode::ACCEPTED,
        )
        .await,
    );
    // Case and spacing do not make it new.
    let again = id_of(
        expect_status(
            app.praise(&handle, "  brilliant   SERVICE, thank you!", json!({}))
                .await,
            StatusCode::ACCEPTED,
        )
        .await,
    );
    assert_eq!(again, first);
    assert_eq!(customer_rows(app).await, 1);
    // The same words to someone else are their own praise.
    let bob = app.praise_handle(c.bob).await;
    expect_status(
        app.praise(&bob, "Brilliant service, thank you!", json!({}))
            .await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(customer_rows(app).await, 2);

    // Eight at once, each with its own solved challenge: one row.
    let mut bodies = Vec::new();
    for _ in 0..8 {
        let (challenge, solution) = app.solved_challenge(&handle).await;
        bodies.push(json!({"handle": handle, "message": "Racing thanks", "challenge": challenge, "solution": solution}));
    }
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let client = app.client.clone();
            let url = format!("{}/api/v1/public/shoutouts", app.base);
            tokio::spawn(async move { client.post(url).json(&body).send().await.unwrap() })
        })
        .collect();
    let mut ids = Vec::new();
    for t in tasks {
        let response = t.await.unwrap();
        ids.push(id_of(expect_status(response, StatusCode::ACCEPTED).await));
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(customer_rows(app).await, 3);
    // A day later the same words are new praise.
    app.db().await.execute("UPDATE customer_praise SET received_at = received_at - interval '25 hours', dedupe_until = dedupe_until - interval '25 hours'", &[]).await.unwrap();
    expect_status(
        app.praise(&handle, "Racing thanks", json!({})).await,
        StatusCode::ACCEPTED,
    )
    .await;
    assert_eq!(customer_rows(app).await, 4);
}

#[tokio::test]
async fn floods_are_limited_per_address_and_per_person_and_only_trusted_proxies_are_believed() {
    let c = company_with(|config| {
        config.praise_per_address_per_hour = 3;
        config.praise_per_employee_per_hour = 5;
        config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let app = &c.app;
    let handle = app.praise_handle(c.ann).await;
    let send = |from: &'static str, n: usize| {
        let handle = handle.clone();
        async move {
            let (challenge, solution) = app.solved_challenge(&handle).await;
            app.client
                .post(format!("{}/api/v1/public/shoutouts", app.base))
                .header("x-forwarded-for", from)
                .json(&json!({"handle": handle, "message": format!("Thanks number {n}"), "challenge": challenge, "solution": solution}))
                .send()
                .await
                .unwrap()
        }
    };
    for n in 0..3 {
        expect_status(send("198.51.100.1", n).await, StatusCode::ACCEPTED).await;
    }
    let limited = send("198.51.100.1", 3).await;
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    expect_problem(limited, StatusCode::TOO_MANY_REQUESTS, None).await;
    // Another address behind the same proxy has its own budget...
    expect_status(send("198.51.100.2", 10).await, StatusCode::ACCEPTED).await;
    expect_status(send("198.51.100.3", 11).await, StatusCode::ACCEPTED).await;
    // ...until the person has had their hourly share, whoever sends it.
    let limited = send("198.51.100.4", 12).await;
    assert!(limited.headers().contains_key("retry-after"));
    let body = expect_problem(limited, StatusCode::TOO_MANY_REQUESTS, None).await;
    assert!(
        body["detail"].as_str().unwrap().contains("employee"),
        "{body}"
    );
    assert_eq!(customer_rows(app).await, 5);

    // Without a trusted proxy, X-Forwarded-For is the client's own claim and is ignored.
    let c = company_with(|config| config.praise_per_address_per_hour = 2).await;
    let app = &c.app;
    let handle = app.praise_handle(c.ann).await;
    for (n, from) in ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
        .into_iter()
        .enumerate()
    {
        let (challenge, solution) = app.solved_challenge(&handle).await;
        let response = app
            .client
            .post(format!("{}/api/v1/public/shoutouts", app.base))
            .header("x-forwarded-for", from)
            .json(&json!({"handle": handle, "message": format!("Hi {n}"), "challenge": challenge, "solution": solution}))
            .send()
            .await
            .unwrap();
        let expected = if n < 2 {
            StatusCode::ACCEPTED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(response.status(), expected, "{from}");
    }
}

#[tokio::test]
async fn bots_that_fill_the_honeypot_or_answer_too_fast_are_thanked_and_dropped() {
    let c = company_with(|config| config.praise_min_fill_secs = 60).await;
    let app = &c.app;
    let handle = app.praise_handle(c.ann).await;
    // Too fast: a person cannot fill the form within a minute of loading it here.
    let response = app.praise(&handle, "Buy cheap watches", json!({})).await;
    let body = expect_status(response, StatusCode::ACCEPTED).await;
    assert_eq!(body["status"], "pending");
    // The honeypot, through the API and through the form.
    let c2 = company().await;
    let app2 = &c2.app;
    let handle2 = app2.praise_handle(c2.ann).await;
    let response = app2
        .praise(
            &handle2,
            "Buy cheap watches",
            json!({"website": "http://spam.example"}),
        )
        .await;
    expect_status(response, StatusCode::ACCEPTED).await;
    let (challenge, solution) = app2.solved_challenge(&handle2).await;
    let response = app2
        .post_form(
            &format!("/praise/{handle2}"),
            &[
                ("message", "Buy now"),
                ("website", "x"),
                ("challenge", &challenge),
                ("solution", &solution),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        format!("/praise/{handle2}/thanks?lang=en")
    );
    assert_eq!(customer_rows(app).await, 0);
    assert_eq!(customer_rows(app2).await, 0);
    assert_eq!(app2.count("spent_challenges").await, 0);
}

#[tokio::test]
async fn proof_of_work_is_required_and_replayed_expired_or_forged_solutions_are_refused() {
    let c = company_with(|config| {
        config.praise_pow_bits = 12;
        config.praise_form_ttl_secs = 2;
    })
    .await;
    let app = &c.app;
    let handle = app.praise_handle(c.ann).await;
    let (challenge, solution) = app.solved_challenge(&handle).await;
    let post = |body: Value| async move {
        app.request(Method::POST, "/api/v1/public/shoutouts", None, Some(&body))
            .await
    };
    // A wrong answer: find a counter that does not solve it.
    let wrong = (0..100u32)
        .map(|n| n.to_string())
        .find(|s| !shoutout::praise::challenge::solves(&challenge, s, 12))
        .unwrap();
    let body =
        json!({"handle": handle, "message": "Thanks", "challenge": challenge, "solution": wrong});
    expect_problem(
        post(body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("solution"),
    )
    .await;
    let body = json!({"handle": handle, "message": "Thanks", "challenge": challenge, "solution": solution});
    expect_status(post(body.clone()).await, StatusCode::ACCEPTED).await;
    // The same solution again, even with another message, is a replay.
    let mut replay = body.clone();
    replay["message"] = json!("Thanks again, different words");
    expect_problem(
        post(replay).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("challenge"),
    )
    .await;
    // A challenge for someone else, or one made up, is refused.
    let bob = app.praise_handle(c.bob).await;
    let mut other = body.clone();
    other["handle"] = json!(bob);
    other["message"] = json!("For Bob");
    expect_problem(
        post(other).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("challenge"),
    )
    .await;
    let forged =
        json!({"handle": handle, "message": "Forged", "challenge": "AAAA", "solution": "1"});
    expect_problem(
        post(forged).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("challenge"),
    )
    .await;
    let missing = json!({"handle": handle, "message": "No challenge"});
    expect_problem(
        post(missing).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("challenge"),
    )
    .await;
    // Expired.
    let (challenge, solution) = app.solved_challenge(&handle).await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let late = json!({"handle": handle, "message": "Late thanks", "challenge": challenge, "solution": solution});
    let problem = expect_problem(
        post(late).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("challenge"),
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("expired"),
        "{problem}"
    );
    assert_eq!(customer_rows(app).await, 1);
}

#[tokio::test]
async fn oversize_and_hostile_input_is_refused_or_made_harmless() {
    let c = company().await;
    let app = &c.app;
    let handle = app.praise_handle(c.ann).await;
    let cases = [
        (json!({"message": "x".repeat(1001)}), "message"),
        (json!({"message": "   "}), "message"),
        (
            json!({"message": "ok", "customer_name": "n".repeat(101)}),
            "customer_name",
        ),
        (
            json!({"message": "ok", "customer_email": "not-an-address"}),
            "customer_email",
        ),
        (
            json!({"message": "ok", "customer_email": format!("{}@example.com", "a".repeat(250))}),
            "customer_email",
        ),
        (json!({"message": "ok", "value": "kindness"}), "value"),
        (json!({"message": "ok", "unknown": 1}), "unknown"),
        (json!({"message": "nul \u{0000} byte"}), "message"),
    ];
    for (extra, field) in cases {
        let message = extra["message"].as_str().unwrap().to_owned();
        let response = app.praise(&handle, &message, extra).await;
        let text = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field))
            .await
            .to_string();
        assert!(
            !text.contains("not-an-address"),
            "the address is never echoed: {text}"
        );
    }
    let long_handle = "h".repeat(65);
    let response = app
        .request(
            Method::POST,
            "/api/v1/public/shoutouts",
            None,
            Some(
                &json!({"handle": long_handle, "message": "x", "challenge": "c", "solution": "1"}),
            ),
        )
        .await;
    expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("handle")).await;
    let huge =
        json!({"handle": handle, "message": "x".repeat(70_000), "challenge": "c", "solution": "1"});
    let response = app
        .request(Method::POST, "/api/v1/public/shoutouts", None, Some(&huge))
        .await;
    expect_problem(response, StatusCode::PAYLOAD_TOO_LARGE, None).await;
    assert_eq!(customer_rows(app).await, 0);

    // Markup is stored as typed, escaped on every page, and links are shown inert.
    let hostile = "<script>alert(1)</script> Great! Visit https://evil.example/x and www.spam.com";
    let id = id_of(
        expect_status(
            app.praise(&handle, hostile, json!({"customer_name": "<b>Eve</b>"}))
                .await,
            StatusCode::ACCEPTED,
        )
        .await,
    );
    let item = expect_status(
        app.post(
            &format!("/api/v1/shoutouts/{id}/approve"),
            &app.admin_token(),
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(item["original_message"], hostile);
    let shown = item["shoutout"]["message"].as_str().unwrap();
    assert!(
        shown.contains("hxxps://evil[.]example/x") && shown.contains("www[.]spam[.]com"),
        "{shown}"
    );
    let (challenge, solution) = app.solved_challenge(&handle).await;
    let response = app
        .post_form(
            &format!("/praise/{handle}"),
            &[
                ("message", "<script>alert(2)</script>"),
                ("customer_email", "bad"),
                ("challenge", &challenge),
                ("solution", &solution),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("&lt;script&gt;alert(2)&lt;/script&gt;")
            && !page.contains("<script>alert(2)"),
        "{page}"
    );
    assert!(page.contains("aria-invalid=\"true\"") && page.contains("role=\"alert\""));
}

#[tokio::test]
async fn the_form_posts_to_itself_and_leads_to_a_thank_you_page() {
    let c = company().await;
    let app = &c.app;
    let handle = app.praise_handle(c.ann).await;
    let (challenge, solution) = app.solved_challenge(&handle).await;
    let response = app
        .post_form(
            &format!("/praise/{handle}"),
            &[
                (
                    "message",
                    "Thank you for sorting out my broadband so quickly",
                ),
                ("value", "achieving_goals"),
                ("customer_name", "Sam"),
                ("customer_email", ""),
                ("website", ""),
                ("challenge", &challenge),
                ("solution", &solution),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, _, page) = get_text(app, &format!("/praise/{handle}/thanks")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Thank you!") && page.contains("ann Example"));
    let row = app
        .db()
        .await
        .query_one("SELECT s.value::text, s.customer_name, p.customer_email FROM shoutouts s JOIN customer_praise p ON p.shoutout_id = s.id", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "achieving_goals");
    assert_eq!(row.get::<_, String>(1), "Sam");
    assert_eq!(row.get::<_, Option<String>>(2), None);
    // An unknown value code is the customer's error, named on the page.
    let (challenge, solution) = app.solved_challenge(&handle).await;
    let response = app
        .post_form(
            &format!("/praise/{handle}"),
            &[
                ("message", "Hi"),
                ("value", "bogus"),
                ("challenge", &challenge),
                ("solution", &solution),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A form for a link that no longer works.
    let response = app.post_form("/praise/gone", &[("message", "Hi")]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_customers_email_is_for_moderators_only_and_can_be_erased_without_losing_the_praise() {
    let c = company().await;
    let app = &c.app;
    let handle = app.praise_handle(c.ann).await;
    let id = id_of(
        expect_status(
            app.praise(
                &handle,
                "Thanks!",
                json!({"customer_email": "kim@example.net"}),
            )
            .await,
            StatusCode::ACCEPTED,
        )
        .await,
    );
    let erase = format!("/api/v1/shoutouts/{id}/customer-email");
    expect_problem(
        app.delete(&erase, &c.manager_token).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    expect_status(
        app.delete(&erase, &app.admin_token()).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    expect_status(
        app.delete(&erase, &app.admin_token()).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let queue = expect_status(
        app.get("/api/v1/moderation/shoutouts", &app.admin_token())
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(queue["items"][0]["customer_email"], Value::Null);
    assert_eq!(queue["items"][0]["email_erased"], true);
    assert_eq!(queue["items"][0]["original_message"], "Thanks!");
    let left: i64 = app
        .db()
        .await
        .query_one(
            "SELECT count(*) FROM customer_praise WHERE customer_email IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 0);
    expect_problem(
        app.delete(
            &format!("/api/v1/shoutouts/{}/customer-email", Uuid::now_v7()),
            &app.admin_token(),
        )
        .await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
}

#[tokio::test]
async fn staff_can_ask_for_a_value_suggestion() {
    let c = company().await;
    let app = &c.app;
    let response = app
        .post(
            "/api/v1/values/suggest",
            &c.ann_token,
            &json!({"message": "Thanks for coordinating with the whole team on the handover"}),
        )
        .await;
    let body = expect_status(response, StatusCode::OK).await;
    assert_eq!(body["value"], "thriving_through_teamwork");
    assert!(body["confidence"].as_f64().unwrap() > 0.5);
    let scores = body["scores"].as_object().unwrap();
    assert_eq!(scores.len(), 5);
    let sum: f64 = scores.values().map(|v| v.as_f64().unwrap()).sum();
    assert!((sum - 1.0).abs() < 0.01, "{sum}");
    let response = app
        .request(
            Method::POST,
            "/api/v1/values/suggest",
            None,
            Some(&json!({"message": "hi"})),
        )
        .await;
    expect_problem(response, StatusCode::UNAUTHORIZED, None).await;
    let response = app
        .post(
            "/api/v1/values/suggest",
            &c.ann_token,
            &json!({"message": ""}),
        )
        .await;
    expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("message")).await;
}

/// Praise waiting for someone who has left since is not published to them: the moderator gets a
/// 422 naming `recipient_id`, and moving it to a colleague still works. Approving needs no body.
#[tokio::test]
async fn praise_for_someone_who_left_is_not_published_to_them_and_approve_needs_no_body() {
    let c = company().await;
    let app = &c.app;
    let admin = app.admin_token();
    let handle = app.praise_handle(c.ann).await;
    let for_ann = id_of(
        expect_status(
            app.praise(&handle, "Ann sorted out my refund in minutes.", json!({}))
                .await,
            StatusCode::ACCEPTED,
        )
        .await,
    );
    let second = id_of(
        expect_status(
            app.praise(&handle, "Ann was patient and kind on the phone.", json!({}))
                .await,
            StatusCode::ACCEPTED,
        )
        .await,
    );
    expect_status(
        app.patch(
            &format!("/api/v1/employees/{}", c.ann),
            &admin,
            &json!({"active": false}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    for body in [
        None,
        Some(json!({})),
        Some(json!({"value": "helping_others"})),
    ] {
        let response = match &body {
            Some(body) => {
                app.post(
                    &format!("/api/v1/shoutouts/{for_ann}/approve"),
                    &admin,
                    body,
                )
                .await
            }
            None => {
                app.request(
                    Method::POST,
                    &format!("/api/v1/shoutouts/{for_ann}/approve"),
                    Some(&admin),
                    None,
                )
                .await
            }
        };
        let problem = expect_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("recipient_id"),
        )
        .await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("no longer active"),
            "{problem}"
        );
    }
    let status: String = app
        .db()
        .await
        .query_one(
            "SELECT status::text FROM shoutouts WHERE id = $1",
            &[&for_ann],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "pending", "nothing was published");
    assert!(recipients_board(app, "").await.is_empty());

    // Moved to a colleague, it is published to them.
    let approved = expect_status(
        app.post(
            &format!("/api/v1/shoutouts/{for_ann}/approve"),
            &admin,
            &json!({"recipient_id": c.bob}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        approved["shoutout"]["recipients"][0]["id"],
        c.bob.to_string()
    );

    // With Ann back, an approval without any body publishes as the customer sent it.
    expect_status(
        app.patch(
            &format!("/api/v1/employees/{}", c.ann),
            &admin,
            &json!({"active": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let approved = expect_status(
        app.request(
            Method::POST,
            &format!("/api/v1/shoutouts/{second}/approve"),
            Some(&admin),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(approved["shoutout"]["status"], "published");
    assert_eq!(
        approved["shoutout"]["recipients"][0]["id"],
        c.ann.to_string()
    );
}

/// Limits hold across instances: two instances behind a load balancer share one budget per
/// client and per person, instead of granting it once each. Clients are told apart as the
/// limiter does (an IPv6 /64 is one client).
#[tokio::test]
async fn rate_limits_hold_across_instances() {
    let c = company_with(|config| {
        config.praise_per_address_per_hour = 4;
        config.praise_per_employee_per_hour = 6;
        config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    })
    .await;
    let first = &c.app;
    let second = first.spawn_beside(|_| {}).await;
    let handle = first.praise_handle(c.ann).await;
    let send = |app: &TestApp, from: &'static str, n: usize| {
        let handle = handle.clone();
        let app_base = app.base.clone();
        let client = app.client.clone();
        async move {
            let (challenge, solution) = first.solved_challenge(&handle).await;
            client
                .post(format!("{app_base}/api/v1/public/shoutouts"))
                .header("x-forwarded-for", from)
                .json(
                    &json!({"handle": handle, "message": format!("Thanks again, {n}"),
                              "challenge": challenge, "solution": solution}),
                )
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    // One client, rotating through its /64, alternating between the instances: 4 in all.
    let clients = [
        "2001:db8:5:6::1",
        "2001:db8:5:6::2",
        "2001:db8:5:6:ffff::3",
        "2001:db8:5:6::4",
    ];
    let mut statuses = Vec::new();
    for n in 0..8 {
        let app = if n % 2 == 0 { first } else { &second };
        statuses.push(send(app, clients[n % 4], n).await);
    }
    let accepted = statuses
        .iter()
        .filter(|s| **s == StatusCode::ACCEPTED)
        .count();
    assert_eq!(accepted, 4, "{statuses:?}");
    assert!(
        statuses[4..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // The person's budget is shared too: 6 in all, whichever instance and client sends.
    for (n, from) in ["198.51.100.20", "198.51.100.21", "198.51.100.22"]
        .into_iter()
        .enumerate()
    {
        let app = if n % 2 == 0 { first } else { &second };
        let status = send(app, from, 100 + n).await;
        let expected = if n < 2 {
            StatusCode::ACCEPTED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(status, expected, "{from}");
    }
    assert_eq!(customer_rows(first).await, 6);
}
