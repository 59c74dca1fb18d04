//! Probes, metrics, the OpenAPI contract and its reference page, migrations.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{TestApp, cluster, drop_database, expect_problem, expect_status};

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    let body = expect_status(
        app.request(Method::GET, "/healthz", None, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["status"], "ok");
    let body = expect_status(
        app.request(Method::GET, "/readyz", None, None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn unknown_routes_are_problems() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::GET, "/api/v1/nothing-here", None, None)
        .await;
    expect_problem(response, StatusCode::NOT_FOUND, None).await;
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let app = TestApp::spawn().await;
    let token = app.admin_token();
    expect_status(app.get("/api/v1/teams", &token).await, StatusCode::OK).await;
    let text = app.metrics().await;
    assert!(text.contains("shoutout_http_requests_total"), "{text}");
    assert!(text.contains("endpoint=\"/api/v1/teams\""), "{text}");
    assert!(text.contains("shoutout_db_pool_connections"), "{text}");
}

/// The boards' own pool shows in `/metrics` beside the general one: a board read opens a
/// connection there and leaves it idle.
#[tokio::test]
async fn metrics_show_the_boards_pool() {
    let app = TestApp::spawn().await;
    let token = app.admin_token();
    let gauge = |text: &str, name: &str| -> i64 {
        text.lines()
            .find_map(|line| line.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
            .trim()
            .parse()
            .unwrap()
    };
    expect_status(
        app.get("/api/v1/leaderboards/givers?period=week", &token)
            .await,
        StatusCode::OK,
    )
    .await;
    let text = app.metrics().await;
    assert!(
        gauge(&text, "shoutout_db_boards_pool_connections") >= 1,
        "{text}"
    );
    assert!(gauge(&text, "shoutout_db_boards_pool_idle") >= 1, "{text}");
    assert_eq!(gauge(&text, "shoutout_db_boards_pool_waiting"), 0, "{text}");
}

/// Every metric label comes from a closed set: requests with made-up methods are answered as no
/// route takes them (405 with `Allow` on a route's path, 404 elsewhere) and leave `/metrics` as
/// it was, however many arrive.
#[tokio::test]
async fn made_up_methods_cannot_grow_the_metrics() {
    let app = TestApp::spawn().await;
    let series = |text: &str| -> std::collections::BTreeSet<String> {
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.contains("endpoint=\"/metrics\""))
            .filter_map(|l| l.rsplit_once(' ').map(|(key, _)| key.to_owned()))
            .collect()
    };
    expect_status(
        app.get("/api/v1/values", &app.admin_token()).await,
        StatusCode::OK,
    )
    .await;
    let before = app.metrics().await;
    for n in 0..300 {
        let method = Method::from_bytes(format!("X{n}Q{}", n * 7919).as_bytes()).unwrap();
        let (path, status) = if n % 2 == 0 {
            ("/api/v1/values", StatusCode::METHOD_NOT_ALLOWED)
        } else {
            ("/nowhere", StatusCode::NOT_FOUND)
        };
        let response = app.request(method, path, None, None).await;
        if status == StatusCode::METHOD_NOT_ALLOWED {
            assert_eq!(response.headers()["allow"], "GET");
        }
        expect_problem(response, status, None).await;
    }
    let after = app.metrics().await;
    assert_eq!(series(&before), series(&after), "new label values appeared");
    assert!(!after.contains("X1Q"), "{after}");
    // Standard methods still get their usual answers.
    let response = app
        .request(Method::TRACE, "/api/v1/teams", None, None)
        .await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

/// A database that lacks this binary's migrations (restored from an older backup, say) is a
/// 503 on every route, never a 500, and `/readyz` says not ready without naming the cause.
#[tokio::test]
async fn a_database_without_its_migrations_is_a_503_on_every_route() {
    let app = TestApp::spawn().await;
    let (bob, _) = app.employee("bob", None).await;
    let team = app.team("Support", None).await;
    let token = app.admin_token();
    shoutout::db::revert_all_migrations(&app.database_url)
        .await
        .unwrap();
    let api: Value = serde_json::from_str(
        &app.request(Method::GET, "/openapi.json", None, None)
            .await
            .text()
            .await
            .unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    for (path, item) in api["paths"].as_object().unwrap() {
        for method in ["get", "post", "patch", "delete"] {
            if item.get(method).is_none() || path == "/api/v1/stream" {
                continue;
            }
            let concrete = path
                .replace("{board}", "recipients")
                .replace("{team_id}", &team.to_string())
                .replace("{employee_id}", &bob.to_string())
                .replace("{id}", &bob.to_string())
                .replace("{delivery_id}", &bob.to_string());
            let response = app
                .request(
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    &concrete,
                    Some(&token),
                    Some(&serde_json::json!({})),
                )
                .await;
            let status = response.status();
            let body = response.text().await.unwrap();
            assert!(
                !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE,
                "{method} {concrete}: {status} {body}"
            );
            assert!(
                !body.contains("does not exist"),
                "{method} {concrete}: {body}"
            );
            checked += 1;
        }
    }
    assert!(checked > 30, "{checked} routes");
    for path in [
        "/api/v1/shoutouts",
        "/api/v1/employees",
        "/api/v1/leaderboards/recipients",
    ] {
        let response = app.get(path, &token).await;
        expect_problem(response, StatusCode::SERVICE_UNAVAILABLE, None).await;
    }
    let ready = app.request(Method::GET, "/readyz", None, None).await;
    let problem = expect_problem(ready, StatusCode::SERVICE_UNAVAILABLE, None).await;
    assert!(!problem.to_string().contains("migration"), "{problem}");
    let live = app.request(Method::GET, "/healthz", None, None).await;
    assert_eq!(live.status(), StatusCode::OK);
}

#[tokio::test]
async fn docs_page_is_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let response = app.request(Method::GET, "/docs", None, None).await;
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    let response = app.request(Method::GET, "/docs/", None, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("swagger"), "{html}");
    assert!(
        !html.contains("https://"),
        "the page must not load anything from other hosts"
    );
    let response = app
        .request(Method::GET, "/docs/swagger-ui-bundle.js", None, None)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// The contract file in the repo is exactly what the server serves; regenerate it with
/// `cargo run -- openapi > openapi/openapi.yaml` after changing a route.
#[tokio::test]
async fn openapi_file_matches_the_routes() {
    let app = TestApp::spawn().await;
    let served: Value = app
        .request(Method::GET, "/openapi.json", None, None)
        .await
        .json()
        .await
        .unwrap();
    let file =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.yaml"))
            .unwrap();
    let generated = shoutout::routes::openapi().to_yaml().unwrap();
    assert!(
        file == generated,
        "openapi/openapi.yaml is out of date: run `cargo run -- openapi > openapi/openapi.yaml`"
    );
    let from_file: Value = serde_json::to_value(serde_yaml_value(&file)).unwrap();
    assert_eq!(
        from_file, served,
        "the served document differs from the file"
    );

    // Every documented operation is routed: without a token it is refused or answered, but never
    // "no such route".
    let paths = served["paths"].as_object().unwrap();
    assert!(paths.len() >= 15, "{paths:?}");
    for (path, item) in paths {
        let concrete = path
            .split('/')
            .map(|part| {
                if part.starts_with('{') {
                    "0195f5e2-7a4c-7b0e-8000-000000000000"
                } else {
                    part
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app.request(method.clone(), &concrete, None, None).await;
            let status = response.status();
            let body = response.text().await.unwrap();
            assert!(
                !body.contains("/problems/no-such-route"),
                "{method} {path} is documented but not routed ({status})"
            );
        }
    }
}

fn serde_yaml_value(text: &str) -> Value {
    // The document is generated by utoipa's YAML serialiser; parse it back with the same
    // library's model so the comparison is of content, not formatting.
    let api: utoipa::openapi::OpenApi = serde_norway::from_str(text).expect("openapi.yaml parses");
    serde_json::to_value(api).unwrap()
}

/// Every migration goes up, down and up again on an empty database.
#[tokio::test]
async fn migrations_round_trip() {
    let cluster = cluster().await;
    let name = cluster.create_empty_database().await;
    let url = cluster.url(&name);
    shoutout::db::run_migrations(&url).await.unwrap();
    shoutout::db::revert_all_migrations(&url).await.unwrap();
    let client = crate::helpers::connect(&url).await;
    let tables: i64 = client
        .query_one("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 0, "down migrations leave tables behind");
    let types: i64 = client
        .query_one("SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' AND t.typtype = 'e'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(types, 0, "down migrations leave enum types behind");
    shoutout::db::run_migrations(&url).await.unwrap();
    drop(client);
    drop_database(cluster.url("postgres"), name);
}

/// With its database unreachable the service answers 503 problems within the pool's wait instead
/// of hanging, stays alive, and serves again as soon as the database is back, without a restart.
#[tokio::test]
async fn a_database_outage_is_a_503_and_heals_by_itself() {
    let app = TestApp::spawn_with(|c| c.db_wait_ms = 500).await;
    let (bob, _) = app.employee("bob", None).await;
    let (_, alice) = app.employee("alice", None).await;
    expect_status(app.get("/api/v1/shoutouts", &alice).await, StatusCode::OK).await;

    let admin = cluster().await.admin().await;
    let lock_out = format!(
        "ALTER DATABASE \"{0}\" ALLOW_CONNECTIONS false; \
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = '{0}' AND pid <> pg_backend_pid();",
        app.database
    );
    let handle = app.praise_handle(bob).await;
    admin.batch_execute(&lock_out).await.unwrap();

    let outage = async {
        for _ in 0..3 {
            let response = app.get("/api/v1/shoutouts", &alice).await;
            let problem = expect_problem(response, StatusCode::SERVICE_UNAVAILABLE, None).await;
            assert_eq!(problem["type"], "/problems/unavailable", "{problem}");
            // The cause (here naming the database) is for the log, not for callers.
            assert!(!problem.to_string().contains(&app.database), "{problem}");
        }
        for path in [
            "/readyz".to_owned(),
            format!("/api/v1/public/challenge?handle={handle}"),
        ] {
            let response = app.request(Method::GET, &path, None, None).await;
            let problem = expect_problem(response, StatusCode::SERVICE_UNAVAILABLE, None).await;
            let text = problem.to_string();
            assert!(
                !text.contains(&app.database) && !text.contains("database"),
                "{path}: {text}"
            );
        }
        // The customer's form answers a page, not a problem document.
        let sent = app
            .client
            .post(format!("{}/praise/{handle}", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("message=Thanks+for+the+help&value=&customer_name=&customer_email=")
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), StatusCode::SERVICE_UNAVAILABLE);
        let content_type = sent.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(content_type.starts_with("text/html"), "{content_type}");
        let page = sent.text().await.unwrap();
        assert!(page.contains("could not take your message"), "{page}");
        assert!(!page.contains(&app.database), "{page}");
        let response = app
            .post(
                "/api/v1/shoutouts",
                &alice,
                &serde_json::json!({"recipient_ids": [bob], "value": "helping_others",
                    "message": "Thanks for covering the phones"}),
            )
            .await;
        expect_problem(response, StatusCode::SERVICE_UNAVAILABLE, None).await;
        let ready = app.request(Method::GET, "/readyz", None, None).await;
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
        let live = app.request(Method::GET, "/healthz", None, None).await;
        assert_eq!(
            live.status(),
            StatusCode::OK,
            "liveness must not depend on the database"
        );
    };
    // A generous bound that only trips if a request hangs instead of answering.
    tokio::time::timeout(std::time::Duration::from_secs(30), outage)
        .await
        .expect("requests hung while the database was away");

    admin
        .batch_execute(&format!(
            "ALTER DATABASE \"{}\" ALLOW_CONNECTIONS true",
            app.database
        ))
        .await
        .unwrap();
    expect_status(app.get("/api/v1/shoutouts", &alice).await, StatusCode::OK).await;
    let ready = app.request(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(
        app.count("shoutouts").await,
        0,
        "the refused POST wrote nothing"
    );
}

/// Reads one HTTP/1.1 answer with a `Content-Length` off `stream`, leaving the connection open.
fn read_one_answer(stream: &mut std::net::TcpStream) -> String {
    use std::io::Read;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    head + &String::from_utf8_lossy(&body)
}

/// SIGTERM lets a request that is still arriving finish and be answered, ends the live streams
/// (which would otherwise hold the shutdown for its whole timeout), then the process exits
/// cleanly. Every request leaves one JSON log line with its status and latency, and no token.
#[tokio::test]
async fn sigterm_finishes_in_flight_requests_and_logs_stay_clean() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::{Command, Stdio};

    let app = TestApp::spawn().await;
    let (bob, _) = app.employee("bob", None).await;
    app.employee("alice", None).await;
    let token = app.token("alice", &[shoutout::auth::Role::Employee]);

    let mut child = Command::new(env!("CARGO_BIN_EXE_shoutout"))
        .arg("serve")
        .env("DATABASE_URL", &app.database_url)
        .env("SHOUTOUT_JWT_SECRET", crate::helpers::SECRET)
        .env("SHOUTOUT_BIND", "127.0.0.1:0")
        .env("SHOUTOUT_LOG_FORMAT", "json")
        .env("SHOUTOUT_SHUTDOWN_TIMEOUT_SECS", "20")
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let address = loop {
        let mut line = String::new();
        assert_ne!(
            stdout.read_line(&mut line).unwrap(),
            0,
            "server exited early"
        );
        if let Some(rest) = line.split("running at http://").nth(1) {
            break rest.trim().to_owned();
        }
    };
    let mut stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });

    let body = serde_json::json!({"recipient_ids": [bob], "value": "thriving_through_teamwork",
        "message": "Thanks for staying late"})
    .to_string();
    let (head, tail) = body.split_at(body.len() / 2);
    let (head, tail) = (head.to_owned(), tail.to_owned());
    let length = body.len();
    let address_for_client = address.clone();
    let token_for_client = token.clone();
    let (sent_half, half_sent) = std::sync::mpsc::channel();
    let client = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(&address_for_client).unwrap();
        // A connection still in the listen queue when the signal comes is not in flight: the
        // server never saw it. One answered request first makes sure a worker holds it (on a
        // busy machine, 300 ms after connecting was once not enough).
        write!(
            stream,
            "GET /healthz HTTP/1.1\r\nHost: {address_for_client}\r\n\r\n"
        )
        .unwrap();
        let healthy = read_one_answer(&mut stream);
        assert!(healthy.starts_with("HTTP/1.1 200"), "{healthy}");
        write!(
            stream,
            "POST /api/v1/shoutouts HTTP/1.1\r\nHost: {address_for_client}\r\n\
             Authorization: Bearer {token_for_client}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{head}",
            length
        )
        .unwrap();
        stream.flush().unwrap();
        sent_half.send(()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1500));
        stream.write_all(tail.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    });
    let address_for_wall = address.clone();
    let token_for_wall = token.clone();
    let wall = std::thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(&address_for_wall).unwrap();
        write!(
            stream,
            "GET /api/v1/stream HTTP/1.1\r\nHost: {address_for_wall}\r\n\
             Authorization: Bearer {token_for_wall}\r\n\r\n"
        )
        .unwrap();
        let mut seen = Vec::new();
        let _ = stream.read_to_end(&mut seen);
        String::from_utf8_lossy(&seen).into_owned()
    });
    half_sent.recv().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let stopped_at = std::time::Instant::now();
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };

    let answer = client.join().unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    // The open stream was ended, not waited for until the 20-second shutdown timeout.
    assert!(
        stopped_at.elapsed() < std::time::Duration::from_secs(15),
        "shutdown took {:?}",
        stopped_at.elapsed()
    );
    let streamed = wall.join().unwrap();
    assert!(
        streamed.starts_with("HTTP/1.1 200") && streamed.contains("retry:"),
        "{streamed}"
    );
    assert_eq!(app.count("shoutouts").await, 1);

    let logs = logs.join().unwrap();
    assert!(!logs.contains(&token), "a token leaked into the logs");
    let secret_part = token.rsplit('.').next().unwrap();
    assert!(
        !logs.contains(secret_part),
        "a token signature leaked into the logs"
    );
    let mut request_lines = 0;
    for line in logs.lines() {
        let entry: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("log line is not JSON ({e}): {line}"));
        let route = &entry["fields"]["route"];
        // The stream's line and the health check that made sure the connection was held.
        if entry["fields"]["message"] == "request"
            && route != "/api/v1/stream"
            && route != "/healthz"
        {
            request_lines += 1;
            assert_eq!(entry["fields"]["status"], 201, "{line}");
            assert!(entry["fields"]["latency_ms"].is_number(), "{line}");
            assert_eq!(entry["fields"]["route"], "/api/v1/shoutouts", "{line}");
        }
    }
    assert_eq!(request_lines, 1, "one line per request:\n{logs}");
}

