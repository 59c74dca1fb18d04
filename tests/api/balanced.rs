//! Two instances of the service, each its own process, behind Debian's HAProxy (health checks
//! on `/readyz`): one is stopped with SIGTERM under load and no request is lost, and the live
//! wall works for clients of either instance.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::helpers::{SECRET, TestApp, expect_status, scratch_dir};
use crate::widgets::{Sse, mint};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `shoutout serve` in a process of its own on `database_url`, answering on `port`; its log
/// (warnings and worse, which name the cause of any 503) goes to the returned file.
async fn instance(database_url: &str, port: u16) -> (Child, PathBuf) {
    let data = scratch_dir(&format!("balanced-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&data).unwrap();
    let log_path = data.join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_shoutout"))
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("SHOUTOUT_JWT_SECRET", SECRET)
        .env("SHOUTOUT_BIND", format!("127.0.0.1:{port}"))
        .env("SHOUTOUT_DATA_DIR", &data)
        .env("SHOUTOUT_DAILY_LIMIT", "10000")
        .env("SHOUTOUT_SHUTDOWN_TIMEOUT_SECS", "10")
        .env("RUST_LOG", "warn")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("the service binary runs");
    ready(&format!("http://127.0.0.1:{port}/readyz")).await;
    (child, log_path)
}

/// The last lines of an instance's log, for a failure message.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

async fn ready(url: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if reqwest::get(url)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        assert!(Instant::now() < deadline, "{url} never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// HAProxy in front of the two instances with the deployment's own configuration
/// (`deploy/haproxy.cfg`): health checks on /readyz, a refused or dropped connection retried
/// on the other instance (POSTs too, which every writer here makes safe with an
/// Idempotency-Key).
async fn haproxy(front: u16, backends: [u16; 2]) -> Child {
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/haproxy.cfg");
    let binary = if std::path::Path::new("/usr/sbin/haproxy").exists() {
        "/usr/sbin/haproxy"
    } else {
        "haproxy"
    };
    let child = Command::new(binary)
        .args(["-db", "-f", config])
        .env("SHOUTOUT_FRONT", format!("127.0.0.1:{front}"))
        .env("SHOUTOUT_APP1", format!("127.0.0.1:{}", backends[0]))
        .env("SHOUTOUT_APP2", format!("127.0.0.1:{}", backends[1]))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("HAProxy runs (scripts/test installs Debian's haproxy)");
    ready(&format!("http://127.0.0.1:{front}/readyz")).await;
    child
}

#[tokio::test]
async fn an_instance_stopped_under_load_loses_no_request_and_walls_work_on_either() {
    // The database, its schema and a company, through an in-process app no traffic goes to.
    let app = TestApp::spawn().await;
    let (ann, _) = app.employee("ann", None).await;
    let (_, giver) = app.employee("gil", None).await;
    let (_, key) = mint(&app, &["boards", "feeds"], &[]).await;
    let (port_a, port_b, front) = (free_port(), free_port(), free_port());
    let (mut a, log_a) = instance(&app.database_url, port_a).await;
    let (_b, log_b) = instance(&app.database_url, port_b).await;
    let _proxy = haproxy(front, [port_a, port_b]).await;
    let proxy = format!("http://127.0.0.1:{front}");
    let client = reqwest::Client::new();

    // Walls on either instance see a shout-out given through the proxy.
    let mut walls = Vec::new();
    for port in [port_a, port_b] {
        let base = format!("http://127.0.0.1:{port}");
        walls.push(Sse::open_at(&client, &base, ("X-Widget-Key", &key), None).await);
    }
    let given = client
        .post(format!("{proxy}/api/v1/shoutouts"))
        .bearer_auth(&giver)
        .header("Idempotency-Key", Uuid::now_v7().to_string())
        .json(&json!({"recipient_ids": [ann], "value": "helping_others", "message": "Seen on every wall"}))
        .send()
        .await
        .unwrap();
    expect_status(given, StatusCode::CREATED).await;
    for wall in &mut walls {
        let mut seen = false;
        while let Some(event) = wall.next(Duration::from_secs(10)).await {
            if event.data.to_string().contains("Seen on every wall") {
                seen = true;
                break;
            }
        }
        assert!(seen, "a wall missed the shout-out");
    }
    drop(walls);

    // Load through the proxy: readers and writers, while instance A is stopped.
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for worker in 0..8 {
        let (client, proxy, giver, stop) =
            (client.clone(), proxy.clone(), giver.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut answers: Vec<(String, Result<StatusCode, String>)> = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let request = if (worker + n) % 3 == 0 {
                    client
                        .post(format!("{proxy}/api/v1/shoutouts"))
                        .bearer_auth(&giver)
                        .header("Idempotency-Key", Uuid::now_v7().to_string())
                        .json(&json!({"recipient_ids": [ann], "value": "achieving_goals", "message": format!("load {worker}-{n}")}))
                } else {
                    client
                        .get(format!("{proxy}/api/v1/leaderboards/recipients?period=all_time"))
                        .bearer_auth(&giver)
                };
                let what = if (worker + n) % 3 == 0 { "POST" } else { "GET" };
                let answer = match request.timeout(Duration::from_secs(15)).send().await {
                    Ok(r) if r.status().is_success() => Ok(r.status()),
                    // Who refused matters: HAProxy's own 503 is HTML, the service's is
                    // problem+json naming the reason.
                    Ok(r) => {
                        let status = r.status();
                        let body = r.text().await.unwrap_or_default();
                        Err(format!("{status}: {}", body.chars().take(200).collect::<String>()))
                    }
                    Err(e) => Err(e.to_string()),
                };
                answers.push((what.to_owned(), answer));
            }
            answers
        }));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    // SAFETY: kill sends a signal to our own child process.
    let pid = a.id().expect("instance A runs") as i32;
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let exited = tokio::time::timeout(Duration::from_secs(20), a.wait()).await;
    assert!(
        exited.is_ok_and(|s| s.is_ok_and(|s| s.success())),
        "A stops cleanly on SIGTERM"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let mut answers = Vec::new();
    for worker in workers {
        answers.extend(worker.await.unwrap());
    }
    let failed: Vec<_> = answers.iter().filter(|(_, a)| a.is_err()).collect();
    let written = answers
        .iter()
        .filter(|(w, a)| w == "POST" && matches!(a, Ok(StatusCode::CREATED)))
        .count() as i64;
    assert!(answers.len() > 100, "{} requests", answers.len());
    assert!(
        failed.is_empty(),
        "{} of {} failed: {:?}\nA's log:\n{}\nB's log:\n{}",
        failed.len(),
        answers.len(),
        &failed[..failed.len().min(5)],
        log_tail(&log_a),
        log_tail(&log_b)
    );
    // Every 201 is one stored shout-out, and nothing else was stored (no retry wrote twice).
    assert_eq!(app.count("shoutouts").await, written + 1);
}
