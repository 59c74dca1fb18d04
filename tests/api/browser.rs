//! End to end in a real headless Chromium (Debian's package, driven by `playwright-core` from
//! `tests/e2e`; `scripts/test` installs both). Screenshots go to `target/e2e/`.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, expect_status};

/// Runs one script from `tests/e2e` against the app; panics with its output if it fails.
async fn run_e2e(script: &str, args: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let e2e = root.join("tests/e2e");
    assert!(
        e2e.join("node_modules/playwright-core").exists(),
        "playwright-core is not installed: run `bash scripts/test` (it runs `npm ci` in tests/e2e)"
    );
    let output = tokio::process::Command::new("node")
        .arg(e2e.join(script))
        .args(args)
        .current_dir(&e2e)
        .output()
        .await
        .expect("node runs (Node.js is needed for the browser tests)");
    assert!(
        output.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn screenshots() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/e2e")
        .to_string_lossy()
        .into_owned()
}

/// The form in each of its five languages: picked from the browser's language, asking the
/// customer to choose when their message names no value, answering in their language; then
/// the picker. Every praise sent is stored with the value the customer chose.
#[tokio::test]
async fn customers_thank_someone_in_each_language_in_a_browser() {
    let app = TestApp::spawn_with(|config| {
        config.praise_pow_bits = 10;
        config.praise_min_fill_secs = 1;
        config.praise_per_address_per_hour = 50;
    })
    .await;
    let (ann, _) = app.employee("ann", None).await;
    let handle = app.praise_handle(ann).await;
    run_e2e(
        "praise_languages.mjs",
        &[&app.base, &handle, &screenshots()],
    )
    .await;
    let stored = app.customer_praise().await;
    assert_eq!(stored.len(), 5, "{stored:?}");
    for (value, suggested, _) in &stored {
        assert_eq!(value, "responding_with_care");
        assert!(!suggested, "the customer chose it");
    }
    assert_eq!(stored[4].2, "Muito obrigado!");
}

/// A customer thanks Ann in the browser, with the real protections on (proof of work, a
/// minimum fill time); a moderator approves it; it reaches the board.
#[tokio::test]
async fn a_customer_thanks_someone_in_a_browser_and_a_moderator_puts_it_on_the_board() {
    let app = TestApp::spawn_with(|config| {
        config.praise_pow_bits = 14;
        config.praise_min_fill_secs = 2;
        config.praise_per_address_per_hour = 5;
    })
    .await;
    let (ann, _) = app.employee("ann", None).await;
    let handle = app.praise_handle(ann).await;
    run_e2e("praise.mjs", &[&app.base, &handle, &screenshots()]).await;

    let queue = expect_status(
        app.get("/api/v1/moderation/shoutouts", &app.admin_token())
            .await,
        StatusCode::OK,
    )
    .await;
    let items = queue["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{queue}");
    let item = &items[0];
    assert_eq!(item["shoutout"]["value"], "achieving_goals");
    assert_eq!(item["shoutout"]["giver"]["name"], "Robin");
    assert_eq!(item["customer_email"], "robin@example.org");
    let id = item["shoutout"]["id"].as_str().unwrap();
    let board = "/api/v1/leaderboards/recipients?period=week";
    let before = expect_status(app.get(board, &app.admin_token()).await, StatusCode::OK).await;
    assert!(before["entries"].as_array().unwrap().is_empty());
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
    let after = expect_status(app.get(board, &app.admin_token()).await, StatusCode::OK).await;
    assert_eq!(after["entries"][0]["employee"]["id"], ann.to_string());
    assert_eq!(after["entries"][0]["count"], 1);
}

/// A manager opens the printable report from a signed link: rendered, charts drawn, saved as a
/// screenshot and a PDF.
#[tokio::test]
async fn a_manager_opens_the_printable_team_report_from_a_signed_link() {
    let app = TestApp::spawn().await;
    let team = app.team("Support", None).await;
    let (mia, _) = app.employee("mia", Some(team)).await;
    let (_, gia) = app.employee("gia", Some(team)).await;
    let mut people = Vec::new();
    for name in ["ann", "bea", "cal", "dan"] {
        people.push(app.employee(name, Some(team)).await.0);
    }
    let values = ["helping_others", "achieving_goals", "responding_with_care"];
    for (i, who) in people.iter().take(3).enumerate() {
        for _ in 0..=i {
            app.shoutout(&gia, &[*who], values[i], "Thank you!").await;
        }
    }
    let response = app
        .patch(
            &format!("/api/v1/teams/{team}"),
            &app.admin_token(),
            &json!({"manager_id": mia}),
        )
        .await;
    expect_status(response, StatusCode::OK).await;
    let manager = app.token("mia", &[shoutout::auth::Role::Manager]);
    let link = expect_status(
        app.post(
            &format!("/api/v1/reports/teams/{team}/link"),
            &manager,
            &json!({}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let url = link["url"]
        .as_str()
        .unwrap()
        .replace("http://127.0.0.1:0", &app.base);
    run_e2e("report.mjs", &[&url, &screenshots()]).await;
}

/// The demo intranet page on two instances of the service sharing one database: the boards and
/// the feed render; a shout-out given through `<shoutout-give>` on one reaches the
/// `<shoutout-wall>` on both, pushed by the stream; it is stored exactly once. (How fast is
/// measured by `bench/run --stream`, not asserted here.)
#[tokio::test]
async fn a_shoutout_given_in_a_widget_reaches_the_walls_of_both_instances() {
    let home = demo_app(|_| {}).await;
    let tv = home.spawn_beside(|_| {}).await;
    let campaigns = expect_status(
        home.get("/api/v1/campaigns", &home.admin_token()).await,
        StatusCode::OK,
    )
    .await;
    let campaign = campaigns["items"][0]["id"].as_str().unwrap().to_owned();
    let message = format!(
        "Bob stayed late to fix the queue ({})",
        uuid::Uuid::new_v4()
    );
    run_e2e(
        "widgets.mjs",
        &[&home.base, &tv.base, &message, &screenshots(), &campaign],
    )
    .await;
    assert_eq!(thanks_to_bob(&home, &message).await, 1);
}

/// The service with its demo page and demo data, its configuration changed by `adjust`.
async fn demo_app(adjust: impl FnOnce(&mut shoutout::config::Config)) -> TestApp {
    let app = TestApp::spawn_with(|config| {
        config.demo = true;
        adjust(config);
    })
    .await;
    let pool = shoutout::db::build_pool(
        &app.database_url,
        &shoutout::db::PoolSettings {
            max_size: 2,
            wait: std::time::Duration::from_secs(5),
            statement_timeout: std::time::Duration::from_secs(30),
            verify: false,
            generic_plans: false,
        },
    )
    .unwrap();
    shoutout::demo::seed_if_empty(&pool, chrono::Utc::now(), app.config.timezone)
        .await
        .unwrap();
    app
}

/// How many shout-outs thank the demo's Bob for helping others with `message`.
async fn thanks_to_bob(app: &TestApp, message: &str) -> i64 {
    app.db()
        .await
        .query_one(
            "SELECT count(*) FROM shoutouts s JOIN shoutout_recipients r ON r.shoutout_id = s.id \
             JOIN employees e ON e.id = r.recipient_id \
             WHERE s.message = $1 AND e.external_id = 'bob' AND s.value = 'helping_others'",
            &[&message],
        )
        .await
        .unwrap()
        .get(0)
}

/// Runs `script` with `args` through a busy spell: `lock` (a `LOCK TABLE` statement) is held
/// until `who` waits on it and that wait has ended (the app's statement timeout answered 503);
/// only then is it let go, so that whatever is asked again finds the way clear.
async fn run_e2e_through_a_busy_spell(
    app: &TestApp,
    lock: &str,
    who: &str,
    script: &str,
    args: &[&str],
) {
    let mut db = app.db().await;
    let hold = db.transaction().await.unwrap();
    hold.batch_execute(lock).await.unwrap();
    let busy = async {
        app.until_someone_waits_for_a_lock_within(who, std::time::Duration::from_secs(60))
            .await;
        app.until_nobody_waits_for_a_lock(who).await;
        hold.commit().await.unwrap();
    };
    tokio::join!(run_e2e(script, args), busy);
}

/// What a script prints when the test should let go of the lock it holds for it (see
/// [`run_e2e_holding`]).
const RELEASE: &str = "release the lock";

/// Runs `script` with `args` while `lock` (a `LOCK TABLE` statement) is held, and lets go when
/// the script prints [`RELEASE`] on a line of its own: for a script that must see a service stay
/// busy through several tries before it is clear again. Panics with the script's output if it
/// fails, or if it ends without asking for the release.
async fn run_e2e_holding(app: &TestApp, lock: &str, script: &str, args: &[&str]) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let e2e = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
    assert!(
        e2e.join("node_modules/playwright-core").exists(),
        "playwright-core is not installed: run `bash scripts/test` (it runs `npm ci` in tests/e2e)"
    );
    let mut db = app.db().await;
    let hold = db.transaction().await.unwrap();
    hold.batch_execute(lock).await.unwrap();
    let mut child = tokio::process::Command::new("node")
        .arg(e2e.join(script))
        .args(args)
        .current_dir(&e2e)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs (Node.js is needed for the browser tests)");
    let mut stderr = child.stderr.take().unwrap();
    // Read standard error alongside, so that a chatty script never blocks on a full pipe.
    let errors = tokio::spawn(async move {
        let mut text = String::new();
        tokio::io::AsyncReadExt::read_to_string(&mut stderr, &mut text)
            .await
            .ok();
        text
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut output = String::new();
    let mut hold = Some(hold);
    while let Some(line) = lines.next_line().await.unwrap() {
        if line == RELEASE
            && let Some(hold) = hold.take()
        {
            hold.commit().await.unwrap();
        }
        output.push_str(&line);
        output.push('\n');
    }
    let status = child.wait().await.unwrap();
    let errors = errors.await.unwrap();
    assert!(status.success(), "{script} failed:\n{output}\n{errors}");
    assert!(
        hold.is_none(),
        "{script} never asked for the lock to be let go:\n{output}\n{errors}"
    );
}

/// A service too busy to take a shout-out in time (here: a lock the test holds, until the
/// statement timeout answers 503) does not make the person press Send again: `<shoutout-give>`
/// says it is sending again, does so with the same `Idempotency-Key` after `Retry-After`, and
/// the thanks is stored once.
#[tokio::test]
async fn the_give_widget_sends_again_when_the_service_is_busy() {
    let app = demo_app(|config| config.statement_timeout_ms = 1500).await;
    let message = format!("Bob took the night call ({})", uuid::Uuid::new_v4());
    // Writers of shout-outs wait; readers (the page's boards and feed) do not.
    run_e2e_through_a_busy_spell(
        &app,
        "LOCK TABLE shoutouts IN SHARE MODE",
        "the widget's first send",
        "give_retry.mjs",
        &[&app.base, &message],
    )
    .await;
    assert_eq!(thanks_to_bob(&app, &message).await, 1);
}

/// A busy service (here: the tallies locked until the statement timeout answers the boards'
/// first reads 503) leaves the demo page's boards and wall showing the error only until they
/// ask again after `Retry-After`, not until their next refresh a minute later.
#[tokio::test]
async fn boards_ask_a_busy_service_again_soon() {
    let app = demo_app(|config| config.statement_timeout_ms = 1500).await;
    // Readers of the boards wait; the feed does not read the tallies.
    run_e2e_through_a_busy_spell(
        &app,
        "LOCK TABLE tallies IN ACCESS EXCLUSIVE MODE",
        "the boards' first reads",
        "board_retry.mjs",
        &[&app.base],
    )
    .await;
}

/// A service that stays busy is not asked forever: `<shoutout-give>` sends four times in all,
/// then shows the service's error with the form kept, and Send (once the service is clear)
/// sends the same thanks with the same `Idempotency-Key`, stored once.
#[tokio::test]
async fn the_give_widget_stops_sending_again_after_three_more_tries() {
    let app = demo_app(|config| config.statement_timeout_ms = 1500).await;
    let message = format!("Bob covered the late shift ({})", uuid::Uuid::new_v4());
    run_e2e_holding(
        &app,
        "LOCK TABLE shoutouts IN SHARE MODE",
        "give_gives_up.mjs",
        &[&app.base, &message],
    )
    .await;
    assert_eq!(thanks_to_bob(&app, &message).await, 1);
}

/// Boards and the wall ask a busy service again four times at most, then wait for their next
/// refresh: a long outage is not met with ever more reads.
#[tokio::test]
async fn boards_stop_asking_a_busy_service_after_four_more_tries() {
    let app = demo_app(|config| config.statement_timeout_ms = 1500).await;
    run_e2e_holding(
        &app,
        "LOCK TABLE tallies IN ACCESS EXCLUSIVE MODE",
        "board_gives_up.mjs",
        &[&app.base],
    )
    .await;
}

/// The console in Chromium, signed in through a real OpenID provider: every page passes
/// axe-core and fits 390 px (screenshots at 1280 and 390 px in `target/e2e/`), praise is
/// moderated by keyboard, an import is previewed and committed, a widget key's snippet works
/// on another origin's page, and an employee finds no admin page.
#[tokio::test]
async fn the_console_in_a_browser() {
    use crate::console::IdentityProvider;
    let mut idp = IdentityProvider::start().await;
    let issuer = idp.issuer.clone();
    // The made-up intranet page's port: the test page serves the widget snippet from there,
    // an origin the service must allow (CORS), as an operator would.
    let intranet_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let intranet = format!("http://localhost:{intranet_port}");
    let origin = intranet.clone();
    let app = TestApp::spawn_with(move |config| {
        config.cors_origins = vec![origin];
        config.oidc_issuer = Some(issuer);
        config.oidc_client_id = Some(crate::console::CLIENT_ID.into());
        config.oidc_client_secret = Some(crate::console::CLIENT_SECRET.to_owned().into());
        config.webhooks_allow_private = true;
    })
    .await;
    idp.serve(&app, &[("ann", &["admin"]), ("bob", &[]), ("mia", &[])])
        .await;
    let support = app.team("Support", None).await;
    let (mia, _) = app.employee("mia", Some(support)).await;
    let (ann, _) = app.employee("ann", Some(support)).await;
    let (_bob, bob_token) = app.employee("bob", Some(support)).await;
    app.set_manager(support, mia).await;
    app.shoutout(
        &bob_token,
        &[ann],
        "helping_others",
        "Ann <b>untangled</b> the rota",
    )
    .await;
    let handle = app.praise_handle(ann).await;
    for message in [
        "Ann was so patient with my refund, thank you",
        "Ann found my lost parcel in an hour",
    ] {
        expect_status(
            app.praise(&handle, message, json!({"value": "responding_with_care"}))
                .await,
            StatusCode::ACCEPTED,
        )
        .await;
    }
    expect_status(
        app.post(
            "/api/v1/campaigns",
            &app.admin_token(),
            &json!({"name": "Customer Service Week", "starts_on": "2026-10-05", "ends_on": "2026-10-09"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let receiver = crate::receiver::Receiver::start().await;
    let webhook = expect_status(
        app.post(
            "/api/v1/webhooks",
            &app.admin_token(),
            &json!({"url": receiver.url("/hook"), "events": ["shoutout.published"]}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    expect_status(
        app.request(
            reqwest::Method::POST,
            &format!("/api/v1/webhooks/{}/ping", webhook["id"].as_str().unwrap()),
            Some(&app.admin_token()),
            None,
        )
        .await,
        StatusCode::ACCEPTED,
    )
    .await;
    let demo = TestApp::spawn_with(|config| config.demo = true).await;
    demo.employee("dee", None).await;
    run_e2e(
        "console.mjs",
        &[
            &app.base,
            &screenshots(),
            &ann.to_string(),
            &intranet_port.to_string(),
            &demo.base,
        ],
    )
    .await;
    let statuses: Vec<String> = app
        .db()
        .await
        .query(
            "SELECT status::text FROM shoutouts WHERE source = 'customer' ORDER BY created_at",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(statuses, ["published", "rejected"]);
}
