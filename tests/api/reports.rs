//! Manager reports: the numbers, cross-checked against plain SQL; who may see what; the CSV a
//! spreadsheet opens; the streamed export; the printable page and its signed link.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shoutout::auth::Role;
use uuid::Uuid;

use crate::helpers::{BURST_DB_WAIT_MS, TestApp, expect_problem, expect_status};

const RANGE: &str = "from=2026-11-01&to=2026-11-24";

struct Org {
    app: TestApp,
    dept: Uuid,
    squad: Uuid,
    other: Uuid,
    ann: Uuid,
    bea: Uuid,
    cal: Uuid,
    zed: Uuid,
    dept_manager: String,
    squad_manager: String,
    other_manager: String,
    employee: String,
}

async fn import(app: &TestApp, rows: &[(&str, &str, &[&str], &str, &str)]) {
    let body: Vec<Value> = rows
        .iter()
        .map(|(at, giver, recipients, value, message)| {
            json!({"created_at": at, "giver_external_id": giver,
                   "recipient_external_ids": recipients, "value": value, "message": message})
        })
        .collect();
    let response = app
        .post("/api/v1/shoutouts/import", &app.admin_token(), &json!(body))
        .await;
    expect_status(response, StatusCode::OK).await;
}

/// Support (managed by mia) with a sub-team Squad (managed by sam); Sales elsewhere. In the
/// range: oli (Sales) thanks ann; ann thanks cal; cal thanks ann and bea together; a customer
/// thanks bea. zed is never thanked. Before the range: one for ann. Then ann moves to Sales
/// and bea leaves.
async fn org() -> Org {
    let app = TestApp::spawn().await;
    let dept = app.team("Support", None).await;
    let squad = app.team("Squad", Some(dept)).await;
    let other = app.team("Sales", None).await;
    let (ann, _) = app.employee("ann", Some(dept)).await;
    let (bea, _) = app.employee("bea", Some(dept)).await;
    let (cal, _) = app.employee("cal", Some(squad)).await;
    let (zed, employee) = app.employee("zed", Some(dept)).await;
    app.employee("oli", Some(other)).await;
    let (mia, _) = app.employee("mia", Some(dept)).await;
    let (sam, _) = app.employee("sam", Some(squad)).await;
    let (max, _) = app.employee("max", Some(other)).await;
    for (team, manager) in [(dept, mia), (squad, sam), (other, max)] {
        let response = app
            .patch(
                &format!("/api/v1/teams/{team}"),
                &app.admin_token(),
                &json!({"manager_id": manager}),
            )
            .await;
        expect_status(response, StatusCode::OK).await;
    }
    import(
        &app,
        &[
            (
                "2026-10-15T12:00:00Z",
                "oli",
                &["ann"],
                "helping_others",
                "Before the range",
            ),
            (
                "2026-11-03T09:00:00Z",
                "oli",
                &["ann"],
                "helping_others",
                "Thanks for the help",
            ),
            (
                "2026-11-10T09:00:00Z",
                "ann",
                &["cal"],
                "thriving_through_teamwork",
                "=1+2 great teamwork",
            ),
            (
                "2026-11-17T09:00:00Z",
                "cal",
                &["ann", "bea"],
                "achieving_goals",
                "Shipped it",
            ),
        ],
    )
    .await;
    let handle = app.praise_handle(bea).await;
    let response = app
        .praise(
            &handle,
            "Lovely service",
            json!({"value": "responding_with_care", "customer_email": "c@example.org"}),
        )
        .await;
    let id = expect_status(response, StatusCode::ACCEPTED).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Published in the range: the customer's praise counts when it was sent (today).
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
    app.db()
        .await
        .execute(
            "UPDATE shoutouts SET created_at = '2026-11-20T10:00:00Z' WHERE id = $1",
            &[&id.parse::<Uuid>().unwrap()],
        )
        .await
        .unwrap();
    for (who, change) in [
        (ann, json!({"team_id": other})),
        (bea, json!({"active": false})),
    ] {
        let response = app
            .patch(
                &format!("/api/v1/employees/{who}"),
                &app.admin_token(),
                &change,
            )
            .await;
        expect_status(response, StatusCode::OK).await;
    }
    Org {
        dept_manager: app.token("mia", &[Role::Manager]),
        squad_manager: app.token("sam", &[Role::Manager]),
        other_manager: app.token("max", &[Role::Manager]),
        app,
        dept,
        squad,
        other,
        ann,
        bea,
        cal,
        zed,
        employee,
    }
}