/// A statement that waits longer than `SHOUTOUT_STATEMENT_TIMEOUT_MS` (here for a row lock held
/// elsewhere) is cancelled: the request answers a 503 problem instead of hanging, the row is
/// untouched, and the same request succeeds once the lock is gone.
#[tokio::test]
async fn a_statement_past_its_timeout_is_a_503_and_changes_nothing() {
    let app = TestApp::spawn_with(|c| c.statement_timeout_ms = 300).await;
    let (bob, _) = app.employee("bob", None).await;
    let (_, alice) = app.employee("alice", None).await;
    let given = app
        .shoutout(&alice, &[bob], "helping_others", "Thanks for the cover")
        .await;
    let id: uuid::Uuid = given["id"].as_str().unwrap().parse().unwrap();
    let mut holder = crate::helpers::connect(&app.database_url).await;
    let lock = holder.transaction().await.unwrap();
    lock.execute("SELECT 1 FROM shoutouts WHERE id = $1 FOR UPDATE", &[&id])
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let response = app.delete(&format!("/api/v1/shoutouts/{id}"), &alice).await;
    let problem = expect_problem(response, StatusCode::SERVICE_UNAVAILABLE, None).await;
    assert_eq!(problem["type"], "/problems/unavailable", "{problem}");
    // Generous: only trips if the timeout did not apply at all.
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    lock.rollback().await.unwrap();
    let status: String = app
        .db()
        .await
        .query_one("SELECT status::text FROM shoutouts WHERE id = $1", &[&id])
        .await
        .unwrap()
        .get(0);
    assert_eq!(status, "published");
    let response = app.delete(&format!("/api/v1/shoutouts/{id}"), &alice).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
}

