//! Bad input, as clients see it: every malformed, mistyped, oversized or mislabelled body is an
//! RFC 9457 problem with the right status (400, 413, 415, 422) naming the field, and nothing of
//! it reaches the database.

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

use crate::helpers::{TestApp, expect_problem, expect_status};

const MESSAGE: &str = "Thanks for covering my shift!";
/// Every table a write endpoint could touch.
const TABLES: [&str; 7] = [
    "shoutouts",
    "shoutout_recipients",
    "cheers",
    "teams",
    "employees",
    "giver_daily_counts",
    "idempotency_keys",
];
/// Just over the 64 KiB JSON limit.
const OVER_LIMIT: usize = 64 * 1024 + 1;

/// A team, a giver and a recipient, and the row counts after setting them up.
struct World {
    app: TestApp,
    team: Uuid,
    giver: String,
    bob: Uuid,
    admin: String,
    rows: Vec<(&'static str, i64)>,
}

impl World {
    async fn new() -> Self {
        let app = TestApp::spawn().await;
        let team = app.team("Support", None).await;
        let (_, giver) = app.employee("giver", Some(team)).await;
        let (bob, _) = app.employee("bob", Some(team)).await;
        let admin = app.admin_token();
        let rows = counts(&app).await;
        Self {
            app,
            team,
            giver,
            bob,
            admin,
            rows,
        }
    }

    /// Asserts no table gained or lost a row since set-up.
    async fn assert_nothing_written(&self, after: &str) {
        assert_eq!(
            counts(&self.app).await,
            self.rows,
            "rows changed after {after}"
        );
    }

    fn good_shoutout(&self) -> Value {
        json!({"recipient_ids": [self.bob], "value": "helping_others", "message": MESSAGE})
    }
}

async fn counts(app: &TestApp) -> Vec<(&'static str, i64)> {
    let mut rows = Vec::new();
    for table in TABLES {
        rows.push((table, app.count(table).await));
    }
    rows
}

/// Sends `body` exactly as given, with this content type (or none) and extra headers.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
    headers: HeaderMap,
) -> Response {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(token)
        .headers(headers)
        .body(body);
    if let Some(content_type) = content_type {
        request = request.header(CONTENT_TYPE, content_type);
    }
    request.send().await.expect("request sent")
}

/// A JSON body as raw text.
async fn send_json(app: &TestApp, method: Method, path: &str, token: &str, body: &str) -> Response {
    send(
        app,
        method,
        path,
        token,
        Some("application/json"),
        body.to_owned(),
        HeaderMap::new(),
    )
    .await
}

/// `expect_problem`, and a closer look at the document: a `/problems/` type, a non-empty title
/// and detail, and a message for every listed field.
async fn problem(response: Response, status: StatusCode, field: Option<&str>) -> Value {
    let body = expect_problem(response, status, field).await;
    assert!(
        body["type"].as_str().unwrap().starts_with("/problems/"),
        "{body}"
    );
    assert!(!body["title"].as_str().unwrap().is_empty(), "{body}");
    assert!(!body["detail"].as_str().unwrap().is_empty(), "{body}");
    if let Some(errors) = body.get("errors") {
        for error in errors.as_array().unwrap() {
            assert!(
                error["message"].as_str().is_some_and(|m| !m.is_empty()),
                "each error says why: {body}"
            );
        }
    }
    body
}

