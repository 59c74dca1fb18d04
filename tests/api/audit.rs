//! The audit trail: every retraction, moderation decision, directory change, handle rotation,
//! e-mail erasure, key mint and revocation and campaign is recorded with its actor, time,
//! before and after; admins read it; nobody edits it, through the API or the database.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shoutout::auth::Role;

use crate::helpers::{TestApp, expect_problem, expect_status, id_of};

/// Every audit event about one row, oldest first.
async fn trail(app: &TestApp, subject: impl std::fmt::Display) -> Vec<Value> {
    let body = expect_status(
        app.get(
            &format!("/api/v1/audit?subject_id={subject}&limit=100"),
            &app.admin_token(),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let mut events = body["items"].as_array().unwrap().clone();
    events.reverse();
    events
}

fn actions(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn every_audited_change_is_recorded_with_its_actor_before_and_after() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token();

    // Directory: a team created and renamed; an employee created, moved, and an import that
    // changes nothing records nothing.
    let support = app.team("Support", None).await;
    expect_status(
        app.patch(
            &format!("/api/v1/teams/{support}"),
            &admin,
            &json!({"name": "Care"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let events = trail(&app, support).await;
    assert_eq!(actions(&events), ["team.created", "team.updated"]);
    assert_eq!(events[1]["actor"], "root-admin");
    assert_eq!(events[1]["before"]["name"], "Support");
    assert_eq!(events[1]["after"]["name"], "Care");
    assert_eq!(events[1]["subject_type"], "teams");

    let (ann, ann_token) = app.employee("ann", None).await;
    let (bob, _) = app.employee("bob", Some(support)).await;
    expect_status(
        app.patch(
            &format!("/api/v1/employees/{ann}"),
            &admin,
            &json!({"team_id": support}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let row = json!([{"external_id": "ann", "display_name": "ann Example",
                      "email": "ann@example.com", "team_id": support}]);
    let imported = app.post("/api/v1/employees/import", &admin, &row).await;
    expect_status(imported, StatusCode::OK).await;
    let events = trail(&app, ann).await;
    assert_eq!(
        actions(&events),
        ["employee.created", "employee.updated"],
        "{events:?}"
    );
    assert_eq!(events[1]["before"]["team_id"], Value::Null);
    assert_eq!(events[1]["after"]["team_id"], support.to_string());

    // Handle rotation.
    let old_handle = app.praise_handle(bob).await;
    expect_status(
        app.post(
            &format!("/api/v1/employees/{bob}/praise-link/rotate"),
            &admin,
            &json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let events = trail(&app, bob).await;
    let rotation = events.last().unwrap();
    assert_eq!(rotation["action"], "praise_handle.rotated");
    assert_eq!(rotation["before"]["praise_handle"], old_handle);
    assert_ne!(rotation["after"]["praise_handle"], old_handle);

    // A retraction by its giver names the giver.
    let given = app
        .shoutout(
            &ann_token,
            &[bob],
            "helping_others",
            "Thanks for covering my shift",
        )
        .await;
    let given = id_of(given);
    let response = app
        .delete(&format!("/api/v1/shoutouts/{given}"), &ann_token)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let events = trail(&app, given).await;
    assert_eq!(actions(&events), ["shoutout.retracted"]);
    assert_eq!(events[0]["actor"], "ann");
    assert_eq!(events[0]["before"]["status"], "published");
    assert_eq!(events[0]["after"]["status"], "retracted");

    // Moderation: one approved, one rejected, and an e-mail address erased without the
    // address surviving anywhere in the trail.
    let handle = app.praise_handle(bob).await;
    let mut praised = Vec::new();
    for message in [
        "Bob sorted my refund in minutes",
        "Bob was patient with my questions",
    ] {
        let response = app
            .praise(
                &handle,
                message,
                json!({"customer_email": "carol@example.org"}),
            )
            .await;
        praised.push(id_of(expect_status(response, StatusCode::ACCEPTED).await));
    }
    let moderator = app.token("mo", &[Role::Admin]);
    let response = app
        .post(
            &format!("/api/v1/shoutouts/{}/approve", praised[0]),
            &moderator,
            &json!({}),
        )
        .await;
    expect_status(response, StatusCode::OK).await;
    let response = app
        .post(
            &format!("/api/v1/shoutouts/{}/reject", praised[1]),
            &moderator,
            &json!({"reason": "spam"}),
        )
        .await;
    expect_status(response, StatusCode::OK).await;
    let response = app
        .delete(
            &format!("/api/v1/shoutouts/{}/customer-email", praised[0]),
            &admin,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let events = trail(&app, praised[0]).await;
    assert_eq!(
        actions(&events),
        ["shoutout.approved", "customer_email.erased"]
    );
    assert_eq!(events[0]["actor"], "mo");
    assert_eq!(events[1]["actor"], "root-admin");
    assert_eq!(events[1]["before"]["has_customer_email"], true);
    assert_eq!(events[1]["after"]["has_customer_email"], false);
    let events = trail(&app, praised[1]).await;
    assert_eq!(actions(&events), ["shoutout.rejected"]);
    let everything = app
        .get("/api/v1/audit?limit=100", &admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !everything.contains("carol@example.org"),
        "an erased address is in the trail"
    );

    // Widget keys: minted and revoked, the secret and its hash never in the trail.
    let minted = expect_status(
        app.post(
            "/api/v1/widget-keys",
            &admin,
            &json!({"name": "Lobby TV", "scopes": ["boards"]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let secret = minted["key"].as_str().unwrap().to_owned();
    let key = id_of(minted);
    expect_status(
        app.delete(&format!("/api/v1/widget-keys/{key}"), &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    let events = trail(&app, key).await;
    assert_eq!(
        actions(&events),
        ["widget_key.minted", "widget_key.revoked"]
    );
    assert!(events[0]["after"].get("key_hash").is_none());
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains(&secret));

    // A campaign.
    let campaign = id_of(
        expect_status(
            app.post(
                "/api/v1/campaigns",
                &admin,
                &json!({"name": "CSW 2026", "starts_on": "2026-10-05", "ends_on": "2026-10-09"}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await,
    );
    assert_eq!(actions(&trail(&app, campaign).await), ["campaign.created"]);

    // A change made straight in the database is recorded too, as made by its database role.
    app.db()
        .await
        .execute(
            "UPDATE teams SET name = 'Care team' WHERE id = $1",
            &[&support],
        )
        .await
        .unwrap();
    let events = trail(&app, support).await;
    assert_eq!(events.last().unwrap()["actor"], "database:postgres");

    // Filters and pages.
    let body = expect_status(
        app.get("/api/v1/audit?action=employee.created&limit=1", &admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    let cursor = body["next_cursor"]
        .as_str()
        .expect("more than one employee was created");
    let next = expect_status(
        app.get(
            &format!("/api/v1/audit?action=employee.created&limit=1&cursor={cursor}"),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_ne!(next["items"][0]["id"], body["items"][0]["id"]);
    let by_actor = expect_status(
        app.get("/api/v1/audit?actor=mo", &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(by_actor["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn only_admins_read_the_trail_and_nobody_can_change_it() {
    let app = TestApp::spawn().await;
    let team = app.team("Support", None).await;
    let (_, employee) = app.employee("eve", Some(team)).await;
    let manager = app.token("max", &[Role::Manager]);
    for token in [&employee, &manager] {
        expect_problem(
            app.get("/api/v1/audit", token).await,
            StatusCode::FORBIDDEN,
            None,
        )
        .await;
    }
    let anonymous = app
        .client
        .get(format!("{}/api/v1/audit", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    expect_problem(
        app.get("/api/v1/audit?limit=1000", &app.admin_token())
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("limit"),
    )
    .await;
    expect_problem(
        app.get("/api/v1/audit?cursor=nonsense", &app.admin_token())
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("cursor"),
    )
    .await;

    // No route writes it.
    let event = expect_status(
        app.get("/api/v1/audit?limit=1", &app.admin_token()).await,
        StatusCode::OK,
    )
    .await["items"][0]["id"]
        .clone();
    for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        for path in ["/api/v1/audit".to_owned(), format!("/api/v1/audit/{event}")] {
            let response = app
                .request(
                    method.clone(),
                    &path,
                    Some(&app.admin_token()),
                    Some(&json!({})),
                )
                .await;
            assert!(
                matches!(
                    response.status(),
                    StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
                ),
                "{method} {path}: {}",
                response.status()
            );
        }
    }
    // Nor does the database let anyone rewrite or remove it.
    let db = app.db().await;
    for statement in [
        "UPDATE audit_events SET actor = 'someone else'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ] {
        let error = db.execute(statement, &[]).await.unwrap_err();
        assert!(
            error.to_string().contains("append-only")
                || format!("{error:?}").contains("append-only"),
            "{statement}: {error:?}"
        );
    }
}