/// The service on its embedded database, stopped with SIGTERM: it stops its cluster and exits
/// cleanly, and a stop is not a warning: no WARN or ERROR line is logged from start to exit.
#[tokio::test]
async fn a_clean_stop_on_the_embedded_database_logs_no_warning() {
    use std::io::{BufRead, BufReader, Read};
    use std::process::{Command, Stdio};
    let data = crate::helpers::scratch_dir(&format!("embedded-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&data).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_shoutout"))
        .args(["serve", "--demo"])
        .env_remove("DATABASE_URL")
        .env("SHOUTOUT_DATA_DIR", &data)
        .env("SHOUTOUT_BIND", "127.0.0.1:0")
        .env("SHOUTOUT_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let logs = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let base = loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            let status = child.wait();
            panic!(
                "exited early: {status:?}; it logged:\n{}",
                logs.join().unwrap()
            );
        }
        if let Some(rest) = line.split("running at ").nth(1) {
            break rest.trim().to_owned();
        }
    };
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    // A live stream open at the stop, as a wall display would have.
    let client = reqwest::Client::new();
    let token = String::from_utf8(
        Command::new(env!("CARGO_BIN_EXE_shoutout"))
            .args(["token", "--sub", "alice"])
            .env("SHOUTOUT_DATA_DIR", &data)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let stream = client
        .get(format!("{base}/api/v1/stream"))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    expect_status(
        client.get(format!("{base}/readyz")).send().await.unwrap(),
        StatusCode::OK,
    )
    .await;
    // SAFETY: signalling a child process we started and have not waited for.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    let logs = logs.join().unwrap();
    assert!(status.success(), "{status:?}\n{logs}");
    let loud: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("\"level\":\"WARN\"") || l.contains("\"level\":\"ERROR\""))
        .collect();
    assert!(loud.is_empty(), "{loud:#?}");
    assert!(logs.contains("stopping"), "{logs}");
    let _ = std::fs::remove_dir_all(&data);
}