/// The write endpoints that read a JSON object, with a body each accepts.
fn write_endpoints(world: &World) -> Vec<(Method, String, String, Value)> {
    vec![
        (
            Method::POST,
            "/api/v1/shoutouts".into(),
            world.giver.clone(),
            world.good_shoutout(),
        ),
        (
            Method::POST,
            "/api/v1/teams".into(),
            world.admin.clone(),
            json!({"name": "Sales"}),
        ),
        (
            Method::POST,
            "/api/v1/employees".into(),
            world.admin.clone(),
            json!({"external_id": "dave", "display_name": "Dave", "email": "dave@example.com"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/teams/{}", world.team),
            world.admin.clone(),
            json!({"name": "Renamed"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/employees/{}", world.bob),
            world.admin.clone(),
            json!({"active": false}),
        ),
    ]
}

/// What the PATCH targets look like, to check a refused PATCH changed nothing.
async fn patched_rows(world: &World) -> (Value, Value) {
    let team = expect_status(
        world
            .app
            .get(&format!("/api/v1/teams/{}", world.team), &world.admin)
            .await,
        StatusCode::OK,
    )
    .await;
    let bob = expect_status(
        world
            .app
            .get(&format!("/api/v1/employees/{}", world.bob), &world.admin)
            .await,
        StatusCode::OK,
    )
    .await;
    (team, bob)
}

#[tokio::test]
async fn bodies_that_are_not_json_are_400() {
    let world = World::new().await;
    let before = patched_rows(&world).await;
    for (method, path, token, good) in write_endpoints(&world) {
        let good = good.to_string();
        let bodies: Vec<(String, &str)> = vec![
            ("{".into(), "an unclosed object"),
            (r#"{"name": "x""#.into(), "a truncated object"),
            (r#"{name: "x"}"#.into(), "an unquoted key"),
            (r#"{"name": 'x'}"#.into(), "single quotes"),
            (r#"{"name": "x",}"#.into(), "a trailing comma"),
            ("not json".into(), "plain words"),
            ("<xml/>".into(), "XML"),
            (String::new(), "an empty body"),
            ("   \n\t  ".into(), "only white space"),
            (format!("{good} garbage"), "trailing garbage"),
            (format!("{good}{good}"), "two objects"),
            (format!("{good},"), "a trailing comma after the object"),
            (format!("{good}]"), "a stray bracket"),
        ];
        for (body, why) in bodies {
            let response = send_json(&world.app, method.clone(), &path, &token, &body).await;
            let status = response.status();
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{method} {path} with {why}: {status}"
            );
            let body = problem(response, StatusCode::BAD_REQUEST, None).await;
            assert_eq!(body["type"], "/problems/malformed-request", "{why}: {body}");
        }
        // Bytes that are not UTF-8.
        let response = send(
            &world.app,
            method.clone(),
            &path,
            &token,
            Some("application/json"),
            b"{\"name\": \"\xff\xfe\"}".to_vec(),
            HeaderMap::new(),
        )
        .await;
        problem(response, StatusCode::BAD_REQUEST, None).await;
        world
            .assert_nothing_written(&format!("malformed bodies to {method} {path}"))
            .await;
    }
    assert_eq!(patched_rows(&world).await, before, "no PATCH changed a row");
}

#[tokio::test]
async fn unknown_fields_are_422_naming_them() {
    let world = World::new().await;
    let before = patched_rows(&world).await;
    let app = &world.app;
    let give = |extra: Value| {
        let mut body = world.good_shoutout();
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    // Fields the server owns cannot be smuggled into a shout-out.
    for (field, value) in [
        ("giver_id", json!(world.bob)),
        ("status", json!("published")),
        ("created_at", json!("2020-01-01T00:00:00Z")),
        ("id", json!(Uuid::now_v7())),
        ("source", json!("customer")),
        ("cheers", json!(100)),
        ("recipient_id", json!(world.bob)),
        ("Message", json!("case matters")),
    ] {
        let response = app
            .post(
                "/api/v1/shoutouts",
                &world.giver,
                &give(json!({field: value})),
            )
            .await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
        assert_eq!(body["type"], "/problems/validation-error", "{body}");
    }
    // The other write endpoints too.
    let cases: Vec<(Method, String, Value, &str)> = vec![
        (
            Method::POST,
            "/api/v1/teams".into(),
            json!({"name": "Sales", "id": Uuid::now_v7()}),
            "id",
        ),
        (
            Method::POST,
            "/api/v1/teams".into(),
            json!({"name": "Sales", "created_at": "2020-01-01T00:00:00Z"}),
            "created_at",
        ),
        (
            Method::POST,
            "/api/v1/employees".into(),
            json!({"external_id": "dave", "display_name": "Dave", "email": "dave@example.com",
                   "active": false}),
            "active",
        ),
        (
            Method::POST,
            "/api/v1/employees".into(),
            json!({"external_id": "dave", "display_name": "Dave", "email": "dave@example.com",
                   "roles": ["admin"]}),
            "roles",
        ),
        (
            Method::PATCH,
            format!("/api/v1/teams/{}", world.team),
            json!({"name": "Renamed", "updated_at": "2020-01-01T00:00:00Z"}),
            "updated_at",
        ),
        (
            Method::PATCH,
            format!("/api/v1/employees/{}", world.bob),
            json!({"display_name": "Robert", "id": Uuid::now_v7()}),
            "id",
        ),
        (
            Method::PATCH,
            format!("/api/v1/employees/{}", world.bob),
            json!({"is_admin": true}),
            "is_admin",
        ),
    ];
    for (method, path, body, field) in cases {
        let response = app
            .request(method, &path, Some(&world.admin), Some(&body))
            .await;
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    world.assert_nothing_written("unknown fields").await;
    assert_eq!(patched_rows(&world).await, before, "no PATCH changed a row");
}

#[tokio::test]
async fn wrong_types_are_422_naming_the_field() {
    let world = World::new().await;
    let before = patched_rows(&world).await;
    let app = &world.app;
    let bob = world.bob;
    let shoutouts: Vec<(Value, &str)> = vec![
        (
            json!({"recipient_ids": [bob], "value": 5, "message": MESSAGE}),
            "value",
        ),
        (
            json!({"recipient_ids": [bob], "value": true, "message": MESSAGE}),
            "value",
        ),
        (
            json!({"recipient_ids": [bob], "value": ["helping_others"], "message": MESSAGE}),
            "value",
        ),
        (
            json!({"recipient_ids": [bob], "value": null, "message": MESSAGE}),
            "value",
        ),
        (
            json!({"recipient_ids": "x", "value": "helping_others", "message": MESSAGE}),
            "recipient_ids",
        ),
        (
            json!({"recipient_ids": bob, "value": "helping_others", "message": MESSAGE}),
            "recipient_ids",
        ),
        (
            json!({"recipient_ids": {"0": bob}, "value": "helping_others", "message": MESSAGE}),
            "recipient_ids",
        ),
        (
            json!({"recipient_ids": null, "value": "helping_others", "message": MESSAGE}),
            "recipient_ids",
        ),
        (
            json!({"recipient_ids": [bob, "not-a-uuid"], "value": "helping_others", "message": MESSAGE}),
            "recipient_ids[1]",
        ),
        (
            json!({"recipient_ids": [42], "value": "helping_others", "message": MESSAGE}),
            "recipient_ids[0]",
        ),
        (
            json!({"recipient_ids": [bob], "value": "helping_others", "message": []}),
            "message",
        ),
        (
            json!({"recipient_ids": [bob], "value": "helping_others", "message": 12}),
            "message",
        ),
        (
            json!({"recipient_ids": [bob], "value": "helping_others", "message": {"text": "hi"}}),
            "message",
        ),
        (
            json!({"recipient_ids": [bob], "value": "helping_others", "message": null}),
            "message",
        ),
        // Missing fields are named too.
        (
            json!({"value": "helping_others", "message": MESSAGE}),
            "recipient_ids",
        ),
        (json!({"recipient_ids": [bob], "message": MESSAGE}), "value"),
        (
            json!({"recipient_ids": [bob], "value": "helping_others"}),
            "message",
        ),
        // JSON, but not an object (not even the fields in order, which serde alone would take).
        (json!([bob]), "body"),
        (json!([[bob], "helping_others", MESSAGE]), "body"),
        (json!([]), "body"),
        (json!("a shout-out"), "body"),
        (json!(null), "body"),
        (json!(42), "body"),
    ];
    for (body, field) in shoutouts {
        let response = app.post("/api/v1/shoutouts", &world.giver, &body).await;
        let status = response.status();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let team = format!("/api/v1/teams/{}", world.team);
    let employee = format!("/api/v1/employees/{}", world.bob);
    let others: Vec<(Method, &str, Value, &str)> = vec![
        (Method::POST, "/api/v1/teams", json!({"name": 5}), "name"),
        (
            Method::POST,
            "/api/v1/teams",
            json!({"name": "Sales", "parent_id": "nope"}),
            "parent_id",
        ),
        (
            Method::POST,
            "/api/v1/teams",
            json!({"name": "Sales", "manager_id": 7}),
            "manager_id",
        ),
        (Method::POST, "/api/v1/teams", json!({}), "name"),
        (
            Method::POST,
            "/api/v1/employees",
            json!({"external_id": 1, "display_name": "Dave", "email": "dave@example.com"}),
            "external_id",
        ),
        (
            Method::POST,
            "/api/v1/employees",
            json!({"external_id": "dave", "display_name": "Dave", "email": ["dave@example.com"]}),
            "email",
        ),
        (
            Method::POST,
            "/api/v1/employees",
            json!({"external_id": "dave", "display_name": "Dave", "email": "dave@example.com",
                   "team_id": "Support"}),
            "team_id",
        ),
        (
            Method::POST,
            "/api/v1/employees",
            json!({"external_id": "dave", "email": "dave@example.com"}),
            "display_name",
        ),
        (Method::PATCH, &team, json!({"name": ["Renamed"]}), "name"),
        (Method::PATCH, &team, json!({"parent_id": 1}), "parent_id"),
        (Method::PATCH, &team, json!([]), "body"),
        (Method::PATCH, &employee, json!([]), "body"),
        (Method::PATCH, &employee, json!(["bobby"]), "body"),
        (Method::PATCH, &employee, json!({"active": "no"}), "active"),
        (Method::PATCH, &employee, json!({"active": 0}), "active"),
        (
            Method::PATCH,
            &employee,
            json!({"team_id": false}),
            "team_id",
        ),
        (Method::PATCH, &employee, json!({"title": 3}), "title"),
    ];
    for (method, path, body, field) in others {
        let response = app
            .request(method.clone(), path, Some(&world.admin), Some(&body))
            .await;
        let status = response.status();
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path} {body}"
        );
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    world.assert_nothing_written("wrongly typed fields").await;
    assert_eq!(patched_rows(&world).await, before, "no PATCH changed a row");
}

/// One answer names every bad field of a request, whatever kind of rule each breaks: text
/// refused while it is read, a wrong type, an unknown field, a rule about the rest.
#[tokio::test]
async fn every_bad_field_of_one_request_is_named_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token();
    let fields = |body: &Value| -> std::collections::BTreeSet<String> {
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    };

    let response = app
        .post(
            "/api/v1/employees",
            &admin,
            &json!({"external_id": " padded", "display_name": "Ann\u{200b}", "email": "nope",
                    "team_id": "not-a-uuid", "nickname": "x"}),
        )
        .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    assert_eq!(
        fields(&body),
        [
            "display_name",
            "email",
            "external_id",
            "nickname",
            "team_id"
        ]
        .map(String::from)
        .into(),
        "{body}"
    );

    // A query string: a wrong type and a validation rule.
    let response = app.get("/api/v1/employees?limit=abc&q=", &admin).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    assert_eq!(
        fields(&body),
        ["limit", "q"].map(String::from).into(),
        "{body}"
    );

    // A CSV line with two bad cells, beside a good line.
    let csv = "external_id,display_name,email\nann,Ann,ann@example.com\n bad,\u{202e}Ben,ben\n";
    let response = send(
        &app,
        Method::POST,
        "/api/v1/employees/import",
        &admin,
        Some("text/csv"),
        csv.to_owned(),
        HeaderMap::new(),
    )
    .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    assert_eq!(
        fields(&body),
        ["[1].display_name", "[1].email", "[1].external_id"]
            .map(String::from)
            .into(),
        "{body}"
    );
    assert_eq!(app.count("employees").await, 0, "nothing was written");

    // Naming a field costs another reading of the request: a body of thousands of unknown
    // fields is named in part (and so cannot make the service read it thousands of times).
    let mut many = serde_json::Map::new();
    for n in 0..2_000 {
        many.insert(format!("extra_{n:04}"), json!(n));
    }
    many.insert("name".into(), json!("Care"));
    let response = app
        .post("/api/v1/teams", &admin, &Value::Object(many))
        .await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    let named = fields(&body);
    assert!(
        !named.is_empty() && named.len() <= shoutout::extract::MAX_FIELD_ERRORS,
        "{} fields named",
        named.len()
    );
    let query: String = (0..500).map(|n| format!("x{n}=1&")).collect();
    let response = app.get(&format!("/api/v1/employees?{query}"), &admin).await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    assert!(fields(&body).len() <= shoutout::extract::MAX_FIELD_ERRORS);
    assert_eq!(app.count("teams").await, 0, "nothing was written");
}

#[tokio::test]
async fn field_rules_are_422_naming_the_field() {
    let world = World::new().await;
    let before = patched_rows(&world).await;
    let app = &world.app;
    let bob = world.bob;
    let give = |value: &str, message: &str| json!({"recipient_ids": [bob], "value": value, "message": message});
    // The message: 1 to 1000 characters after trimming.
    let too_long = format!("  {}  ", "a".repeat(1001));
    let too_long_wide = "é".repeat(1001);
    for message in [
        too_long.as_str(),
        too_long_wide.as_str(),
        "",
        " ",
        "   \n\t  \r\n ",
        "\u{00a0}\u{2003}",
    ] {
        let response = app
            .post(
                "/api/v1/shoutouts",
                &world.giver,
                &give("helping_others", message),
            )
            .await;
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("message")).await;
    }
    // The value: one of the five codes, exactly.
    for value in [
        "kindness",
        "",
        "HELPING_OTHERS",
        "helping-others",
        " helping_others",
        "H",
        "published",
    ] {
        let response = app
            .post("/api/v1/shoutouts", &world.giver, &give(value, MESSAGE))
            .await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("value")).await;
        if !value.is_empty() {
            assert!(
                body["errors"][0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("helping_others"),
                "the message lists the codes: {body}"
            );
        }
    }
    // Recipients: unknown ids are named by position (the code answers 422, not 404: the request
    // itself is at fault, and the route exists).
    let ghost = Uuid::now_v7();
    for (recipients, field) in [
        (json!([ghost]), "recipient_ids[0]"),
        (json!([bob, ghost]), "recipient_ids[1]"),
        (json!([]), "recipient_ids"),
    ] {
        let response = app
            .post(
                "/api/v1/shoutouts",
                &world.giver,
                &json!({"recipient_ids": recipients, "value": "helping_others", "message": MESSAGE}),
            )
            .await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
        if field != "recipient_ids" {
            assert!(body.to_string().contains(&ghost.to_string()), "{body}");
        }
    }
    // Several bad fields at once are all reported.
    let response = app
        .post(
            "/api/v1/shoutouts",
            &world.giver,
            &json!({"recipient_ids": [], "value": "helping_others", "message": "  "}),
        )
        .await;
    let body = problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("recipient_ids"),
    )
    .await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"message"), "{body}");

    // Teams and employees.
    let team = format!("/api/v1/teams/{}", world.team);
    let employee = format!("/api/v1/employees/{}", world.bob);
    let cases: Vec<(Method, &str, Value, &str)> = vec![
        (
            Method::POST,
            "/api/v1/teams",
            json!({"name": "   "}),
            "name",
        ),
        (
            Method::POST,
            "/api/v1/teams",
            json!({"name": "x".repeat(201)}),
            "name",
        ),
        (
            Method::POST,
            "/api/v1/teams",
            json!({"name": "Sales", "parent_id": Uuid::now_v7()}),
            "parent_id",
        ),
        (
            Method::POST,
            "/api/v1/employees",
            json!({"external_id": "dave", "display_name": "Dave", "email": "not-an-email"}),
            "email",
        ),
        (
            Method::POST,
            "/api/v1/employees",
            json!({"external_id": "dave", "display_name": "  ", "email": "dave@example.com"}),
            "display_name",
        ),
        (
            Method::POST,
            "/api/v1/employees",
            json!({"external_id": "dave", "display_name": "Dave", "email": "dave@example.com",
                   "team_id": Uuid::now_v7()}),
            "team_id",
        ),
        (Method::PATCH, &team, json!({"name": ""}), "name"),
        (
            Method::PATCH,
            &team,
            json!({"parent_id": world.team}),
            "parent_id",
        ),
        (
            Method::PATCH,
            &employee,
            json!({"email": "bob at example"}),
            "email",
        ),
        (
            Method::PATCH,
            &employee,
            json!({"team_id": Uuid::now_v7()}),
            "team_id",
        ),
    ];
    for (method, path, body, field) in cases {
        let response = app
            .request(method.clone(), path, Some(&world.admin), Some(&body))
            .await;
        let status = response.status();
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path} {body}"
        );
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    world
        .assert_nothing_written("bodies breaking field rules")
        .await;
    assert_eq!(patched_rows(&world).await, before, "no PATCH changed a row");
}

#[tokio::test]
async fn oversize_bodies_are_413() {
    let world = World::new().await;
    let before = patched_rows(&world).await;
    for (method, path, token, _) in write_endpoints(&world) {
        // Valid JSON that is simply too big: the size is refused before anything is parsed.
        let padding = "x".repeat(OVER_LIMIT);
        for body in [
            json!({"message": padding}).to_string(),
            format!("{}{}", " ".repeat(OVER_LIMIT), json!({"name": "Sales"})),
        ] {
            let response = send_json(&world.app, method.clone(), &path, &token, &body).await;
            let status = response.status();
            assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{method} {path}");
            let body = problem(response, StatusCode::PAYLOAD_TOO_LARGE, None).await;
            assert_eq!(body["type"], "/problems/payload-too-large");
        }
        world
            .assert_nothing_written(&format!("oversize bodies to {method} {path}"))
            .await;
    }
    // A body just under the limit is read (and then judged on its content).
    let message = "x".repeat(64 * 1024 - 200);
    let body = json!({"recipient_ids": [world.bob], "value": "helping_others", "message": message});
    assert!(body.to_string().len() < 64 * 1024);
    let response = world
        .app
        .post("/api/v1/shoutouts", &world.giver, &body)
        .await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("message")).await;
    world.assert_nothing_written("oversize bodies").await;
    assert_eq!(patched_rows(&world).await, before, "no PATCH changed a row");
}

/// Sends a chunked request (no Content-Length, so the server must count as it reads) over a
/// plain socket; returns the status line and the rest of the answer.
async fn send_chunked(app: &TestApp, method: &str, path: &str, token: &str, body: &[u8]) -> String {
    let address = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in body.chunks(8 * 1024) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    // The server may answer and hang up before it has read everything; that is its right.
    let _ = stream.write_all(&request).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn oversize_chunked_bodies_are_413_too() {
    let world = World::new().await;
    let padding = "x".repeat(OVER_LIMIT);
    let body = json!({"recipient_ids": [world.bob], "value": "helping_others", "message": padding})
        .to_string();
    let answer = send_chunked(
        &world.app,
        "POST",
        "/api/v1/shoutouts",
        &world.giver,
        body.as_bytes(),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("content-type: application/problem+json"),
        "{answer}"
    );
    let answer = send_chunked(
        &world.app,
        "POST",
        "/api/v1/teams",
        &world.admin,
        json!({"name": "x".repeat(OVER_LIMIT)})
            .to_string()
            .as_bytes(),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    // The control: a small chunked body is read normally.
    let answer = send_chunked(
        &world.app,
        "POST",
        "/api/v1/teams",
        &world.admin,
        json!({"name": "   "}).to_string().as_bytes(),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 422"), "{answer}");
    world.assert_nothing_written("chunked bodies").await;
}

#[tokio::test]
async fn bodies_that_are_not_labelled_json_are_415() {
    let world = World::new().await;
    let before = patched_rows(&world).await;
    for (method, path, token, good) in write_endpoints(&world) {
        let good = good.to_string();
        for content_type in [
            Some("text/plain"),
            Some("text/plain; charset=utf-8"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/xml"),
            Some("text/json"),
            Some("application/jsonp"),
            Some("application/json-patch+json"),
            None,
        ] {
            let response = send(
                &world.app,
                method.clone(),
                &path,
                &token,
                content_type,
                good.clone(),
                HeaderMap::new(),
            )
            .await;
            let status = response.status();
            assert_eq!(
                status,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{method} {path} as {content_type:?}"
            );
            let body = problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE, None).await;
            assert_eq!(body["type"], "/problems/unsupported-media-type");
        }
        world
            .assert_nothing_written(&format!("mislabelled bodies to {method} {path}"))
            .await;
    }
    assert_eq!(patched_rows(&world).await, before, "no PATCH changed a row");

    // Parameters and letter case do not matter for JSON itself.
    for content_type in ["application/json; charset=utf-8", "Application/JSON"] {
        let response = send(
            &world.app,
            Method::POST,
            "/api/v1/shoutouts",
            &world.giver,
            Some(content_type),
            world.good_shoutout().to_string(),
            HeaderMap::new(),
        )
        .await;
        expect_status(response, StatusCode::CREATED).await;
    }
}

#[tokio::test]
async fn a_bad_idempotency_key_is_422_naming_the_header() {
    let world = World::new().await;
    let app = &world.app;
    let with_key = |key: &[u8]| {
        let mut headers = HeaderMap::new();
        headers.insert("Idempotency-Key", HeaderValue::from_bytes(key).unwrap());
        headers
    };
    let too_long = "k".repeat(256);
    let bad_keys: Vec<(&[u8], &str)> = vec![
        (b"", "empty"),
        (b"   ", "only spaces"),
        (too_long.as_bytes(), "256 characters"),
        (b"two words", "an inner space"),
        (b"tab\there", "a tab"),
        ("caf\u{e9}".as_bytes(), "not ASCII"),
    ];
    for (key, why) in bad_keys {
        let response = send(
            app,
            Method::POST,
            "/api/v1/shoutouts",
            &world.giver,
            Some("application/json"),
            world.good_shoutout().to_string(),
            with_key(key),
        )
        .await;
        let status = response.status();
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a key that is {why}"
        );
        problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("Idempotency-Key"),
        )
        .await;
    }
    world.assert_nothing_written("bad idempotency keys").await;

    // A bad body with a good key stores neither the key nor a shout-out.
    let response = send(
        app,
        Method::POST,
        "/api/v1/shoutouts",
        &world.giver,
        Some("application/json"),
        r#"{"recipient_ids": []"#,
        with_key(b"retry-me"),
    )
    .await;
    problem(response, StatusCode::BAD_REQUEST, None).await;
    let response = send(
        app,
        Method::POST,
        "/api/v1/shoutouts",
        &world.giver,
        Some("application/json"),
        json!({"recipient_ids": [Uuid::now_v7()], "value": "helping_others", "message": MESSAGE})
            .to_string(),
        with_key(b"retry-me"),
    )
    .await;
    problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("recipient_ids[0]"),
    )
    .await;
    world.assert_nothing_written("bad bodies with a key").await;

    // The longest key allowed works, and a retry with it replays instead of creating.
    let longest = "k".repeat(255);
    for _ in 0..2 {
        let response = send(
            app,
            Method::POST,
            "/api/v1/shoutouts",
            &world.giver,
            Some("application/json"),
            world.good_shoutout().to_string(),
            with_key(longest.as_bytes()),
        )
        .await;
        expect_status(response, StatusCode::CREATED).await;
    }
    assert_eq!(app.count("shoutouts").await, 1);
    assert_eq!(app.count("idempotency_keys").await, 1);
    // After the mistakes above, the same key still works for the request it was first used for.
    let response = send(
        app,
        Method::POST,
        "/api/v1/shoutouts",
        &world.giver,
        Some("application/json"),
        world.good_shoutout().to_string(),
        with_key(b"retry-me"),
    )
    .await;
    expect_status(response, StatusCode::CREATED).await;
    assert_eq!(app.count("shoutouts").await, 2);
}

/// PostgreSQL text cannot hold NUL: a `\u0000` anywhere is a 422 naming where it is (found by
/// schemathesis as a 500 on `POST /employees`), and nothing is written.
#[tokio::test]
async fn nul_characters_are_422_naming_the_field() {
    let world = World::new().await;
    let app = &world.app;
    for (method, path, body, field) in [
        (
            Method::POST,
            "/api/v1/employees",
            r#"{"external_id": "a\u0000b", "display_name": "Amara Obi", "email": "amara@example.com"}"#,
            "external_id",
        ),
        (
            Method::POST,
            "/api/v1/teams",
            r#"{"name": "Care\u0000"}"#,
            "name",
        ),
        (
            Method::POST,
            "/api/v1/employees/import",
            r#"[{"external_id": "zoe", "display_name": "Zoe", "email": "zoe@exa\u0000mple.com"}]"#,
            "[0].email",
        ),
    ] {
        let response = send_json(app, method, path, &world.admin, body).await;
        problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let response = send_json(
        app,
        Method::POST,
        "/api/v1/shoutouts",
        &world.giver,
        &format!(
            r#"{{"recipient_ids": ["{}"], "value": "helping_others", "message": "Thanks\u0000"}}"#,
            world.bob
        ),
    )
    .await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("message")).await;
    let response = app.get("/api/v1/employees?q=a%00b", &world.admin).await;
    problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("q")).await;
    // A CSV import reaches the database's own refusal, which is a 422 too, not a 500.
    let csv = "external_id,display_name,email\nzoe,Zo\0e,zoe@example.com\n";
    let response = send(
        app,
        Method::POST,
        "/api/v1/employees/import",
        &world.admin,
        Some("text/csv"),
        csv.to_owned(),
        HeaderMap::new(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    world.assert_nothing_written("NUL characters").await;
}

/// A route asked with a method it does not take is a 405 naming the methods it does take.
#[tokio::test]
async fn a_method_a_route_does_not_take_is_405_with_allow() {
    let app = TestApp::spawn().await;
    let team = app.team("Support", None).await;
    for (method, path, allow) in [
        (Method::TRACE, "/api/v1/teams".to_owned(), "GET, POST"),
        (Method::PUT, format!("/api/v1/teams/{team}"), "GET, PATCH"),
        (Method::DELETE, "/healthz".to_owned(), "GET"),
        // Not `/api/v1/shoutouts/{id}` with a bad id: the import route, which only takes POST.
        (Method::GET, "/api/v1/shoutouts/import".to_owned(), "POST"),
    ] {
        let response = app
            .request(method.clone(), &path, Some(&app.admin_token()), None)
            .await;
        assert_eq!(
            response
                .headers()
                .get("allow")
                .and_then(|v| v.to_str().ok()),
            Some(allow),
            "{method} {path}"
        );
        problem(response, StatusCode::METHOD_NOT_ALLOWED, None).await;
    }
    let response = app.get("/api/v1/no-such-thing", &app.admin_token()).await;
    problem(response, StatusCode::NOT_FOUND, None).await;
}
