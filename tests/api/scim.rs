//! SCIM 2.0 provisioning: the `scim2-tester` conformance checker (PyPI) against the real
//! server, and provisioning sessions replayed in the shapes Okta and Microsoft Entra send
//! (create, update, move team, deactivate, reactivate, group push, delete), with the directory
//! API and the audit trail checked after each step.

use std::process::Command;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, expect_status, id_of};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Mints a SCIM token named `name`; returns its secret.
async fn token(app: &TestApp, name: &str) -> (Uuid, String) {
    let minted = expect_status(
        app.post(
            "/api/v1/scim-tokens",
            &app.admin_token(),
            &json!({"name": name}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    (
        id_of(minted.clone()),
        minted["token"].as_str().unwrap().to_owned(),
    )
}

async fn scim(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let mut request = app
        .client
        .request(method, format!("{}/scim/v2{path}", app.base))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/scim+json")
            .body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    if status != StatusCode::NO_CONTENT {
        assert_eq!(
            response.headers()["content-type"],
            "application/scim+json",
            "{path}"
        );
    }
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn expect(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<&Value>,
    want: StatusCode,
) -> Value {
    let (status, body_got) = scim(app, method.clone(), path, token, body).await;
    assert_eq!(status, want, "{method} {path}: {body_got}");
    body_got
}

async fn employee(app: &TestApp, id: &str) -> Value {
    expect_status(
        app.get(&format!("/api/v1/employees/{id}"), &app.admin_token())
            .await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn the_scim2_tester_conformance_checker_finds_no_failure() {
    let app = TestApp::spawn().await;
    let (_, secret) = token(&app, "conformance").await;
    let python = std::env::var("SHOUTOUT_TEST_PYTHON").unwrap_or_else(|_| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/py/bin/python")
            .display()
            .to_string()
    });
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/scim_check.py");
    let base = format!("{}/scim/v2", app.base);
    let output = tokio::task::spawn_blocking(move || {
        Command::new(&python)
            .arg(&script)
            .arg(&base)
            .arg(&secret)
            .output()
            .unwrap_or_else(|e| panic!("running {python} (scripts/test installs it): {e}"))
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let failures: Vec<&str> = stdout.lines().filter(|l| l.contains("\"ERROR\"")).collect();
    assert!(
        output.status.success() && failures.is_empty(),
        "scim2-tester failed:\n{}\n{}",
        failures.join("\n"),
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let skipped = stdout.lines().filter(|l| l.contains("\"SKIPPED\"")).count();
    eprintln!("scim2-tester: {summary}, {skipped} skipped");
    assert!(summary["checks"].as_u64().unwrap() > 50, "{summary}");
}

#[tokio::test]
async fn an_okta_style_session_provisions_moves_deactivates_and_reactivates() {
    let app = TestApp::spawn().await;
    let (_, okta) = token(&app, "Okta").await;

    // Okta looks the person up first, then creates them.
    let found = expect(
        &app,
        Method::GET,
        "/Users?filter=userName%20eq%20%22ada%40example.com%22&startIndex=1&count=100",
        &okta,
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(found["totalResults"], 0);
    let created = expect(
        &app,
        Method::POST,
        "/Users",
        &okta,
        Some(&json!({
            "schemas": [USER],
            "userName": "ada@example.com",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"primary": true, "value": "ada@example.com", "type": "work"}],
            "displayName": "Ada Lovelace",
            "locale": "en-GB",
            "externalId": "00u1okta",
            "groups": [],
            "password": "ignored",
            "active": true
        })),
        StatusCode::CREATED,
    )
    .await;
    let ada = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["userName"], "ada@example.com");
    // The same record the directory API shows.
    let row = employee(&app, &ada).await;
    assert_eq!(row["external_id"], "ada@example.com");
    assert_eq!(row["display_name"], "Ada Lovelace");
    assert_eq!(row["active"], true);
    // Creating them again is a conflict.
    let again = expect(&app, Method::POST, "/Users", &okta, Some(&json!({"schemas": [USER], "userName": "ada@example.com", "emails": [{"value": "other@example.com"}]})), StatusCode::CONFLICT).await;
    assert_eq!(again["scimType"], "uniqueness");

    // Profile update (PUT of the whole user).
    let put = expect(
        &app,
        Method::PUT,
        &format!("/Users/{ada}"),
        &okta,
        Some(&json!({
            "schemas": [USER, ENTERPRISE],
            "userName": "ada@example.com",
            "displayName": "Ada King",
            "emails": [{"primary": true, "value": "ada@example.com"}],
            "title": "Analyst",
            "active": true,
            ENTERPRISE: {"department": "Engines"}
        })),
        StatusCode::OK,
    )
    .await;
    assert_eq!(put["title"], "Analyst");
    assert_eq!(put[ENTERPRISE]["department"], "Engines");
    assert_eq!(employee(&app, &ada).await["display_name"], "Ada King");

    // Group push: a team with Ada, then another team she moves to.
    let support = expect(
        &app,
        Method::POST,
        "/Groups",
        &okta,
        Some(&json!({"schemas": [GROUP], "displayName": "Support", "members": [{"value": ada}]})),
        StatusCode::CREATED,
    )
    .await;
    let support_id = support["id"].as_str().unwrap().to_owned();
    assert_eq!(employee(&app, &ada).await["team_id"], support_id);
    let tier2 = expect(
        &app,
        Method::POST,
        "/Groups",
        &okta,
        Some(&json!({"schemas": [GROUP], "displayName": "Tier 2", "members": []})),
        StatusCode::CREATED,
    )
    .await;
    let tier2_id = tier2["id"].as_str().unwrap().to_owned();
    expect(
        &app,
        Method::PATCH,
        &format!("/Groups/{tier2_id}"),
        &okta,
        Some(&json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": ada, "display": "Ada King"}]}]})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(employee(&app, &ada).await["team_id"], tier2_id);
    let support_now = expect(
        &app,
        Method::GET,
        &format!("/Groups/{support_id}"),
        &okta,
        None,
        StatusCode::OK,
    )
    .await;
    assert!(support_now.get("members").is_none(), "{support_now}");
    // The directory's team list shows the pushed teams.
    let teams = expect_status(
        app.get("/api/v1/teams", &app.admin_token()).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        teams["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "Tier 2"),
        "{teams}"
    );

    // Deactivation keeps the person and their history; reactivation brings them back.
    let off = expect(&app, Method::PATCH, &format!("/Users/{ada}"), &okta, Some(&json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]})), StatusCode::OK).await;
    assert_eq!(off["active"], false);
    assert_eq!(employee(&app, &ada).await["active"], false);
    let on = expect(&app, Method::PATCH, &format!("/Users/{ada}"), &okta, Some(&json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": true}}]})), StatusCode::OK).await;
    assert_eq!(on["active"], true);

    // Every change is in the audit trail, made by the token.
    let audit = expect_status(
        app.get(
            "/api/v1/audit?actor=scim:Okta&limit=100",
            &app.admin_token(),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"employee.created"), "{actions:?}");
    assert!(actions.contains(&"employee.updated"), "{actions:?}");
    assert!(actions.contains(&"team.created"), "{actions:?}");
}

#[tokio::test]
async fn an_entra_style_session_with_its_own_shapes_and_a_delete() {
    let app = TestApp::spawn().await;
    let (_, entra) = token(&app, "Entra").await;
    let boss = expect(&app, Method::POST, "/Users", &entra, Some(&json!({"schemas": [USER, ENTERPRISE], "userName": "boss@contoso.com", "active": true, "displayName": "Bo Boss", "emails": [{"primary": true, "type": "work", "value": "boss@contoso.com"}], "externalId": "boss"})), StatusCode::CREATED).await;
    let boss = boss["id"].as_str().unwrap().to_owned();
    let grace = expect(
        &app,
        Method::POST,
        "/Users",
        &entra,
        Some(&json!({
            "schemas": [USER, ENTERPRISE],
            "externalId": "grace",
            "userName": "grace@contoso.com",
            "active": true,
            "emails": [{"primary": true, "type": "work", "value": "grace@contoso.com"}],
            "meta": {"resourceType": "User"},
            "name": {"formatted": "Grace Hopper", "familyName": "Hopper", "givenName": "Grace"},
            ENTERPRISE: {"department": "Navy"}
        })),
        StatusCode::CREATED,
    )
    .await;
    let grace_id = grace["id"].as_str().unwrap().to_owned();
    assert_eq!(grace["displayName"], "Grace Hopper");

    // Entra: capitalised ops, strings for booleans, filtered paths, a bare manager id.
    let patched = expect(
        &app,
        Method::PATCH,
        &format!("/Users/{grace_id}"),
        &entra,
        Some(&json!({"schemas": [PATCH_OP], "Operations": [
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "grace.hopper@contoso.com"},
            {"op": "Replace", "path": "displayName", "value": "Rear Admiral Hopper"},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": boss},
            {"op": "Replace", "path": "title", "value": "Admiral"},
            {"op": "Add", "path": "phoneNumbers[type eq \"work\"].value", "value": "+1 555 0100"}
        ]})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(patched["emails"][0]["value"], "grace.hopper@contoso.com");
    assert_eq!(patched[ENTERPRISE]["manager"]["value"], boss);
    assert_eq!(
        employee(&app, &grace_id).await["email"],
        "grace.hopper@contoso.com"
    );
    let off = expect(&app, Method::PATCH, &format!("/Users/{grace_id}"), &entra, Some(&json!({"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]})), StatusCode::OK).await;
    assert_eq!(off["active"], false);
    let on = expect(&app, Method::PATCH, &format!("/Users/{grace_id}"), &entra, Some(&json!({"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "True"}]})), StatusCode::OK).await;
    assert_eq!(on["active"], true);

    // Filters Entra and others use.
    let by = |f: &str| format!("/Users?filter={}", urlencoding(f));
    for (filter, n) in [
        ("externalId eq \"grace\"", 1),
        (
            "userName eq \"grace@contoso.com\" or userName eq \"boss@contoso.com\"",
            2,
        ),
        ("emails.value eq \"GRACE.HOPPER@contoso.com\"", 1),
        (
            "displayName eq \"rear admiral hopper\" and active eq true",
            1,
        ),
        ("emails[value eq \"boss@contoso.com\"]", 1),
        ("userName sw \"grace\"", 1),
        ("not (userName eq \"grace@contoso.com\")", 1),
    ] {
        let page = expect(&app, Method::GET, &by(filter), &entra, None, StatusCode::OK).await;
        assert_eq!(page["totalResults"], n, "{filter}: {page}");
    }
    let bad = expect(
        &app,
        Method::GET,
        &by("userName eq"),
        &entra,
        None,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(bad["scimType"], "invalidFilter");
    let bad = expect(
        &app,
        Method::GET,
        &by("password eq \"x\""),
        &entra,
        None,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(bad["scimType"], "invalidFilter");
    // Paging.
    let page = expect(
        &app,
        Method::GET,
        "/Users?startIndex=2&count=1",
        &entra,
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            page["totalResults"].as_i64(),
            page["itemsPerPage"].as_i64(),
            page["startIndex"].as_i64()
        ),
        (Some(2), Some(1), Some(2))
    );

    // A group pushed, then members removed the way Entra removes them.
    let group = expect(&app, Method::POST, "/Groups", &entra, Some(&json!({"schemas": [GROUP], "displayName": "Fleet", "externalId": "g-fleet", "members": [{"value": grace_id}, {"value": boss}]})), StatusCode::CREATED).await;
    let group_id = group["id"].as_str().unwrap().to_owned();
    let found = expect(
        &app,
        Method::GET,
        &format!(
            "/Groups?filter={}&excludedAttributes=members",
            urlencoding("displayName eq \"Fleet\"")
        ),
        &entra,
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(found["totalResults"], 1);
    assert!(found["Resources"][0].get("members").is_none());
    expect(&app, Method::PATCH, &format!("/Groups/{group_id}"), &entra, Some(&json!({"schemas": [PATCH_OP], "Operations": [{"op": "Remove", "path": "members", "value": [{"value": boss}]}]})), StatusCode::OK).await;
    assert_eq!(employee(&app, &boss).await["team_id"], Value::Null);
    assert_eq!(employee(&app, &grace_id).await["team_id"], group_id);
    let bad = expect(&app, Method::PATCH, &format!("/Groups/{group_id}"), &entra, Some(&json!({"schemas": [PATCH_OP], "Operations": [{"op": "Add", "path": "members", "value": [{"value": Uuid::new_v4()}]}]})), StatusCode::BAD_REQUEST).await;
    assert_eq!(bad["scimType"], "invalidValue");

    // Grace receives a shout-out, then the provider deletes her: the record and the history
    // stay (inactive), SCIM no longer knows her, and creating her again brings her back.
    let (_, giver) = app.employee("giver", None).await;
    expect_status(
        app.post("/api/v1/shoutouts", &giver, &json!({"recipient_ids": [grace_id], "value": "helping_others", "message": "Thanks for the compiler"})).await,
        StatusCode::CREATED,
    )
    .await;
    let (status, _) = scim(
        &app,
        Method::DELETE,
        &format!("/Users/{grace_id}"),
        &entra,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    expect(
        &app,
        Method::GET,
        &format!("/Users/{grace_id}"),
        &entra,
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(employee(&app, &grace_id).await["active"], false);
    // Deleted by the provider, she comes back through the provider, not the API.
    let refused = app
        .patch(
            &format!("/api/v1/employees/{grace_id}"),
            &app.admin_token(),
            &json!({"active": true}),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let back = expect(&app, Method::POST, "/Users", &entra, Some(&json!({"schemas": [USER], "userName": "grace@contoso.com", "displayName": "Grace Hopper", "emails": [{"value": "grace@contoso.com"}]})), StatusCode::CREATED).await;
    assert_eq!(back["id"], grace_id.as_str());
    let received = expect_status(
        app.get(
            &format!("/api/v1/shoutouts?recipient_id={grace_id}"),
            &app.admin_token(),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(received["items"].as_array().unwrap().len(), 1);

    // A group deleted: its people leave it, the team is no longer listed.
    let (status, _) = scim(
        &app,
        Method::DELETE,
        &format!("/Groups/{group_id}"),
        &entra,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    expect(
        &app,
        Method::GET,
        &format!("/Groups/{group_id}"),
        &entra,
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(employee(&app, &grace_id).await["team_id"], Value::Null);
}

fn urlencoding(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn tokens_are_shown_once_hashed_and_revocable() {
    let app = TestApp::spawn().await;
    // Only admins mint, list and revoke.
    let (_, employee_token) = app.employee("emp", None).await;
    expect_status(
        app.post(
            "/api/v1/scim-tokens",
            &employee_token,
            &json!({"name": "x"}),
        )
        .await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let bad = app
        .post(
            "/api/v1/scim-tokens",
            &app.admin_token(),
            &json!({"name": ""}),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (id, secret) = token(&app, "Okta").await;
    assert!(secret.starts_with("sst_"));
    let listed = expect_status(
        app.get("/api/v1/scim-tokens", &app.admin_token()).await,
        StatusCode::OK,
    )
    .await;
    let text = listed.to_string();
    assert!(!text.contains(&secret) && text.contains("Okta"), "{text}");
    let stored: Vec<u8> = {
        let db = app.db().await;
        let row = db
            .query_one("SELECT token_hash FROM scim_tokens WHERE id = $1", &[&id])
            .await
            .unwrap();
        row.get(0)
    };
    assert_ne!(stored, secret.as_bytes());

    // No token, a wrong one, a user's JWT: 401 in SCIM's format.
    for bad in ["", "sst_wrong", &app.admin_token()] {
        let (status, body) = scim(&app, Method::GET, "/Users", bad, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
        assert_eq!(body["status"], "401");
    }
    expect(&app, Method::GET, "/Users", &secret, None, StatusCode::OK).await;
    expect_status(
        app.delete(&format!("/api/v1/scim-tokens/{id}"), &app.admin_token())
            .await,
        StatusCode::OK,
    )
    .await;
    expect(
        &app,
        Method::GET,
        "/Users",
        &secret,
        None,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let audit = expect_status(
        app.get(
            "/api/v1/audit?action=scim_token.revoked",
            &app.admin_token(),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(audit["items"].as_array().unwrap().len(), 1);

    // Bad bodies are clear errors, never a 500.
    let (_, live) = token(&app, "Live").await;
    for (body, kind) in [
        (json!([1]), "invalidSyntax"),
        (json!({"userName": "x"}), "invalidValue"),
        (
            json!({"userName": " spaced ", "emails": [{"value": "a@b.co"}]}),
            "invalidValue",
        ),
        (
            json!({"userName": "y", "emails": [{"value": "not an address"}]}),
            "invalidValue",
        ),
        (
            json!({"userName": "z", "emails": [{"value": "z@b.co"}], "active": "maybe"}),
            "invalidValue",
        ),
        (
            json!({"userName": "w", "emails": [{"value": "w@b.co"}], ENTERPRISE: {"manager": {"value": "nobody"}}}),
            "invalidValue",
        ),
    ] {
        let got = expect(
            &app,
            Method::POST,
            "/Users",
            &live,
            Some(&body),
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert_eq!(got["scimType"], kind, "{body}: {got}");
    }
    let (status, body) = scim(
        &app,
        Method::GET,
        &format!("/{}", Uuid::new_v4()),
        &live,
        None,
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::NOT_FOUND, Some("404"))
    );
}