/// Migrations are append-only: once committed, a migration's files never change (an installed
/// database would never see the edit). `tests/migrations.sha256` holds each file's digest; a new
/// migration adds its lines (`cd migrations && sha256sum */up.sql */down.sql | sort -k2`), an
/// edited one fails here.
#[test]
fn committed_migrations_never_change() {
    use sha2::{Digest, Sha256};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let listed: std::collections::BTreeMap<String, String> =
        std::fs::read_to_string(root.join("tests/migrations.sha256"))
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let (digest, file) = l.split_once("  ").expect("`digest  file` lines");
                (file.to_owned(), digest.to_owned())
            })
            .collect();
    let mut found = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(root.join("migrations")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for file in ["up.sql", "down.sql"] {
            let path = dir.join(file);
            let name = format!("{}/{file}", dir.file_name().unwrap().to_string_lossy());
            let digest = hex::encode(Sha256::digest(std::fs::read(&path).unwrap()));
            found.insert(name, digest);
        }
    }
    for (file, digest) in &listed {
        match found.get(file) {
            Some(now) => assert_eq!(
                now, digest,
                "{file} changed after it was committed: put the change in a new migration"
            ),
            None => panic!("{file} was removed: committed migrations stay"),
        }
    }
    for file in found.keys() {
        assert!(
            listed.contains_key(file),
            "{file} is new: add its digest to tests/migrations.sha256"
        );
    }
}

