//! Who may call what: every route of the API (read from the OpenAPI document the routes
//! generate, so a new route without a line here fails) against every kind of caller, with the
//! decision expected. Requests go in the order of the roles below, so that a write an earlier
//! role was refused cannot hide behind one a later role made.
//!
//! Decisions: `A` allowed (the request got past authorization: 2xx, or a 4xx about the request
//! itself, such as 422 for the empty body sent to writes), `U` 401, `F` 403, `N` 404 (the object
//! is not shown to this caller at all).

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::json;
use shoutout::auth::Role;
use uuid::Uuid;

use crate::helpers::{TestApp, expect_status, id_of};

/// The callers, in the order each route is tried.
const ROLES: [&str; 7] = [
    "anonymous",
    "widget key",
    "employee",
    "another employee",
    "manager of another team",
    "manager",
    "admin",
];

/// Every route, with one decision per role above. The pages outside the API (`/praise/...`,
/// `/reports/...` with its signed link, `/demo`) have tests of their own.
const TABLE: &[(&str, &str, &str)] = &[
    ("GET", "/api/v1/audit", "UUFFFFA"),
    ("GET", "/api/v1/campaigns", "UUAAAAA"),
    ("POST", "/api/v1/campaigns", "UUFFFFA"),
    ("GET", "/api/v1/campaigns/{id}", "UUAAAAA"),
    ("GET", "/api/v1/employees", "UUAAAAA"),
    ("POST", "/api/v1/employees", "UUFFFFA"),
    ("POST", "/api/v1/employees/import", "UUFFFFA"),
    ("GET", "/api/v1/employees/{id}", "UUAAAAA"),
    ("PATCH", "/api/v1/employees/{id}", "UUFFFFA"),
    // Erasing is for admins; the table's employee is erased by the admin's request.
    ("POST", "/api/v1/employees/{id}/erase", "UUFFFFA"),
    ("GET", "/api/v1/employees/{id}/praise-link", "UUAFFAA"),
    (
        "POST",
        "/api/v1/employees/{id}/praise-link/rotate",
        "UUFFFFA",
    ),
    ("GET", "/api/v1/leaderboards/{board}", "UAAAAAA"),
    ("GET", "/api/v1/leaderboards/{board}/{id}", "UAAAAAA"),
    ("GET", "/api/v1/me", "UUAAAAA"),
    // Mail is for people in the directory (the admin here is not).
    ("GET", "/api/v1/me/export", "UUAAAAF"),
    ("GET", "/api/v1/me/notifications", "UUAAAAF"),
    ("GET", "/api/v1/me/privacy", "UUAAAAF"),
    ("PATCH", "/api/v1/me/privacy", "UUAAAAF"),
    ("PATCH", "/api/v1/me/notifications", "UUAAAAF"),
    ("GET", "/api/v1/moderation/shoutouts", "UUFFAAA"),
    ("GET", "/api/v1/public/challenge", "AAAAAAA"),
    ("POST", "/api/v1/public/shoutouts", "AAAAAAA"),
    // The link's token is the authorization: a forged one is refused to everyone alike.
    ("GET", "/api/v1/public/unsubscribe/{token}", "NNNNNNN"),
    ("POST", "/api/v1/public/unsubscribe/{token}", "NNNNNNN"),
    // For the employee's team: its manager and admins.
    ("GET", "/api/v1/reports/shoutouts.csv", "UUFFFAA"),
    ("GET", "/api/v1/reports/teams/{team_id}", "UUFFFAA"),
    ("POST", "/api/v1/reports/teams/{team_id}/link", "UUFFFAA"),
    ("GET", "/api/v1/shoutouts", "UAAAAAA"),
    // Giving is for people in the directory (the admin here is not).
    ("POST", "/api/v1/shoutouts", "UUAAAAF"),
    ("POST", "/api/v1/shoutouts/import", "UUFFFFA"),
    ("GET", "/api/v1/shoutouts/{id}", "UUAAAAA"),
    // Only the giver (the employee) or an admin retracts.
    ("DELETE", "/api/v1/shoutouts/{id}", "UUAFFFA"),
    // Customer praise for the employee: their manager or an admin decides; to the other
    // team's manager it does not exist.
    ("POST", "/api/v1/shoutouts/{id}/approve", "UUFFNAA"),
    // Cheering is for people in the directory (the admin here is not) and never for a
    // shout-out one gave (the employee) or received.
    ("POST", "/api/v1/shoutouts/{id}/cheers", "UUFAAAF"),
    ("DELETE", "/api/v1/shoutouts/{id}/cheers", "UUAAAAF"),
    ("DELETE", "/api/v1/shoutouts/{id}/customer-email", "UUFFFFA"),
    ("POST", "/api/v1/shoutouts/{id}/reject", "UUFFNAA"),
    ("GET", "/api/v1/stream", "UAAAAAA"),
    ("GET", "/api/v1/teams", "UUAAAAA"),
    ("POST", "/api/v1/teams", "UUFFFFA"),
    ("GET", "/api/v1/teams/{id}", "UUAAAAA"),
    ("PATCH", "/api/v1/teams/{id}", "UUFFFFA"),
    ("GET", "/api/v1/values", "AAAAAAA"),
    ("POST", "/api/v1/values/suggest", "UUAAAAA"),
    ("GET", "/api/v1/scim-tokens", "UUFFFFA"),
    ("POST", "/api/v1/scim-tokens", "UUFFFFA"),
    // The token named does not exist: the admin, past authorization, is told so.
    ("DELETE", "/api/v1/scim-tokens/{id}", "UUFFFFN"),
    ("GET", "/api/v1/widget-keys", "UUFFFFA"),
    ("POST", "/api/v1/widget-keys", "UUFFFFA"),
    ("DELETE", "/api/v1/widget-keys/{id}", "UUFFFFA"),
    ("GET", "/api/v1/webhooks", "UUFFFFA"),
    ("POST", "/api/v1/webhooks", "UUFFFFA"),
    ("GET", "/api/v1/webhooks/{id}", "UUFFFFA"),
    ("PATCH", "/api/v1/webhooks/{id}", "UUFFFFA"),
    ("DELETE", "/api/v1/webhooks/{id}", "UUFFFFA"),
    ("GET", "/api/v1/webhooks/{id}/deliveries", "UUFFFFA"),
    // The delivery named does not exist: the admin, past authorization, is told so.
    (
        "POST",
        "/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
        "UUFFFFN",
    ),
    ("POST", "/api/v1/webhooks/{id}/ping", "UUFFFFA"),
    ("POST", "/api/v1/webhooks/{id}/rotate-secret", "UUFFFFA"),
    // Signed by Slack, not by a caller's token: unsigned is 401 for everyone.
    ("POST", "/integrations/slack/commands", "UUUUUUU"),
    ("GET", "/docs", "AAAAAAA"),
    ("GET", "/healthz", "AAAAAAA"),
    ("GET", "/metrics", "AAAAAAA"),
    ("GET", "/openapi.json", "AAAAAAA"),
    ("GET", "/readyz", "AAAAAAA"),
];

