//! Faults under load, with nothing lost and nothing doubled: PostgreSQL restarted while
//! shout-outs are being written, and the service killed with SIGKILL and started again while
//! clients retry with their `Idempotency-Key`. Each test prints what it sent, the faults it
//! injected, the rows it expected and the rows it found (`--nocapture` shows them;
//! `bench/results/*-faults.md` keeps a run's numbers).

use std::collections::{BTreeMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use shoutout::db::embedded::EmbeddedPostgres;
use uuid::Uuid;

use crate::helpers::{SECRET, TestApp, connect};

const CLIENTS: usize = 4;

fn body(recipient: Uuid, key: &str) -> Value {
    json!({"recipient_ids": [recipient], "value": "helping_others",
           "message": format!("Thanks for the help ({key})")})
}

/// One POST with its key; the status, or `None` when no answer came (connection refused/reset).
async fn post(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> Option<StatusCode> {
    client
        .post(format!("{base}/api/v1/shoutouts"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(body)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()
        .map(|r| r.status())
}

/// The messages of every shout-out in the database, counted.
async fn rows_by_key(database_url: &str) -> BTreeMap<String, i64> {
    let db = connect(database_url).await;
    db.query(
        "SELECT substring(message FROM '\\((.*)\\)'), count(*) FROM shoutouts GROUP BY 1",
        &[],
    )
    .await
    .unwrap()
    .into_iter()
    .map(|row| (row.get::<_, String>(0), row.get::<_, i64>(1)))
    .collect()
}

/// The service binary on `database_url` (with `env` added), once it says where it listens; its
/// address. The caller kills or signals it and waits for it.
#[allow(clippy::zombie_processes)]
pub fn start_server(database_url: &str, env: &[(&str, &str)]) -> (Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_shoutout"))
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("SHOUTOUT_JWT_SECRET", SECRET)
        .env("SHOUTOUT_BIND", "127.0.0.1:0")
        .env("SHOUTOUT_DAILY_LIMIT", "10000")
        .env("SHOUTOUT_LOG_FORMAT", "json")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            panic!("server exited early: {:?}", child.wait());
        }
        if let Some(rest) = line.split("running at http://").nth(1) {
            // Keep reading what it prints: a closed pipe would end the server at its next line.
            std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
            return (child, format!("http://{}", rest.trim()));
        }
    }
}

#[tokio::test]
async fn postgres_restarted_under_write_load_keeps_every_201_and_answers_503_meanwhile() {
    // A cluster of its own (with the default durability: fsync on), so that restarting it
    // disturbs no other test.
    let pg = EmbeddedPostgres::new(&crate::helpers::scratch_dir("pg-fault")).unwrap();
    let runner = pg.clone();
    tokio::task::spawn_blocking(move || runner.ensure_running(&[]))
        .await
        .unwrap()
        .unwrap();
    let database = format!("fault_{}", Uuid::now_v7().simple());
    pg.ensure_database(&database).await.unwrap();
    let url = pg.url(&database);
    let app = TestApp::spawn_on(url.clone(), |c| {
        c.db_wait_ms = 500;
        c.daily_limit = 10_000;
    })
    .await;
    let (recipient, _) = app.employee("bob", None).await;
    let (_, giver) = app.employee("alice", None).await;

    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (client, base, giver, stop) = (
            app.client.clone(),
            app.base.clone(),
            giver.clone(),
            stop.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut answers: Vec<(String, Option<StatusCode>)> = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let key = format!("pg-{c}-{n}");
                let status = post(&client, &base, &giver, &key, &body(recipient, &key)).await;
                if status == Some(StatusCode::SERVICE_UNAVAILABLE) {
                    // As a client would: back off a little before the next one.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                answers.push((key, status));
                n += 1;
            }
            answers
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // The fault: PostgreSQL stopped as by a crash (every connection cut, no checkpoint, so what
    // was committed must come back from the WAL), then started again.
    let runner = pg.clone();
    tokio::task::spawn_blocking(move || {
        runner.crash().unwrap();
        std::thread::sleep(Duration::from_millis(1000));
        runner.ensure_running(&[]).unwrap();
    })
    .await
    .unwrap();
    // Recovery is the service's own doing; how soon depends on how busy the machine is, so
    // the load goes on until a request after the restart succeeds (or a generous deadline).
    let mut probes: Vec<(String, Option<StatusCode>)> = Vec::new();
    let recovered = async {
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let key = format!("probe-{}", probes.len());
            let body = body(recipient, &key);
            let status = post(&app.client, &app.base, &giver, &key, &body).await;
            probes.push((key, status));
            if status == Some(StatusCode::CREATED) {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(60), recovered).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut answers = probes;
    for client in clients {
        answers.extend(client.await.unwrap());
    }

    let created: Vec<&String> = answers
        .iter()
        .filter(|(_, s)| *s == Some(StatusCode::CREATED))
        .map(|(k, _)| k)
        .collect();
    let unavailable: Vec<&String> = answers
        .iter()
        .filter(|(_, s)| *s == Some(StatusCode::SERVICE_UNAVAILABLE))
        .map(|(k, _)| k)
        .collect();
    let other: Vec<_> = answers
        .iter()
        .filter(|(_, s)| {
            !matches!(
                *s,
                Some(StatusCode::CREATED | StatusCode::SERVICE_UNAVAILABLE)
            )
        })
        .collect();
    assert!(
        other.is_empty(),
        "answers other than 201 and 503: {other:?}"
    );
    assert!(
        !unavailable.is_empty(),
        "the restart was not seen by any request"
    );
    let (last_key, last_status) = answers
        .iter()
        .rfind(|(k, _)| k.starts_with("pg-0-"))
        .unwrap();
    assert_eq!(
        *last_status,
        Some(StatusCode::CREATED),
        "the service did not recover by itself ({last_key})"
    );

    // Every 201 is a row, once.
    let rows = rows_by_key(&url).await;
    for key in &created {
        assert_eq!(rows.get(*key), Some(&1), "201 for {key} but no single row");
    }
    // A 503 may hide a commit whose answer was lost with the connection: a retry with the same
    // key settles it either way, and never makes a second row.
    let app_client = reqwest::Client::new();
    for key in &unavailable {
        let status = post(&app_client, &app.base, &giver, key, &body(recipient, key)).await;
        assert!(
            matches!(status, Some(StatusCode::CREATED | StatusCode::OK)),
            "retry of {key}: {status:?}"
        );
    }
    let rows = rows_by_key(&url).await;
    let keys: HashSet<&String> = answers.iter().map(|(k, _)| k).collect();
    assert_eq!(rows.len(), keys.len(), "one row per key");
    assert!(rows.values().all(|n| *n == 1), "a key made two rows");
    println!(
        "postgres crash and restart: {} requests sent, 1 crash, {} answered 201, {} answered 503 (all \
         retried), {} rows expected, {} rows found, 0 duplicates",
        answers.len(),
        created.len(),
        unavailable.len(),
        keys.len(),
        rows.values().sum::<i64>()
    );
    drop(app);
    // The cluster is this test's alone: stop it, so nothing outlives the run.
    tokio::task::spawn_blocking(move || pg.stop())
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn the_service_killed_mid_load_and_restarted_loses_and_doubles_nothing() {
    let app = TestApp::spawn().await;
    let (recipient, _) = app.employee("bob", None).await;
    let (_, giver) = app.employee("alice", None).await;

    let (mut server, base) = start_server(&app.database_url, &[]);
    let base = Arc::new(RwLock::new(base));
    const PER_CLIENT: usize = 100;
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (giver, base) = (giver.clone(), base.clone());
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let (mut sent, mut unanswered) = (0, 0);
            for n in 0..PER_CLIENT {
                let key = format!("kill-{c}-{n}");
                // A client that gets no answer retries the same key until it does.
                loop {
                    let url = base.read().unwrap().clone();
                    sent += 1;
                    match post(&client, &url, &giver, &key, &body(recipient, &key)).await {
                        Some(StatusCode::CREATED | StatusCode::OK) => break,
                        Some(status) if status != StatusCode::SERVICE_UNAVAILABLE => {
                            panic!("{key}: {status}")
                        }
                        _ => {
                            unanswered += 1;
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                }
            }
            (sent, unanswered)
        }));
    }
    // Let the load run until some rows are in, then kill the server where it stands and
    // start another.
    let db = connect(&app.database_url).await;
    for _ in 0..3000 {
        let count: i64 = db
            .query_one("SELECT count(*) FROM shoutouts", &[])
            .await
            .unwrap()
            .get(0);
        if count >= 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let (mut restarted, new_base) = start_server(&app.database_url, &[]);
    *base.write().unwrap() = new_base;
    let (mut sent, mut unanswered) = (0, 0);
    // Generous: only trips if the clients never get through (a hang, not a speed check).
    tokio::time::timeout(Duration::from_secs(120), async {
        for client in clients {
            let (s, u) = client.await.unwrap();
            sent += s;
            unanswered += u;
        }
    })
    .await
    .expect("the clients did not finish");
    restarted.kill().unwrap();
    restarted.wait().unwrap();

    assert!(unanswered > 0, "the kill interrupted no request");
    let rows = rows_by_key(&app.database_url).await;
    let expected = CLIENTS * PER_CLIENT;
    assert_eq!(rows.len(), expected, "a shout-out was lost");
    assert!(rows.values().all(|n| *n == 1), "a retry made a second row");
    println!(
        "SIGKILL: {sent} requests sent ({unanswered} unanswered and retried), 1 kill, \
         {expected} rows expected, {} rows found, 0 duplicates",
        rows.values().sum::<i64>()
    );
}

#[tokio::test]
async fn sigterm_under_load_finishes_what_is_in_flight_and_exits_in_time() {
    let app = TestApp::spawn().await;
    let (recipient, _) = app.employee("bob", None).await;
    let (_, giver) = app.employee("alice", None).await;
    let (mut server, base) = start_server(
        &app.database_url,
        &[("SHOUTOUT_SHUTDOWN_TIMEOUT_SECS", "10")],
    );
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (giver, base, stop) = (giver.clone(), base.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut answers = Vec::new();
            for n in 0.. {
                let key = format!("term-{c}-{n}");
                let status = post(&client, &base, &giver, &key, &body(recipient, &key)).await;
                let refused = status.is_none();
                answers.push((key, status));
                if refused || stop.load(Ordering::Relaxed) {
                    break;
                }
            }
            answers
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pid = server.id() as libc::pid_t;
    // SAFETY: signalling a child process this test started and has not yet waited for.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let signalled = std::time::Instant::now();
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(15),
            "still running past its 10 s shutdown timeout"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let exited_after = signalled.elapsed();
    assert!(status.success(), "exit status {status}");
    stop.store(true, Ordering::Relaxed);
    let mut answers = Vec::new();
    for client in clients {
        answers.extend(client.await.unwrap());
    }
    // Every request either was answered (201, and has its row) or never got in (refused, and
    // has none): nothing was cut off half-way.
    let created: HashSet<&String> = answers
        .iter()
        .filter(|(_, s)| *s == Some(StatusCode::CREATED))
        .map(|(k, _)| k)
        .collect();
    let odd: Vec<_> = answers
        .iter()
        .filter(|(_, s)| !matches!(*s, None | Some(StatusCode::CREATED)))
        .collect();
    assert!(
        odd.is_empty(),
        "answers other than 201 or a refused connection: {odd:?}"
    );
    let rows = rows_by_key(&app.database_url).await;
    let stored: HashSet<&String> = rows.keys().collect();
    assert_eq!(stored, created, "rows and 201s differ");
    println!(
        "SIGTERM: {} requests sent, 1 SIGTERM, exited cleanly after {exited_after:?} (timeout \
         10 s), {} answered 201, {} refused after the listener closed, {} rows expected, {} rows \
         found",
        answers.len(),
        created.len(),
        answers.len() - created.len(),
        created.len(),
        rows.len()
    );
}