/// A pool built as the service builds its own, on the test's database.
fn service_pool(
    app: &TestApp,
    max_size: usize,
    statement_timeout: std::time::Duration,
) -> shoutout::db::DbPool {
    shoutout::db::build_pool(
        &app.database_url,
        &shoutout::db::PoolSettings {
            max_size,
            wait: std::time::Duration::from_secs(5),
            statement_timeout,
            verify: false,
            generic_plans: false,
        },
    )
    .unwrap()
}

/// The service's connections run without JIT (whatever the server's default), and with its
/// statement timeout: the session settings every pooled connection starts with.
#[tokio::test]
async fn pooled_connections_run_without_jit() {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Settings {
        #[diesel(sql_type = diesel::sql_types::Text)]
        jit: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        timeout: String,
    }
    let app = TestApp::spawn().await;
    // A database whose default is JIT on (PostgreSQL's own default, where it has LLVM).
    let db = app.db().await;
    let name: String = db
        .query_one("SELECT current_database()", &[])
        .await
        .unwrap()
        .get(0);
    db.batch_execute(&format!("ALTER DATABASE \"{name}\" SET jit = on"))
        .await
        .unwrap();
    let pool = service_pool(&app, 1, std::time::Duration::from_millis(1234));
    let mut conn = pool.get().await.unwrap();
    let settings: Settings = diesel::sql_query(
        "SELECT current_setting('jit') AS jit, current_setting('statement_timeout') AS timeout",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    assert_eq!(settings.jit, "off");
    assert_eq!(settings.timeout, "1234ms");
}

/// The boards read through pools of their own, whose connections plan a prepared statement
/// once and run every call on that generic plan; every other read keeps PostgreSQL's choice
/// (a plan per call for at least the first five). Checked on PostgreSQL's own count of each
/// prepared statement's plans.
#[tokio::test]
async fn the_boards_pools_plan_each_statement_once() {
    use diesel::sql_types::{BigInt, Integer};
    use diesel_async::RunQueryDsl;
    use shoutout::db::prepared::Prepared;
    #[derive(diesel::QueryableByName)]
    struct Plans {
        #[diesel(sql_type = BigInt)]
        generic_plans: i64,
        #[diesel(sql_type = BigInt)]
        custom_plans: i64,
    }
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = Integer)]
        n: i32,
    }
    let app = TestApp::spawn().await;
    let pool = |generic_plans| {
        shoutout::db::build_pool(
            &app.database_url,
            &shoutout::db::PoolSettings {
                max_size: 1,
                wait: std::time::Duration::from_secs(5),
                statement_timeout: std::time::Duration::from_secs(5),
                verify: false,
                generic_plans,
            },
        )
        .unwrap()
    };
    let reads = shoutout::db::replicas::ReadPools::new(
        shoutout::db::replicas::Pools {
            general: pool(false),
            boards: pool(true),
        },
        Vec::new(),
        std::time::Duration::from_secs(1),
    );
    let statement =
        "SELECT count(*)::int4 + $1 AS n FROM employees WHERE team_id IS DISTINCT FROM NULL";
    for (mut conn, expected) in [
        (reads.get_for_boards(None).await.unwrap(), (3, 0)),
        (reads.get(None).await.unwrap(), (0, 3)),
    ] {
        for i in 0..3 {
            let row: N = Prepared(diesel::sql_query(statement).bind::<Integer, _>(i))
                .get_result(&mut conn)
                .await
                .unwrap();
            assert_eq!(row.n, i, "the statement's answer does not hang on its plan");
        }
        let plans: Plans = diesel::sql_query(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements \
             WHERE statement LIKE 'SELECT count(*)::int4 + $1%'",
        )
        .get_result(&mut conn)
        .await
        .unwrap();
        assert_eq!((plans.generic_plans, plans.custom_plans), expected);
    }
}