/// The API's operations as the routes declare them.
fn declared_operations() -> Vec<(String, String)> {
    let document = serde_json::to_value(shoutout::routes::openapi()).unwrap();
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                operations.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations.sort();
    operations
}

#[test]
fn every_route_has_a_line_in_the_table() {
    let declared = declared_operations();
    let listed: Vec<(String, String)> = {
        let mut l: Vec<_> = TABLE
            .iter()
            .map(|(m, p, _)| (m.to_string(), p.to_string()))
            .collect();
        l.sort();
        l
    };
    let missing: Vec<_> = declared.iter().filter(|o| !listed.contains(o)).collect();
    let stale: Vec<_> = listed.iter().filter(|o| !declared.contains(o)).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "routes without a line in the authorization table: {missing:?}; lines for no route: {stale:?}"
    );
    for (method, path, decisions) in TABLE {
        assert_eq!(decisions.len(), ROLES.len(), "{method} {path}");
    }
}

/// The objects the requests name: one organisation, with a team per manager.
struct World {
    team: Uuid,
    employee: Uuid,
    teammate: Uuid,
    /// Someone the erasure route may erase (the others go on being needed).
    leaver: Uuid,
    campaign: Uuid,
    shoutout: Uuid,
    // One object per role for the routes that change it, so every role meets it unchanged.
    retractable: Vec<Uuid>,
    to_approve: Vec<Uuid>,
    to_reject: Vec<Uuid>,
    to_erase: Vec<Uuid>,
    spare_key: Uuid,
    webhook: Uuid,
    spare_webhook: Uuid,
    tokens: BTreeMap<&'static str, Option<String>>,
    widget_key: String,
}

