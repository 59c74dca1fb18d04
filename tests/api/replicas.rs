//! Reads on a real PostgreSQL streaming replica (`pg_basebackup -R` of a cluster of the test's
//! own), ten seconds behind its primary (`recovery_min_apply_delay`), so that lag is certain
//! rather than hoped for.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use shoutout::db::embedded::EmbeddedPostgres;
use uuid::Uuid;

use crate::helpers::{TestApp, expect_problem, expect_status, scratch_dir};

async fn start(pg: &EmbeddedPostgres, settings: &'static [&'static str]) {
    let runner = pg.clone();
    tokio::task::spawn_blocking(move || runner.ensure_running(settings))
        .await
        .unwrap()
        .unwrap();
}

/// The value of one sample in the app's `/metrics`, 0 when absent.
async fn metric(app: &TestApp, sample: &str) -> f64 {
    app.metrics()
        .await
        .lines()
        .find_map(|line| {
            line.strip_prefix(sample)
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0.0)
}

/// Waits (up to a minute) until `check` holds.
async fn eventually<F: std::future::Future<Output = bool>>(
    what: &str,
    mut check: impl FnMut() -> F,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn reads_go_to_a_replica_a_writer_reads_its_own_write_and_a_stopped_replica_fails_nothing() {
    let run = Uuid::now_v7().simple().to_string();
    let primary =
        EmbeddedPostgres::new(&scratch_dir(&format!("pg-primary-{}", &run[20..]))).unwrap();
    start(&primary, &[]).await;
    primary.ensure_database("shoutout").await.unwrap();
    let replica =
        EmbeddedPostgres::new(&scratch_dir(&format!("pg-replica-{}", &run[20..]))).unwrap();
    {
        let (replica, primary) = (replica.clone(), primary.clone());
        tokio::task::spawn_blocking(move || replica.replicate(&primary))
            .await
            .unwrap()
            .unwrap();
    }
    start(&replica, &["recovery_min_apply_delay = '10s'"]).await;
    let replica_url = replica.url("shoutout");
    let app = TestApp::spawn_on(primary.url("shoutout"), |c| {
        c.read_database_urls = vec![replica_url.clone().into()];
        // The replica's ten seconds behind are within bounds: it takes reads, and only the
        // consistency header keeps a writer from reading an old state.
        c.replica_max_lag_ms = 60_000;
        c.daily_limit = 1000;
    })
    .await;
    let label = shoutout::db::replicas::label(&replica_url);
    let served_by = |who: &str| format!("shoutout_reads_served_total{{served_by=\"{who}\"}}");

    let (ann, _) = app.employee("ann", None).await;
    let (_, bob) = app.employee("bob", None).await;
    let first = app
        .shoutout(
            &bob,
            &[ann],
            "helping_others",
            "Thanks for the handover notes",
        )
        .await;
    let first_id = first["id"].as_str().unwrap().to_owned();
    // Once the replica has replayed it (ten seconds on), reads are the replica's.
    let on_replica = tokio_postgres::connect(&replica_url, tokio_postgres::NoTls).await;
    let (client, connection) = on_replica.unwrap();
    tokio::spawn(connection);
    eventually("the replica has the first shout-out", || async {
        client
            .query_opt(
                "SELECT 1 FROM shoutouts WHERE id = $1::text::uuid",
                &[&first_id],
            )
            .await
            .is_ok_and(|row| row.is_some())
    })
    .await;
    eventually("the checker has seen the replica catch up", || async {
        metric(
            &app,
            &format!("shoutout_replica_healthy{{replica=\"{label}\"}}"),
        )
        .await
            == 1.0
    })
    .await;
    let before = metric(&app, &served_by(&label)).await;
    for path in [
        format!("/api/v1/shoutouts/{first_id}"),
        "/api/v1/leaderboards/recipients?period=all_time".to_owned(),
        "/api/v1/shoutouts".to_owned(),
    ] {
        expect_status(app.get(&path, &bob).await, StatusCode::OK).await;
    }
    assert_eq!(
        metric(&app, &served_by(&label)).await - before,
        3.0,
        "three reads on the replica"
    );

    // A new write, ten seconds ahead of the replica: read without the header, it is not there
    // yet (the replica answers); read with it, it is (the primary answers).
    let response = app
        .post(
            "/api/v1/shoutouts",
            &bob,
            &serde_json::json!({"recipient_ids": [ann], "value": "achieving_goals", "message": "Shipped on time"}),
        )
        .await;
    let token = response.headers()["shoutout-consistency"]
        .to_str()
        .unwrap()
        .to_owned();
    let second = expect_status(response, StatusCode::CREATED).await;
    let second_path = format!("/api/v1/shoutouts/{}", second["id"].as_str().unwrap());
    let primary_reads = metric(&app, &served_by("primary")).await;
    let stale = app.get(&second_path, &bob).await;
    assert_eq!(
        stale.status(),
        StatusCode::NOT_FOUND,
        "the replica is behind, as arranged"
    );
    let fresh = app
        .client
        .get(format!("{}{second_path}", app.base))
        .bearer_auth(&bob)
        .header("shoutout-consistency", &token)
        .send()
        .await
        .unwrap();
    expect_status(fresh, StatusCode::OK).await;
    let board = app
        .client
        .get(format!(
            "{}/api/v1/leaderboards/recipients?period=all_time",
            app.base
        ))
        .bearer_auth(&bob)
        .header("shoutout-consistency", &token)
        .send()
        .await
        .unwrap();
    let board = expect_status(board, StatusCode::OK).await;
    assert_eq!(
        board["entries"][0]["count"], 2,
        "the writer's board counts its write"
    );
    assert!(metric(&app, &served_by("primary")).await - primary_reads >= 2.0);

    // A second instance with a tighter bound (one second) sees the replica, now trailing the
    // last write by ten seconds, as too far behind: it says so, and reads on the primary.
    let strict = TestApp::spawn_on(app.database_url.clone(), |c| {
        c.read_database_urls = vec![replica_url.clone().into()];
        c.replica_max_lag_ms = 1000;
    })
    .await;
    let lag = format!("shoutout_replica_lag_milliseconds{{replica=\"{label}\"}}");
    eventually(
        "the strict instance finds the replica too far behind",
        || async {
            metric(&strict, &lag).await > 1000.0
                && metric(
                    &strict,
                    &format!("shoutout_replica_healthy{{replica=\"{label}\"}}"),
                )
                .await
                    == 0.0
        },
    )
    .await;
    let strict_primary = metric(&strict, &served_by("primary")).await;
    let strict_replica = metric(&strict, &served_by(&label)).await;
    expect_status(strict.get(&second_path, &bob).await, StatusCode::OK).await;
    assert_eq!(
        metric(&strict, &served_by("primary")).await - strict_primary,
        1.0
    );
    assert_eq!(metric(&strict, &served_by(&label)).await, strict_replica);

    // A header that is not a position is refused, naming it.
    let bad = app
        .client
        .get(format!("{}/api/v1/shoutouts", app.base))
        .bearer_auth(&bob)
        .header("shoutout-consistency", "yesterday")
        .send()
        .await
        .unwrap();
    expect_problem(
        bad,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("Shoutout-Consistency"),
    )
    .await;

    // The replica stops: every read still succeeds (on the primary), and the metrics say so.
    drop(client);
    {
        let replica = replica.clone();
        tokio::task::spawn_blocking(move || replica.stop())
            .await
            .unwrap()
            .unwrap();
    }
    for _ in 0..20 {
        for path in [
            &second_path,
            "/api/v1/leaderboards/recipients?period=all_time",
            "/api/v1/shoutouts",
        ] {
            expect_status(app.get(path, &bob).await, StatusCode::OK).await;
        }
    }
    eventually("the replica is reported down", || async {
        metric(
            &app,
            &format!("shoutout_replica_healthy{{replica=\"{label}\"}}"),
        )
        .await
            == 0.0
    })
    .await;
    let _ = tokio::task::spawn_blocking(move || primary.stop()).await;
}