/// A pooled connection outlives the runtime that opened it. Each actix worker runs its own
/// runtime and all of them share the pool; at a graceful stop the workers end one by one, and a
/// connection that died with the first (its socket was driven there) failed a request still
/// running on another with "connection closed".
#[tokio::test]
async fn a_pooled_connection_outlives_the_runtime_that_opened_it() {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct One {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        one: i32,
    }
    let app = TestApp::spawn().await;
    let pool = service_pool(&app, 1, std::time::Duration::from_secs(5));
    // The pool's one connection, opened and used on a worker's runtime; another worker takes
    // it, and the first worker's runtime ends while the connection is out.
    let (opened, taken) = (std::sync::mpsc::channel(), std::sync::mpsc::channel());
    let worker_pool = pool.clone();
    let worker = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut conn = worker_pool.get().await.unwrap();
            diesel::sql_query("SELECT 1 AS one")
                .get_result::<One>(&mut conn)
                .await
                .unwrap();
        });
        opened.0.send(()).unwrap();
        taken.1.recv().unwrap();
        drop(runtime);
    });
    opened.1.recv().unwrap();
    let mut conn = pool.get().await.unwrap();
    taken.0.send(()).unwrap();
    worker.join().unwrap();
    let answer = diesel::sql_query("SELECT 1 AS one")
        .get_result::<One>(&mut conn)
        .await
        .expect("the connection still answers after its opener's runtime ended");
    assert_eq!(answer.one, 1);
}

/// The pool hands out the connection returned last: each connection keeps its own prepared
/// statements, and PostgreSQL plans a statement afresh for its first five runs on a
/// connection, so a steady load must keep meeting the same few warm connections rather than
/// take every idle one in turn.
#[tokio::test]
async fn the_pool_hands_out_the_connection_used_last() {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Backend {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    async fn pid(conn: &mut diesel_async::AsyncPgConnection) -> i32 {
        diesel::sql_query("SELECT pg_backend_pid() AS pid")
            .get_result::<Backend>(conn)
            .await
            .unwrap()
            .pid
    }
    let app = TestApp::spawn().await;
    let pool = service_pool(&app, 3, std::time::Duration::from_secs(5));
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut conn = pool.get().await.unwrap();
        let pid = pid(&mut conn).await;
        held.push((pid, conn));
    }
    let order: Vec<i32> = held.iter().map(|(pid, _)| *pid).collect();
    // Returned first to last; the last one back is the next one out, again and again.
    for (_, conn) in held {
        drop(conn);
    }
    for _ in 0..3 {
        let mut conn = pool.get().await.unwrap();
        assert_eq!(
            pid(&mut conn).await,
            order[2],
            "returned in order {order:?}"
        );
    }
}
