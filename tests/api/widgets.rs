//! Intranet widgets from the outside: widget keys, CORS, conditional GETs, the live stream
//! (across two instances on one database), the script and the demo page.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use shoutout::auth::Role;
use uuid::Uuid;

use crate::helpers::{TestApp, expect_problem, expect_status, id_of};

const INTRANET: &str = "https://intranet.example.com";

/// Mints a widget key as an admin; returns (id, secret).
pub(crate) async fn mint(app: &TestApp, scopes: &[&str], origins: &[&str]) -> (Uuid, String) {
    let response = app
        .post(
            "/api/v1/widget-keys",
            &app.admin_token(),
            &json!({"name": "Lobby TV", "scopes": scopes, "origins": origins}),
        )
        .await;
    let body = expect_status(response, StatusCode::CREATED).await;
    let key = body["key"].as_str().unwrap().to_owned();
    (id_of(body), key)
}

async fn with_key(app: &TestApp, path: &str, key: &str, origin: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .get(format!("{}{path}", app.base))
        .header("X-Widget-Key", key);
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    request.send().await.unwrap()
}

const BOARD: &str = "/api/v1/leaderboards/recipients?period=week";
const FEED: &str = "/api/v1/shoutouts?limit=5";

#[tokio::test]
async fn an_admin_mints_lists_and_revokes_widget_keys() {
    let app = TestApp::spawn().await;
    let response = app
        .post(
            "/api/v1/widget-keys",
            &app.admin_token(),
            &json!({"name": "Lobby TV", "scopes": ["boards"]}),
        )
        .await;
    assert!(
        response.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/api/v1/widget-keys/")
    );
    let minted = expect_status(response, StatusCode::CREATED).await;
    let key = minted["key"].as_str().unwrap().to_owned();
    let id = id_of(minted.clone());
    assert!(key.starts_with("swk_") && key.len() > 40, "{key}");
    assert_eq!(minted["scopes"], json!(["boards"]));
    assert!(key.starts_with(minted["prefix"].as_str().unwrap()));

    // Listed without the secret; the table keeps only its hash.
    let list = expect_status(
        app.get("/api/v1/widget-keys", &app.admin_token()).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["items"][0].get("key").is_none());
    assert!(!list.to_string().contains(&key));
    let db = app.db().await;
    let hashed: i64 = db
        .query_one(
            "SELECT count(*) FROM widget_keys WHERE key_hash = sha256(convert_to($1, 'UTF8'))",
            &[&key],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(hashed, 1, "the table keeps the secret's hash");
    let plain: i64 = db
        .query_one(
            "SELECT count(*) FROM widget_keys w WHERE row_to_json(w)::text LIKE '%' || $1 || '%'",
            &[&key],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(plain, 0, "and never the secret itself");

    // It reads boards, and nothing else.
    expect_status(with_key(&app, BOARD, &key, None).await, StatusCode::OK).await;
    expect_problem(
        with_key(&app, FEED, &key, None).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    expect_problem(
        with_key(&app, "/api/v1/employees", &key, None).await,
        StatusCode::UNAUTHORIZED,
        None,
    )
    .await;
    expect_problem(
        with_key(
            &app,
            BOARD,
            "swk_not-a-real-key-not-a-real-key-not-a-real-k",
            None,
        )
        .await,
        StatusCode::UNAUTHORIZED,
        None,
    )
    .await;

    // Revoked: refused at once; revoking again keeps the first revocation.
    let revoked = expect_status(
        app.delete(&format!("/api/v1/widget-keys/{id}"), &app.admin_token())
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(revoked["revoked_by"], "root-admin");
    let problem = expect_problem(
        with_key(&app, BOARD, &key, None).await,
        StatusCode::UNAUTHORIZED,
        None,
    )
    .await;
    assert!(problem["detail"].as_str().unwrap().contains("revoked"));
    let other_admin = app.token("other-admin", &[shoutout::auth::Role::Admin]);
    let again = expect_status(
        app.delete(&format!("/api/v1/widget-keys/{id}"), &other_admin)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(again["revoked_at"], revoked["revoked_at"]);
    assert_eq!(again["revoked_by"], "root-admin");
    expect_problem(
        app.delete(
            &format!("/api/v1/widget-keys/{}", Uuid::now_v7()),
            &app.admin_token(),
        )
        .await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;
}

#[tokio::test]
async fn only_admins_mint_keys_and_bad_requests_name_the_field() {
    let app = TestApp::spawn().await;
    let (_, staff) = app.employee("ann", None).await;
    let manager = app.token("ann", &[shoutout::auth::Role::Manager]);
    for token in [&staff, &manager] {
        expect_problem(
            app.post(
                "/api/v1/widget-keys",
                token,
                &json!({"name": "x", "scopes": ["boards"]}),
            )
            .await,
            StatusCode::FORBIDDEN,
            None,
        )
        .await;
        expect_problem(
            app.get("/api/v1/widget-keys", token).await,
            StatusCode::FORBIDDEN,
            None,
        )
        .await;
    }
    let cases = [
        (json!({"name": "x", "scopes": []}), "scopes"),
        (json!({"name": "x", "scopes": ["admin"]}), "scopes[0]"),
        (json!({"name": "", "scopes": ["boards"]}), "name"),
        (json!({"name": "   ", "scopes": ["boards"]}), "name"),
        (
            json!({"name": "x".repeat(101), "scopes": ["boards"]}),
            "name",
        ),
        (
            json!({"name": "x", "scopes": ["boards"], "origins": ["intranet.example.com"]}),
            "origins[0]",
        ),
        (
            json!({"name": "x", "scopes": ["boards"], "origins": [INTRANET, "*"]}),
            "origins[1]",
        ),
        (json!({"scopes": ["boards"]}), "name"),
    ];
    for (body, field) in cases {
        let response = app
            .post("/api/v1/widget-keys", &app.admin_token(), &body)
            .await;
        expect_problem(response, StatusCode::UNPROCESSABLE_ENTITY, Some(field)).await;
    }
    assert_eq!(app.count("widget_keys").await, 0);
}

#[tokio::test]
async fn a_key_with_origins_works_only_on_pages_from_them() {
    let app = TestApp::spawn().await;
    let (_, key) = mint(
        &app,
        &["boards", "feeds"],
        &["HTTPS://Intranet.Example.com/"],
    )
    .await;
    expect_status(
        with_key(&app, BOARD, &key, Some(INTRANET)).await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        with_key(&app, FEED, &key, Some(INTRANET)).await,
        StatusCode::OK,
    )
    .await;
    for origin in [None, Some("https://elsewhere.example.org")] {
        expect_problem(
            with_key(&app, BOARD, &key, origin).await,
            StatusCode::FORBIDDEN,
            None,
        )
        .await;
    }
}

#[tokio::test]
async fn cors_answers_listed_origins_only_and_never_with_credentials() {
    let app = TestApp::spawn_with(|config| config.cors_origins = vec![INTRANET.into()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, format!("{}{BOARD}", app.base))
            .header(header::ORIGIN, origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "x-widget-key")
            .send()
    };
    let allowed = preflight(INTRANET).await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(allowed.headers()["access-control-allow-origin"], INTRANET);
    assert!(
        allowed
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    let allowed_headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed_headers.contains("x-widget-key"),
        "{allowed_headers}"
    );

    let other = preflight("https://evil.example.org").await.unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let (_, key) = mint(&app, &["boards"], &[]).await;
    let response = with_key(&app, BOARD, &key, Some(INTRANET)).await;
    assert_eq!(response.headers()["access-control-allow-origin"], INTRANET);
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("etag"), "{exposed}");
    let response = with_key(&app, BOARD, &key, Some("https://evil.example.org")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn a_wildcard_cors_origin_is_refused_at_start() {
    use clap::Parser;
    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        config: shoutout::config::Config,
    }
    for bad in [
        "*",
        "intranet.example.com",
        "https://intranet.example.com/home",
    ] {
        assert!(
            Wrapper::try_parse_from(["shoutout", "--cors-origins", bad]).is_err(),
            "{bad} was accepted"
        );
    }
    let parsed = Wrapper::try_parse_from([
        "shoutout",
        "--cors-origins",
        "https://A.example.com,http://localhost:3000",
    ])
    .unwrap();
    assert_eq!(
        parsed.config.cors_origins,
        vec!["https://a.example.com", "http://localhost:3000"]
    );
}

/// Boards and the feed carry an ETag; asking again with it costs a 304 until something changes.
#[tokio::test]
async fn boards_and_the_feed_answer_304_until_they_change() {
    let app = TestApp::spawn().await;
    let (ann, _) = app.employee("ann", None).await;
    let (_, bea) = app.employee("bea", None).await;
    app.shoutout(&bea, &[ann], "helping_others", "Thanks for the cover")
        .await;
    for path in [BOARD, FEED] {
        let first = app.get(path, &bea).await;
        assert_eq!(first.status(), StatusCode::OK);
        let etag = first.headers()[header::ETAG].to_str().unwrap().to_owned();
        assert!(etag.starts_with("W/\""), "{etag}");
        let cache = first.headers()[header::CACHE_CONTROL].to_str().unwrap();
        assert!(
            cache.contains("private") && cache.contains("max-age"),
            "{cache}"
        );
        let again = app
            .client
            .get(format!("{}{path}", app.base))
            .bearer_auth(&bea)
            .header(header::IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(again.headers()[header::ETAG].to_str().unwrap(), etag);
        assert!(again.bytes().await.unwrap().is_empty());
        let stale = app
            .client
            .get(format!("{}{path}", app.base))
            .bearer_auth(&bea)
            .header(header::IF_NONE_MATCH, "W/\"something-else\", \"other\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), StatusCode::OK);
    }
    let etag = |path: &'static str| {
        let app = &app;
        let bea = bea.clone();
        async move {
            app.get(path, &bea).await.headers()[header::ETAG]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    let (board_before, feed_before) = (etag(BOARD).await, etag(FEED).await);
    app.shoutout(&bea, &[ann], "achieving_goals", "And for the launch")
        .await;
    assert_ne!(etag(BOARD).await, board_before);
    assert_ne!(etag(FEED).await, feed_before);
}

/// An SSE client reading the stream the way `EventSource` does.
pub(crate) struct Sse {
    body: std::pin::Pin<
        Box<dyn futures_util::Stream<Item = reqwest::Result<actix_web::web::Bytes>> + Send>,
    >,
    buffer: String,
    pub comments: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub id: String,
    pub kind: String,
    pub data: Value,
}

impl Sse {
    pub(crate) async fn open(
        app: &TestApp,
        auth: (&str, &str),
        last_event_id: Option<&str>,
    ) -> Self {
        Self::open_at(&app.client, &app.base, auth, last_event_id).await
    }

    /// The stream of the service at `base` (another process, a proxy).
    pub(crate) async fn open_at(
        client: &reqwest::Client,
        base: &str,
        auth: (&str, &str),
        last_event_id: Option<&str>,
    ) -> Self {
        let mut request = client
            .get(format!("{base}/api/v1/stream"))
            .header(auth.0, auth.1);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/event-stream"
        );
        Self {
            body: Box::pin(response.bytes_stream()),
            buffer: String::new(),
            comments: Vec::new(),
        }
    }

    /// The next event, or `None` if none comes within `wait`.
    pub(crate) async fn next(&mut self, wait: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut kind, mut data) = (String::new(), String::new(), String::new());
                for line in block.lines() {
                    if let Some(comment) = line.strip_prefix(':') {
                        self.comments.push(comment.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("id: ") {
                        id = v.to_owned();
                    } else if let Some(v) = line.strip_prefix("event: ") {
                        kind = v.to_owned();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data = v.to_owned();
                    }
                }
                if !data.is_empty() {
                    return Some(Event {
                        id,
                        kind,
                        data: serde_json::from_str(&data).unwrap(),
                    });
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .ok()??;
            self.buffer
                .push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    }

    /// Whether the server ends the stream within `wait` (events and heartbeats before the end
    /// are read and dropped; comments are kept).
    async fn ends_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.body.next()).await {
                Err(_) => return false,
                Ok(None) => {
                    for line in self.buffer.lines() {
                        if let Some(comment) = line.strip_prefix(':') {
                            self.comments.push(comment.trim().to_owned());
                        }
                    }
                    return true;
                }
                Ok(Some(chunk)) => match chunk {
                    Ok(bytes) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                    Err(_) => return true,
                },
            }
        }
    }

    pub(crate) async fn expect(&mut self) -> Event {
        // Generous: the stream holds back events until every older transaction in the cluster
        // has ended, and the other tests' databases share this test cluster (a fresh-clone CI
        // run once overran 5 s with other tests running beside this one).
        self.next(Duration::from_secs(20))
            .await
            .expect("an event within 20 seconds")
    }
}

fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}

#[tokio::test]
async fn the_stream_sends_what_is_published_and_retracted_and_nothing_else() {
    let app = TestApp::spawn().await;
    let (ann, _) = app.employee("ann", None).await;
    let (_, bea) = app.employee("bea", None).await;
    let (_, key) = mint(&app, &["feeds"], &[]).await;
    let (_, boards_only) = mint(&app, &["boards"], &[]).await;
    let response = app
        .client
        .get(format!("{}/api/v1/stream", app.base))
        .header("X-Widget-Key", &boards_only)
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::FORBIDDEN, None).await;
    let anonymous = app
        .client
        .get(format!("{}/api/v1/stream", app.base))
        .send()
        .await
        .unwrap();
    expect_problem(anonymous, StatusCode::UNAUTHORIZED, None).await;

    let (name, value) = bearer(&bea);
    let mut staff_wall = Sse::open(&app, (name, &value), None).await;
    let mut key_wall = Sse::open(&app, ("X-Widget-Key", &key), None).await;

    let given = app
        .shoutout(&bea, &[ann], "helping_others", "Thanks for the cover")
        .await;
    for wall in [&mut staff_wall, &mut key_wall] {
        let event = wall.expect().await;
        assert_eq!(event.kind, "published");
        assert_eq!(event.data["id"], given["id"]);
        assert_eq!(event.data["message"], "Thanks for the cover");
        assert_eq!(event.data["recipients"][0]["id"], ann.to_string());
        assert!(!event.id.is_empty());
    }

    // History imported from another tool is not news.
    let response = app
        .post(
            "/api/v1/shoutouts/import",
            &app.admin_token(),
            &json!([{"created_at": "2025-03-01T10:00:00Z", "giver_external_id": "bea",
                     "recipient_external_ids": ["ann"], "value": "achieving_goals",
                     "message": "An old one"}]),
        )
        .await;
    expect_status(response, StatusCode::OK).await;
    // Customer praise: nothing while pending, an event once approved.
    let handle = app.praise_handle(ann).await;
    let praise = app
        .praise(
            &handle,
            "Ann sorted out my refund in minutes",
            json!({"value": "responding_with_care"}),
        )
        .await;
    let praise = expect_status(praise, StatusCode::ACCEPTED).await;
    assert!(staff_wall.next(Duration::from_millis(500)).await.is_none());
    let approve = app
        .post(
            &format!(
                "/api/v1/shoutouts/{}/approve",
                praise["id"].as_str().unwrap()
            ),
            &app.admin_token(),
            &json!({}),
        )
        .await;
    expect_status(approve, StatusCode::OK).await;
    let event = staff_wall.expect().await;
    assert_eq!(event.kind, "published");
    assert_eq!(event.data["id"], praise["id"]);
    assert_eq!(event.data["source"], "customer");
    assert!(event.data.get("customer_email").is_none());

    // A retraction is an event too.
    let retract = app
        .delete(
            &format!("/api/v1/shoutouts/{}", given["id"].as_str().unwrap()),
            &bea,
        )
        .await;
    assert!(retract.status().is_success(), "{}", retract.status());
    let event = staff_wall.expect().await;
    assert_eq!(event.kind, "retracted");
    assert_eq!(event.data, json!({"id": given["id"]}));
}

#[tokio::test]
async fn a_client_that_reconnects_with_last_event_id_misses_nothing() {
    let app = TestApp::spawn().await;
    let (ann, _) = app.employee("ann", None).await;
    let (_, bea) = app.employee("bea", None).await;
    let (name, value) = bearer(&bea);
    let mut wall = Sse::open(&app, (name, &value), None).await;
    app.shoutout(&bea, &[ann], "helping_others", "One").await;
    let first = wall.expect().await;
    drop(wall);

    for message in ["Two", "Three", "Four"] {
        app.shoutout(&bea, &[ann], "helping_others", message).await;
    }
    let mut wall = Sse::open(&app, (name, &value), Some(&first.id)).await;
    for message in ["Two", "Three", "Four"] {
        assert_eq!(wall.expect().await.data["message"], message);
    }
    app.shoutout(&bea, &[ann], "helping_others", "Five").await;
    assert_eq!(wall.expect().await.data["message"], "Five");
    assert!(wall.next(Duration::from_millis(300)).await.is_none());

    for bad in ["yesterday", "12", "-1-2"] {
        let response = app
            .client
            .get(format!("{}/api/v1/stream", app.base))
            .bearer_auth(&bea)
            .header("Last-Event-ID", bad)
            .send()
            .await
            .unwrap();
        expect_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("Last-Event-ID"),
        )
        .await;
    }
}

#[tokio::test]
async fn an_idle_stream_gets_heartbeats() {
    let app = TestApp::spawn_with(|config| config.stream_heartbeat_secs = 1).await;
    let (_, bea) = app.employee("bea", None).await;
    let (name, value) = bearer(&bea);
    let mut wall = Sse::open(&app, (name, &value), None).await;
    assert!(wall.next(Duration::from_millis(3500)).await.is_none());
    assert!(
        wall.comments.iter().filter(|c| *c == "heartbeat").count() >= 2,
        "{:?}",
        wall.comments
    );
}

/// Two instances on one database, as behind a load balancer: a shout-out given through one
/// reaches a wall connected to the other.
#[tokio::test]
async fn a_wall_on_one_instance_sees_what_is_given_through_another() {
    let first = TestApp::spawn().await;
    let second = first.spawn_beside(|_| {}).await;
    assert_ne!(first.base, second.base);
    let (ann, _) = first.employee("ann", None).await;
    let (_, bea) = first.employee("bea", None).await;
    let (name, value) = bearer(&bea);
    let mut wall = Sse::open(&second, (name, &value), None).await;
    let given = first
        .shoutout(
            &bea,
            &[ann],
            "thriving_through_teamwork",
            "Across instances",
        )
        .await;
    let event = wall
        .next(Duration::from_secs(2))
        .await
        .expect("the other instance's wall gets it");
    assert_eq!(event.data["id"], given["id"]);
}

/// A burst larger than the broadcast buffer, committed at once, while one client does not read:
/// a reading client gets it all at once, and the slow one, when it reads, gets every event once,
/// in order, caught up from the table.
#[tokio::test]
async fn a_slow_client_catches_up_without_holding_anyone_up() {
    let app = TestApp::spawn_with(|config| config.stream_buffer = 2).await;
    let (ann, _) = app.employee("ann", None).await;
    let (bea_id, bea) = app.employee("bea", None).await;
    let (name, value) = bearer(&bea);
    let mut slow = Sse::open(&app, (name, &value), None).await;
    let mut fast = Sse::open(&app, (name, &value), None).await;

    let db = app.db().await;
    db.batch_execute(&format!(
        "BEGIN; \
         INSERT INTO shoutouts (id, source, giver_id, value, message, status) \
         SELECT gen_random_uuid(), 'staff', '{bea_id}', 'helping_others', 'Burst ' || n, 'published' \
         FROM generate_series(1, 40) n; \
         INSERT INTO shoutout_recipients (shoutout_id, recipient_id, giver_id) \
         SELECT id, '{ann}', giver_id FROM shoutouts WHERE message LIKE 'Burst %'; \
         COMMIT;"
    ))
    .await
    .unwrap();

    let mut seen = Vec::new();
    while seen.len() < 40 {
        let event = fast.expect().await;
        seen.push(event.data["message"].as_str().unwrap().to_owned());
    }
    let mut late = Vec::new();
    while late.len() < 40 {
        let event = slow.expect().await;
        late.push(event.data["message"].as_str().unwrap().to_owned());
    }
    let mut expected: Vec<String> = (1..=40).map(|n| format!("Burst {n}")).collect();
    let mut sorted = late.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "every event exactly once");
    assert_eq!(late, seen, "in the same order for everyone");
    assert!(slow.next(Duration::from_millis(300)).await.is_none());
}

#[tokio::test]
async fn the_widget_script_is_small_and_embeddable() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(format!("{}/widget.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert_eq!(
        response.headers()["cross-origin-resource-policy"],
        "cross-origin"
    );
    let body = response.text().await.unwrap();
    assert!(body.len() < 30 * 1024, "{} bytes", body.len());
    for element in [
        "shoutout-leaderboard",
        "shoutout-feed",
        "shoutout-give",
        "shoutout-wall",
    ] {
        assert!(body.contains(&format!("\"{element}\"")), "{element}");
    }
}

#[tokio::test]
async fn the_demo_page_is_served_only_with_demo_data() {
    let plain = TestApp::spawn().await;
    let response = plain
        .client
        .get(format!("{}/demo", plain.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    let demo = TestApp::spawn_with(|config| config.demo = true).await;
    let response = demo
        .client
        .get(format!("{}/demo", demo.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("connect-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    let page = response.text().await.unwrap();
    for element in [
        "<shoutout-leaderboard",
        "<shoutout-feed",
        "<shoutout-give",
        "<shoutout-wall",
        "src=\"/widget.js\"",
    ] {
        assert!(page.contains(element), "{element}");
    }
    // The demo key is a real, working widget key, shared by every instance on the database.
    let key = page
        .split("data-key=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    expect_status(with_key(&demo, BOARD, &key, None).await, StatusCode::OK).await;
    let beside = demo.spawn_beside(|_| {}).await;
    let page = beside
        .client
        .get(format!("{}/demo", beside.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&key));
    assert_eq!(demo.count("widget_keys").await, 1);
}

/// A stream lives only as long as its credential: a revoked widget key's and a deactivated
/// employee's streams close within the recheck interval; a token's at its expiry; every stream
/// after the maximum lifetime. Until then, they stay open.
#[tokio::test]
async fn streams_end_when_their_credential_does() {
    let app = TestApp::spawn_with(|config| {
        config.stream_recheck_secs = 1;
        config.stream_heartbeat_secs = 1;
    })
    .await;
    let (bea_id, bea) = app.employee("bea", None).await;
    let (key_id, key) = mint(&app, &["feeds"], &[]).await;
    let mut by_key = Sse::open(&app, ("X-Widget-Key", &key), None).await;
    let (name, value) = bearer(&bea);
    let mut by_employee = Sse::open(&app, (name, &value), None).await;
    // Both hold while their credentials do.
    assert!(!by_key.ends_within(Duration::from_millis(2500)).await);
    assert!(!by_employee.ends_within(Duration::from_millis(100)).await);

    expect_status(
        app.delete(&format!("/api/v1/widget-keys/{key_id}"), &app.admin_token())
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        by_key.ends_within(Duration::from_secs(10)).await,
        "the revoked key's stream stayed open"
    );
    assert!(
        by_key.comments.iter().any(|c| c.contains("revoked")),
        "{:?}",
        by_key.comments
    );
    assert!(!by_employee.ends_within(Duration::from_millis(100)).await);

    expect_status(
        app.patch(
            &format!("/api/v1/employees/{bea_id}"),
            &app.admin_token(),
            &json!({"active": false}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert!(
        by_employee.ends_within(Duration::from_secs(10)).await,
        "the leaver's stream stayed open"
    );
    assert!(
        by_employee
            .comments
            .iter()
            .any(|c| c.contains("no longer active"))
    );

    // A token that expires in three seconds: its stream ends then, not later.
    let (_, _) = app.employee("cy", None).await;
    let short = shoutout::auth::mint_token(
        &app.config,
        "cy",
        &[Role::Employee],
        chrono::Duration::seconds(3),
    )
    .unwrap();
    let opened = tokio::time::Instant::now();
    let (name, value) = bearer(&short);
    let mut by_token = Sse::open(&app, (name, &value), None).await;
    assert!(
        by_token.ends_within(Duration::from_secs(10)).await,
        "the expired token's stream stayed open"
    );
    let lasted = opened.elapsed();
    assert!(
        lasted >= Duration::from_millis(1500),
        "ended too early: {lasted:?}"
    );
    assert!(
        by_token.comments.iter().any(|c| c.contains("expired")),
        "{:?}",
        by_token.comments
    );
    // Reconnecting with it is refused.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let again = app
        .client
        .get(format!("{}/api/v1/stream", app.base))
        .bearer_auth(&short)
        .send()
        .await
        .unwrap();
    // Verification allows 30 s of clock skew, so the token may still open a stream, which then
    // ends at once.
    if again.status() == StatusCode::OK {
        let text = tokio::time::timeout(Duration::from_secs(5), again.text())
            .await
            .expect("ends at once")
            .unwrap();
        assert!(text.contains("closing"), "{text}");
    } else {
        assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    }
}

/// Every stream ends after the maximum lifetime, and the client picks up where it left off.
#[tokio::test]
async fn a_stream_ends_after_its_maximum_lifetime() {
    let app = TestApp::spawn_with(|config| config.stream_max_secs = 2).await;
    let (_, bea) = app.employee("bea", None).await;
    let (name, value) = bearer(&bea);
    let mut wall = Sse::open(&app, (name, &value), None).await;
    assert!(!wall.ends_within(Duration::from_millis(1000)).await);
    assert!(wall.ends_within(Duration::from_secs(10)).await);
    assert!(
        wall.comments.iter().any(|c| c.contains("maximum lifetime")),
        "{:?}",
        wall.comments
    );
}