fn member(report: &Value, id: Uuid) -> &Value {
    report["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["employee"]["id"] == id.to_string())
        .unwrap_or_else(|| panic!("{id} not in {report}"))
}

#[tokio::test]
async fn a_team_report_counts_people_where_they_were_and_agrees_with_plain_sql() {
    let o = org().await;
    let app = &o.app;
    // Cheers count for the people a cheered shout-out thanked: two on cal's (to ann and bea),
    // and one on a shout-out before the range, which must not count.
    let db = app.db().await;
    for (message, fans) in [
        ("Shipped it", &["zed", "oli"][..]),
        ("Before the range", &["zed"]),
    ] {
        let id: Uuid = db
            .query_one("SELECT id FROM shoutouts WHERE message = $1", &[&message])
            .await
            .unwrap()
            .get(0);
        for fan in fans {
            let response = app
                .request(
                    Method::POST,
                    &format!("/api/v1/shoutouts/{id}/cheers"),
                    Some(&app.token(fan, &[Role::Employee])),
                    None,
                )
                .await;
            expect_status(response, StatusCode::CREATED).await;
        }
    }
    let path = format!("/api/v1/reports/teams/{}?{RANGE}", o.dept);
    let report = expect_status(app.get(&path, &o.dept_manager).await, StatusCode::OK).await;
    assert_eq!(report["team"]["name"], "Support");
    assert_eq!(report["totals"]["cheers"], 4, "{report}");
    assert_eq!(report["team"]["team_ids"].as_array().unwrap().len(), 2);
    // Received in the range: oli->ann, ann->cal, cal->(ann, bea), customer->bea: 4 shout-outs,
    // 5 thanks (cal's counts once for the team).
    assert_eq!(report["totals"]["shoutouts_received"], 4, "{report}");
    assert_eq!(report["totals"]["recognitions"], 5);
    // Given by people while in the team: ann->cal, cal->ann+bea.
    assert_eq!(report["totals"]["given"], 2);
    assert_eq!(report["by_value"]["helping_others"], 1);
    assert_eq!(report["by_value"]["achieving_goals"], 1);
    assert_eq!(report["by_value"]["responding_with_care"], 1);
    assert_eq!(report["by_value"]["thriving_through_teamwork"], 1);
    assert_eq!(report["by_source"], json!({"customer": 1, "staff": 3}));
    // Ann moved away and still counts here for what she received while here; Bea left.
    let ann = member(&report, o.ann);
    assert_eq!(
        (
            ann["received"].as_i64(),
            ann["given"].as_i64(),
            ann["current_member"].as_bool()
        ),
        (Some(2), Some(1), Some(false))
    );
    let bea = member(&report, o.bea);
    assert_eq!(
        (
            bea["received"].as_i64(),
            bea["employee"]["active"].as_bool()
        ),
        (Some(2), Some(false))
    );
    assert_eq!(bea["by_value"]["responding_with_care"], 1);
    assert_eq!(member(&report, o.cal)["received"], 1);
    assert_eq!(
        [o.ann, o.bea, o.cal].map(|id| member(&report, id)["cheers"].as_i64()),
        [Some(2), Some(2), Some(0)]
    );
    // Who was never thanked: current, active members with nothing (zed, and the managers).
    let unrecognised: Vec<&str> = report["unrecognised"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        unrecognised,
        vec!["mia Example", "sam Example", "zed Example"]
    );
    assert_eq!(report["participation"]["members"], 4);
    assert_eq!(report["participation"]["received"], 1);
    assert_eq!(report["participation"]["gave"], 1);
    assert_eq!(report["participation"]["received_share"], 0.25);
    // The trend covers every week the range touches; the previous 24 days had one.
    let weeks = report["weekly"].as_array().unwrap();
    assert_eq!(weeks.first().unwrap()["week_start"], "2026-10-26");
    assert_eq!(weeks.last().unwrap()["week_start"], "2026-11-23");
    let received: i64 = weeks.iter().map(|w| w["received"].as_i64().unwrap()).sum();
    assert_eq!(received, 4);
    assert_eq!(report["previous"]["from"], "2026-10-08");
    assert_eq!(report["previous"]["shoutouts_received"], 1);
    assert_eq!(report["previous"]["received_change"], 3.0);

    // Cross-check with plain SQL on the raw tables.
    let subtree = vec![o.dept, o.squad];
    let row = db
        .query_one(
            "SELECT count(DISTINCT s.id), count(*) FROM shoutouts s JOIN shoutout_recipients r ON r.shoutout_id = s.id \
             WHERE s.status = 'published' AND r.recipient_team_id = ANY($1) \
               AND s.created_at >= '2026-11-01' AND s.created_at < '2026-11-25'",
            &[&subtree],
        )
        .await
        .unwrap();
    assert_eq!(report["totals"]["shoutouts_received"], row.get::<_, i64>(0));
    assert_eq!(report["totals"]["recognitions"], row.get::<_, i64>(1));
    let given: i64 = db
        .query_one(
            "SELECT count(*) FROM shoutouts s JOIN employees e ON e.id = s.giver_id \
             WHERE s.status = 'published' AND s.created_at >= '2026-11-01' AND s.created_at < '2026-11-25' \
               AND s.giver_team_id = ANY($1)",
            &[&subtree],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(report["totals"]["given"], given);

    // A retracted shout-out leaves the report at once.
    let retracted: Uuid = db
        .query_one(
            "SELECT id FROM shoutouts WHERE message = 'Thanks for the help'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let response = app
        .delete(
            &format!("/api/v1/shoutouts/{retracted}"),
            &app.admin_token(),
        )
        .await;
    expect_status(response, StatusCode::NO_CONTENT).await;
    let after = expect_status(app.get(&path, &o.dept_manager).await, StatusCode::OK).await;
    assert_eq!(after["totals"]["shoutouts_received"], 3);
    assert_eq!(after["by_value"]["helping_others"], 0);
    assert_eq!(member(&after, o.ann)["received"], 1);

    // The sub-team alone.
    let squad = expect_status(
        app.get(
            &format!("/api/v1/reports/teams/{}?{RANGE}", o.squad),
            &o.squad_manager,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(squad["totals"]["shoutouts_received"], 1);
    assert_eq!(squad["by_value"]["thriving_through_teamwork"], 1);
    let _ = o.zed;
}

#[tokio::test]
async fn managers_see_their_teams_and_below_admins_all_and_everyone_else_is_refused() {
    let o = org().await;
    let app = &o.app;
    let report = |team: Uuid| format!("/api/v1/reports/teams/{team}?{RANGE}");
    for (token, team, status) in [
        (&o.dept_manager, o.dept, StatusCode::OK),
        (&o.dept_manager, o.squad, StatusCode::OK),
        (&o.squad_manager, o.squad, StatusCode::OK),
        (&o.squad_manager, o.dept, StatusCode::FORBIDDEN),
        (&o.other_manager, o.dept, StatusCode::FORBIDDEN),
        (&o.employee, o.dept, StatusCode::FORBIDDEN),
        (&o.dept_manager, o.other, StatusCode::FORBIDDEN),
    ] {
        let response = app.get(&report(team), token).await;
        assert_eq!(response.status(), status, "{team}");
    }
    // The manager role alone grants nothing; managing the team in the directory is what counts
    // (a token without the role is enough).
    let zed_as_manager = app.token("zed", &[Role::Manager]);
    expect_problem(
        app.get(&report(o.dept), &zed_as_manager).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    let mia_without_role = app.token("mia", &[Role::Employee]);
    expect_status(
        app.get(&report(o.dept), &mia_without_role).await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.get(&report(o.other), &app.admin_token()).await,
        StatusCode::OK,
    )
    .await;
    expect_problem(
        app.get(&report(Uuid::now_v7()), &app.admin_token()).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
    expect_problem(
        app.request(Method::GET, &report(o.dept), None, None).await,
        StatusCode::UNAUTHORIZED,
        None,
    )
    .await;
    // Bad ranges name the field.
    let bad = format!(
        "/api/v1/reports/teams/{}?from=2026-11-24&to=2026-11-01",
        o.dept
    );
    expect_problem(
        app.get(&bad, &app.admin_token()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("to"),
    )
    .await;
    let long = format!(
        "/api/v1/reports/teams/{}?from=2020-01-01&to=2026-11-01",
        o.dept
    );
    expect_problem(
        app.get(&long, &app.admin_token()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("from"),
    )
    .await;
    let garbled = format!("/api/v1/reports/teams/{}?from=yesterday", o.dept);
    expect_problem(
        app.get(&garbled, &app.admin_token()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("from"),
    )
    .await;
}

async fn csv_of(app: &TestApp, path: &str, token: &str) -> (String, Vec<Vec<String>>) {
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = response.text().await.unwrap();
    let rows = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (text, rows)
}

#[tokio::test]
async fn the_csv_report_and_the_streamed_export_open_safely_in_a_spreadsheet() {
    let o = org().await;
    let app = &o.app;
    // A name a spreadsheet would run as a formula.
    let response = app
        .patch(
            &format!("/api/v1/employees/{}", o.zed),
            &app.admin_token(),
            &json!({"display_name": "=HYPERLINK(\"http://x\")"}),
        )
        .await;
    expect_status(response, StatusCode::OK).await;
    let (text, rows) = csv_of(
        app,
        &format!("/api/v1/reports/teams/{}?{RANGE}", o.dept),
        &o.dept_manager,
    )
    .await;
    assert!(text.contains("\r\n"), "RFC 4180 lines end in CRLF");
    assert_eq!(rows[0][0], "employee_id");
    assert_eq!(rows[0].len(), 18);
    let zed = rows.iter().find(|r| r[0] == o.zed.to_string()).unwrap();
    assert_eq!(zed[1], "'=HYPERLINK(\"http://x\")");
    assert_eq!(rows.len(), 1 + 6, "ann, bea, cal, mia, sam, zed");

    // The raw export: one row per shout-out and recipient, in the range.
    let (text, rows) = csv_of(
        app,
        &format!("/api/v1/reports/shoutouts.csv?{RANGE}"),
        &app.admin_token(),
    )
    .await;
    assert_eq!(rows[0][0], "shoutout_id");
    let expected: i64 = app
        .db()
        .await
        .query_one(
            "SELECT count(*) FROM shoutouts s JOIN shoutout_recipients r ON r.shoutout_id = s.id \
             WHERE s.status = 'published' AND s.created_at >= '2026-11-01' AND s.created_at < '2026-11-25'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows.len() as i64 - 1, expected);
    assert!(
        rows.iter().any(|r| r[10] == "'=1+2 great teamwork"),
        "{text}"
    );
    assert!(
        !text.contains("c@example.org"),
        "no customer e-mail in exports"
    );
    // A manager exports their own teams; others are refused.
    let (_, rows) = csv_of(
        app,
        &format!("/api/v1/reports/shoutouts.csv?{RANGE}&team_id={}", o.squad),
        &o.squad_manager,
    )
    .await;
    assert_eq!(rows.len(), 2, "cal's one");
    let path = format!("/api/v1/reports/shoutouts.csv?{RANGE}");
    expect_problem(
        app.get(&path, &o.dept_manager).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("team_id"),
    )
    .await;
    expect_problem(
        app.get(&format!("{path}&team_id={}", o.dept), &o.squad_manager)
            .await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    expect_problem(
        app.get(&path, &o.employee).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
}

#[tokio::test]
async fn the_export_streams_many_batches_in_order_without_losing_a_row() {
    let app = TestApp::spawn().await;
    let team = app.team("Big", None).await;
    app.employee("gia", Some(team)).await;
    app.employee("ann", Some(team)).await;
    // 4,500 shout-outs: three batches of the export.
    let rows: Vec<Value> = (0..4500)
        .map(|i| json!({"created_at": format!("2026-11-{:02}T{:02}:{:02}:00Z", 1 + i % 20, i % 24, i % 60),
                        "giver_external_id": "gia", "recipient_external_ids": ["ann"],
                        "value": "helping_others", "message": format!("thanks {i}")}))
        .collect();
    expect_status(
        app.post("/api/v1/shoutouts/import", &app.admin_token(), &json!(rows))
            .await,
        StatusCode::OK,
    )
    .await;
    let (_, rows) = csv_of(
        &app,
        &format!("/api/v1/reports/shoutouts.csv?{RANGE}"),
        &app.admin_token(),
    )
    .await;
    assert_eq!(rows.len(), 4501);
    let mut messages: Vec<&str> = rows[1..].iter().map(|r| r[10].as_str()).collect();
    let times: Vec<&str> = rows[1..].iter().map(|r| r[1].as_str()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    messages.sort();
    messages.dedup();
    assert_eq!(messages.len(), 4500);
}

#[tokio::test]
async fn the_printable_page_opens_with_a_token_or_a_signed_link_and_draws_its_charts() {
    let o = org().await;
    let app = &o.app;
    let page = format!("/reports/teams/{}?{RANGE}", o.dept);
    let response = app.get(&page, &o.dept_manager).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("<svg")
            && html.contains("polyline")
            && html.contains("Not thanked in this period (3)"),
        "{html}"
    );
    assert!(!html.contains("<script"), "no script needed");
    expect_problem(
        app.get(&page, &o.squad_manager).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;

    let link = expect_status(
        app.post(
            &format!("/api/v1/reports/teams/{}/link?{RANGE}", o.dept),
            &o.dept_manager,
            &json!({}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let url = link["url"].as_str().unwrap();
    let path = &url[url.find("/reports/").unwrap()..];
    let response = app.request(Method::GET, path, None, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    // Tampered, or pointed at another team: refused.
    let tampered = path.replace("sig=", "sig=x");
    expect_problem(
        app.request(Method::GET, &tampered, None, None).await,
        StatusCode::UNAUTHORIZED,
        None,
    )
    .await;
    let elsewhere = path.replace(&o.dept.to_string(), &o.squad.to_string());
    expect_problem(
        app.request(Method::GET, &elsewhere, None, None).await,
        StatusCode::UNAUTHORIZED,
        None,
    )
    .await;
    // The link is not a bearer token for the API.
    let sig = path.split("sig=").nth(1).unwrap();
    expect_problem(
        app.get("/api/v1/me", sig).await,
        StatusCode::UNAUTHORIZED,
        None,
    )
    .await;
    // Someone who may not see the team gets no link.
    expect_problem(
        app.post(
            &format!("/api/v1/reports/teams/{}/link", o.dept),
            &o.employee,
            &json!({}),
        )
        .await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
}

/// Racing writers of every kind (imports of past shout-outs, live ones, retractions, cheers,
/// a team moved to another branch): afterwards the report roll-ups equal a full recount, and a
/// report over whole months plus odd days at both ends agrees with plain SQL on the raw tables.
#[tokio::test]
async fn report_rollups_equal_a_recount_and_reports_over_months_agree_with_plain_sql() {
    let app = TestApp::spawn_with(|c| {
        c.db_pool_size = 10;
        c.daily_limit = 1000;
        c.db_wait_ms = BURST_DB_WAIT_MS;
    })
    .await;
    let company = app.team("Company", None).await;
    let ops = app.team("Ops", Some(company)).await;
    let sales = app.team("Sales", Some(company)).await;
    let alpha = app.team("Alpha", Some(ops)).await;
    let beta = app.team("Beta", Some(ops)).await;
    let mut people: Vec<(String, Uuid, String)> = Vec::new();
    for (i, team) in [ops, sales, alpha, beta, alpha, beta, sales, alpha, beta]
        .into_iter()
        .enumerate()
    {
        let name = format!("p{i}");
        let (id, token) = app.employee(&name, Some(team)).await;
        people.push((name, id, token));
    }
    // A small deterministic generator: the same data on every run.
    let mut seed: u64 = 0x5eed;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let values = [
        "helping_others",
        "exceeding_expectations",
        "achieving_goals",
        "responding_with_care",
        "thriving_through_teamwork",
    ];
    let start = chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
    let mut batches: Vec<Vec<Value>> = Vec::new();
    for b in 0..6 {
        let mut rows = Vec::new();
        for i in 0..40 {
            let day = start + chrono::Days::new(next(517));
            let at = format!("{day}T{:02}:{:02}:00Z", next(24), next(60));
            let giver = next(people.len() as u64) as usize;
            let mut recipients: Vec<&str> = Vec::new();
            for _ in 0..=next(3) {
                let r = next(people.len() as u64) as usize;
                if r != giver && !recipients.contains(&people[r].0.as_str()) {
                    recipients.push(&people[r].0);
                }
            }
            if recipients.is_empty() {
                recipients.push(&people[(giver + 1) % people.len()].0);
            }
            let customer = next(10) == 0;
            rows.push(json!({
                "created_at": at,
                "giver_external_id": if customer { Value::Null } else { json!(people[giver].0) },
                "customer_name": if customer { json!("A customer") } else { Value::Null },
                "recipient_external_ids": recipients,
                "value": values[next(5) as usize],
                "message": format!("batch {b} row {i}"),
            }));
        }
        batches.push(rows);
    }
    let imports = batches.iter().map(|rows| {
        let app = &app;
        async move {
            let response = app
                .post("/api/v1/shoutouts/import", &app.admin_token(), &json!(rows))
                .await;
            expect_status(response, StatusCode::OK).await;
        }
    });
    let live = (0..12).map(|i| {
        let app = &app;
        let people = &people;
        async move {
            let giver = &people[i % people.len()];
            let recipients = [
                people[(i + 1) % people.len()].1,
                people[(i + 4) % people.len()].1,
            ];
            app.shoutout(
                &giver.2,
                &recipients,
                "helping_others",
                &format!("live {i}"),
            )
            .await;
        }
    });
    tokio::join!(
        futures_util::future::join_all(imports),
        futures_util::future::join_all(live)
    );

    // Then cheers, retractions and a move of Beta from Ops to Sales, all at once.
    let db = app.db().await;
    let ids: Vec<Uuid> = db
        .query("SELECT id FROM shoutouts ORDER BY id", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut picks: Vec<(usize, usize)> = Vec::new();
    for _ in 0..60 {
        picks.push((
            next(ids.len() as u64) as usize,
            next(people.len() as u64) as usize,
        ));
    }
    let cheers = picks.iter().map(|&(s, p)| {
        let app = &app;
        let path = format!("/api/v1/shoutouts/{}/cheers", ids[s]);
        let token = people[p].2.clone();
        async move {
            // Cheering one's own shout-out or one already cheered is refused; either way the
            // roll-ups must follow what the database kept.
            let status = app
                .request(Method::POST, &path, Some(&token), None)
                .await
                .status();
            assert!(status.is_success() || status.is_client_error(), "{status}");
        }
    });
    let retractions = ids.iter().step_by(9).map(|id| {
        let app = &app;
        let path = format!("/api/v1/shoutouts/{id}");
        async move {
            let status = app.delete(&path, &app.admin_token()).await.status();
            assert!(status.is_success() || status.is_client_error(), "{status}");
        }
    });
    let moved = async {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let response = app
            .patch(
                &format!("/api/v1/teams/{beta}"),
                &app.admin_token(),
                &json!({"parent_id": sales}),
            )
            .await;
        expect_status(response, StatusCode::OK).await;
    };
    tokio::join!(
        futures_util::future::join_all(cheers),
        futures_util::future::join_all(retractions),
        moved
    );

    // Rows that went back to zero stay in the live tables; a recount never makes them.
    let tables = [
        (
            "report_team_days",
            "EXISTS (SELECT 1 FROM report_day_counts(report_team_days))",
            "team_id, day, side",
        ),
        (
            "report_person_months",
            "helping_others <> 0 OR exceeding_expectations <> 0 OR achieving_goals <> 0 \
             OR responding_with_care <> 0 OR thriving_through_teamwork <> 0 OR cheers <> 0",
            "team_id, month, person_id, side",
        ),
    ];
    let snapshot = |table: &str, nonzero: &str, key: &str| {
        format!(
            "SELECT row_to_json(t)::text FROM (SELECT * FROM {table} WHERE {nonzero} ORDER BY {key}) t"
        )
    };
    let mut live_rows = Vec::new();
    for (table, nonzero, key) in tables {
        let rows: Vec<String> = db
            .query(&snapshot(table, nonzero, key), &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert!(!rows.is_empty(), "{table} is empty");
        live_rows.push(rows);
    }
    db.batch_execute("SELECT report_rebuild()").await.unwrap();
    for ((table, nonzero, key), before) in tables.into_iter().zip(live_rows) {
        let after: Vec<String> = db
            .query(&snapshot(table, nonzero, key), &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(before, after, "the live {table} drifted from a recount");
    }

    // A report over whole months and odd days at both ends, against plain SQL.
    let (from, to) = ("2025-07-17", "2026-09-12");
    for team in [company, ops, sales] {
        let report = expect_status(
            app.get(
                &format!("/api/v1/reports/teams/{team}?from={from}&to={to}"),
                &app.admin_token(),
            )
            .await,
            StatusCode::OK,
        )
        .await;
        let range = "created_at >= ($2::date)::timestamp AT TIME ZONE (SELECT timezone FROM leaderboard_settings) \
                     AND created_at < ($3::date + 1)::timestamp AT TIME ZONE (SELECT timezone FROM leaderboard_settings)";
        let from_day = chrono::NaiveDate::parse_from_str(from, "%Y-%m-%d").unwrap();
        let to_day = chrono::NaiveDate::parse_from_str(to, "%Y-%m-%d").unwrap();
        let totals = db
            .query_one(
                &format!(
                    "SELECT (SELECT count(DISTINCT shoutout_id) FROM shoutout_recipients \
                             WHERE status = 'published' AND recipient_team_id = ANY(team_subtree($1)) AND {range}), \
                            (SELECT count(*) FROM shoutout_recipients \
                             WHERE status = 'published' AND recipient_team_id = ANY(team_subtree($1)) AND {range}), \
                            (SELECT count(*) FROM shoutouts \
                             WHERE status = 'published' AND giver_team_id = ANY(team_subtree($1)) AND {range})"
                ),
                &[&team, &from_day, &to_day],
            )
            .await
            .unwrap();
        assert_eq!(
            (
                report["totals"]["shoutouts_received"].as_i64(),
                report["totals"]["recognitions"].as_i64(),
                report["totals"]["given"].as_i64(),
            ),
            (
                Some(totals.get::<_, i64>(0)),
                Some(totals.get::<_, i64>(1)),
                Some(totals.get::<_, i64>(2))
            ),
            "{team}: {report}"
        );
        let per_person = db
            .query(
                &format!(
                    "SELECT p.id, \
                       (SELECT count(*) FROM shoutout_recipients WHERE recipient_id = p.id AND status = 'published' \
                          AND recipient_team_id = ANY(team_subtree($1)) AND {range}), \
                       (SELECT count(*) FROM shoutouts WHERE giver_id = p.id AND status = 'published' \
                          AND giver_team_id = ANY(team_subtree($1)) AND {range}), \
                       (SELECT count(*) FROM cheers c JOIN (SELECT shoutout_id FROM shoutout_recipients \
                          WHERE recipient_id = p.id AND status = 'published' \
                            AND recipient_team_id = ANY(team_subtree($1)) AND {range}) r USING (shoutout_id)) \
                     FROM employees p"
                ),
                &[&team, &from_day, &to_day],
            )
            .await
            .unwrap();
        let mut checked = 0;
        for row in per_person {
            let id: Uuid = row.get(0);
            let expected = (
                row.get::<_, i64>(1),
                row.get::<_, i64>(2),
                row.get::<_, i64>(3),
            );
            let line = report["members"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["employee"]["id"] == id.to_string());
            match line {
                Some(m) => {
                    let by_value: i64 = m["by_value"]
                        .as_object()
                        .unwrap()
                        .values()
                        .map(|v| v.as_i64().unwrap())
                        .sum();
                    assert_eq!(by_value, expected.0, "{m}");
                    assert_eq!(
                        (
                            m["received"].as_i64(),
                            m["given"].as_i64(),
                            m["cheers"].as_i64()
                        ),
                        (Some(expected.0), Some(expected.1), Some(expected.2)),
                        "{team}: {m}"
                    );
                    checked += 1;
                }
                None => assert_eq!(expected, (0, 0, 0), "{id} missing from {team}'s report"),
            }
        }
        assert!(checked > 0);
        // The trend adds up to the total, and the previous range to plain SQL too.
        let weekly: i64 = report["weekly"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["received"].as_i64().unwrap())
            .sum();
        assert_eq!(
            Some(weekly),
            report["totals"]["shoutouts_received"].as_i64()
        );
        let previous_from = report["previous"]["from"].as_str().unwrap();
        let previous_to = report["previous"]["to"].as_str().unwrap();
        let previous: i64 = db
            .query_one(
                &format!(
                    "SELECT count(DISTINCT shoutout_id) FROM shoutout_recipients \
                     WHERE status = 'published' AND recipient_team_id = ANY(team_subtree($1)) AND {range}"
                ),
                &[
                    &team,
                    &chrono::NaiveDate::parse_from_str(previous_from, "%Y-%m-%d").unwrap(),
                    &chrono::NaiveDate::parse_from_str(previous_to, "%Y-%m-%d").unwrap(),
                ],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(report["previous"]["shoutouts_received"], previous);
    }
}

/// Calendar periods work as on the boards, and a quarter is compared with the quarter before
/// (1 April to 30 June), not with the 92 days before (which would take in 31 March).
#[tokio::test]
async fn a_quarter_is_compared_with_the_quarter_before() {
    let app = TestApp::spawn().await;
    let team = app.team("Support", None).await;
    app.employee("gia", Some(team)).await;
    app.employee("ann", Some(team)).await;
    let rows: &[(&str, &str, &[&str], &str, &str)] = &[
        (
            "2026-03-31T12:00:00Z",
            "gia",
            &["ann"],
            "helping_others",
            "End of Q1",
        ),
        (
            "2026-04-01T00:30:00Z",
            "gia",
            &["ann"],
            "helping_others",
            "Start of Q2",
        ),
        (
            "2026-05-10T12:00:00Z",
            "gia",
            &["ann"],
            "helping_others",
            "Mid Q2",
        ),
        (
            "2026-06-30T23:30:00Z",
            "gia",
            &["ann"],
            "helping_others",
            "End of Q2",
        ),
        (
            "2026-07-01T00:00:00Z",
            "gia",
            &["ann"],
            "achieving_goals",
            "Start of Q3",
        ),
        (
            "2026-08-10T12:00:00Z",
            "ann",
            &["gia"],
            "achieving_goals",
            "Mid Q3",
        ),
    ];
    import(&app, rows).await;
    let admin = app.admin_token();
    let report = expect_status(
        app.get(
            &format!("/api/v1/reports/teams/{team}?period=quarter&at=2026-08-15"),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(report["period"], "quarter");
    assert_eq!(
        (report["from"].as_str(), report["to"].as_str()),
        (Some("2026-07-01"), Some("2026-09-30"))
    );
    assert_eq!(report["totals"]["shoutouts_received"], 2);
    assert_eq!(report["previous"]["from"], "2026-04-01");
    assert_eq!(report["previous"]["to"], "2026-06-30");
    assert_eq!(report["previous"]["shoutouts_received"], 3, "{report}");
    // A month is compared with the month before, whatever their lengths.
    let march = expect_status(
        app.get(
            &format!("/api/v1/reports/teams/{team}?period=month&at=2026-03-05"),
            &admin,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            march["previous"]["from"].as_str(),
            march["previous"]["to"].as_str()
        ),
        (Some("2026-02-01"), Some("2026-02-28"))
    );
    for (query, field) in [
        ("period=quarter&from=2026-07-01", "from"),
        ("period=custom&at=2026-07-01", "at"),
        ("period=all_time", "period"),
        ("period=fortnight", "period"),
    ] {
        let response = app
            .get(&format!("/api/v1/reports/teams/{team}?{query}"), &admin)
            .await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
}

/// Every CSV row says its team and range, and when the person was last thanked (before the
/// range too; empty when never).
#[tokio::test]
async fn the_csv_report_names_team_and_range_on_every_row_and_when_each_was_last_thanked() {
    let o = org().await;
    let app = &o.app;
    let (_, rows) = csv_of(
        app,
        &format!("/api/v1/reports/teams/{}?{RANGE}", o.dept),
        &o.dept_manager,
    )
    .await;
    let header = &rows[0];
    let at = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {header:?}"))
    };
    for row in &rows[1..] {
        assert_eq!(row[at("team_id")], o.dept.to_string());
        assert_eq!(row[at("team_name")], "Support");
        assert_eq!(row[at("from")], "2026-11-01");
        assert_eq!(row[at("to")], "2026-11-24");
    }
    let line = |id: Uuid| {
        rows.iter()
            .find(|r| r[0] == id.to_string())
            .unwrap()
            .clone()
    };
    assert_eq!(line(o.cal)[at("last_thanked_on")], "2026-11-10");
    assert_eq!(line(o.zed)[at("last_thanked_on")], "");
    // In a range where nobody was thanked, the last time from before it still shows.
    let (_, later) = csv_of(
        app,
        &format!(
            "/api/v1/reports/teams/{}?from=2026-11-25&to=2026-11-26",
            o.squad
        ),
        &o.dept_manager,
    )
    .await;
    let cal = later.iter().find(|r| r[0] == o.cal.to_string()).unwrap();
    assert_eq!(cal[5], "0", "received nothing in the range");
    assert_eq!(cal[at("last_thanked_on")], "2026-11-10");
    let json = expect_status(
        app.get(
            &format!("/api/v1/reports/teams/{}?{RANGE}", o.dept),
            &o.dept_manager,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(member(&json, o.cal)["last_thanked_on"], "2026-11-10");
    assert!(member(&json, o.zed)["last_thanked_on"].is_null());
}

/// The directory is the truth: whoever manages a team there gets its report and moderation
/// queue with a plain employee token; a `manager` claim without a team in the directory gets
/// neither.
#[tokio::test]
async fn managing_a_team_in_the_directory_is_what_opens_its_report_and_queue() {
    let o = org().await;
    let app = &o.app;
    let mia = app.token("mia", &[Role::Employee]);
    let path = format!("/api/v1/reports/teams/{}?{RANGE}", o.dept);
    expect_status(app.get(&path, &mia).await, StatusCode::OK).await;
    expect_status(
        app.get("/api/v1/moderation/shoutouts", &mia).await,
        StatusCode::OK,
    )
    .await;
    // zed is an employee with a `manager` claim but manages nothing.
    let zed = app.token("zed", &[Role::Manager]);
    let response = app.get(&path, &zed).await;
    expect_problem(response, StatusCode::FORBIDDEN, None).await;
    let response = app.get("/api/v1/moderation/shoutouts", &zed).await;
    expect_problem(response, StatusCode::FORBIDDEN, None).await;
}

/// The printable page opened in a browser without its link (or with a stale one) is a page
/// that says what to do, not a JSON document; a script that asks for JSON still gets the problem.
#[tokio::test]
async fn the_report_page_opened_without_a_link_answers_a_page() {
    let o = org().await;
    let app = &o.app;
    let url = format!("{}/reports/teams/{}?{RANGE}", app.base, o.dept);
    for link in [url.clone(), format!("{url}&sig=forged.x")] {
        let response = app
            .client
            .get(&link)
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let page = response.text().await.unwrap();
        assert!(page.contains("This report opens from a link"), "{page}");
    }
    let response = app
        .client
        .get(&url)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::UNAUTHORIZED, None).await;
}