async fn world(app: &TestApp) -> World {
    let admin = app.admin_token();
    let team = app.team("Support", None).await;
    let other_team = app.team("Sales", None).await;
    let (employee, employee_token) = app.employee("emp", Some(team)).await;
    let (teammate, _) = app.employee("mate", Some(team)).await;
    let (leaver, _) = app.employee("leaver", Some(team)).await;
    let (_, other_token) = app.employee("other", Some(other_team)).await;
    let (manager, _) = app.employee("boss", Some(team)).await;
    let (other_manager, _) = app.employee("rival", Some(other_team)).await;
    for (t, m) in [(team, manager), (other_team, other_manager)] {
        expect_status(
            app.patch(
                &format!("/api/v1/teams/{t}"),
                &admin,
                &json!({"manager_id": m}),
            )
            .await,
            StatusCode::OK,
        )
        .await;
    }
    let shoutout = id_of(
        app.shoutout(
            &employee_token,
            &[teammate],
            "helping_others",
            "Thanks for the cover",
        )
        .await,
    );
    let mut retractable = Vec::new();
    for n in 0..ROLES.len() {
        let given = app
            .shoutout(
                &employee_token,
                &[teammate],
                "achieving_goals",
                &format!("Great launch #{n}"),
            )
            .await;
        retractable.push(id_of(given));
    }
    let handle = app.praise_handle(employee).await;
    let mut pending = Vec::new();
    for n in 0..3 * ROLES.len() {
        let response = app
            .praise(
                &handle,
                &format!("Helped me at once, visit {n}"),
                json!({"customer_email": "c@example.org"}),
            )
            .await;
        pending.push(id_of(expect_status(response, StatusCode::ACCEPTED).await));
    }
    let mut pending = pending.chunks(ROLES.len()).map(<[Uuid]>::to_vec);
    let campaign = id_of(
        expect_status(
            app.post(
                "/api/v1/campaigns",
                &admin,
                &json!({"name": "CSW", "starts_on": "2026-10-05", "ends_on": "2026-10-09"}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await,
    );
    let mut keys = Vec::new();
    for name in ["Lobby", "Spare"] {
        let body = expect_status(
            app.post(
                "/api/v1/widget-keys",
                &admin,
                &json!({"name": name, "scopes": ["boards", "feeds"]}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        keys.push((body["key"].as_str().unwrap().to_owned(), id_of(body)));
    }
    let mut webhooks = Vec::new();
    for path in ["/wall", "/spare"] {
        let body = expect_status(
            app.post(
                "/api/v1/webhooks",
                &admin,
                &json!({"url": format!("https://hooks.example.com{path}"),
                        "events": ["shoutout.published"]}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        webhooks.push(id_of(body));
    }
    let tokens = BTreeMap::from([
        ("anonymous", None),
        ("widget key", None),
        ("employee", Some(employee_token)),
        ("another employee", Some(other_token)),
        (
            "manager of another team",
            Some(app.token("rival", &[Role::Manager])),
        ),
        ("manager", Some(app.token("boss", &[Role::Manager]))),
        ("admin", Some(admin)),
    ]);
    World {
        team,
        employee,
        teammate,
        leaver,
        campaign,
        shoutout,
        retractable,
        to_approve: pending.next().unwrap(),
        to_reject: pending.next().unwrap(),
        to_erase: pending.next().unwrap(),
        spare_key: keys[1].1,
        webhook: webhooks[0],
        spare_webhook: webhooks[1],
        tokens,
        widget_key: keys[0].0.clone(),
    }
}

/// The route's path with the world's objects in it, for the `role`-th caller.
fn concrete(method: &str, path: &str, w: &World, role: usize) -> String {
    let shoutout = match (method, path) {
        ("DELETE", "/api/v1/shoutouts/{id}") => w.retractable[role],
        (_, p) if p.ends_with("/approve") => w.to_approve[role],
        (_, p) if p.ends_with("/reject") => w.to_reject[role],
        (_, p) if p.ends_with("/customer-email") => w.to_erase[role],
        _ => w.shoutout,
    };
    let id = if path.ends_with("/erase") {
        w.leaver
    } else if path.starts_with("/api/v1/teams/") {
        w.team
    } else if path.starts_with("/api/v1/employees/") || path.starts_with("/api/v1/leaderboards/") {
        w.employee
    } else if path.starts_with("/api/v1/campaigns/") {
        w.campaign
    } else if path.starts_with("/api/v1/widget-keys/") {
        w.spare_key
    } else if method == "DELETE" && path.starts_with("/api/v1/webhooks/") {
        w.spare_webhook
    } else if path.starts_with("/api/v1/webhooks/") {
        w.webhook
    } else {
        shoutout
    };
    let mut concrete = path
        .replace("{team_id}", &w.team.to_string())
        .replace("{board}", "recipients")
        .replace("{delivery_id}", &Uuid::nil().to_string())
        .replace("{token}", "forged")
        .replace("{id}", &id.to_string());
    if path.starts_with("/api/v1/reports/") {
        concrete.push_str("?from=2026-01-01&to=2026-12-31");
    }
    if path == "/api/v1/reports/shoutouts.csv" {
        concrete.push_str(&format!("&team_id={}", w.team));
    }
    concrete
}

fn decision(status: StatusCode) -> char {
    match status {
        StatusCode::UNAUTHORIZED => 'U',
        StatusCode::FORBIDDEN => 'F',
        StatusCode::NOT_FOUND => 'N',
        s if s.is_server_error() => '!',
        _ => 'A',
    }
}

#[tokio::test]
async fn every_route_answers_every_kind_of_caller_as_the_table_says() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut wrong = Vec::new();
    for (method, path, expected) in TABLE {
        let mut seen = String::new();
        let mut url = String::new();
        for (n, role) in ROLES.into_iter().enumerate() {
            url = concrete(method, path, &w, n);
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let mut request = app
                .client
                .request(method.clone(), format!("{}{url}", app.base));
            if let Some(token) = &w.tokens[role] {
                request = request.bearer_auth(token);
            }
            if role == "widget key" {
                request = request.header("X-Widget-Key", &w.widget_key);
            }
            // Writes get an empty body: past authorization that is a 422, which is all the
            // table asks. A rejection needs its reason, or the 422 would come first.
            if path.ends_with("/reject") {
                request = request.json(&json!({"reason": "spam"}));
            } else if *path == "/api/v1/shoutouts" && method == Method::POST {
                // A real shout-out: with an empty body, whether the 422 or the 403 (the admin
                // is not in the directory) comes first depends on which check finishes first.
                request = request.json(&json!({"recipient_ids": [w.teammate],
                    "value": "helping_others", "message": "Thanks for the handover"}));
            } else if matches!(method, Method::POST | Method::PATCH | Method::PUT) {
                request = request.json(&json!({}));
            }
            if *path == "/api/v1/stream" {
                // An event stream never ends: the status line is all this needs.
                request = request.timeout(std::time::Duration::from_secs(5));
            }
            let response = request.send().await.unwrap();
            seen.push(decision(response.status()));
        }
        if seen != *expected {
            wrong.push(format!("{method} {url}: expected {expected}, got {seen}"));
        }
    }
    assert!(wrong.is_empty(), "roles: {ROLES:?}\n{}", wrong.join("\n"));
}
