//! The demo data holds on any date: seeded as of the first moment of a week, a month, a quarter,
//! a year and of 29 February, in time zones on both sides of UTC, every board the demo page shows
//! (this month's people, this quarter's teams, the campaign's people, the wall's week, the feed)
//! has lines, and customers' praise waits for a moderator.

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use reqwest::StatusCode;

use crate::helpers::{TestApp, expect_status};

/// (board, period) for each board on `/demo`: the two leaderboards and the wall's week.
const DEMO_BOARDS: [(&str, &str); 3] = [
    ("recipients", "month"),
    ("teams", "quarter"),
    ("recipients", "week"),
];

#[tokio::test]
async fn every_board_of_the_demo_page_has_lines_on_any_date() {
    let days = [
        (2027, 1, 1),   // a year, a quarter and a month begin (a Friday)
        (2029, 1, 1),   // all of them and a week begin (a Monday)
        (2026, 11, 30), // a Monday in the middle of a month
        (2027, 4, 1),   // a quarter begins
        (2028, 2, 29),  // a leap day
        (2026, 12, 31), // the last day of a year
    ];
    for zone in ["UTC", "Pacific/Auckland", "America/Los_Angeles"] {
        let tz: Tz = zone.parse().unwrap();
        for (y, m, d) in days {
            let day = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            // The very first instant of the day: nothing of it has passed yet.
            let now = tz
                .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap())
                .earliest()
                .unwrap()
                .with_timezone(&chrono::Utc);
            let app = TestApp::spawn_with(|c| c.timezone = tz).await;
            let pool = shoutout::db::build_pool(
                &app.database_url,
                &shoutout::db::PoolSettings {
                    max_size: 1,
                    wait: std::time::Duration::from_secs(5),
                    statement_timeout: std::time::Duration::from_secs(60),
                    verify: false,
                    generic_plans: false,
                },
            )
            .unwrap();
            shoutout::demo::seed_if_empty(&pool, now, tz).await.unwrap();
            let token = app.admin_token();
            // Customers' praise waits for a moderator, on any date.
            let queue = expect_status(
                app.get("/api/v1/moderation/shoutouts?status=pending", &token)
                    .await,
                StatusCode::OK,
            )
            .await;
            let waiting = queue["items"].as_array().unwrap();
            assert_eq!(waiting.len(), 3, "{zone} {day}");
            assert_eq!(
                waiting
                    .iter()
                    .filter(|i| i["customer_email"].is_string())
                    .count(),
                1,
                "one came with an address"
            );
            // The page asks for the campaign running on its day: the campaign seeded around it.
            let campaigns =
                expect_status(app.get("/api/v1/campaigns", &token).await, StatusCode::OK).await;
            let campaign = campaigns["items"][0]["id"].as_str().unwrap();
            let mut queries: Vec<(String, String)> = DEMO_BOARDS
                .iter()
                .map(|(board, period)| {
                    (
                        format!("{board} of the {period}"),
                        format!("{board}?period={period}&at={day}"),
                    )
                })
                .collect();
            queries.push((
                "campaign".into(),
                format!("recipients?period=campaign&campaign_id={campaign}"),
            ));
            for (what, query) in queries {
                let body = expect_status(
                    app.get(&format!("/api/v1/leaderboards/{query}&limit=5"), &token)
                        .await,
                    StatusCode::OK,
                )
                .await;
                assert!(
                    body["entries"].as_array().unwrap().len() >= 3,
                    "{zone} {day}: the {what} board has too few lines: {body}"
                );
                let (start, end) = (
                    body["period"]["start"].as_str().unwrap(),
                    body["period"]["end"].as_str().unwrap(),
                );
                let day = day.to_string();
                assert!(
                    start <= day.as_str() && day.as_str() <= end,
                    "{what}: {start} {end}"
                );
                if what == "campaign" {
                    // Seeded a week either side of the day.
                    assert!(start < day.as_str() && day.as_str() < end, "{start} {end}");
                }
            }
            let feed = expect_status(
                app.get("/api/v1/shoutouts?limit=4", &token).await,
                StatusCode::OK,
            )
            .await;
            assert_eq!(
                feed["items"].as_array().unwrap().len(),
                4,
                "{zone} {day}: {feed}"
            );
        }
    }
}
