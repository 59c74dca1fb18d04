//! Leaderboards: periods cut in the organisation's zone, what counts and what does not, ranks
//! and ties, filters, campaigns, the history import, and tallies that always equal a recount.

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{BURST_DB_WAIT_MS, TestApp, expect_problem, expect_status, id_of};

const MESSAGE: &str = "Thank you for the help with the queue today";

/// Imports past shout-outs as an admin: `(created_at, giver, recipients, value)`.
async fn import(app: &TestApp, rows: &[(&str, &str, &[&str], &str)]) {
    let body: Vec<Value> = rows
        .iter()
        .map(|(at, giver, recipients, value)| {
            json!({"created_at": at, "giver_external_id": giver,
                   "recipient_external_ids": recipients, "value": value, "message": MESSAGE})
        })
        .collect();
    let response = app
        .post("/api/v1/shoutouts/import", &app.admin_token(), &json!(body))
        .await;
    expect_status(response, StatusCode::OK).await;
}

async fn board(app: &TestApp, query: &str) -> Value {
    let response = app
        .get(&format!("/api/v1/leaderboards/{query}"), &app.admin_token())
        .await;
    expect_status(response, StatusCode::OK).await
}

/// `(name, count, rank)` of each entry.
fn lines(board: &Value) -> Vec<(String, i64, i64)> {
    board["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let name = e["employee"]["display_name"]
                .as_str()
                .or(e["team"]["name"].as_str())
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .to_owned();
            (
                name,
                e["count"].as_i64().unwrap(),
                e["rank"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn l(name: &str, count: i64, rank: i64) -> (String, i64, i64) {
    (name.to_owned(), count, rank)
}

#[tokio::test]
async fn what_counts_and_how_ties_rank() {
    let app = TestApp::spawn().await;
    let (_, giver) = app.employee("gia", None).await;
    let (ann, ann_token) = app.employee("ann", None).await;
    let (bea, _) = app.employee("bea", None).await;
    let (cal, _) = app.employee("cal", None).await;
    let (dan, _) = app.employee("dan", None).await;

    // One shout-out to three people adds one to each.
    let first = app
        .shoutout(&giver, &[ann, bea, cal], "helping_others", MESSAGE)
        .await;
    app.shoutout(&giver, &[ann], "achieving_goals", MESSAGE)
        .await;
    app.shoutout(&giver, &[ann], "achieving_goals", MESSAGE)
        .await;
    app.shoutout(&giver, &[dan], "helping_others", MESSAGE)
        .await;
    app.shoutout(&giver, &[bea], "helping_others", MESSAGE)
        .await;
    // Cheers never count.
    let cheer = format!("/api/v1/shoutouts/{}/cheers", first["id"].as_str().unwrap());
    let (_, eve) = app.employee("eve", None).await;
    let response = app
        .request(reqwest::Method::POST, &cheer, Some(&eve), None)
        .await;
    expect_status(response, StatusCode::CREATED).await;

    let week = board(&app, "recipients?period=week").await;
    assert_eq!(
        lines(&week),
        vec![
            l("ann", 3, 1),
            l("bea", 2, 2),
            l("cal", 1, 3),
            l("dan", 1, 3)
        ]
    );
    let ann_line = &week["entries"][0];
    assert_eq!(ann_line["by_value"]["achieving_goals"], 2);
    assert_eq!(ann_line["by_value"]["helping_others"], 1);
    assert_eq!(week["period"]["kind"], "week");
    assert_eq!(week["period"]["timezone"], "UTC");

    // Ties share a rank and the next rank skips: 1, 2, 2, 4.
    app.shoutout(&giver, &[cal], "helping_others", MESSAGE)
        .await;
    assert_eq!(
        lines(&board(&app, "recipients?period=all_time").await),
        vec![
            l("ann", 3, 1),
            l("bea", 2, 2),
            l("cal", 2, 2),
            l("dan", 1, 4)
        ]
    );
    // A retraction leaves every board at once.
    let retract = format!("/api/v1/shoutouts/{}", first["id"].as_str().unwrap());
    expect_status(app.delete(&retract, &giver).await, StatusCode::NO_CONTENT).await;
    for period in ["week", "month", "quarter", "year", "all_time", "rolling_7d"] {
        assert_eq!(
            lines(&board(&app, &format!("recipients?period={period}")).await),
            vec![
                l("ann", 2, 1),
                l("bea", 1, 2),
                l("cal", 1, 2),
                l("dan", 1, 2)
            ],
            "{period}"
        );
    }
    // Givers count shout-outs given, not recipients.
    assert_eq!(
        lines(&board(&app, "givers?period=year").await),
        vec![l("gia", 5, 1)]
    );
    // A value filter counts that value only.
    assert_eq!(
        lines(&board(&app, "recipients?period=month&value=achieving_goals").await),
        vec![l("ann", 2, 1)]
    );
    // Anyone on staff may read boards.
    let response = app.get("/api/v1/leaderboards/recipients", &ann_token).await;
    expect_status(response, StatusCode::OK).await;
}

/// A shout-out given at 23:30 on 31 March in the organisation's zone is in Q1 and March there,
/// though it is already April in UTC; the same for the turn of the year, and across a
/// daylight-saving change.
#[tokio::test]
async fn periods_start_in_the_organisations_time_zone() {
    let app = TestApp::spawn_with(|c| c.timezone = "America/New_York".parse().unwrap()).await;
    app.employee("gia", None).await;
    app.employee("ann", None).await;
    import(
        &app,
        &[
            // 23:30 EDT on Tuesday 31 March 2026.
            ("2026-04-01T03:30:00Z", "gia", &["ann"], "helping_others"),
            // 23:30 EST on Wednesday 31 December 2025.
            ("2026-01-01T04:30:00Z", "gia", &["ann"], "achieving_goals"),
            // 01:30 EST on Sunday 8 March 2026, half an hour before clocks went forward, and
            // 03:30 EDT the same day.
            (
                "2026-03-08T06:30:00Z",
                "gia",
                &["ann"],
                "responding_with_care",
            ),
            (
                "2026-03-08T07:30:00Z",
                "gia",
                &["ann"],
                "responding_with_care",
            ),
        ],
    )
    .await;
    let count = |b: &Value| b["entries"][0]["count"].as_i64().unwrap_or(0);
    let q1 = board(&app, "recipients?period=quarter&at=2026-02-01").await;
    assert_eq!(count(&q1), 3);
    assert_eq!(q1["period"]["start"], "2026-01-01");
    assert_eq!(q1["period"]["end"], "2026-03-31");
    assert_eq!(q1["period"]["starts_at"], "2026-01-01T05:00:00Z");
    assert_eq!(q1["period"]["ends_at"], "2026-04-01T04:00:00Z");
    assert_eq!(
        count(&board(&app, "recipients?period=month&at=2026-03-31").await),
        3
    );
    assert_eq!(
        count(&board(&app, "recipients?period=month&at=2026-04-01").await),
        0
    );
    assert_eq!(
        count(&board(&app, "recipients?period=quarter&at=2026-04-01").await),
        0
    );
    // The ISO week of Tuesday 31 March runs Monday 30 March to Sunday 5 April.
    let week = board(&app, "recipients?period=week&at=2026-04-05").await;
    assert_eq!(
        (count(&week), week["period"]["start"].clone()),
        (1, json!("2026-03-30"))
    );
    // Both March shout-outs of the DST day are on 8 March (a Sunday: the week before).
    assert_eq!(
        count(
            &board(
                &app,
                "recipients?period=custom&from=2026-03-08&to=2026-03-08"
            )
            .await
        ),
        2
    );
    assert_eq!(
        count(&board(&app, "recipients?period=week&at=2026-03-08").await),
        2
    );
    assert_eq!(
        count(&board(&app, "recipients?period=week&at=2026-03-09").await),
        0
    );
    // New Year's Eve counts in 2025, not 2026.
    assert_eq!(
        count(&board(&app, "recipients?period=year&at=2026-06-01").await),
        3
    );
    assert_eq!(
        count(&board(&app, "recipients?period=year&at=2025-06-01").await),
        1
    );
    assert_eq!(
        count(&board(&app, "recipients?period=week&at=2025-12-31").await),
        1
    );
    assert_eq!(
        count(&board(&app, "recipients?period=week&at=2026-01-05").await),
        0
    );
    assert_eq!(
        count(&board(&app, "recipients?period=rolling_7d&at=2025-12-31").await),
        1
    );
    assert_eq!(
        count(&board(&app, "recipients?period=rolling_7d&at=2025-12-30").await),
        0
    );
}

/// Restarting with another zone recounts every board in it.
#[tokio::test]
async fn changing_the_time_zone_recounts() {
    let app = TestApp::spawn().await;
    app.employee("gia", None).await;
    app.employee("ann", None).await;
    import(
        &app,
        &[("2026-04-01T03:30:00Z", "gia", &["ann"], "helping_others")],
    )
    .await;
    let count = |b: &Value| b["entries"][0]["count"].as_i64().unwrap_or(0);
    assert_eq!(
        count(&board(&app, "recipients?period=month&at=2026-04-01").await),
        1
    );
    let url = app.database_url.clone();
    shoutout::startup::sync_leaderboard_timezone(&url, "America/New_York")
        .await
        .unwrap();
    assert_eq!(
        count(&board(&app, "recipients?period=month&at=2026-04-01").await),
        0
    );
    assert_eq!(
        count(&board(&app, "recipients?period=month&at=2026-03-01").await),
        1
    );
}

#[tokio::test]
async fn filters_by_team_subtree_source_and_per_head() {
    let app = TestApp::spawn().await;
    let support = app.team("Support", None).await;
    let tier1 = app.team("Tier 1", Some(support)).await;
    let sales = app.team("Sales", None).await;
    app.employee("gia", Some(sales)).await;
    app.employee("ann", Some(tier1)).await;
    app.employee("bea", Some(support)).await;
    app.employee("sam", Some(sales)).await;
    app.employee("sue", Some(sales)).await;
    let now = chrono::Utc::now() - chrono::Duration::minutes(5);
    let at = now.to_rfc3339();
    import(
        &app,
        &[
            (&at, "gia", &["ann", "bea", "sam"], "helping_others"),
            (&at, "gia", &["ann"], "exceeding_expectations"),
            (&at, "ann", &["sam"], "helping_others"),
        ],
    )
    .await;
    // Customers' praise, for the source filter.
    let body = json!([{"created_at": at, "customer_name": "Pat Customer",
        "recipient_external_ids": ["bea"], "value": "responding_with_care", "message": MESSAGE}]);
    let response = app
        .post("/api/v1/shoutouts/import", &app.admin_token(), &body)
        .await;
    expect_status(response, StatusCode::OK).await;

    let q = |extra: &str| format!("recipients?period=all_time{extra}");
    assert_eq!(
        lines(&board(&app, &q(&format!("&team_id={support}"))).await),
        vec![l("ann", 2, 1), l("bea", 2, 1)]
    );
    assert_eq!(
        lines(&board(&app, &q(&format!("&team_id={tier1}"))).await),
        vec![l("ann", 2, 1)]
    );
    assert_eq!(
        lines(&board(&app, &q("&source=customer")).await),
        vec![l("bea", 1, 1)]
    );
    assert_eq!(
        lines(&board(&app, &q("&source=staff")).await),
        vec![l("ann", 2, 1), l("sam", 2, 1), l("bea", 1, 3)]
    );
    assert_eq!(
        lines(
            &board(
                &app,
                &q(&format!(
                    "&source=staff&team_id={support}&value=helping_others"
                ))
            )
            .await
        ),
        vec![l("ann", 1, 1), l("bea", 1, 1)]
    );
    // Every combination answers, also on the summing path (rolling, custom, staff).
    for period in [
        "week",
        "rolling_30d",
        "custom&from=2020-01-01&to=2029-01-01",
    ] {
        let b = board(
            &app,
            &format!(
                "recipients?period={period}&source=staff&value=helping_others&team_id={support}"
            ),
        )
        .await;
        assert_eq!(lines(&b), vec![l("ann", 1, 1), l("bea", 1, 1)], "{period}");
    }

    // Teams rank by what their members received while in them.
    assert_eq!(
        lines(&board(&app, "teams?period=all_time").await),
        vec![l("Sales", 2, 1), l("Support", 2, 1), l("Tier", 2, 1)]
    );
    let per_head = board(&app, "teams?period=all_time&per_head=true").await;
    let first = &per_head["entries"][0];
    // Tier 1 and Support have one member each (2 per head); Sales three (2/3 per head).
    assert_eq!(first["per_head"], 2.0);
    assert_eq!(per_head["entries"][2]["team"]["name"], "Sales");
    assert_eq!(per_head["entries"][2]["members"], 3);
    assert_eq!(per_head["entries"][2]["rank"], 3);
    // A move changes the team filter at once, but not what the team board counted.
    let response = app
        .patch(
            &format!("/api/v1/employees/{}", employee_id(&app, "sam").await),
            &app.admin_token(),
            &json!({"team_id": tier1}),
        )
        .await;
    expect_status(response, StatusCode::OK).await;
    assert_eq!(
        lines(&board(&app, &q(&format!("&team_id={tier1}"))).await),
        vec![l("ann", 2, 1), l("sam", 2, 1)]
    );
    let teams = board(&app, "teams?period=all_time").await;
    let sales_line = teams["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["team"]["id"] == json!(sales))
        .unwrap()
        .clone();
    assert_eq!(sales_line["count"], 2);
}

async fn employee_id(app: &TestApp, external_id: &str) -> Uuid {
    app.db()
        .await
        .query_one(
            "SELECT id FROM employees WHERE external_id = $1",
            &[&external_id],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn pages_and_standing_far_down_the_board() {
    let app = TestApp::spawn().await;
    app.employee("gia", None).await;
    // 40,050 people, each thanked once, and a few thanked more: written in bulk straight into
    // the database (the triggers count them like any other write).
    let db = app.db().await;
    db.batch_execute(
        "INSERT INTO employees (id, external_id, display_name, email)
         SELECT gen_random_uuid(), 'p' || n, 'Person ' || lpad(n::text, 5, '0'), 'p' || n || '@example.com'
         FROM generate_series(1, 40050) n;
         INSERT INTO shoutouts (id, source, giver_id, value, message, status, created_at)
         SELECT gen_random_uuid(), 'staff', (SELECT id FROM employees WHERE external_id = 'gia'),
                'helping_others', 'thanks ' || n, 'published', now() - interval '1 hour'
         FROM generate_series(1, 40060) n;
         WITH s AS (SELECT id, row_number() OVER (ORDER BY message) AS n FROM shoutouts),
              e AS (SELECT id, row_number() OVER (ORDER BY display_name) AS n FROM employees
                    WHERE external_id <> 'gia')
         INSERT INTO shoutout_recipients (shoutout_id, recipient_id, giver_id)
         SELECT s.id, e.id, (SELECT id FROM employees WHERE external_id = 'gia')
         FROM s JOIN e ON e.n = CASE WHEN s.n <= 40050 THEN s.n ELSE s.n - 40050 END;",
    )
    .await
    .unwrap();
    // People 1-10 have two; everyone else one.
    let top = board(&app, "recipients?period=all_time&limit=100").await;
    let entries = top["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 100);
    assert_eq!(entries[0]["rank"], 1);
    assert_eq!(entries[9]["rank"], 1);
    assert_eq!(entries[10]["rank"], 11);
    assert_eq!(entries[99]["rank"], 11);
    // The second page continues the order without a gap and keeps the shared rank.
    let cursor = top["next_cursor"].as_str().unwrap();
    let next = board(
        &app,
        &format!("recipients?period=all_time&limit=100&cursor={cursor}"),
    )
    .await;
    assert_eq!(next["entries"][0]["rank"], 11);
    assert_eq!(
        next["entries"][0]["employee"]["display_name"],
        "Person 00101"
    );

    // Person 40000 is 40,000th in order; their standing shows them and two either side.
    let id = employee_id(&app, "p40000").await;
    let standing = board(&app, &format!("recipients/{id}?period=all_time")).await;
    assert_eq!(standing["rank"], 11);
    assert_eq!(standing["count"], 1);
    let names: Vec<&str> = standing["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["employee"]["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Person 39998",
            "Person 39999",
            "Person 40000",
            "Person 40001",
            "Person 40002"
        ]
    );
    // The same on the summing path (a rolling period adds up several buckets).
    let rolling = board(
        &app,
        &format!("recipients/{id}?period=rolling_30d&neighbours=1"),
    )
    .await;
    assert_eq!(rolling["rank"], 11);
    assert_eq!(rolling["entries"].as_array().unwrap().len(), 3);
    // Someone with nothing this period has no rank.
    let (nobody, _) = app.employee("nobody", None).await;
    let standing = board(&app, &format!("recipients/{nobody}?period=week")).await;
    assert_eq!(standing["rank"], Value::Null);
    assert_eq!(standing["count"], 0);
}

#[tokio::test]
async fn campaigns_have_their_own_boards_and_stay_queryable() {
    let app = TestApp::spawn().await;
    app.employee("gia", None).await;
    app.employee("ann", None).await;
    app.employee("bea", None).await;
    import(
        &app,
        &[
            ("2025-10-07T12:00:00Z", "gia", &["ann"], "helping_others"),
            ("2025-10-08T12:00:00Z", "gia", &["ann"], "helping_others"),
            ("2025-10-20T12:00:00Z", "gia", &["bea"], "helping_others"),
        ],
    )
    .await;
    let admin = app.admin_token();
    let response = app
        .post(
            "/api/v1/campaigns",
            &admin,
            &json!({"name": "Customer Service Week 2025", "starts_on": "2025-10-06", "ends_on": "2025-10-10"}),
        )
        .await;
    let campaign = id_of(expect_status(response, StatusCode::CREATED).await);
    // What was already given in its dates is on its board (a hall of fame, not a reset).
    let b = board(
        &app,
        &format!("recipients?period=campaign&campaign_id={campaign}"),
    )
    .await;
    assert_eq!(lines(&b), vec![l("ann", 2, 1)]);
    assert_eq!(b["period"]["start"], "2025-10-06");
    assert_eq!(b["period"]["campaign_id"], json!(campaign));
    // Later imports in its dates count too.
    import(
        &app,
        &[("2025-10-09T12:00:00Z", "gia", &["bea"], "helping_others")],
    )
    .await;
    let b = board(
        &app,
        &format!("recipients?period=campaign&campaign_id={campaign}"),
    )
    .await;
    assert_eq!(lines(&b), vec![l("ann", 2, 1), l("bea", 1, 2)]);

    // Names are unique, dates ordered, and only admins create campaigns.
    let response = app
        .post(
            "/api/v1/campaigns",
            &admin,
            &json!({"name": "customer service week 2025", "starts_on": "2026-10-05", "ends_on": "2026-10-09"}),
        )
        .await;
    expect_problem(response, StatusCode::CONFLICT, Some("name")).await;
    let response = app
        .post(
            "/api/v1/campaigns",
            &admin,
            &json!({"name": "Backwards", "starts_on": "2026-10-09", "ends_on": "2026-10-05"}),
        )
        .await;
    expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some("ends_on")).await;
    let ann = app.token("ann", &[shoutout::auth::Role::Employee]);
    let response = app
        .post(
            "/api/v1/campaigns",
            &ann,
            &json!({"name": "Mine", "starts_on": "2026-10-05", "ends_on": "2026-10-09"}),
        )
        .await;
    expect_problem(response, StatusCode::FORBIDDEN, None).await;
    let list = expect_status(app.get("/api/v1/campaigns", &ann).await, StatusCode::OK).await;
    assert_eq!(list["items"][0]["name"], "Customer Service Week 2025");
    let response = app
        .get(
            &format!(
                "/api/v1/leaderboards/recipients?period=campaign&campaign_id={}",
                Uuid::nil()
            ),
            &ann,
        )
        .await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("campaign_id"),
    )
    .await;
}

#[tokio::test]
async fn the_history_import_is_all_or_nothing() {
    let app = TestApp::spawn().await;
    app.employee("gia", None).await;
    app.employee("ann", None).await;
    let admin = app.admin_token();
    let body = json!([
        {"created_at": "2024-05-01T10:00:00Z", "giver_external_id": "gia",
         "recipient_external_ids": ["ann"], "value": "helping_others", "message": MESSAGE},
        {"created_at": "2024-05-02T10:00:00Z", "giver_external_id": "nobody",
         "recipient_external_ids": ["ann"], "value": "helping_others", "message": MESSAGE},
        {"created_at": "2024-05-03T10:00:00Z", "giver_external_id": "gia",
         "recipient_external_ids": ["gia"], "value": "helping_others", "message": MESSAGE},
        {"created_at": "2999-01-01T00:00:00Z", "customer_name": "Pat",
         "recipient_external_ids": ["ann"], "value": "helping_others", "message": MESSAGE},
        {"created_at": "2024-05-03T10:00:00Z", "giver_external_id": "gia", "customer_name": "Pat",
         "recipient_external_ids": ["ann"], "value": "helping_others", "message": " "},
    ]);
    let response = app.post("/api/v1/shoutouts/import", &admin, &body).await;
    let problem = expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, None).await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for expected in [
        "[1].giver_external_id",
        "[2].recipient_external_ids",
        "[3].created_at",
        "[4].giver_external_id",
        "[4].message",
    ] {
        assert!(
            fields.contains(&expected),
            "{expected} missing from {fields:?}"
        );
    }
    assert_eq!(app.count("shoutouts").await, 0);
    assert_eq!(app.count("tallies").await, 0);

    // CSV, with several recipients in one cell and a customer's praise.
    let csv = "created_at,giver_external_id,customer_name,recipient_external_ids,value,message\n\
               2024-05-01T10:00:00Z,gia,,ann,helping_others,Thanks for the cover\n\
               2024-05-02T10:00:00Z,,Pat Customer,ann;gia,responding_with_care,\"Kind, patient, quick\"\n";
    let response = app
        .client
        .post(format!("{}/api/v1/shoutouts/import", app.base))
        .bearer_auth(&admin)
        .header("Content-Type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let report = expect_status(response, StatusCode::OK).await;
    assert_eq!(
        report,
        json!({"imported": 2, "already_imported": 0, "recipients": 3})
    );
    let b = board(&app, "recipients?period=month&at=2024-05-15").await;
    assert_eq!(lines(&b), vec![l("ann", 2, 1), l("gia", 1, 2)]);
    let feed = expect_status(
        app.get("/api/v1/shoutouts?source=customer", &admin).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(feed["items"][0]["giver"]["name"], "Pat Customer");
    assert_eq!(feed["items"][0]["created_at"], "2024-05-02T10:00:00Z");
}

#[tokio::test]
async fn bad_board_questions_are_named() {
    let app = TestApp::spawn().await;
    let token = app.admin_token();
    for (query, field) in [
        ("recipients?period=fortnight", "period"),
        ("recipients?period=custom", "from"),
        (
            "recipients?period=custom&from=2026-01-02&to=2026-01-01",
            "to",
        ),
        (
            "recipients?period=custom&from=2000-01-01&to=2020-01-01",
            "to",
        ),
        ("recipients?period=week&from=2026-01-01", "from"),
        ("recipients?period=all_time&at=2026-01-01", "at"),
        ("recipients?period=campaign", "campaign_id"),
        ("recipients?at=1999-12-31", "at"),
        ("recipients?at=yesterday", "at"),
        ("recipients?value=kindness", "value"),
        ("recipients?per_head=true", "per_head"),
        ("recipients?limit=101", "limit"),
        ("recipients?cursor=nonsense", "cursor"),
        (
            "recipients?team_id=00000000-0000-0000-0000-000000000000",
            "team_id",
        ),
        ("recipients?colour=blue", "colour"),
    ] {
        let response = app
            .get(&format!("/api/v1/leaderboards/{query}"), &token)
            .await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    let response = app.get("/api/v1/leaderboards/bosses", &token).await;
    expect_problem(response, StatusCode::NOT_FOUND, None).await;
    let response = app
        .get(
            &format!("/api/v1/leaderboards/recipients/{}", Uuid::nil()),
            &token,
        )
        .await;
    expect_problem(response, StatusCode::NOT_FOUND, None).await;
    let response = app
        .request(
            reqwest::Method::GET,
            "/api/v1/leaderboards/recipients",
            None,
            None,
        )
        .await;
    expect_problem(response, StatusCode::UNAUTHORIZED, None).await;
}

/// Many writers at once (gives to overlapping people, retractions, a campaign created in the
/// middle): afterwards the tallies equal a full recount from the raw tables.
#[tokio::test]
async fn tallies_always_equal_a_recount() {
    let app = TestApp::spawn_with(|c| {
        c.db_pool_size = 10;
        c.daily_limit = 1000;
        c.db_wait_ms = BURST_DB_WAIT_MS;
    })
    .await;
    let team = app.team("Support", None).await;
    let mut people = Vec::new();
    for name in ["ann", "bea", "cal", "dan", "eve", "fay"] {
        people.push(app.employee(name, Some(team)).await);
    }
    let today = chrono::Utc::now().date_naive();
    let writes = (0..60).map(|i| {
        let app = &app;
        let people = &people;
        async move {
            let giver = &people[i % people.len()];
            let recipients: Vec<Uuid> = (1..=1 + i % 3)
                .map(|k| people[(i + k) % people.len()].0)
                .collect();
            let created = app
                .post(
                    "/api/v1/shoutouts",
                    &giver.1,
                    &json!({"recipient_ids": recipients, "value": if i % 2 == 0 { "helping_others" } else { "achieving_goals" }, "message": format!("thanks {i}")}),
                )
                .await;
            let body = expect_status(created, StatusCode::CREATED).await;
            if i % 4 == 0 {
                let path = format!("/api/v1/shoutouts/{}", body["id"].as_str().unwrap());
                expect_status(app.delete(&path, &giver.1).await, StatusCode::NO_CONTENT).await;
            }
        }
    });
    let campaign = async {
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        let response = app
            .post(
                "/api/v1/campaigns",
                &app.admin_token(),
                &json!({"name": "Today", "starts_on": today, "ends_on": today}),
            )
            .await;
        expect_status(response, StatusCode::CREATED).await;
    };
    tokio::join!(futures_util::future::join_all(writes), campaign);

    let db = app.db().await;
    let snapshot = "SELECT board, bucket, source, subject_id, total, helping_others, \
                    exceeding_expectations, achieving_goals, responding_with_care, \
                    thriving_through_teamwork FROM tallies WHERE total > 0 \
                    ORDER BY 1, 2, 3, 4";
    let before: Vec<String> = db
        .query(
            &format!("SELECT row_to_json(t)::text FROM ({snapshot}) t"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    db.batch_execute("SELECT tally_rebuild()").await.unwrap();
    let after: Vec<String> = db
        .query(
            &format!("SELECT row_to_json(t)::text FROM ({snapshot}) t"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(!before.is_empty());
    assert_eq!(before, after, "the live tallies drifted from a recount");
    // 45 shout-outs stayed published; the campaign board counts all of them.
    let recipients: i64 = db
        .query_one(
            "SELECT count(*) FROM shoutout_recipients r JOIN shoutouts s ON s.id = r.shoutout_id \
             WHERE s.status = 'published'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let on_campaign: i64 = db
        .query_one(
            "SELECT sum(total) FROM tallies WHERE board = 1 AND source = 0 AND bucket > 100000000",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(on_campaign, recipients);
}

/// The buckets the service reads are the ones the database writes.
#[tokio::test]
async fn rust_and_sql_agree_on_buckets() {
    use chrono::NaiveDate;
    use shoutout::domain::period::{Period, PeriodKind};
    let app = TestApp::spawn().await;
    let db = app.db().await;
    let mut day = NaiveDate::from_ymd_opt(2023, 12, 25).unwrap();
    while day < NaiveDate::from_ymd_opt(2025, 2, 1).unwrap() {
        let sql: Vec<i32> = db
            .query_one("SELECT tally_buckets($1)", &[&day])
            .await
            .unwrap()
            .get(0);
        let rust: Vec<i32> = [
            PeriodKind::Week,
            PeriodKind::Month,
            PeriodKind::Quarter,
            PeriodKind::Year,
        ]
        .into_iter()
        .map(|kind| Period::calendar(kind, day).buckets()[0])
        .collect();
        // Days have no buckets: a span's odd days are read from the shout-outs.
        assert_eq!(&sql[0..4], &rust[..], "{day}");
        assert_eq!(
            sql[4],
            Period::calendar(PeriodKind::AllTime, day).buckets()[0]
        );
        day = day.succ_opt().unwrap();
    }
}

/// A skewed company for span tests: 300 people in 4 teams, 4,000 shout-outs over 700 days
/// (10% from customers), recipients drawn with a heavy head and a long flat tail. Returns
/// "Team 2".
async fn seed_skewed_company(db: &tokio_postgres::Client) -> Uuid {
    db.batch_execute(
        "SELECT setseed(0.42);
         INSERT INTO teams (id, name) SELECT gen_random_uuid(), 'Team ' || n FROM generate_series(1, 4) n;
         INSERT INTO employees (id, external_id, display_name, email, team_id)
         SELECT gen_random_uuid(), 'p' || n, 'Person ' || lpad(n::text, 3, '0'), 'p' || n || '@example.com',
                (SELECT id FROM teams ORDER BY name OFFSET n % 4 LIMIT 1)
         FROM generate_series(1, 300) n;
         CREATE TEMP TABLE people AS SELECT row_number() OVER (ORDER BY external_id) AS n, id FROM employees;
         INSERT INTO shoutouts (id, source, giver_id, customer_name, value, message, status, created_at)
         SELECT gen_random_uuid(),
                CASE WHEN g % 10 = 0 THEN 'customer' ELSE 'staff' END::shoutout_source,
                CASE WHEN g % 10 = 0 THEN NULL ELSE (SELECT id FROM people WHERE people.n = 1 + (g * 7) % 300) END,
                CASE WHEN g % 10 = 0 THEN 'Pat' END,
                (enum_range(NULL::heart_value))[1 + g % 5],
                'thanks ' || g, 'published',
                now() - (random() * 700 || ' days')::interval
         FROM generate_series(1, 4000) g;
         INSERT INTO shoutout_recipients (shoutout_id, recipient_id, giver_id)
         SELECT s.id, p.id, s.giver_id FROM shoutouts s
         CROSS JOIN LATERAL (SELECT id FROM people
             WHERE people.n = 1 + floor(300 * power(random(), 3))::int AND id IS DISTINCT FROM s.giver_id
             AND s.id IS NOT NULL LIMIT 1) p;
         -- What a span's tiling weighs buckets against days with (see models::tallies::density):
         -- known now, not whenever autovacuum gets to it.
         ANALYZE shoutouts, shoutout_recipients, employees, teams;",
    )
    .await
    .unwrap();
    db.query_one("SELECT id FROM teams WHERE name = 'Team 2'", &[])
        .await
        .unwrap()
        .get(0)
}

/// The plain GROUP BY a recipients board over the days `from..=to` must equal: (name, count,
/// rank) in board order, every line.
async fn expected_recipients(
    db: &tokio_postgres::Client,
    (from, to): (chrono::NaiveDate, chrono::NaiveDate),
    value: Option<&str>,
    source: Option<&str>,
    team: Option<Uuid>,
) -> Vec<(String, i64, i64)> {
    let until = to + chrono::Days::new(1);
    db.query(
        "SELECT e.display_name, count(*), rank() OVER (ORDER BY count(*) DESC)
         FROM shoutout_recipients r JOIN shoutouts s ON s.id = r.shoutout_id
         JOIN employees e ON e.id = r.recipient_id
         WHERE s.status = 'published' AND s.created_at >= $1::date::timestamptz
           AND s.created_at < $5::date::timestamptz
           AND ($2::text IS NULL OR s.value::text = $2)
           AND ($3::text IS NULL OR s.source::text = $3)
           AND ($4::uuid IS NULL OR e.team_id = $4)
         GROUP BY e.id, e.display_name
         ORDER BY count(*) DESC, e.display_name, e.id",
        &[&from, &value, &source, &team, &until],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

/// Days a span may end on, all inside the seeded history (the last 700 days) whatever today
/// is: today (the span reaches the empty future), and the first, middle and last day of a
/// month, and the first days of a year, in the past (a span then has history on both sides,
/// and its edges fall at every place within a week, month and year).
fn span_ends(today: chrono::NaiveDate) -> Vec<chrono::NaiveDate> {
    use chrono::Datelike;
    let month = (today - chrono::Days::new(70)).with_day(1).unwrap();
    let last = month + chrono::Months::new(1) - chrono::Days::new(1);
    let year = (today - chrono::Days::new(150)).year();
    let january = |day| chrono::NaiveDate::from_ymd_opt(year, 1, day).unwrap();
    vec![
        today,
        month,
        month.with_day(15).unwrap(),
        last,
        january(1),
        january(3),
    ]
}

/// `(field, count, rank)` of each entry, the field read from its `subject` (`employee` or
/// `team`), such as `id` or `display_name`.
fn entry_lines(board: &Value, subject: &str, field: &str) -> Vec<(String, i64, i64)> {
    board["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e[subject][field].as_str().unwrap().to_owned(),
                e["count"].as_i64().unwrap(),
                e["rank"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// `(display name, count, rank)` of each entry of a people board.
fn full_lines(board: &Value) -> Vec<(String, i64, i64)> {
    entry_lines(board, "employee", "display_name")
}

/// `(id, count, rank)` of each entry of a people board.
fn lines_by_id(board: &Value) -> Vec<(String, i64, i64)> {
    entry_lines(board, "employee", "id")
}

/// A span is weighed with the planner's statistics as last read, kept for a while (they only
/// weigh a tiling, and change only when ANALYZE runs), and read again once forgotten or stale.
#[tokio::test]
async fn spans_are_weighed_with_statistics_kept_for_a_while() {
    use diesel_async::AsyncConnection;
    use shoutout::models::tallies::{self, BoardKind, Statistics};
    let app = TestApp::spawn().await;
    let db = app.db().await;
    let mut conn = diesel_async::AsyncPgConnection::establish(&app.database_url)
        .await
        .unwrap();
    let statistics = Statistics::default();
    let until = chrono::Utc::now();
    let since = until - chrono::Duration::days(30);
    let mut density = async |statistics: &Statistics| {
        tallies::density(&mut conn, statistics, BoardKind::Givers, since, until)
            .await
            .unwrap()
    };
    let empty = density(&statistics).await;
    assert_eq!(empty.per_day, 0.0, "no shout-outs yet: {empty:?}");
    // 4,000 shout-outs over 700 days, analyzed.
    seed_skewed_company(&db).await;
    assert_eq!(density(&statistics).await, empty, "kept, not read again");
    statistics.forget();
    let busy = density(&statistics).await;
    assert!(busy.per_day > 1.0, "read again once forgotten: {busy:?}");
    // A fresh set reads them at once.
    assert_eq!(density(&Statistics::default()).await, busy);
}

/// Boards over spans (several buckets added up, answered by the threshold algorithm) equal
/// the plain GROUP BY over the raw rows, for skewed random data, with and without filters.
#[tokio::test]
async fn spans_equal_a_plain_group_by() {
    let app = TestApp::spawn().await;
    // The same database, with every span through the threshold algorithm (the seeded buckets
    // are far smaller than the default below which boards are summed whole).
    let threshold = app.spawn_beside(|c| c.board_sum_below = 0).await;
    let db = app.db().await;
    let team = seed_skewed_company(&db).await;
    let today = chrono::Utc::now().date_naive();
    for end in span_ends(today) {
        for (query, days, value, source, team_filter) in [
            ("period=rolling_365d", 365, None, None, false),
            ("period=rolling_30d", 30, None, None, false),
            ("period=rolling_7d", 7, None, None, false),
            ("period=custom", 90, None, None, false),
            (
                "period=rolling_365d&value=achieving_goals",
                365,
                Some("achieving_goals"),
                None,
                false,
            ),
            (
                "period=rolling_365d&source=staff",
                365,
                None,
                Some("staff"),
                false,
            ),
            (
                "period=rolling_30d&source=customer",
                30,
                None,
                Some("customer"),
                false,
            ),
            ("period=rolling_365d&team_id=TEAM", 365, None, None, true),
        ] {
            let from = end - chrono::Days::new(days - 1);
            let dates = if query.starts_with("period=custom") {
                format!("&from={from}&to={end}")
            } else {
                format!("&at={end}")
            };
            let query = format!("{}{dates}", query.replace("TEAM", &team.to_string()));
            let mut expected =
                expected_recipients(&db, (from, end), value, source, team_filter.then_some(team))
                    .await;
            expected.truncate(15);
            for app in [&app, &threshold] {
                let got = full_lines(&board(app, &format!("recipients?{query}&limit=15")).await);
                assert_eq!(got, expected, "{query}");
                assert!(!got.is_empty(), "{query}");
            }
        }
    }
    // The answers above came from the algorithm itself, not from its fallback (adding
    // everyone up): on this skewed company most spans settle, bounding their days by weeks.
    let (settled, gave_up) = threshold_outcomes(&threshold).await;
    assert!(
        settled > 2 * gave_up && settled >= 20,
        "settled {settled}, gave up {gave_up}"
    );
}

/// How the threshold algorithm fared on `app` so far: (settled, gave up), from `/metrics`.
async fn threshold_outcomes(app: &TestApp) -> (u64, u64) {
    let metrics = app.metrics().await;
    let count = |outcome: &str| {
        let prefix = format!("shoutout_board_threshold_total{{outcome=\"{outcome}\"}} ");
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .map_or(0, |n| n.trim().parse().unwrap())
    };
    (count("settled"), count("gave_up"))
}

/// Each line of a board with its count per value: `(name, count, rank, [count per value])`.
fn lines_by_value(board: &Value) -> Vec<(String, i64, i64, Vec<i64>)> {
    board["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let name = e["employee"]["display_name"]
                .as_str()
                .or(e["team"]["name"].as_str())
                .unwrap();
            let values = [
                "helping_others",
                "exceeding_expectations",
                "achieving_goals",
                "responding_with_care",
                "thriving_through_teamwork",
            ]
            .iter()
            .map(|v| e["by_value"][v].as_i64().unwrap())
            .collect();
            (
                name.to_owned(),
                e["count"].as_i64().unwrap(),
                e["rank"].as_i64().unwrap(),
                values,
            )
        })
        .collect()
}

/// The GROUP BY answer for givers or teams over `from..=to`, with each line's counts per value.
async fn expected_by_value(
    db: &tokio_postgres::Client,
    board: &str,
    (from, to): (chrono::NaiveDate, chrono::NaiveDate),
    source: Option<&str>,
    team: Option<Uuid>,
) -> Vec<(String, i64, i64, Vec<i64>)> {
    let (subject, rows) = match board {
        "givers" => (
            "e.display_name, e.id",
            "shoutouts s JOIN employees e ON e.id = s.giver_id \
             WHERE ($4::uuid IS NULL OR e.team_id = $4)",
        ),
        _ => (
            "tm.name, tm.id",
            "shoutout_recipients r JOIN shoutouts s ON s.id = r.shoutout_id \
             JOIN teams tm ON tm.id = r.recipient_team_id \
             WHERE ($4::uuid IS NULL OR tm.id = $4)",
        ),
    };
    let sql = format!(
        "SELECT {subject}, count(*), rank() OVER (ORDER BY count(*) DESC),
                ARRAY[count(*) FILTER (WHERE s.value = 'helping_others'),
                      count(*) FILTER (WHERE s.value = 'exceeding_expectations'),
                      count(*) FILTER (WHERE s.value = 'achieving_goals'),
                      count(*) FILTER (WHERE s.value = 'responding_with_care'),
                      count(*) FILTER (WHERE s.value = 'thriving_through_teamwork')]
         FROM {rows}
           AND s.status = 'published' AND s.created_at >= $1::date::timestamptz
           AND s.created_at < $2::date::timestamptz
           AND ($3::text IS NULL OR s.source::text = $3)
         GROUP BY {subject}
         ORDER BY count(*) DESC, 1, 2"
    );
    let until = to + chrono::Days::new(1);
    db.query(&sql, &[&from, &until, &source, &team])
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let values: Vec<i64> = r.get(4);
            (r.get(0), r.get(2), r.get(3), values)
        })
        .collect()
}

/// Givers and teams over spans, whose odd days are counted from the shout-outs themselves,
/// equal the GROUP BY, line by line and value by value, with and without filters.
#[tokio::test]
async fn givers_and_teams_over_spans_equal_a_plain_group_by() {
    let app = TestApp::spawn().await;
    let threshold = app.spawn_beside(|c| c.board_sum_below = 0).await;
    let db = app.db().await;
    let team = seed_skewed_company(&db).await;
    let today = chrono::Utc::now().date_naive();
    for end in span_ends(today) {
        for (board_name, query, days, source, team_filter) in [
            ("givers", "period=rolling_30d", 30, None, false),
            ("givers", "period=rolling_7d", 7, None, false),
            ("givers", "period=custom", 90, None, true),
            (
                "givers",
                "period=rolling_365d&source=staff",
                365,
                Some("staff"),
                false,
            ),
            ("teams", "period=rolling_30d", 30, None, false),
            (
                "teams",
                "period=rolling_7d&source=customer",
                7,
                Some("customer"),
                false,
            ),
            (
                "teams",
                "period=custom&source=staff",
                90,
                Some("staff"),
                false,
            ),
            ("teams", "period=rolling_365d", 365, None, true),
        ] {
            let from = end - chrono::Days::new(days - 1);
            let dates = if query.starts_with("period=custom") {
                format!("&from={from}&to={end}")
            } else {
                format!("&at={end}")
            };
            let filter = if team_filter {
                format!("&team_id={team}")
            } else {
                String::new()
            };
            let mut expected = expected_by_value(
                &db,
                board_name,
                (from, end),
                source,
                team_filter.then_some(team),
            )
            .await;
            expected.truncate(10);
            let url = format!("{board_name}?{query}{dates}{filter}&limit=10");
            for app in [&app, &threshold] {
                let got = lines_by_value(&board(app, &url).await);
                assert_eq!(got, expected, "{url}");
                assert!(!got.is_empty(), "{url}");
            }
        }
    }
}

/// A flat board's first page ends in a long tie (a week of givers: most gave once) and takes
/// the first of the tied by name, then id. Whether the tied lines are named one by one (a few)
/// or found by walking the directory in name order (many), the page equals the plain GROUP BY:
/// names in mixed case, in an order unlike the ids' or the rows', and one name shared by many.
#[tokio::test]
async fn a_page_ending_in_a_long_tie_takes_the_first_names() {
    let app = TestApp::spawn().await;
    let threshold = app.spawn_beside(|c| c.board_sum_below = 0).await;
    let db = app.db().await;
    db.batch_execute(
        "INSERT INTO employees (id, external_id, display_name, email)
         SELECT gen_random_uuid(), 'f' || n,
                CASE WHEN n % 40 = 0 THEN 'Same Name'
                     WHEN n % 3 = 0 THEN lower(md5(n::text)) ELSE upper(md5(n::text)) END,
                'f' || n || '@example.com'
         FROM generate_series(1, 400) n;
         CREATE TEMP TABLE flat AS
         SELECT row_number() OVER (ORDER BY external_id) AS n, id FROM employees;
         -- People 1-300 give once, 301-303 three times (three tie above the rest), yesterday.
         INSERT INTO shoutouts (id, source, giver_id, value, message, status, created_at)
         SELECT gen_random_uuid(), 'staff', f.id, 'helping_others', 'thanks', 'published',
                now() - interval '1 day'
         FROM flat f CROSS JOIN LATERAL generate_series(1, CASE WHEN f.n > 300 THEN 3 ELSE 1 END) g
         WHERE f.n <= 303;
         INSERT INTO shoutout_recipients (shoutout_id, recipient_id, giver_id)
         SELECT s.id, (SELECT id FROM flat WHERE n = 400), s.giver_id FROM shoutouts s;
         -- The choice between the two ways weighs the ties against the directory's size.
         ANALYZE employees;",
    )
    .await
    .unwrap();
    let expected = givers_by_group_by(&db).await;
    assert_eq!(expected.len(), 303);
    // 2 of the 3 tied at three (named one by one), and 7 of the 300 tied at one (a walk).
    for limit in [2, 10] {
        for app in [&app, &threshold] {
            let page = board(app, &format!("givers?period=rolling_7d&limit={limit}")).await;
            assert_eq!(
                lines_by_id(&page),
                expected[..limit].to_vec(),
                "limit {limit}"
            );
        }
    }
}

/// A standing on a summed board names only the lines that can be its neighbours, found in a
/// tie either by naming the tie's lines (a short tie) or by walking the directory in name
/// order from the person's own name (a long one: with one neighbour, the tie of 300 among 400
/// people is walked probing each person met; with more, against a hash of the tie). Wherever
/// the person stands (first or last of a tie, in a tie of one name shared by many, at the top
/// or the bottom) and however many neighbours are asked for, the lines equal the plain GROUP
/// BY's around them; the same for teams, whose ties are always named.
#[tokio::test]
async fn a_standing_in_a_long_tie_shows_the_group_bys_neighbours() {
    let app = TestApp::spawn().await;
    let db = app.db().await;
    db.batch_execute(
        "-- Six teams called the same, each in a group of its own (siblings' names differ).
         INSERT INTO teams (id, name) SELECT gen_random_uuid(), 'Group ' || n FROM generate_series(1, 6) n;
         INSERT INTO teams (id, name, parent_id)
         SELECT gen_random_uuid(), CASE WHEN n % 5 = 0 THEN 'Same Team' ELSE md5(n::text) END,
                (SELECT id FROM teams WHERE name = 'Group ' || (n / 5))
         FROM generate_series(1, 30) n;
         INSERT INTO employees (id, external_id, display_name, email, team_id)
         SELECT gen_random_uuid(), 's' || n,
                CASE WHEN n % 40 = 0 THEN 'Same Name'
                     WHEN n % 3 = 0 THEN lower(md5(n::text)) ELSE upper(md5(n::text)) END,
                's' || n || '@example.com',
                (SELECT id FROM teams WHERE name NOT LIKE 'Group %' ORDER BY id OFFSET n % 30 LIMIT 1)
         FROM generate_series(1, 400) n;
         CREATE TEMP TABLE flat AS
         SELECT row_number() OVER (ORDER BY external_id) AS n, id FROM employees;
         -- Ties of 300 (once), 27 (twice), 15 (three times) and 3 (four times), two days ago;
         -- each thanks one of the 55 who give nothing, so that the teams tie too.
         INSERT INTO shoutouts (id, source, giver_id, value, message, status, created_at)
         SELECT gen_random_uuid(), 'staff', f.id, 'helping_others', 'thanks ' || f.n || '-' || g,
                'published', now() - interval '2 days'
         FROM flat f CROSS JOIN LATERAL generate_series(1,
             CASE WHEN f.n > 342 THEN 4 WHEN f.n > 327 THEN 3 WHEN f.n > 300 THEN 2 ELSE 1 END) g
         WHERE f.n <= 345;
         INSERT INTO shoutout_recipients (shoutout_id, recipient_id, giver_id)
         SELECT s.id, (SELECT id FROM flat WHERE n = 346 + abs(hashtext(s.message)) % 55), s.giver_id
         FROM shoutouts s;
         ANALYZE employees;",
    )
    .await
    .unwrap();
    // (id, count, rank, name) in board order.
    let expected = |sql: &'static str| {
        let db = &db;
        async move {
            db.query(sql, &[])
                .await
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r.get::<_, String>(0),
                        r.get::<_, i64>(1),
                        r.get::<_, i64>(2),
                        r.get::<_, String>(3),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let givers = expected(
        "SELECT e.id::text, count(*), rank() OVER (ORDER BY count(*) DESC), e.display_name
         FROM shoutouts s JOIN employees e ON e.id = s.giver_id
         GROUP BY e.id, e.display_name ORDER BY count(*) DESC, e.display_name, e.id",
    )
    .await;
    assert_eq!(givers.len(), 345);
    let teams = expected(
        "SELECT t.id::text, count(*), rank() OVER (ORDER BY count(*) DESC), t.name
         FROM shoutout_recipients r JOIN teams t ON t.id = r.recipient_team_id
         GROUP BY t.id, t.name ORDER BY count(*) DESC, t.name, t.id",
    )
    .await;
    assert!(teams.len() > 20, "{} teams thanked", teams.len());
    // Every place near the ties' edges and the name shared by ten, and every seventh.
    let places = |len: usize| -> Vec<usize> {
        (0..len)
            .filter(|&i| i % 7 == 0 || i < 20 || i + 3 >= len || (40..48).contains(&i))
            .collect()
    };
    // Three days to yesterday: never one bucket (as a span through today can be, such as
    // this month's first days), so always summed. All time (these are all the shout-outs):
    // one bucket, walked along its ranking index.
    let today = chrono::Utc::now().date_naive();
    let summed = format!(
        "period=custom&from={}&to={}",
        today - chrono::Days::new(3),
        today - chrono::Days::new(1)
    );
    for span in [summed.as_str(), "period=all_time"] {
        for (board_name, subject, expected) in
            [("givers", "employee", &givers), ("teams", "team", &teams)]
        {
            let mut places = places(expected.len());
            if board_name == "givers" {
                // The first and last of the tie of 300, and the people called Same Name.
                places.extend([45, 46, 344]);
                places.extend(
                    expected
                        .iter()
                        .enumerate()
                        .filter(|(_, line)| line.3 == "Same Name")
                        .map(|(i, _)| i),
                );
            }
            for neighbours in [0usize, 1, 2, 10] {
                for &place in &places {
                    let (id, count, rank, _) = &expected[place];
                    let standing = board(
                        &app,
                        &format!("{board_name}/{id}?{span}&neighbours={neighbours}"),
                    )
                    .await;
                    let got = entry_lines(&standing, subject, "id");
                    let from = place.saturating_sub(neighbours);
                    let to = (place + neighbours + 1).min(expected.len());
                    let want: Vec<_> = expected[from..to]
                        .iter()
                        .map(|(id, count, rank, _)| (id.clone(), *count, *rank))
                        .collect();
                    assert_eq!(
                        got, want,
                        "{board_name} around place {place}, {neighbours} neighbours, {span}"
                    );
                    assert_eq!(standing["rank"].as_i64(), Some(*rank));
                    assert_eq!(standing["count"].as_i64(), Some(*count));
                }
            }
        }
    }
}

/// The longest ties are walked in name order from the person's own name probing each person
/// met, and the walk stops after a few times the people it should need. When the tie's other names
/// all lie far from the person's own (here: after a crowd who gave nothing), the walk meets
/// too few of them by then and the tie is walked again against a hash of its lines: the
/// standing still equals the plain GROUP BY's, from either side of the crowd.
#[tokio::test]
async fn a_standing_whose_tie_lies_past_a_crowd_still_finds_its_neighbours() {
    let app = TestApp::spawn().await;
    let db = app.db().await;
    db.batch_execute(
        "INSERT INTO employees (id, external_id, display_name, email)
         SELECT gen_random_uuid(), 'c' || n,
                CASE WHEN n = 1 THEN 'Aa Own'
                     WHEN n <= 4 THEN 'Bb Top ' || n
                     WHEN n <= 904 THEN 'Mm Quiet ' || lpad(n::text, 4, '0')
                     ELSE 'Zz Tie ' || lpad(n::text, 4, '0') END,
                'c' || n || '@example.com'
         FROM generate_series(1, 1904) n;
         -- Aa Own and the 1,000 Zz Tie give once, the three Bb Top twice, the Mm Quiet never.
         INSERT INTO shoutouts (id, source, giver_id, value, message, status, created_at)
         SELECT gen_random_uuid(), 'staff', e.id, 'helping_others', 'thanks ' || e.external_id,
                'published', now() - interval '2 days'
         FROM employees e CROSS JOIN LATERAL generate_series(1,
             CASE WHEN e.display_name LIKE 'Bb Top %' THEN 2 ELSE 1 END) g
         WHERE e.display_name NOT LIKE 'Mm Quiet %';
         INSERT INTO shoutout_recipients (shoutout_id, recipient_id, giver_id)
         SELECT s.id, (SELECT id FROM employees WHERE external_id = 'c5'), s.giver_id
         FROM shoutouts s;
         ANALYZE employees;",
    )
    .await
    .unwrap();
    let expected = givers_by_group_by(&db).await;
    assert_eq!(expected.len(), 1004);
    let today = chrono::Utc::now().date_naive();
    let span = format!(
        "period=custom&from={}&to={}",
        today - chrono::Days::new(3),
        today - chrono::Days::new(1)
    );
    // Aa Own (the tie's first, its others past the crowd), Zz Tie 0905 (the next, Aa Own
    // before the crowd), and one deep in the Zz Tie. One and two neighbours: the tie of 1,001
    // among 1,904 people is walked with probes; five and ten: against its hash.
    for place in [3usize, 4, 500] {
        for neighbours in [0usize, 1, 2, 5, 10] {
            let (id, count, rank) = &expected[place];
            let standing =
                board(&app, &format!("givers/{id}?{span}&neighbours={neighbours}")).await;
            let from = place.saturating_sub(neighbours);
            let to = (place + neighbours + 1).min(expected.len());
            assert_eq!(
                lines_by_id(&standing),
                expected[from..to].to_vec(),
                "around place {place}, {neighbours} neighbours"
            );
            assert_eq!(standing["rank"].as_i64(), Some(*rank));
            assert_eq!(standing["count"].as_i64(), Some(*count));
        }
    }
}

/// The givers' board as a plain GROUP BY over every shout-out: `(id, count, rank)` in board
/// order (count, then name, then id).
async fn givers_by_group_by(db: &tokio_postgres::Client) -> Vec<(String, i64, i64)> {
    db.query(
        "SELECT e.id::text, count(*), rank() OVER (ORDER BY count(*) DESC)
         FROM shoutouts s JOIN employees e ON e.id = s.giver_id
         GROUP BY e.id, e.display_name ORDER BY count(*) DESC, e.display_name, e.id",
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect()
}

/// Summed boards (spans, staff only) page by cursor through long runs of ties, and a
/// person's standing on them shows the same lines as the board: every page and every rank
/// equal the plain GROUP BY.
#[tokio::test]
async fn summed_boards_page_and_stand_like_a_plain_group_by() {
    let app = TestApp::spawn().await;
    let threshold = app.spawn_beside(|c| c.board_sum_below = 0).await;
    let db = app.db().await;
    let team = seed_skewed_company(&db).await;
    let today = chrono::Utc::now().date_naive();
    // As of today, and as of the middle of a past month (history on both sides).
    let ends = [today, span_ends(today)[2]];
    let cases = ends.into_iter().flat_map(|end| {
        [
            ("period=rolling_365d", 364, None, None, None),
            (
                "period=rolling_365d&value=helping_others",
                364,
                Some("helping_others"),
                None,
                None,
            ),
            (
                "period=rolling_365d&source=staff",
                364,
                None,
                Some("staff"),
                None,
            ),
            (
                "period=rolling_365d&value=achieving_goals&team_id=TEAM",
                364,
                Some("achieving_goals"),
                None,
                Some(team),
            ),
        ]
        .map(move |case| (end, case))
    });
    for (end, (query, since_days, value, source, team_filter)) in cases {
        let query = format!("{}&at={end}", query.replace("TEAM", &team.to_string()));
        let expected = expected_recipients(
            &db,
            (end - chrono::Days::new(since_days), end),
            value,
            source,
            team_filter,
        )
        .await;
        assert!(
            expected.len() > 14,
            "{query}: too little data for three pages"
        );
        // The first page is summed whole by one, through the threshold algorithm by the other.
        for app in [&app, &threshold] {
            let mut got = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let url = match &cursor {
                    Some(c) => format!("recipients?{query}&limit=7&cursor={c}"),
                    None => format!("recipients?{query}&limit=7"),
                };
                let page = board(app, &url).await;
                got.extend(full_lines(&page));
                match page["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break,
                }
            }
            assert_eq!(got, expected, "{query}");
        }
        // Standings: the first, someone in the middle of a tie, and the last.
        let ids: Vec<(Uuid, String)> = db
            .query("SELECT id, display_name FROM employees", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        for position in [0, expected.len() / 2, expected.len() - 1] {
            let name = &expected[position].0;
            let id = ids.iter().find(|(_, n)| n == name).unwrap().0;
            let standing = board(&app, &format!("recipients/{id}?{query}&neighbours=2")).await;
            let from = position.saturating_sub(2);
            let to = (position + 3).min(expected.len());
            assert_eq!(
                full_lines(&standing),
                expected[from..to].to_vec(),
                "{query} around {name}"
            );
            assert_eq!(standing["rank"].as_i64(), Some(expected[position].2));
        }
    }
}

/// Importing the same history again creates nothing: rows are known by their `source_id`, or
/// else by all they say; the answer counts what was created and what was already there.
#[tokio::test]
async fn importing_the_same_history_twice_counts_it_once() {
    let app = TestApp::spawn().await;
    app.employee("gia", None).await;
    app.employee("ann", None).await;
    app.employee("bob", None).await;
    let admin = app.admin_token();
    let rows = json!([
        {"created_at": "2024-05-01T10:00:00Z", "giver_external_id": "gia",
         "recipient_external_ids": ["ann", "bob"], "value": "helping_others", "message": MESSAGE},
        {"created_at": "2024-05-02T10:00:00Z", "customer_name": "Pat",
         "recipient_external_ids": ["ann"], "value": "responding_with_care", "message": MESSAGE},
        {"source_id": "kudos-77", "created_at": "2024-05-03T10:00:00Z", "giver_external_id": "bob",
         "recipient_external_ids": ["gia"], "value": "achieving_goals", "message": MESSAGE},
        // The first row again (recipients in another order): the same shout-out.
        {"created_at": "2024-05-01T10:00:00Z", "giver_external_id": "gia",
         "recipient_external_ids": ["bob", "ann"], "value": "helping_others", "message": MESSAGE},
    ]);
    let first = expect_status(
        app.post("/api/v1/shoutouts/import", &admin, &rows).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        first,
        json!({"imported": 3, "already_imported": 1, "recipients": 4})
    );
    let again = expect_status(
        app.post("/api/v1/shoutouts/import", &admin, &rows).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        again,
        json!({"imported": 0, "already_imported": 4, "recipients": 0})
    );
    // A row whose source id was imported is that row, even if the other tool changed its text;
    // a row that differs in anything else (here the message) is another shout-out.
    let changed = json!([
        {"source_id": "kudos-77", "created_at": "2024-05-03T10:00:00Z", "giver_external_id": "bob",
         "recipient_external_ids": ["gia"], "value": "achieving_goals", "message": "Edited later"},
        {"created_at": "2024-05-01T10:00:00Z", "giver_external_id": "gia",
         "recipient_external_ids": ["ann", "bob"], "value": "helping_others", "message": "Another"},
    ]);
    let report = expect_status(
        app.post("/api/v1/shoutouts/import", &admin, &changed).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        report,
        json!({"imported": 1, "already_imported": 1, "recipients": 2})
    );
    // The same rows as CSV, with a `source_id` column: nothing new.
    let csv = "source_id,created_at,giver_external_id,customer_name,recipient_external_ids,value,message\n\
               ,2024-05-02T10:00:00Z,,Pat,ann,responding_with_care,Thank you for the help with the queue today\n\
               kudos-77,2024-05-03T10:00:00Z,bob,,gia,achieving_goals,whatever it says now\n";
    let response = app
        .client
        .post(format!("{}/api/v1/shoutouts/import", app.base))
        .bearer_auth(&admin)
        .header("Content-Type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let report = expect_status(response, StatusCode::OK).await;
    assert_eq!(
        report,
        json!({"imported": 0, "already_imported": 2, "recipients": 0})
    );
    assert_eq!(app.count("shoutouts").await, 4);
    let b = board(&app, "recipients?period=month&at=2024-05-15").await;
    assert_eq!(
        lines(&b),
        vec![l("ann", 3, 1), l("bob", 2, 2), l("gia", 1, 3)]
    );
}

/// Identical imports sent at the same moment create each row once, and neither fails.
#[tokio::test]
async fn identical_imports_racing_create_each_row_once() {
    let app = TestApp::spawn_with(|c| c.db_wait_ms = BURST_DB_WAIT_MS).await;
    app.employee("gia", None).await;
    app.employee("ann", None).await;
    let admin = app.admin_token();
    let rows: Vec<Value> = (0..300)
        .map(|i| {
            json!({"created_at": format!("2024-06-01T10:{:02}:{:02}Z", i / 60, i % 60),
                   "giver_external_id": if i % 2 == 0 { "gia" } else { "ann" },
                   "recipient_external_ids": [if i % 2 == 0 { "ann" } else { "gia" }],
                   "value": "helping_others", "message": format!("Thanks #{i}")})
        })
        .collect();
    let body = json!(rows);
    let reports = futures_util::future::join_all(
        (0..6).map(|_| app.post("/api/v1/shoutouts/import", &admin, &body)),
    )
    .await;
    let mut created = 0;
    for response in reports {
        let report = expect_status(response, StatusCode::OK).await;
        assert_eq!(
            report["imported"].as_u64().unwrap() + report["already_imported"].as_u64().unwrap(),
            300,
            "{report}"
        );
        created += report["imported"].as_u64().unwrap();
    }
    assert_eq!(created, 300);
    assert_eq!(app.count("shoutouts").await, 300);
    let b = board(&app, "recipients?period=month&at=2024-06-15").await;
    assert_eq!(lines(&b), vec![l("ann", 150, 1), l("gia", 150, 1)]);
}

/// An import at the documented maximum (10,000 rows) succeeds on a database that already holds
/// as many, even where a request's statement timeout is far shorter than the import takes:
/// imports have a time budget of their own.
#[tokio::test]
async fn an_import_at_its_maximum_succeeds_on_a_loaded_database() {
    let app = TestApp::spawn_with(|c| c.statement_timeout_ms = 250).await;
    let people = ["gia", "ann", "bob", "cy", "dee"];
    for name in people {
        app.employee(name, None).await;
    }
    let admin = app.admin_token();
    for batch in 0..2 {
        let rows: Vec<Value> = (0..10_000)
            .map(|i| {
                json!({"created_at": format!("202{}-0{}-{:02}T{:02}:{:02}:{:02}Z",
                           3 + batch, 1 + i % 9, 1 + i % 28, i % 24, i % 60, (i / 60) % 60),
                       "giver_external_id": people[i % 5],
                       "recipient_external_ids": [people[(i + 1) % 5], people[(i + 2) % 5]],
                       "value": "achieving_goals", "message": format!("Well done, row {i}")})
            })
            .collect();
        let report = expect_status(
            app.post("/api/v1/shoutouts/import", &admin, &json!(rows))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            report["imported"].as_u64().unwrap() + report["already_imported"].as_u64().unwrap(),
            10_000
        );
    }
    assert!(app.count("shoutouts").await > 19_000);
}

/// `period=campaign` without a `campaign_id` is the campaign running today (whatever today is:
/// the campaign is placed around it).
#[tokio::test]
async fn a_campaign_board_defaults_to_the_campaign_running_today() {
    let app = TestApp::spawn().await;
    let (ann, _) = app.employee("ann", None).await;
    let (_, gia) = app.employee("gia", None).await;
    let admin = app.admin_token();
    let today = chrono::Utc::now().date_naive();
    let response = app
        .post(
            "/api/v1/campaigns",
            &admin,
            &json!({"name": "Thank-you week", "starts_on": today - chrono::Days::new(3),
                    "ends_on": today + chrono::Days::new(3)}),
        )
        .await;
    let campaign = id_of(expect_status(response, StatusCode::CREATED).await);
    let response = app
        .post(
            "/api/v1/campaigns",
            &admin,
            &json!({"name": "Long past", "starts_on": "2020-01-01", "ends_on": "2020-01-31"}),
        )
        .await;
    expect_status(response, StatusCode::CREATED).await;
    app.shoutout(&gia, &[ann], "helping_others", MESSAGE).await;
    let b = board(&app, "recipients?period=campaign").await;
    assert_eq!(b["period"]["campaign_id"], json!(campaign));
    assert_eq!(lines(&b), vec![l("ann", 1, 1)]);
}

/// The most each person counted in each day, per people's board, from the raw rows: what
/// `tally_day_ceilings` must never fall below (and, with nothing retracted, equals).
const DAY_MOSTS: &str = "SELECT board, day, max(n)::int4 AS most FROM ( \
         SELECT 2::int2 AS board, giver_id, (created_at AT TIME ZONE tz)::date AS day, count(*) AS n \
         FROM shoutouts, (SELECT timezone AS tz FROM leaderboard_settings) z \
         WHERE status = 'published' AND giver_id IS NOT NULL GROUP BY 1, 2, 3 \
         UNION ALL \
         SELECT 1::int2, recipient_id, (created_at AT TIME ZONE tz)::date, count(*) \
         FROM shoutout_recipients, (SELECT timezone AS tz FROM leaderboard_settings) z \
         WHERE status = 'published' GROUP BY 1, 2, 3 \
     ) c GROUP BY 1, 2";

/// (board, day, ceiling, the most anyone counted) for every day either knows of.
async fn ceilings_against_truth(db: &tokio_postgres::Client) -> Vec<(i16, String, i32, i32)> {
    db.query(
        &format!(
            "SELECT coalesce(c.board, t.board), coalesce(c.day, t.day)::text, \
                    coalesce(c.most, 0), coalesce(t.most, 0) \
             FROM tally_day_ceilings c FULL JOIN ({DAY_MOSTS}) t USING (board, day) ORDER BY 1, 2"
        ),
        &[],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
    .collect()
}

/// A span's edge days are bounded by the most anyone counted in each day. The ceilings follow
/// every write (bulk inserts, gives over HTTP, moderation), stay a bound when a shout-out is
/// retracted, are counted afresh by a rebuild, and two writers of one person's day at once
/// never leave them below the truth: the second waits for the first (the person's week row
/// in `tallies`) and counts its row.
#[tokio::test]
async fn day_ceilings_never_fall_below_what_anyone_counted_in_a_day() {
    let app = TestApp::spawn_with(|c| c.daily_limit = 1000).await;
    let db = app.db().await;
    seed_skewed_company(&db).await;
    let seeded = ceilings_against_truth(&db).await;
    assert!(seeded.len() > 500, "{}", seeded.len());
    for (board, day, ceiling, truth) in &seeded {
        assert_eq!(ceiling, truth, "board {board}, {day}");
    }
    assert!(seeded.iter().any(|&(_, _, _, truth)| truth > 1));

    // Someone gives four times today over HTTP, to the same colleague.
    let team = app.team("Ceilings", None).await;
    let giver = app.employee("ceiling-giver", Some(team)).await;
    let thanked = app.employee("ceiling-thanked", Some(team)).await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let body = expect_status(
            app.post(
                "/api/v1/shoutouts",
                &giver.1,
                &json!({"recipient_ids": [thanked.0], "value": "helping_others", "message": format!("{MESSAGE} {i}")}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await;
        ids.push(id_of(body));
    }
    let today_most = |board: i16| {
        let db = &db;
        async move {
            db.query_one(
                "SELECT coalesce((SELECT most FROM tally_day_ceilings c, leaderboard_settings z \
                  WHERE c.board = $1 AND c.day = (now() AT TIME ZONE z.timezone)::date), 0)",
                &[&board],
            )
            .await
            .unwrap()
            .get::<_, i32>(0)
        }
    };
    assert!(today_most(2).await >= 4);
    assert!(today_most(1).await >= 4);
    // Most gives are not counted (the week's count is not above the day's ceiling), yet every
    // ceiling is still exactly the day's most: a skipped count was never above it.
    for (board, day, ceiling, truth) in ceilings_against_truth(&db).await {
        assert_eq!(ceiling, truth, "board {board}, {day}");
    }

    // Retracted, they leave the ceilings where they were: still a bound.
    for id in &ids {
        let path = format!("/api/v1/shoutouts/{id}");
        expect_status(app.delete(&path, &giver.1).await, StatusCode::NO_CONTENT).await;
    }
    for (board, day, ceiling, truth) in ceilings_against_truth(&db).await {
        assert!(
            ceiling >= truth,
            "board {board}, {day}: {ceiling} < {truth}"
        );
    }
    assert!(today_most(2).await >= 4);

    // A customer's thanks counts once a moderator publishes it.
    let handle = app.praise_handle(thanked.0).await;
    for i in 0..6 {
        let id = id_of(
            expect_status(
                app.praise(&handle, &format!("Thanks a lot, {i}"), json!({}))
                    .await,
                StatusCode::ACCEPTED,
            )
            .await,
        );
        let path = format!("/api/v1/shoutouts/{id}/approve");
        expect_status(
            app.post(&path, &app.admin_token(), &json!({})).await,
            StatusCode::OK,
        )
        .await;
    }
    assert!(today_most(1).await >= 6);
    // The retracted four still count in today's ceilings (a bound); every other day is exact.
    let today: String = db
        .query_one(
            "SELECT (now() AT TIME ZONE timezone)::date::text FROM leaderboard_settings",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    for (board, day, ceiling, truth) in ceilings_against_truth(&db).await {
        if day == today {
            assert!(
                ceiling >= truth,
                "board {board}, {day}: {ceiling} < {truth}"
            );
        } else {
            assert_eq!(ceiling, truth, "board {board}, {day}");
        }
    }

    // Two writers of one giver's day at once, on a day nobody else wrote: the first holds its
    // transaction open while the second writes, then commits.
    let day = "2020-02-12 12:00:00+00";
    let write = |id: Uuid| {
        format!(
            "INSERT INTO shoutouts (id, source, giver_id, value, message, status, created_at) \
             VALUES ('{id}', 'staff', '{giver}', 'helping_others', 'racing', 'published', '{day}'); \
             INSERT INTO shoutout_recipients (shoutout_id, recipient_id, giver_id) \
             VALUES ('{id}', '{thanked}', '{giver}')",
            giver = giver.0,
            thanked = thanked.0,
        )
    };
    let first = app.db().await;
    let second = app.db().await;
    first.batch_execute("BEGIN").await.unwrap();
    first.batch_execute(&write(Uuid::new_v4())).await.unwrap();
    let second_write = format!("BEGIN; {}; COMMIT", write(Uuid::new_v4()));
    let racing = tokio::spawn(async move { second.batch_execute(&second_write).await });
    // Long enough for the second to reach the first's row lock and wait there.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!racing.is_finished(), "the second writer did not wait");
    first.batch_execute("COMMIT").await.unwrap();
    racing.await.unwrap().unwrap();
    for board in [1i16, 2] {
        let most: i32 = db
            .query_one(
                "SELECT most FROM tally_day_ceilings WHERE board = $1 AND day = '2020-02-12'",
                &[&board],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(most, 2, "board {board}");
    }

    // A rebuild counts them afresh: equal to the truth again.
    db.batch_execute("SELECT tally_rebuild()").await.unwrap();
    for (board, day, ceiling, truth) in ceilings_against_truth(&db).await {
        assert_eq!(ceiling, truth, "board {board}, {day}");
    }
}

/// Where the threshold algorithm's first read does not settle, a second, four times as deep,
/// may. Two weeks: a hundred people give ten times in the first only, a hundred ten times in
/// the second only, and thirty give eight in each. The first read (84 lines a list) ends among
/// the ten-times givers of each week, a threshold of 20 that the thirty (16 each) cannot beat;
/// the second (336) reads both lists to their end, and nobody is left unseen. The page is the
/// first twenty of the thirty by name, as a plain GROUP BY orders them, and it settled.
#[tokio::test]
async fn a_second_deeper_read_settles_where_the_first_cannot() {
    let app = TestApp::spawn().await;
    let threshold = app.spawn_beside(|c| c.board_sum_below = 0).await;
    let db = app.db().await;
    db.batch_execute(
        "INSERT INTO employees (id, external_id, display_name, email)
         SELECT gen_random_uuid(), 'deep' || n, 'Deep ' || lpad(n::text, 3, '0'), 'deep' || n || '@example.com'
         FROM generate_series(1, 230) n;
         CREATE TEMP TABLE deep AS
             SELECT row_number() OVER (ORDER BY display_name) AS n, id FROM employees WHERE external_id LIKE 'deep%';
         CREATE TEMP TABLE gives AS
             SELECT d.id AS giver, day
             FROM deep d
             CROSS JOIN LATERAL (
                 -- 1-100: ten in the week of 24 March; 101-200: ten in the week of 31 March
                 -- (from 1 April, so each week is also one month's); 201-230: eight in each.
                 SELECT DATE '2025-03-24' + (k % 7) AS day FROM generate_series(1, 10) k WHERE d.n <= 100
                 UNION ALL
                 SELECT DATE '2025-04-01' + (k % 6) FROM generate_series(1, 10) k WHERE d.n BETWEEN 101 AND 200
                 UNION ALL
                 SELECT DATE '2025-03-24' + (k % 7) FROM generate_series(1, 8) k WHERE d.n > 200
                 UNION ALL
                 SELECT DATE '2025-04-01' + (k % 6) FROM generate_series(1, 8) k WHERE d.n > 200
             ) g;
         INSERT INTO shoutouts (id, source, giver_id, value, message, status, created_at)
         SELECT gen_random_uuid(), 'staff', g.giver, 'helping_others', 'deep', 'published',
                g.day + TIME '12:00' AT TIME ZONE 'UTC'
         FROM gives g;
         INSERT INTO shoutout_recipients (shoutout_id, recipient_id, giver_id)
         SELECT s.id, (SELECT id FROM deep WHERE deep.id <> s.giver_id ORDER BY n LIMIT 1), s.giver_id
         FROM shoutouts s WHERE s.message = 'deep';
         ANALYZE shoutouts, shoutout_recipients, employees;",
    )
    .await
    .unwrap();
    let expected: Vec<(String, i64)> = db
        .query(
            "SELECT e.display_name, count(*) FROM shoutouts s JOIN employees e ON e.id = s.giver_id \
             WHERE s.status = 'published' AND s.created_at >= '2025-03-24' AND s.created_at < '2025-04-07' \
             GROUP BY e.id, e.display_name ORDER BY count(*) DESC, e.display_name, e.id LIMIT 20",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(expected.first(), Some(&("Deep 201".to_owned(), 16)));
    assert_eq!(expected.last(), Some(&("Deep 220".to_owned(), 16)));
    let url = "givers?period=custom&from=2025-03-24&to=2025-04-06";
    let (settled, gave_up) = threshold_outcomes(&threshold).await;
    for app in [&app, &threshold] {
        let got: Vec<(String, i64)> = full_lines(&board(app, url).await)
            .into_iter()
            .map(|(name, count, _)| (name, count))
            .collect();
        assert_eq!(got, expected, "{url}");
    }
    // One more settled, none given up: the second read answered, not the fallback.
    assert_eq!(
        threshold_outcomes(&threshold).await,
        (settled + 1, gave_up),
        "{url}"
    );
}
