//! A real HTTP receiver for webhook deliveries, started by a test on a free loopback port: it
//! records every request (headers and body as received) and answers with the status the test
//! sets (per path), after an optional delay. Signatures are checked afterwards by the Standard
//! Webhooks reference verifier (`verify_standard`), not by code of ours.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }
}

#[derive(Default)]
struct State {
    got: Mutex<Vec<Received>>,
    status: Mutex<HashMap<String, u16>>,
    delay_ms: Mutex<HashMap<String, u64>>,
}

pub struct Receiver {
    base: String,
    state: Arc<State>,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        tokio::spawn(async move { handle.stop(false).await });
    }
}

async fn record(req: HttpRequest, body: web::Bytes, state: web::Data<State>) -> HttpResponse {
    let path = req.path().to_owned();
    let delay = state
        .delay_ms
        .lock()
        .unwrap()
        .get(&path)
        .copied()
        .unwrap_or(0);
    let status = state
        .status
        .lock()
        .unwrap()
        .get(&path)
        .copied()
        .unwrap_or(200);
    state.got.lock().unwrap().push(Received {
        path: path.clone(),
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).body("ok")
}

impl Receiver {
    pub async fn start() -> Self {
        let state = Arc::new(State::default());
        let data = web::Data::from(state.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(record))
        })
        .workers(2)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            base: format!("http://127.0.0.1:{port}"),
            state,
            handle,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// What requests to `path` are answered with from now on.
    pub fn answer(&self, path: &str, status: u16) {
        self.state
            .status
            .lock()
            .unwrap()
            .insert(path.into(), status);
    }

    /// How long requests to `path` wait before their answer.
    pub fn delay(&self, path: &str, ms: u64) {
        self.state.delay_ms.lock().unwrap().insert(path.into(), ms);
    }

    pub fn received(&self, path: &str) -> Vec<Received> {
        let got = self.state.got.lock().unwrap();
        got.iter().filter(|r| r.path == path).cloned().collect()
    }

    /// Waits (up to `secs`) until the requests to `path` satisfy `done`; returns them.
    pub async fn wait_for(
        &self,
        path: &str,
        secs: u64,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.received(path);
            if done(&got) {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "gave up waiting on {path}; received: {:?}",
                got.iter().map(|r| r.body.clone()).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Runs both Standard Webhooks reference verifiers (the `standardwebhooks` packages from PyPI
/// and npm) on each message with `secret`: the payload they accepted, or a refusal as `Err`.
/// The two must agree.
pub fn verify_standard(secret: &str, messages: &[Received]) -> Vec<Result<Value, String>> {
    let python = std::env::var("SHOUTOUT_TEST_PYTHON").unwrap_or_else(|_| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/py/bin/python")
            .display()
            .to_string()
    });
    let e2e = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
    let by_python = run_verifier(
        &python,
        &e2e.join("verify_standard_webhooks.py"),
        secret,
        messages,
    );
    let by_node = run_verifier(
        "node",
        &e2e.join("verify_standard_webhooks.mjs"),
        secret,
        messages,
    );
    for (i, (p, n)) in by_python.iter().zip(&by_node).enumerate() {
        assert_eq!(
            p.is_ok(),
            n.is_ok(),
            "message {i}: the Python verifier says {p:?}, the JavaScript one {n:?}"
        );
        if let (Ok(p), Ok(n)) = (p, n) {
            assert_eq!(p, n, "message {i}: the verifiers read different payloads");
        }
    }
    by_python
}

fn run_verifier(
    program: &str,
    script: &std::path::Path,
    secret: &str,
    messages: &[Received],
) -> Vec<Result<Value, String>> {
    use std::io::Write;
    let python = program;
    let mut child = std::process::Command::new(program)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {python} (scripts/test installs it): {e}"));
    let input = json!({
        "secret": secret,
        "messages": messages.iter().map(|m| json!({"headers": m.headers, "body": m.body})).collect::<Vec<_>>(),
    });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let results: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    results
        .into_iter()
        .map(|r| {
            if r["ok"] == true {
                Ok(r["payload"].clone())
            } else {
                Err(r["error"].as_str().unwrap_or_default().to_owned())
            }
        })
        .collect()
}
