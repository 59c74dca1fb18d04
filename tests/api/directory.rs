//! The directory: teams (a tree, admins write, staff read), employees (created one by one or by
//! an all-or-nothing bulk import, searched by staff, deactivated rather than deleted) and `/me`.

use std::collections::{BTreeSet, HashSet};

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use shoutout::auth::Role;
use uuid::Uuid;

use crate::helpers::{TestApp, expect_problem, expect_status, id_of};

const TEAM_FIELDS: [&str; 7] = [
    "id",
    "name",
    "parent_id",
    "manager_id",
    "external_id",
    "created_at",
    "updated_at",
];
const EMPLOYEE_FIELDS: [&str; 10] = [
    "id",
    "external_id",
    "display_name",
    "email",
    "team_id",
    "title",
    "active",
    "slack_user_id",
    "created_at",
    "updated_at",
];

fn keys(body: &Value) -> BTreeSet<&str> {
    body.as_object()
        .unwrap_or_else(|| panic!("not an object: {body}"))
        .keys()
        .map(String::as_str)
        .collect()
}

fn assert_keys(body: &Value, expected: &[&str]) {
    assert_eq!(
        keys(body),
        expected.iter().copied().collect::<BTreeSet<_>>(),
        "{body}"
    );
}

fn ids(page: &Value) -> Vec<Uuid> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {page}"))
        .iter()
        .map(|item| item["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

fn field_names(problem: &Value) -> BTreeSet<String> {
    problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors list in {problem}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

/// Walks a list from its first page with `limit`, checking the page shape; returns every id.
async fn walk(app: &TestApp, token: &str, path: &str, limit: usize) -> Vec<Uuid> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..1000 {
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let page = expect_status(app.get(&url, token).await, StatusCode::OK).await;
        assert_keys(&page, &["items", "next_cursor"]);
        let items = ids(&page);
        assert!(items.len() <= limit, "{page}");
        seen.extend(items.iter().copied());
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(items.len(), limit, "only the last page is short: {page}");
                cursor = Some(next.to_owned());
            }
            None => {
                assert!(page["next_cursor"].is_null(), "{page}");
                return seen;
            }
        }
    }
    panic!("the list never ended");
}

async fn db_ids(app: &TestApp, sql: &str) -> Vec<Uuid> {
    app.db()
        .await
        .query(sql, &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

async fn parent_of(app: &TestApp, team: Uuid) -> Option<Uuid> {
    app.db()
        .await
        .query_one("SELECT parent_id FROM teams WHERE id = $1", &[&team])
        .await
        .unwrap()
        .get(0)
}

/// How many teams are their own ancestor (0 in a tree).
async fn teams_in_a_cycle(app: &TestApp) -> i64 {
    app.db()
        .await
        .query_one(
            "WITH RECURSIVE up (start, id, depth) AS ( \
                 SELECT id, parent_id, 1 FROM teams WHERE parent_id IS NOT NULL \
                 UNION ALL \
                 SELECT up.start, t.parent_id, up.depth + 1 \
                 FROM up JOIN teams t ON t.id = up.id \
                 WHERE t.parent_id IS NOT NULL AND up.id <> up.start AND up.depth < 1000 \
             ) SELECT count(DISTINCT start) FROM up WHERE id = start",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

async fn patch_team(app: &TestApp, team: Uuid, body: Value) -> Response {
    app.patch(&format!("/api/v1/teams/{team}"), &app.admin_token(), &body)
        .await
}

async fn patch_employee(app: &TestApp, employee: Uuid, body: Value) -> Response {
    app.patch(
        &format!("/api/v1/employees/{employee}"),
        &app.admin_token(),
        &body,
    )
    .await
}

async fn create_employee(app: &TestApp, body: Value) -> Response {
    app.post("/api/v1/employees", &app.admin_token(), &body)
        .await
}

/// (created, updated) of an import report.
fn counts(report: &Value) -> (u64, u64) {
    (
        report["created"].as_u64().unwrap(),
        report["updated"].as_u64().unwrap(),
    )
}

/// Posts an import body with this content type.
async fn import(app: &TestApp, token: &str, content_type: &str, body: String) -> Response {
    app.client
        .post(format!("{}/api/v1/employees/import", app.base))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request sent")
}

async fn import_json(app: &TestApp, rows: Value) -> Response {
    import(
        app,
        &app.admin_token(),
        "application/json",
        rows.to_string(),
    )
    .await
}

async fn import_csv(app: &TestApp, csv: &str) -> Response {
    import(app, &app.admin_token(), "text/csv", csv.to_owned()).await
}

async fn employee_by_external_id(app: &TestApp, external_id: &str) -> Value {
    let id: Uuid = app
        .db()
        .await
        .query_one(
            "SELECT id FROM employees WHERE external_id = $1",
            &[&external_id],
        )
        .await
        .unwrap_or_else(|e| panic!("no employee `{external_id}`: {e}"))
        .get(0);
    expect_status(
        app.get(&format!("/api/v1/employees/{id}"), &app.admin_token())
            .await,
        StatusCode::OK,
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Teams
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn creating_and_reading_teams() {
    let app = TestApp::spawn().await;
    // An admin need not be in the directory yet to build it.
    let admin = app.admin_token();

    let response = app
        .post(
            "/api/v1/teams",
            &admin,
            &json!({"name": "  Customer Care  "}),
        )
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let care = expect_status(response, StatusCode::CREATED).await;
    assert_keys(&care, &TEAM_FIELDS);
    assert_eq!(care["name"], "Customer Care", "the name is trimmed");
    assert_eq!(care["parent_id"], Value::Null);
    assert_eq!(care["manager_id"], Value::Null);
    assert!(
        care["created_at"].as_str().unwrap().ends_with('Z'),
        "{care}"
    );
    let care_id = id_of(care.clone());
    assert_eq!(location, format!("/api/v1/teams/{care_id}"));

    let (manager, _) = app.employee("manager", Some(care_id)).await;
    let response = app
        .post(
            "/api/v1/teams",
            &admin,
            &json!({"name": "Tier 1", "parent_id": care_id, "manager_id": manager}),
        )
        .await;
    let tier1 = expect_status(response, StatusCode::CREATED).await;
    assert_eq!(tier1["parent_id"], care_id.to_string());
    assert_eq!(tier1["manager_id"], manager.to_string());

    // Staff read.
    let (_, reader) = app.employee("reader", None).await;
    let read = expect_status(app.get(&location, &reader).await, StatusCode::OK).await;
    assert_eq!(read, care);
    let read = expect_status(
        app.get(&format!("/api/v1/teams/{}", id_of(tier1.clone())), &reader)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read, tier1);
    expect_problem(
        app.get(&format!("/api/v1/teams/{}", Uuid::now_v7()), &reader)
            .await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    expect_problem(
        app.request(reqwest::Method::GET, &location, None, None)
            .await,
        StatusCode::UNAUTHORIZED,
        None,
    )
    .await;

    // Only admins write: not employees, not managers.
    let boss = app.token("manager", &[Role::Manager]);
    for token in [&reader, &boss] {
        let response = app
            .post("/api/v1/teams", token, &json!({"name": "Rogue"}))
            .await;
        expect_problem(response, StatusCode::FORBIDDEN, None).await;
        expect_problem(
            app.patch(&location, token, &json!({"name": "Renamed"}))
                .await,
            StatusCode::FORBIDDEN,
            None,
        )
        .await;
    }

    // Bad input names the field.
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": "x".repeat(201)}), "name"),
        (json!({}), "name"),
        (json!({"name": "Ops", "parent_id": "nope"}), "parent_id"),
        (json!({"name": "Ops", "colour": "blue"}), "colour"),
        (
            json!({"name": "Ops", "parent_id": Uuid::now_v7()}),
            "parent_id",
        ),
        (
            json!({"name": "Ops", "manager_id": Uuid::now_v7()}),
            "manager_id",
        ),
    ] {
        let response = app.post("/api/v1/teams", &admin, &body).await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    assert_eq!(app.count("teams").await, 2, "nothing refused was written");

    // The edge that is allowed: 200 characters.
    let long = "é".repeat(200);
    let response = app
        .post("/api/v1/teams", &admin, &json!({"name": long}))
        .await;
    let body = expect_status(response, StatusCode::CREATED).await;
    assert_eq!(body["name"].as_str().unwrap().chars().count(), 200);
}

#[tokio::test]
async fn sibling_teams_need_distinct_names() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token();
    let sales = app.team("Sales", None).await;
    let care = app.team("Customer Care", None).await;

    // Top-level teams are siblings too; names compare case-insensitively, after trimming.
    for name in ["Sales", "sales", " SALES "] {
        let response = app
            .post("/api/v1/teams", &admin, &json!({"name": name}))
            .await;
        let problem = expect_problem(response, StatusCode::CONFLICT, Some("name")).await;
        assert_eq!(problem["type"], "/problems/conflict");
    }

    // The same name under different parents is fine.
    let sales_emea = app.team("EMEA", Some(sales)).await;
    let care_emea = app.team("emea", Some(care)).await;
    let top_emea = app.team("EMEA", None).await;
    assert_eq!(
        BTreeSet::from([sales_emea, care_emea, top_emea]).len(),
        3,
        "three teams"
    );
    let response = app
        .post(
            "/api/v1/teams",
            &admin,
            &json!({"name": "Emea", "parent_id": sales}),
        )
        .await;
    expect_problem(response, StatusCode::CONFLICT, Some("name")).await;

    // Renaming onto a sibling's name conflicts; changing the case of one's own name does not.
    expect_problem(
        patch_team(&app, care, json!({"name": "SALES"})).await,
        StatusCode::CONFLICT,
        Some("name"),
    )
    .await;
    let renamed = expect_status(
        patch_team(&app, care, json!({"name": "customer care"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(renamed["name"], "customer care");

    // Moving a team next to one with its name conflicts too, in either direction.
    expect_problem(
        patch_team(&app, care_emea, json!({"parent_id": sales})).await,
        StatusCode::CONFLICT,
        Some("name"),
    )
    .await;
    expect_problem(
        patch_team(&app, care_emea, json!({"parent_id": null})).await,
        StatusCode::CONFLICT,
        Some("name"),
    )
    .await;
    // Moving and renaming at once is checked as a whole.
    let moved = expect_status(
        patch_team(
            &app,
            care_emea,
            json!({"parent_id": sales, "name": "EMEA North"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(moved["parent_id"], sales.to_string());
    assert_eq!(moved["name"], "EMEA North");
    assert_eq!(app.count("teams").await, 5);
}

#[tokio::test]
async fn patching_a_team() {
    let app = TestApp::spawn().await;
    let dept = app.team("Operations", None).await;
    let other = app.team("Finance", None).await;
    let team = app.team("Night Shift", Some(dept)).await;
    let (boss, _) = app.employee("boss", Some(team)).await;
    let path = format!("/api/v1/teams/{team}");
    let before = expect_status(app.get(&path, &app.admin_token()).await, StatusCode::OK).await;

    // Absent fields stay as they are.
    let renamed = expect_status(
        patch_team(&app, team, json!({"name": "  Late Shift "})).await,
        StatusCode::OK,
    )
    .await;
    assert_keys(&renamed, &TEAM_FIELDS);
    assert_eq!(renamed["name"], "Late Shift");
    assert_eq!(renamed["parent_id"], dept.to_string());
    assert_eq!(renamed["created_at"], before["created_at"]);
    assert!(
        renamed["updated_at"].as_str().unwrap() >= before["updated_at"].as_str().unwrap(),
        "{renamed}"
    );

    // Set a manager, move, clear the manager, move to the top level.
    let managed = expect_status(
        patch_team(&app, team, json!({"manager_id": boss})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(managed["manager_id"], boss.to_string());
    let moved = expect_status(
        patch_team(&app, team, json!({"parent_id": other})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(moved["parent_id"], other.to_string());
    assert_eq!(moved["manager_id"], boss.to_string(), "unchanged");
    let cleared = expect_status(
        patch_team(&app, team, json!({"manager_id": null})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cleared["manager_id"], Value::Null);
    assert_eq!(cleared["parent_id"], other.to_string(), "unchanged");
    let top = expect_status(
        patch_team(&app, team, json!({"parent_id": null})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(top["parent_id"], Value::Null);
    assert_eq!(parent_of(&app, team).await, None);

    // An empty PATCH changes nothing and answers the team.
    let same = expect_status(patch_team(&app, team, json!({})).await, StatusCode::OK).await;
    assert_eq!(same, top);
    let read = expect_status(app.get(&path, &app.admin_token()).await, StatusCode::OK).await;
    assert_eq!(read, top);

    // Bad changes name the field and change nothing.
    for (body, status, field) in [
        (
            json!({"parent_id": Uuid::now_v7()}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "parent_id",
        ),
        (
            json!({"manager_id": Uuid::now_v7()}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "manager_id",
        ),
        (
            json!({"name": ""}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "name",
        ),
        (
            json!({"parent_id": "x"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "parent_id",
        ),
        (
            json!({"id": Uuid::now_v7()}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "id",
        ),
    ] {
        let response = patch_team(&app, team, body).await;
        expect_problem(response, status, Some(field)).await;
    }
    let read = expect_status(app.get(&path, &app.admin_token()).await, StatusCode::OK).await;
    assert_eq!(read, top, "nothing refused was written");

    // No such team.
    expect_problem(
        patch_team(&app, Uuid::now_v7(), json!({"name": "Ghost"})).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    expect_problem(
        patch_team(&app, Uuid::now_v7(), json!({})).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
}

#[tokio::test]
async fn a_team_cannot_be_moved_beneath_itself() {
    let app = TestApp::spawn().await;
    let a = app.team("A", None).await;
    let b = app.team("B", Some(a)).await;
    let c = app.team("C", Some(b)).await;
    let d = app.team("D", Some(c)).await;

    for (team, new_parent) in [(a, a), (a, b), (a, d), (b, c), (b, d), (c, c), (c, d)] {
        let problem = expect_problem(
            patch_team(&app, team, json!({"parent_id": new_parent})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("parent_id"),
        )
        .await;
        assert_eq!(problem["type"], "/problems/validation-error");
    }
    assert_eq!(parent_of(&app, a).await, None, "the tree is unchanged");
    assert_eq!(parent_of(&app, b).await, Some(a));
    assert_eq!(parent_of(&app, c).await, Some(b));
    assert_eq!(parent_of(&app, d).await, Some(c));

    // Moving sideways or up is fine: D under B, then C to the top and A under C.
    expect_status(
        patch_team(&app, d, json!({"parent_id": b})).await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        patch_team(&app, c, json!({"parent_id": null})).await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        patch_team(&app, a, json!({"parent_id": c})).await,
        StatusCode::OK,
    )
    .await;
    // Now C is the root: C > A > B > D.
    expect_problem(
        patch_team(&app, c, json!({"parent_id": d})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("parent_id"),
    )
    .await;
    assert_eq!(teams_in_a_cycle(&app).await, 0);
}

#[tokio::test]
async fn concurrent_moves_never_close_a_loop() {
    let app = TestApp::spawn_with(|c| c.db_pool_size = 10).await;
    let a = app.team("A", None).await;
    let b = app.team("B", None).await;
    let c = app.team("C", None).await;
    let reset = || async {
        for team in [a, b, c] {
            expect_status(
                patch_team(&app, team, json!({"parent_id": null})).await,
                StatusCode::OK,
            )
            .await;
        }
    };

    // A under B and B under A at the same moment: exactly one wins.
    for round in 0..30 {
        reset().await;
        let (first, second) = tokio::join!(
            patch_team(&app, a, json!({"parent_id": b})),
            patch_team(&app, b, json!({"parent_id": a})),
        );
        let mut won = 0;
        for response in [first, second] {
            if response.status() == StatusCode::OK {
                won += 1;
                expect_status(response, StatusCode::OK).await;
            } else {
                expect_problem(
                    response,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some("parent_id"),
                )
                .await;
            }
        }
        assert_eq!(won, 1, "round {round}: exactly one move wins");
        assert_eq!(teams_in_a_cycle(&app).await, 0, "round {round}");
        let (pa, pb) = (parent_of(&app, a).await, parent_of(&app, b).await);
        assert!(
            (pa == Some(b) && pb.is_none()) || (pb == Some(a) && pa.is_none()),
            "round {round}: {pa:?} {pb:?}"
        );
    }

    // Three moves that together would close A > B > C > A: at least one loses.
    for round in 0..20 {
        reset().await;
        let (x, y, z) = tokio::join!(
            patch_team(&app, a, json!({"parent_id": b})),
            patch_team(&app, b, json!({"parent_id": c})),
            patch_team(&app, c, json!({"parent_id": a})),
        );
        let mut won = 0;
        for response in [x, y, z] {
            if response.status() == StatusCode::OK {
                won += 1;
                expect_status(response, StatusCode::OK).await;
            } else {
                expect_problem(
                    response,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some("parent_id"),
                )
                .await;
            }
        }
        assert_eq!(
            won, 2,
            "round {round}: only the move closing the loop loses"
        );
        assert_eq!(teams_in_a_cycle(&app).await, 0, "round {round}");
    }
}

#[tokio::test]
async fn teams_list_by_name_in_pages() {
    let app = TestApp::spawn().await;
    let (_, reader) = app.employee("reader", None).await;
    // Departments, each with teams of the same names: ties on the name are broken by id.
    let mut departments = Vec::new();
    for i in 0..5 {
        departments.push(app.team(&format!("Department {i}"), None).await);
    }
    for (i, dept) in departments.iter().enumerate() {
        for name in ["alpha", "Beta", "GAMMA", "delta", "Epsilon"] {
            let name = if i % 2 == 0 {
                name.to_owned()
            } else {
                name.to_uppercase()
            };
            app.team(&name, Some(*dept)).await;
        }
    }
    let expected = db_ids(&app, "SELECT id FROM teams ORDER BY lower(name), id").await;
    assert_eq!(expected.len(), 30);

    for limit in [1, 4, 7, 29, 30, 100] {
        let seen = walk(&app, &reader, "/api/v1/teams", limit).await;
        assert_eq!(seen, expected, "limit {limit}: every team once, by name");
    }
    let first = expect_status(app.get("/api/v1/teams", &reader).await, StatusCode::OK).await;
    assert_eq!(ids(&first).len(), 20, "the default limit");
    assert!(first["next_cursor"].is_string());
    for item in first["items"].as_array().unwrap() {
        assert_keys(item, &TEAM_FIELDS);
    }

    // Only a team's direct children.
    let children = walk(
        &app,
        &reader,
        &format!("/api/v1/teams?parent_id={}", departments[1]),
        2,
    )
    .await;
    let expected = db_ids(
        &app,
        &format!(
            "SELECT id FROM teams WHERE parent_id = '{}' ORDER BY lower(name), id",
            departments[1]
        ),
    )
    .await;
    assert_eq!(children.len(), 5);
    assert_eq!(children, expected);

    // A page is stable under inserts before the cursor.
    let page = expect_status(
        app.get("/api/v1/teams?limit=3", &reader).await,
        StatusCode::OK,
    )
    .await;
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    app.team("Aardvark", None).await;
    let next = expect_status(
        app.get(&format!("/api/v1/teams?limit=3&cursor={cursor}"), &reader)
            .await,
        StatusCode::OK,
    )
    .await;
    let all = db_ids(&app, "SELECT id FROM teams ORDER BY lower(name), id").await;
    let after_first_page = all.iter().position(|id| *id == ids(&page)[2]).unwrap();
    assert_eq!(ids(&next), all[after_first_page + 1..after_first_page + 4]);

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("cursor=garbage", "cursor"),
        ("parent_id=nope", "parent_id"),
        ("colour=blue", "colour"),
    ] {
        let response = app.get(&format!("/api/v1/teams?{query}"), &reader).await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Employees
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn creating_and_reading_employees() {
    let app = TestApp::spawn().await;
    let team = app.team("Support", None).await;

    let response = create_employee(
        &app,
        json!({
            "external_id": "auth0|alice",
            "display_name": "  Alice Example ",
            "email": " Alice@Example.com ",
            "team_id": team,
            "title": " Agent ",
        }),
    )
    .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let alice = expect_status(response, StatusCode::CREATED).await;
    assert_keys(&alice, &EMPLOYEE_FIELDS);
    let alice_id = id_of(alice.clone());
    assert_eq!(location, format!("/api/v1/employees/{alice_id}"));
    assert_eq!(alice["external_id"], "auth0|alice");
    assert_eq!(alice["display_name"], "Alice Example", "trimmed");
    assert_eq!(alice["email"], "Alice@Example.com", "trimmed, case kept");
    assert_eq!(alice["team_id"], team.to_string());
    assert_eq!(alice["title"], "Agent");
    assert_eq!(alice["active"], true);

    // The minimum: no team, no title.
    let bob = expect_status(
        create_employee(
            &app,
            json!({"external_id": "bob", "display_name": "Bob", "email": "bob@example.com"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(bob["team_id"], Value::Null);
    assert_eq!(bob["title"], Value::Null);

    // Staff read anyone; the new employee can sign in with their external_id as `sub`.
    let bob_token = app.token("bob", &[Role::Employee]);
    let read = expect_status(app.get(&location, &bob_token).await, StatusCode::OK).await;
    assert_eq!(read, alice);
    expect_problem(
        app.get(&format!("/api/v1/employees/{}", Uuid::now_v7()), &bob_token)
            .await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    expect_problem(
        app.get("/api/v1/employees/not-a-uuid", &bob_token).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    // Someone not in the directory (and not an admin) reads nothing.
    let stranger = app.token("stranger", &[Role::Employee]);
    expect_problem(
        app.get(&location, &stranger).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;

    // Only admins create.
    let body = json!({"external_id": "eve", "display_name": "Eve", "email": "eve@example.com"});
    for token in [&bob_token, &app.token("bob", &[Role::Manager])] {
        expect_problem(
            app.post("/api/v1/employees", token, &body).await,
            StatusCode::FORBIDDEN,
            None,
        )
        .await;
    }

    // Bad input names the field.
    let good =
        json!({"external_id": "carol", "display_name": "Carol", "email": "carol@example.com"});
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    for (body, field) in [
        (with("email", json!("not an email")), "email"),
        (with("email", json!("")), "email"),
        (with("display_name", json!("")), "display_name"),
        (with("display_name", json!("x".repeat(201))), "display_name"),
        (with("external_id", json!("")), "external_id"),
        (with("external_id", json!(" carol ")), "external_id"),
        (with("title", json!("")), "title"),
        (with("team_id", json!(Uuid::now_v7())), "team_id"),
        (with("team_id", json!("sales")), "team_id"),
        (with("roles", json!(["admin"])), "roles"),
        (
            json!({"display_name": "Carol", "email": "carol@example.com"}),
            "external_id",
        ),
        (
            json!({"external_id": "carol", "display_name": "Carol"}),
            "email",
        ),
    ] {
        let response = create_employee(&app, body.clone()).await;
        let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
        assert_eq!(problem["type"], "/problems/validation-error", "{body}");
    }
    assert_eq!(
        app.count("employees").await,
        2,
        "nothing refused was written"
    );
    expect_status(create_employee(&app, good).await, StatusCode::CREATED).await;
}

#[tokio::test]
async fn external_ids_and_emails_are_unique() {
    let app = TestApp::spawn().await;
    let alice = expect_status(
        create_employee(
            &app,
            json!({"external_id": "alice", "display_name": "Alice", "email": "alice@example.com"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let (bob, _) = app.employee("bob", None).await;

    let response = create_employee(
        &app,
        json!({"external_id": "alice", "display_name": "Other Alice", "email": "other@example.com"}),
    )
    .await;
    let problem = expect_problem(response, StatusCode::CONFLICT, Some("external_id")).await;
    assert_eq!(problem["type"], "/problems/conflict");
    // E-mail addresses compare case-insensitively.
    for email in [
        "alice@example.com",
        "ALICE@example.COM",
        " Alice@Example.com ",
    ] {
        let response = create_employee(
            &app,
            json!({"external_id": "alice2", "display_name": "Alice Two", "email": email}),
        )
        .await;
        expect_problem(response, StatusCode::CONFLICT, Some("email")).await;
    }
    // External ids are the identity provider's subjects: they are case-sensitive.
    expect_status(
        create_employee(
            &app,
            json!({"external_id": "ALICE", "display_name": "Alice Upper", "email": "upper@example.com"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;

    // The same rules on PATCH.
    expect_problem(
        patch_employee(&app, bob, json!({"email": "Alice@EXAMPLE.com"})).await,
        StatusCode::CONFLICT,
        Some("email"),
    )
    .await;
    expect_problem(
        patch_employee(&app, bob, json!({"external_id": "alice"})).await,
        StatusCode::CONFLICT,
        Some("external_id"),
    )
    .await;
    assert_eq!(app.count("employees").await, 3);
    let row = app
        .db()
        .await
        .query_one(
            "SELECT external_id, email FROM employees WHERE id = $1",
            &[&bob],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, String>(0),
        "bob",
        "nothing refused was written"
    );
    assert_eq!(row.get::<_, String>(1), "bob@example.com");
    // Changing the case of one's own e-mail is not a conflict.
    let alice_id = id_of(alice);
    let changed = expect_status(
        patch_employee(&app, alice_id, json!({"email": "ALICE@example.com"})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(changed["email"], "ALICE@example.com");
}

#[tokio::test]
async fn searching_the_directory() {
    let app = TestApp::spawn().await;
    let care = app.team("Customer Care", None).await;
    let tier1 = app.team("Tier 1", Some(care)).await;
    let tier2 = app.team("Tier 2", Some(tier1)).await;
    let sales = app.team("Sales", None).await;
    let add = |external_id: &str, name: &str, email: &str, team: Option<Uuid>, title: &str| {
        let app = &app;
        let body = json!({
            "external_id": external_id, "display_name": name, "email": email,
            "team_id": team, "title": title,
        });
        async move { id_of(expect_status(create_employee(app, body).await, StatusCode::CREATED).await) }
    };
    let ann = add(
        "u-ann",
        "Ann Lee",
        "ann@corp.example",
        Some(care),
        "Head of Care",
    )
    .await;
    let ben = add(
        "u-ben",
        "Ben Okafor",
        "ben@corp.example",
        Some(tier1),
        "Agent",
    )
    .await;
    let cat = add(
        "u-cat",
        "Cat Müller",
        "cat@corp.example",
        Some(tier2),
        "Agent",
    )
    .await;
    let dan = add(
        "u-dan",
        "Dan 100%",
        "dan_x@corp.example",
        Some(sales),
        "Closer",
    )
    .await;
    let eve = add("u-eve", "Eve Annesley", "eve@corp.example", None, "Intern").await;
    let (_, reader) = app.employee("reader", None).await;
    let reader_id = id_of(employee_by_external_id(&app, "reader").await);

    let search = |query: String| {
        let app = &app;
        let reader = reader.clone();
        async move {
            let page = expect_status(
                app.get(&format!("/api/v1/employees?{query}"), &reader)
                    .await,
                StatusCode::OK,
            )
            .await;
            for item in page["items"].as_array().unwrap() {
                assert_keys(item, &EMPLOYEE_FIELDS);
            }
            ids(&page).into_iter().collect::<HashSet<Uuid>>()
        }
    };
    let set = |ids: &[Uuid]| ids.iter().copied().collect::<HashSet<Uuid>>();

    // Everyone active, by name.
    let all = expect_status(app.get("/api/v1/employees", &reader).await, StatusCode::OK).await;
    assert_eq!(ids(&all), vec![ann, ben, cat, dan, eve, reader_id]);
    assert_eq!(all["next_cursor"], Value::Null);

    // `q` matches names, e-mails, external ids and titles, anywhere and in any case.
    assert_eq!(search("q=ann".into()).await, set(&[ann, eve]));
    assert_eq!(search("q=ANN".into()).await, set(&[ann, eve]));
    assert_eq!(search("q=okaf".into()).await, set(&[ben]));
    assert_eq!(search("q=m%C3%BCller".into()).await, set(&[cat]));
    assert_eq!(search("q=ben%40corp".into()).await, set(&[ben]));
    assert_eq!(search("q=u-ca".into()).await, set(&[cat]));
    assert_eq!(search("q=agent".into()).await, set(&[ben, cat]));
    assert_eq!(
        search("q=%20%20okafor%20".into()).await,
        set(&[ben]),
        "trimmed"
    );
    assert_eq!(search("q=nobody".into()).await, set(&[]));
    // LIKE wildcards in the search text match literally.
    assert_eq!(search("q=%25".into()).await, set(&[dan]));
    assert_eq!(search("q=n_x".into()).await, set(&[dan]));
    assert_eq!(search("q=_".into()).await, set(&[dan]));

    // A team means its whole subtree.
    assert_eq!(
        search(format!("team_id={care}")).await,
        set(&[ann, ben, cat])
    );
    assert_eq!(search(format!("team_id={tier1}")).await, set(&[ben, cat]));
    assert_eq!(search(format!("team_id={tier2}")).await, set(&[cat]));
    assert_eq!(search(format!("team_id={sales}")).await, set(&[dan]));
    assert_eq!(
        search(format!("team_id={}", Uuid::now_v7())).await,
        set(&[])
    );
    assert_eq!(
        search(format!("team_id={care}&q=agent")).await,
        set(&[ben, cat])
    );
    assert_eq!(search(format!("team_id={care}&q=ann")).await, set(&[ann]));
    // Moving a team moves its people in the search.
    expect_status(
        patch_team(&app, tier2, json!({"parent_id": sales})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(search(format!("team_id={care}")).await, set(&[ann, ben]));
    assert_eq!(search(format!("team_id={sales}")).await, set(&[cat, dan]));

    // Leavers are left out unless asked for.
    expect_status(
        patch_employee(&app, ben, json!({"active": false})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(search("q=agent".into()).await, set(&[cat]));
    assert_eq!(search("active=false".into()).await, set(&[ben]));
    assert_eq!(search("active=false&q=agent".into()).await, set(&[ben]));
    assert_eq!(search("active=true&q=agent".into()).await, set(&[cat]));

    for (query, field) in [
        ("q=", "q"),
        ("team_id=sales", "team_id"),
        ("active=maybe", "active"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("cursor=bogus", "cursor"),
        ("search=ann", "search"),
    ] {
        let response = app
            .get(&format!("/api/v1/employees?{query}"), &reader)
            .await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let long = "a".repeat(201);
    expect_problem(
        app.get(&format!("/api/v1/employees?q={long}"), &reader)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("q"),
    )
    .await;
}

#[tokio::test]
async fn employees_list_by_name_in_pages() {
    let app = TestApp::spawn().await;
    let team = app.team("Team", None).await;
    let sub = app.team("Sub", Some(team)).await;
    for i in 0..26 {
        // Several share a name; ties are broken by id. Case does not change the order.
        let name = match i % 4 {
            0 => "Sam Smith".to_owned(),
            1 => format!("sam {i:02}"),
            2 => format!("Zoë {i:02}"),
            _ => format!("ALEX {i:02}"),
        };
        let body = json!({
            "external_id": format!("e{i}"),
            "display_name": name,
            "email": format!("e{i}@example.com"),
            "team_id": if i % 2 == 0 { team } else { sub },
        });
        expect_status(create_employee(&app, body).await, StatusCode::CREATED).await;
    }
    let reader = app.token("e0", &[Role::Employee]);
    let expected = db_ids(
        &app,
        "SELECT id FROM employees ORDER BY lower(display_name), id",
    )
    .await;
    assert_eq!(expected.len(), 26);
    for limit in [1, 3, 5, 25, 26, 100] {
        let seen = walk(&app, &reader, "/api/v1/employees", limit).await;
        assert_eq!(seen, expected, "limit {limit}: everyone once, by name");
    }
    // Filters and pages combine.
    let seen = walk(
        &app,
        &reader,
        &format!("/api/v1/employees?team_id={sub}"),
        4,
    )
    .await;
    let expected = db_ids(
        &app,
        &format!(
            "SELECT id FROM employees WHERE team_id = '{sub}' ORDER BY lower(display_name), id"
        ),
    )
    .await;
    assert_eq!(seen.len(), 13);
    assert_eq!(seen, expected);
    let seen = walk(&app, &reader, "/api/v1/employees?q=sam", 3).await;
    assert_eq!(seen.len(), 14);
    let first = expect_status(app.get("/api/v1/employees", &reader).await, StatusCode::OK).await;
    assert_eq!(ids(&first).len(), 20, "the default limit");
}

#[tokio::test]
async fn patching_an_employee() {
    let app = TestApp::spawn().await;
    let care = app.team("Care", None).await;
    let sales = app.team("Sales", None).await;
    let (alice, alice_token) = app.employee("alice", Some(care)).await;
    let path = format!("/api/v1/employees/{alice}");
    let before = expect_status(app.get(&path, &alice_token).await, StatusCode::OK).await;

    let changed = expect_status(
        patch_employee(
            &app,
            alice,
            json!({"display_name": " Alice Smith ", "title": "Team Lead", "team_id": sales}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_keys(&changed, &EMPLOYEE_FIELDS);
    assert_eq!(changed["display_name"], "Alice Smith");
    assert_eq!(changed["title"], "Team Lead");
    assert_eq!(changed["team_id"], sales.to_string());
    // Absent fields stay as they are.
    assert_eq!(changed["email"], before["email"]);
    assert_eq!(changed["external_id"], "alice");
    assert_eq!(changed["active"], true);
    assert_eq!(changed["created_at"], before["created_at"]);
    assert_eq!(changed["id"], before["id"]);

    // `null` clears the team and the title.
    let cleared = expect_status(
        patch_employee(&app, alice, json!({"team_id": null, "title": null})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(cleared["team_id"], Value::Null);
    assert_eq!(cleared["title"], Value::Null);
    assert_eq!(cleared["display_name"], "Alice Smith");

    // A new e-mail; a new external_id (the identity provider changed): the old `sub` no longer
    // matches anyone, the new one does.
    let moved = expect_status(
        patch_employee(
            &app,
            alice,
            json!({"email": "alice.smith@example.com", "external_id": "okta|alice"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(moved["email"], "alice.smith@example.com");
    assert_eq!(moved["external_id"], "okta|alice");
    expect_problem(
        app.get(&path, &alice_token).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    let new_token = app.token("okta|alice", &[Role::Employee]);
    let read = expect_status(app.get(&path, &new_token).await, StatusCode::OK).await;
    assert_eq!(read, moved);

    // An empty PATCH changes nothing that shows.
    let same = expect_status(patch_employee(&app, alice, json!({})).await, StatusCode::OK).await;
    assert_eq!(same["display_name"], moved["display_name"]);
    assert_eq!(same["email"], moved["email"]);

    // Bad changes name the field and change nothing.
    for (body, field) in [
        (json!({"team_id": Uuid::now_v7()}), "team_id"),
        (json!({"email": "nope"}), "email"),
        (json!({"display_name": ""}), "display_name"),
        (json!({"title": "  "}), "title"),
        (json!({"external_id": ""}), "external_id"),
        (json!({"active": "no"}), "active"),
        (json!({"roles": ["admin"]}), "roles"),
        (json!({"manager_id": alice}), "manager_id"),
        (json!({"id": Uuid::now_v7()}), "id"),
    ] {
        let response = patch_employee(&app, alice, body).await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let read = expect_status(app.get(&path, &new_token).await, StatusCode::OK).await;
    assert_eq!(read["display_name"], "Alice Smith");
    assert_eq!(read["email"], "alice.smith@example.com");
    assert_eq!(read["team_id"], Value::Null);

    // Only admins change the directory, not even one's own record.
    expect_problem(
        app.patch(&path, &new_token, &json!({"title": "CEO"})).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    let manager = app.token("okta|alice", &[Role::Manager]);
    expect_problem(
        app.patch(&path, &manager, &json!({"title": "CEO"})).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    expect_problem(
        patch_employee(&app, Uuid::now_v7(), json!({"title": "Ghost"})).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
}

#[tokio::test]
async fn a_leaver_keeps_their_history() {
    let app = TestApp::spawn().await;
    let team = app.team("Care", None).await;
    let (leaver, leaver_token) = app.employee("leaver", Some(team)).await;
    let (bob, bob_token) = app.employee("bob", Some(team)).await;
    let given = app
        .shoutout(&leaver_token, &[bob], "helping_others", "Thanks, Bob!")
        .await;
    let received = app
        .shoutout(&bob_token, &[leaver], "achieving_goals", "Well done!")
        .await;

    // A leaver is deactivated with PATCH; nothing is deleted.
    let deactivated = expect_status(
        patch_employee(&app, leaver, json!({"active": false})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(deactivated["active"], false);
    assert_eq!(deactivated["team_id"], team.to_string(), "kept");
    // Still readable, shown as inactive.
    let read = expect_status(
        app.get(&format!("/api/v1/employees/{leaver}"), &bob_token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read, deactivated);
    assert_eq!(app.count("employees").await, 2);

    // Their shout-outs, given and received, stay in the feed with their name.
    let feed = expect_status(
        app.get("/api/v1/shoutouts", &bob_token).await,
        StatusCode::OK,
    )
    .await;
    let feed_ids = ids(&feed);
    assert_eq!(
        feed_ids,
        vec![id_of(received.clone()), id_of(given.clone())]
    );
    let by_leaver = expect_status(
        app.get(&format!("/api/v1/shoutouts?giver_id={leaver}"), &bob_token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&by_leaver), vec![id_of(given.clone())]);
    let item = &by_leaver["items"][0];
    assert_eq!(item["giver"]["employee"]["display_name"], "leaver Example");
    assert_eq!(item["giver"]["employee"]["active"], false);
    let to_leaver = expect_status(
        app.get(
            &format!("/api/v1/shoutouts?recipient_id={leaver}"),
            &bob_token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&to_leaver), vec![id_of(received.clone())]);
    assert_eq!(to_leaver["items"][0]["recipients"][0]["active"], false);
    let one = expect_status(
        app.get(
            &format!("/api/v1/shoutouts/{}", id_of(given.clone())),
            &bob_token,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(one["status"], "published");

    // They can no longer receive...
    let response = app
        .post(
            "/api/v1/shoutouts",
            &bob_token,
            &json!({"recipient_ids": [leaver], "value": "helping_others", "message": "Bye!"}),
        )
        .await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("recipient_ids[0]"),
    )
    .await;
    // ...nor give, nor read the directory or the feed.
    let response = app
        .post(
            "/api/v1/shoutouts",
            &leaver_token,
            &json!({"recipient_ids": [bob], "value": "helping_others", "message": "One more"}),
        )
        .await;
    expect_problem(response, StatusCode::FORBIDDEN, None).await;
    expect_problem(
        app.get("/api/v1/shoutouts", &leaver_token).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    expect_problem(
        app.get("/api/v1/employees", &leaver_token).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    assert_eq!(app.count("shoutouts").await, 2, "nothing new was written");

    // Left out of the directory search for picking recipients, found among leavers.
    let active = expect_status(
        app.get("/api/v1/employees", &bob_token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&active), vec![bob]);
    let leavers = expect_status(
        app.get("/api/v1/employees?active=false", &bob_token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&leavers), vec![leaver]);

    // Someone who comes back is active again.
    expect_status(
        patch_employee(&app, leaver, json!({"active": true})).await,
        StatusCode::OK,
    )
    .await;
    app.shoutout(&bob_token, &[leaver], "helping_others", "Welcome back!")
        .await;
    app.shoutout(&leaver_token, &[bob], "helping_others", "Glad to be back")
        .await;
}

// ---------------------------------------------------------------------------------------------
// Bulk import
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn importing_employees_as_json() {
    let app = TestApp::spawn().await;
    let care = app.team("Care", None).await;
    let sales = app.team("Sales", None).await;

    let rows = json!([
        {"external_id": "ann", "display_name": "Ann", "email": "ann@example.com", "team_id": care, "title": "Agent"},
        {"external_id": "ben", "display_name": " Ben ", "email": "ben@example.com"},
        {"external_id": "cat", "display_name": "Cat", "email": "cat@example.com", "team_id": sales, "active": false},
    ]);
    let report = expect_status(import_json(&app, rows).await, StatusCode::OK).await;
    assert_eq!(counts(&report), (3, 0));
    assert_eq!(app.count("employees").await, 3);
    let ann = employee_by_external_id(&app, "ann").await;
    assert_eq!(ann["team_id"], care.to_string());
    assert_eq!(ann["title"], "Agent");
    assert_eq!(ann["active"], true, "active by default");
    let ben = employee_by_external_id(&app, "ben").await;
    assert_eq!(ben["display_name"], "Ben", "trimmed");
    assert_eq!(ben["team_id"], Value::Null);
    let cat = employee_by_external_id(&app, "cat").await;
    assert_eq!(cat["active"], false, "a leaver can be imported");
    // Imported people can sign in.
    let me = expect_status(
        app.get("/api/v1/me", &app.token("ann", &[Role::Employee]))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["employee"]["id"], ann["id"]);

    // Importing again upserts by external_id: the same people keep their ids and take the new
    // values; new people are added.
    let rows = json!([
        {"external_id": "ann", "display_name": "Ann Lee", "email": "ANN.LEE@example.com", "team_id": sales},
        {"external_id": "cat", "display_name": "Cat", "email": "cat@example.com", "team_id": sales, "active": true},
        {"external_id": "dan", "display_name": "Dan", "email": "dan@example.com"},
    ]);
    let report = expect_status(import_json(&app, rows).await, StatusCode::OK).await;
    assert_eq!(counts(&report), (1, 2));
    assert_eq!(app.count("employees").await, 4);
    let ann2 = employee_by_external_id(&app, "ann").await;
    assert_eq!(ann2["id"], ann["id"]);
    assert_eq!(ann2["display_name"], "Ann Lee");
    assert_eq!(ann2["email"], "ANN.LEE@example.com");
    assert_eq!(ann2["team_id"], sales.to_string());
    assert_eq!(
        ann2["title"], "Agent",
        "what a row leaves out stays as it is"
    );
    assert_eq!(ann2["created_at"], ann["created_at"]);
    let cat2 = employee_by_external_id(&app, "cat").await;
    assert_eq!(cat2["id"], cat["id"]);
    assert_eq!(cat2["active"], true);
    let ben2 = employee_by_external_id(&app, "ben").await;
    assert_eq!(ben2, ben, "people not in the file are left alone");

    // An e-mail someone else has is refused at its row.
    let rows = json!([
        {"external_id": "eve", "display_name": "Eve", "email": "Ben@Example.com"},
    ]);
    let problem = expect_problem(
        import_json(&app, rows).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("[0].email"),
    )
    .await;
    assert_eq!(problem["errors"].as_array().unwrap().len(), 1, "{problem}");
    assert_eq!(app.count("employees").await, 4);
}

#[tokio::test]
async fn a_bad_import_writes_nothing_and_reports_every_row() {
    let app = TestApp::spawn().await;
    let care = app.team("Care", None).await;
    let (_, _) = app.employee("existing", None).await;
    let before = employee_by_external_id(&app, "existing").await;

    let rows = json!([
        {"external_id": "ann", "display_name": "Ann", "email": "ann@example.com", "team_id": care},
        {"external_id": "ben", "display_name": "Ben"},
        {"external_id": "ann", "display_name": "Ann Again", "email": "ann2@example.com"},
        {"external_id": "cat", "display_name": "Cat", "email": "not-an-email"},
        {"external_id": "dan", "display_name": "Dan", "email": "ANN@example.com"},
        {"external_id": "existing", "display_name": "Changed", "email": "existing@example.com"},
    ]);
    let problem = expect_problem(
        import_json(&app, rows).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await;
    assert_eq!(
        field_names(&problem),
        BTreeSet::from([
            "[1].email".to_owned(),
            "[2].external_id".to_owned(),
            "[3].email".to_owned(),
            "[4].email".to_owned(),
        ]),
        "every bad row, and only those: {problem}"
    );
    assert_eq!(app.count("employees").await, 1, "nothing was written");
    assert_eq!(employee_by_external_id(&app, "existing").await, before);

    // What only the database can tell (an unknown team, an e-mail someone else has) is also
    // reported at its row, and also writes nothing: not even the good rows before it.
    let rows = json!([
        {"external_id": "ann", "display_name": "Ann", "email": "ann@example.com", "team_id": care},
        {"external_id": "existing", "display_name": "Changed", "email": "existing@example.com"},
        {"external_id": "ben", "display_name": "Ben", "email": "ben@example.com", "team_id": Uuid::now_v7()},
    ]);
    expect_problem(
        import_json(&app, rows).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("[2].team_id"),
    )
    .await;
    let rows = json!([
        {"external_id": "ann", "display_name": "Ann", "email": "ann@example.com"},
        {"external_id": "ben", "display_name": "Ben", "email": "EXISTING@example.com"},
    ]);
    expect_problem(
        import_json(&app, rows).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("[1].email"),
    )
    .await;
    assert_eq!(app.count("employees").await, 1, "nothing was written");
    assert_eq!(employee_by_external_id(&app, "existing").await, before);

    // Wrong types and unknown columns are named at their row too.
    let rows = json!([
        {"external_id": "ann", "display_name": "Ann", "email": "ann@example.com"},
        {"external_id": "ben", "display_name": "Ben", "email": "ben@example.com", "team_id": "care"},
        {"external_id": "cat", "display_name": "Cat", "email": "cat@example.com", "manager": "ann"},
    ]);
    let problem = expect_problem(
        import_json(&app, rows).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("[1].team_id"),
    )
    .await;
    assert!(
        field_names(&problem).contains("[2].manager"),
        "every bad row: {problem}"
    );
    assert_eq!(app.count("employees").await, 1);

    // A row is an object: serde would read one from a positional array too, as if its
    // members were named in order.
    let rows = json!([
        {"external_id": "ann", "display_name": "Ann", "email": "ann@example.com"},
        ["ben", "Ben", "ben@example.com"],
        "cat",
    ]);
    let problem = expect_problem(
        import_json(&app, rows).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await;
    assert_eq!(
        field_names(&problem),
        BTreeSet::from(["[1]".to_owned(), "[2]".to_owned()]),
        "{problem}"
    );
    assert_eq!(app.count("employees").await, 1);
}

#[tokio::test]
async fn importing_employees_as_csv() {
    let app = TestApp::spawn().await;
    let care = app.team("Care", None).await;

    let csv = format!(
        "external_id,display_name,email,team_id,title,active\n\
         ann,Ann Lee,ann@example.com,{care},Agent,true\n\
         ben,\"Okafor, Ben\",ben@example.com,,,\n\
         cat,Cat,cat@example.com,,\"Lead, \"\"Nights\"\"\",false\n"
    );
    let report = expect_status(import_csv(&app, &csv).await, StatusCode::OK).await;
    assert_eq!(counts(&report), (3, 0));
    let ann = employee_by_external_id(&app, "ann").await;
    assert_eq!(ann["team_id"], care.to_string());
    assert_eq!(ann["title"], "Agent");
    assert_eq!(ann["active"], true);
    let ben = employee_by_external_id(&app, "ben").await;
    assert_eq!(ben["display_name"], "Okafor, Ben");
    assert_eq!(ben["team_id"], Value::Null, "an empty cell is not given");
    assert_eq!(ben["title"], Value::Null);
    assert_eq!(ben["active"], true);
    let cat = employee_by_external_id(&app, "cat").await;
    assert_eq!(cat["title"], "Lead, \"Nights\"");
    assert_eq!(cat["active"], false);

    // Columns in any order, only the required ones, CRLF line ends, a charset parameter:
    // an upsert again.
    let csv = "email,external_id,display_name\r\nann.lee@example.com,ann,Ann Lee\r\ndan@example.com,dan,Dan\r\n";
    let report = expect_status(
        import(
            &app,
            &app.admin_token(),
            "text/csv; charset=utf-8",
            csv.into(),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(counts(&report), (1, 1));
    let ann2 = employee_by_external_id(&app, "ann").await;
    assert_eq!(ann2["id"], ann["id"]);
    assert_eq!(ann2["email"], "ann.lee@example.com");
    assert_eq!(app.count("employees").await, 4);

    // A bad file writes nothing and names each bad line (index 0 is the first after the header).
    let csv = "external_id,display_name,email,team_id\n\
               eve,Eve,eve@example.com,\n\
               fay,Fay,,\n\
               eve,Eve Again,eve2@example.com,\n\
               gus,Gus,gus@example.com,not-a-uuid\n\
               hal,,hal@example.com,\n";
    let problem = expect_problem(
        import_csv(&app, csv).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await;
    assert_eq!(
        field_names(&problem),
        BTreeSet::from([
            "[1].email".to_owned(),
            "[2].external_id".to_owned(),
            "[3].team_id".to_owned(),
            "[4].display_name".to_owned(),
        ]),
        "every bad line: {problem}"
    );
    assert_eq!(app.count("employees").await, 4, "nothing was written");

    // A database refusal in a CSV import also names its line.
    let csv = format!(
        "external_id,display_name,email,team_id\n\
         eve,Eve,eve@example.com,\n\
         fay,Fay,fay@example.com,{}\n",
        Uuid::now_v7()
    );
    expect_problem(
        import_csv(&app, &csv).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("[1].team_id"),
    )
    .await;
    assert_eq!(app.count("employees").await, 4, "nothing was written");

    // A file without a required column is refused.
    let csv = "external_id,display_name\nzed,Zed\n";
    expect_problem(
        import_csv(&app, csv).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("[0].email"),
    )
    .await;
    assert_eq!(app.count("employees").await, 4);
}

#[tokio::test]
async fn import_requests_are_checked() {
    let app = TestApp::spawn().await;
    let (_, employee) = app.employee("worker", None).await;
    let rows = json!([{"external_id": "ann", "display_name": "Ann", "email": "ann@example.com"}]);

    // Admins only.
    for token in [employee.clone(), app.token("worker", &[Role::Manager])] {
        expect_problem(
            import(&app, &token, "application/json", rows.to_string()).await,
            StatusCode::FORBIDDEN,
            None,
        )
        .await;
    }
    expect_problem(
        app.client
            .post(format!("{}/api/v1/employees/import", app.base))
            .json(&rows)
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
        None,
    )
    .await;

    // JSON or CSV, nothing else.
    for content_type in ["text/plain", "application/xml", ""] {
        expect_problem(
            import(&app, &app.admin_token(), content_type, rows.to_string()).await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
        )
        .await;
    }
    // Something to import, as an array of rows.
    expect_problem(
        import_json(&app, json!([])).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("body"),
    )
    .await;
    expect_problem(
        import_csv(&app, "external_id,display_name,email\n").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("body"),
    )
    .await;
    let response = import_json(
        &app,
        json!({"external_id": "ann", "display_name": "Ann", "email": "ann@example.com"}),
    )
    .await;
    expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    expect_problem(
        import(
            &app,
            &app.admin_token(),
            "application/json",
            "[{\"external_id\": ".into(),
        )
        .await,
        StatusCode::BAD_REQUEST,
        None,
    )
    .await;
    assert_eq!(app.count("employees").await, 1, "nothing was written");
    expect_status(import_json(&app, rows).await, StatusCode::OK).await;
}

// ---------------------------------------------------------------------------------------------
// /me
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn me_is_the_callers_record_and_roles() {
    let app = TestApp::spawn().await;
    let care = app.team("Care", None).await;
    let tier1 = app.team("Tier 1", Some(care)).await;
    let (alice, alice_token) = app.employee("alice", Some(tier1)).await;

    let me = expect_status(app.get("/api/v1/me", &alice_token).await, StatusCode::OK).await;
    assert_keys(&me, &["subject", "roles", "employee", "managed_team_ids"]);
    assert_eq!(me["subject"], "alice");
    assert_eq!(me["roles"], json!(["employee"]));
    assert_keys(&me["employee"], &EMPLOYEE_FIELDS);
    assert_eq!(me["employee"]["id"], alice.to_string());
    assert_eq!(me["employee"]["team_id"], tier1.to_string());
    assert_eq!(me["managed_team_ids"], json!([]));
    let read = expect_status(
        app.get(&format!("/api/v1/employees/{alice}"), &alice_token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["employee"], read);

    // A manager sees the teams they manage and their roles.
    let (bob, _) = app.employee("bob", Some(care)).await;
    for team in [care, tier1] {
        expect_status(
            patch_team(&app, team, json!({"manager_id": bob})).await,
            StatusCode::OK,
        )
        .await;
    }
    let bob_token = app.token("bob", &[Role::Manager, Role::Employee]);
    let me = expect_status(app.get("/api/v1/me", &bob_token).await, StatusCode::OK).await;
    assert_eq!(me["roles"], json!(["employee", "manager"]));
    let managed: BTreeSet<String> = me["managed_team_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        managed,
        BTreeSet::from([care.to_string(), tier1.to_string()])
    );

    // An admin not (yet) in the directory: no record.
    let me = expect_status(
        app.get("/api/v1/me", &app.admin_token()).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["subject"], "root-admin");
    assert_eq!(me["roles"], json!(["admin"]));
    assert_eq!(me["employee"], Value::Null);
    assert_eq!(me["managed_team_ids"], json!([]));

    // No token, no answer.
    expect_problem(
        app.request(reqwest::Method::GET, "/api/v1/me", None, None)
            .await,
        StatusCode::UNAUTHORIZED,
        None,
    )
    .await;
}

/// Posts an import with a query string (`?dry_run=true`, `?mode=sync`...).
async fn import_with(app: &TestApp, query: &str, content_type: &str, body: String) -> Response {
    app.client
        .post(format!("{}/api/v1/employees/import?{query}", app.base))
        .bearer_auth(app.admin_token())
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("request sent")
}

#[tokio::test]
async fn a_dry_run_answers_the_diff_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let care = app.team("Care", None).await;
    let rows = json!([
        {"external_id": "ann", "display_name": "Ann", "email": "ann@example.com", "title": "Agent"},
        {"external_id": "ben", "display_name": "Ben", "email": "ben@example.com"},
    ]);
    expect_status(import_json(&app, rows).await, StatusCode::OK).await;
    let before: Vec<Value> = vec![
        employee_by_external_id(&app, "ann").await,
        employee_by_external_id(&app, "ben").await,
    ];
    let audit_before = app.count("audit_events").await;

    // Ann moves team (only that column), Ben is unchanged, Cat is new.
    let rows = json!([
        {"external_id": "ann", "team_id": care},
        {"external_id": "ben", "display_name": "Ben"},
        {"external_id": "cat", "display_name": "Cat", "email": "cat@example.com"},
    ]);
    let report = expect_status(
        import_with(&app, "dry_run=true", "application/json", rows.to_string()).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(report["dry_run"], true);
    assert_eq!(
        (
            report["created"].as_u64(),
            report["updated"].as_u64(),
            report["unchanged"].as_u64()
        ),
        (Some(1), Some(1), Some(1)),
        "{report}"
    );
    let changes = report["changes"].as_array().unwrap();
    let ann = changes.iter().find(|c| c["external_id"] == "ann").unwrap();
    assert_eq!(ann["action"], "updated");
    assert_eq!(
        ann["fields"],
        json!({"team_id": {"from": null, "to": care}}),
        "only what changes"
    );
    let cat = changes.iter().find(|c| c["external_id"] == "cat").unwrap();
    assert_eq!(cat["action"], "created");
    assert_eq!(cat["fields"]["email"], "cat@example.com");
    // Nothing was written, not even to the audit trail.
    assert_eq!(app.count("employees").await, 2);
    assert_eq!(employee_by_external_id(&app, "ann").await, before[0]);
    assert_eq!(app.count("audit_events").await, audit_before);

    // The same file for real: Ann keeps her title (the row left it out) and moves.
    let report = expect_status(import_json(&app, rows).await, StatusCode::OK).await;
    assert_eq!(report["dry_run"], false);
    let ann = employee_by_external_id(&app, "ann").await;
    assert_eq!(
        (ann["team_id"].as_str(), ann["title"].as_str()),
        (Some(care.to_string().as_str()), Some("Agent"))
    );
    assert_eq!(app.count("employees").await, 3);
}

#[tokio::test]
async fn teams_are_named_by_external_id_or_path_and_unknown_columns_are_refused() {
    let app = TestApp::spawn().await;
    let support = app.team("Support", None).await;
    let tier1 = app.team("Tier 1", Some(support)).await;
    // Teams take an external id (an HR code).
    let team = expect_status(
        app.patch(
            &format!("/api/v1/teams/{support}"),
            &app.admin_token(),
            &json!({"external_id": "HR-100"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(team["external_id"], "HR-100");
    let csv = "external_id,display_name,email,team_external_id,team,slack_user_id\n\
               ann,Ann,ann@example.com,HR-100,,U024BE7LH\n\
               ben,Ben,ben@example.com,,support/TIER 1,\n";
    expect_status(import_csv(&app, csv).await, StatusCode::OK).await;
    let ann = employee_by_external_id(&app, "ann").await;
    assert_eq!(ann["team_id"], support.to_string());
    assert_eq!(ann["slack_user_id"], "U024BE7LH");
    assert_eq!(
        employee_by_external_id(&app, "ben").await["team_id"],
        tier1.to_string()
    );

    // Unknown teams, and a team named twice, at their rows.
    let rows = json!([
        {"external_id": "cat", "display_name": "Cat", "email": "cat@example.com", "team_external_id": "HR-999"},
        {"external_id": "dan", "display_name": "Dan", "email": "dan@example.com", "team": "Support/Tier 9"},
        {"external_id": "eve", "display_name": "Eve", "email": "eve@example.com", "team": "Support", "team_id": support},
    ]);
    let problem = expect_problem(
        import_json(&app, rows).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await;
    assert_eq!(
        field_names(&problem),
        BTreeSet::from([
            "[0].team_external_id".to_owned(),
            "[1].team".to_owned(),
            "[2].team".to_owned()
        ]),
        "{problem}"
    );
    // An unknown column is named once, with the columns there are.
    let csv = "external_id,display_name,email,department\nzed,Zed,zed@example.com,Ops\n";
    let problem = expect_problem(
        import_csv(&app, csv).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("department"),
    )
    .await;
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("team_external_id"),
        "{problem}"
    );
    assert_eq!(app.count("employees").await, 2);
}

#[tokio::test]
async fn a_sync_deactivates_who_the_file_leaves_out_but_not_most_of_the_company() {
    let app = TestApp::spawn().await;
    let rows: Vec<Value> = (0..20)
        .map(|i| json!({"external_id": format!("p{i:02}"), "display_name": format!("P {i}"), "email": format!("p{i}@example.com")}))
        .collect();
    expect_status(
        import_json(&app, Value::Array(rows.clone())).await,
        StatusCode::OK,
    )
    .await;

    // Leaving out one person of twenty (5%) is a normal sync.
    let report = expect_status(
        import_with(
            &app,
            "mode=sync",
            "application/json",
            Value::Array(rows[1..].to_vec()).to_string(),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(report["deactivated"], 1);
    assert_eq!(employee_by_external_id(&app, "p00").await["active"], false);

    // A truncated file (five people of nineteen active) is refused, and writes nothing...
    let short = Value::Array(rows[1..6].to_vec()).to_string();
    let dry = expect_status(
        import_with(
            &app,
            "mode=sync&dry_run=true",
            "application/json",
            short.clone(),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(dry["deactivated"], 14);
    assert_eq!(dry["warnings"].as_array().unwrap().len(), 1, "{dry}");
    let problem = expect_problem(
        import_with(&app, "mode=sync", "application/json", short.clone()).await,
        StatusCode::CONFLICT,
        Some("force"),
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("14 of 19"),
        "{problem}"
    );
    assert_eq!(employee_by_external_id(&app, "p10").await["active"], true);
    // ...unless forced. History stays: they are deactivated, not deleted.
    let report = expect_status(
        import_with(&app, "mode=sync&force=true", "application/json", short).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(report["deactivated"], 14);
    assert_eq!(employee_by_external_id(&app, "p10").await["active"], false);
    assert_eq!(app.count("employees").await, 20);
    // A bad mode is named.
    expect_problem(
        import_with(&app, "mode=replace", "application/json", "[]".into()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("mode"),
    )
    .await;
}

#[tokio::test]
async fn managers_come_from_the_reporting_lines() {
    let app = TestApp::spawn().await;
    let care = app.team("Care", None).await;
    let sales = app.team("Sales", None).await;
    // Sales has a manager an admin chose; Care has none.
    let (chosen, _) = app.employee("chosen", None).await;
    expect_status(
        app.patch(
            &format!("/api/v1/teams/{sales}"),
            &app.admin_token(),
            &json!({"manager_id": chosen}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let rows = json!([
        {"external_id": "ann", "display_name": "Ann", "email": "ann@example.com", "team_id": care, "manager_external_id": "mia"},
        {"external_id": "ben", "display_name": "Ben", "email": "ben@example.com", "team_id": care, "manager_external_id": "mia"},
        {"external_id": "mia", "display_name": "Mia", "email": "mia@example.com", "team_id": care, "manager_external_id": "chosen"},
        {"external_id": "sam", "display_name": "Sam", "email": "sam@example.com", "team_id": sales, "manager_external_id": "mia"},
        {"external_id": "tom", "display_name": "Tom", "email": "tom@example.com", "team_id": sales, "manager_external_id": "mia"},
    ]);
    expect_status(import_json(&app, rows).await, StatusCode::OK).await;
    let mia = employee_by_external_id(&app, "mia").await;
    let team = |id: Uuid| {
        let app = &app;
        async move {
            expect_status(
                app.get(&format!("/api/v1/teams/{id}"), &app.admin_token())
                    .await,
                StatusCode::OK,
            )
            .await
        }
    };
    // Two of Care's three report to Mia: she manages Care, and sees it as its manager.
    assert_eq!(team(care).await["manager_id"], mia["id"]);
    assert_eq!(
        team(sales).await["manager_id"],
        chosen.to_string(),
        "an admin's choice stays"
    );
    let me = expect_status(
        app.get("/api/v1/me", &app.token("mia", &[Role::Employee]))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(me["managed_team_ids"], json!([care]));
    // An unknown manager, and oneself, are named.
    let rows = json!([
        {"external_id": "zed", "display_name": "Zed", "email": "zed@example.com", "manager_external_id": "nobody"},
        {"external_id": "yan", "display_name": "Yan", "email": "yan@example.com", "manager_external_id": "yan"},
    ]);
    let problem = expect_problem(
        import_json(&app, rows).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        None,
    )
    .await;
    assert_eq!(
        field_names(&problem),
        BTreeSet::from([
            "[0].manager_external_id".to_owned(),
            "[1].manager_external_id".to_owned()
        ])
    );
}
