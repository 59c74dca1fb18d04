//! The console over HTTP, as a browser without JavaScript uses it: signing in through a real
//! OpenID provider (`oidc-provider` from npm, started here) or the demo's development sign-in;
//! sessions that the server ends; the CSRF token on every form; and the same refusals as the
//! API. The browser tests (`browser.rs`) drive the same pages in Chromium.

use std::path::Path;
use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::cookie::{CookieStore, Jar};
use serde_json::json;
use shoutout::auth::Role;
use shoutout::config::Mode;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use uuid::Uuid;

use crate::helpers::{TestApp, expect_status, id_of};

pub const CLIENT_ID: &str = "shoutout-console";
pub const CLIENT_SECRET: &str = "console-test-secret-of-enough-length";

/// `oidc-provider` in a Node process of its own, on a free port.
pub struct IdentityProvider {
    pub issuer: String,
    child: tokio::process::Child,
    stdin: Option<tokio::process::ChildStdin>,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

impl IdentityProvider {
    /// Starts the provider; it answers once [`IdentityProvider::serve`] names the client.
    pub async fn start() -> Self {
        let e2e = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
        assert!(
            e2e.join("node_modules/oidc-provider").exists(),
            "oidc-provider is not installed: run `bash scripts/test` (it runs `npm ci` in tests/e2e)"
        );
        let mut child = tokio::process::Command::new("node")
            .arg(e2e.join("oidc_provider.mjs"))
            .current_dir(&e2e)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs (Node.js is needed for the console tests)");
        let stdin = child.stdin.take();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines
            .next_line()
            .await
            .unwrap()
            .expect("the provider prints its issuer");
        let issuer = serde_json::from_str::<serde_json::Value>(&first).unwrap()["issuer"]
            .as_str()
            .unwrap()
            .to_owned();
        Self {
            issuer,
            child,
            stdin,
            lines,
        }
    }

    /// Registers the console (its redirect address) and the accounts: `(sub, roles)`.
    pub async fn serve(&mut self, app: &TestApp, accounts: &[(&str, &[&str])]) {
        let accounts: serde_json::Map<String, serde_json::Value> = accounts
            .iter()
            .map(|(sub, roles)| {
                (
                    (*sub).to_owned(),
                    json!({"name": format!("{sub} Example"), "email": format!("{sub}@example.com"), "roles": roles}),
                )
            })
            .collect();
        let settings = json!({
            "redirect_uri": format!("{}/console/callback", app.base),
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "accounts": accounts,
        });
        let stdin = self.stdin.as_mut().unwrap();
        stdin
            .write_all(format!("{settings}\n").as_bytes())
            .await
            .unwrap();
        stdin.flush().await.unwrap();
        let ready = self
            .lines
            .next_line()
            .await
            .unwrap()
            .expect("the provider is ready");
        assert!(ready.contains("ready"), "{ready}");
    }
}

impl Drop for IdentityProvider {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// An app whose console signs in through `idp`.
pub async fn app_with_provider(idp: &IdentityProvider) -> TestApp {
    let issuer = idp.issuer.clone();
    TestApp::spawn_with(move |config| {
        config.oidc_issuer = Some(issuer);
        config.oidc_client_id = Some(CLIENT_ID.into());
        config.oidc_client_secret = Some(CLIENT_SECRET.to_owned().into());
    })
    .await
}

/// A browser without JavaScript: a cookie jar, no automatic redirects.
pub struct Browser {
    pub client: reqwest::Client,
    pub jar: Arc<Jar>,
    pub base: String,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    /// The session's CSRF token, as every form of the page carries it.
    pub fn csrf(&self) -> String {
        let start = self
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no CSRF field in {}", self.body))
            + "name=\"csrf\" value=\"".len();
        let end = self.body[start..].find('"').unwrap() + start;
        self.body[start..end].to_owned()
    }
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            client,
            jar,
            base: app.base.clone(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn page(response: reqwest::Response) -> Page {
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        Page {
            status,
            location,
            body: response.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::page(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        Self::page(
            self.client
                .post(self.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Posts a console form with the session's token (read from `/console/`).
    pub async fn submit(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get("/console/").await.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(path, &all).await
    }

    /// The console's session cookie as the browser holds it.
    pub fn session(&self) -> Option<String> {
        let url = format!("{}/console/", self.base).parse().unwrap();
        let cookies = self.jar.cookies(&url)?;
        cookies
            .to_str()
            .unwrap()
            .split("; ")
            .find_map(|c| c.strip_prefix("shoutout_console=").map(str::to_owned))
    }

    /// Follows redirects from `path`, signing in as `sub` at the provider's page; returns the
    /// first console page that is not a redirect, and every address passed through.
    pub async fn sign_in_through(&self, path: &str, sub: &str) -> (Page, Vec<String>) {
        self.sign_in_until(path, sub, |_| false).await
    }

    /// [`Browser::sign_in_through`], stopping before the first address `stop` picks.
    pub async fn sign_in_until(
        &self,
        path: &str,
        sub: &str,
        stop: impl Fn(&str) -> bool,
    ) -> (Page, Vec<String>) {
        let mut visited = vec![self.url(path)];
        let mut page = self.get(path).await;
        for _ in 0..20 {
            if let Some(location) = page.location.clone() {
                let next = if location.starts_with('/') {
                    // Relative to whoever sent it: the provider's pages or ours.
                    let origin = visited
                        .last()
                        .and_then(|v: &String| {
                            v.split('/').take(3).collect::<Vec<_>>().join("/").into()
                        })
                        .unwrap_or_else(|| self.base.clone());
                    format!("{origin}{location}")
                } else {
                    location
                };
                visited.push(next.clone());
                if stop(&next) {
                    return (page, visited);
                }
                page = self.get(&next).await;
                continue;
            }
            if page.status == StatusCode::OK && page.body.contains("name=\"login\"") {
                let at = visited.last().unwrap().clone();
                let origin: String = at.split('/').take(3).collect::<Vec<_>>().join("/");
                let action_start = page.body.find("action=\"").unwrap() + 8;
                let action_end = page.body[action_start..].find('"').unwrap() + action_start;
                let action = format!("{origin}{}", &page.body[action_start..action_end]);
                visited.push(action.clone());
                page = self.post(&action, &[("login", sub)]).await;
                continue;
            }
            return (page, visited);
        }
        panic!("too many redirects: {visited:?}");
    }

    /// The development sign-in (the app must run with `--demo`).
    pub async fn dev_sign_in(&self, external_id: &str, admin: bool) -> Page {
        let form = self.get("/console/dev-sign-in").await;
        assert_eq!(form.status, StatusCode::OK, "{}", form.body);
        let start = form.body.find("name=\"token\" value=\"").unwrap() + 20;
        let end = form.body[start..].find('"').unwrap() + start;
        let token = form.body[start..end].to_owned();
        let mut fields = vec![("token", token.as_str()), ("external_id", external_id)];
        if admin {
            fields.push(("admin", "true"));
        }
        let page = self.post("/console/dev-sign-in", &fields).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        page
    }
}

async fn demo_app() -> TestApp {
    TestApp::spawn_with(|config| config.demo = true).await
}

/// The whole flow against the real provider: PKCE (S256), `state`, `nonce`, a session cookie
/// with the right attributes, roles from the ID token, a new identifier at every sign-in, and
/// sign-out.
#[tokio::test]
async fn signing_in_goes_through_the_identity_provider_with_pkce() {
    let mut idp = IdentityProvider::start().await;
    let app = app_with_provider(&idp).await;
    idp.serve(&app, &[("ann", &["admin"]), ("bob", &[])]).await;
    app.employee("ann", None).await;

    let browser = Browser::new(&app);
    let page = browser.get("/console/moderation").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location.as_deref(),
        Some("/console/sign-in?return_to=%2Fconsole%2Fmoderation")
    );
    let sign_in = browser.get(page.location.as_deref().unwrap()).await;
    assert!(sign_in.body.contains("Sign in with your company account"));

    // The authorization request: code flow, PKCE S256, state and nonce.
    let start = browser
        .client
        .get(format!(
            "{}/console/sign-in/start?return_to=/console/moderation",
            app.base
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let set_cookie = start
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(set_cookie.starts_with("shoutout_sign_in="), "{set_cookie}");
    let authorize = url::Url::parse(start.headers()["location"].to_str().unwrap()).unwrap();
    assert!(authorize.as_str().starts_with(&idp.issuer), "{authorize}");
    let params: std::collections::HashMap<String, String> =
        authorize.query_pairs().into_owned().collect();
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["code_challenge"].len(), 43, "{params:?}");
    assert!(params["state"].len() >= 16 && params["nonce"].len() >= 16);
    assert!(params["scope"].split(' ').any(|s| s == "openid"));

    let (page, visited) = browser.sign_in_through(authorize.as_str(), "ann").await;
    assert_eq!(page.status, StatusCode::OK, "{visited:?}\n{}", page.body);
    assert!(page.body.contains("<h1>Moderation</h1>"), "{}", page.body);
    assert!(page.body.contains("ann Example"));
    assert!(
        visited
            .iter()
            .any(|v| v.contains("/console/callback?code=")),
        "{visited:?}"
    );

    // The session is on the server, with the roles the ID token carried.
    let db = app.db().await;
    let row = db
        .query_one("SELECT roles::text[], via FROM console_sessions", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, Vec<String>>(0), vec!["admin"]);
    assert_eq!(row.get::<_, String>(1), "oidc");
    assert_eq!(
        app.count("console_sign_ins").await,
        0,
        "the sign-in is used up"
    );

    // Signing in again gives a new identifier, and the old one signs nobody in.
    let first = browser.session().unwrap();
    let (page, _) = browser
        .sign_in_through("/console/sign-in/start", "ann")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let second = browser.session().unwrap();
    assert_ne!(first, second);
    let old = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/console/", app.base))
        .header("cookie", format!("shoutout_console={first}"))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), StatusCode::SEE_OTHER);

    // Sign out ends it on the server too.
    let out = browser.submit("/console/sign-out", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("console_sessions").await, 0);
    assert_eq!(browser.get("/console/").await.status, StatusCode::SEE_OTHER);

    // Someone the provider knows but the directory does not: signed in, refused.
    let stranger = Browser::new(&app);
    let (page, _) = stranger
        .sign_in_through("/console/sign-in/start", "bob")
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(page.body.contains("not an active employee"));
}

/// What the callback refuses: a browser that did not start the sign-in, a `state` that does
/// not match, a sign-in used twice, and the provider's own refusal.
#[tokio::test]
async fn the_callback_takes_only_the_sign_in_this_browser_started() {
    let mut idp = IdentityProvider::start().await;
    let app = app_with_provider(&idp).await;
    idp.serve(&app, &[("ann", &[])]).await;
    app.employee("ann", None).await;

    // Another browser's callback address.
    let browser = Browser::new(&app);
    let start = browser.get("/console/sign-in/start").await;
    let authorize = start.location.unwrap();
    let (_, visited) = browser
        .sign_in_until(&authorize, "ann", |next| next.contains("/console/callback"))
        .await;
    let callback = visited.last().unwrap().clone();
    let thief = Browser::new(&app);
    let refused = thief.get(&callback).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(refused.body.contains("did not start a sign-in"));

    // The right browser, with the state changed.
    let tampered = callback.replace("state=", "state=x");
    let refused = browser.get(&tampered).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("state"), "{}", refused.body);
    // That used the sign-in up: the real callback is refused now too.
    let refused = browser.get(&callback).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.contains("already been used"),
        "{}",
        refused.body
    );
    assert_eq!(app.count("console_sessions").await, 0);

    // The provider's refusal is shown, not followed.
    let browser = Browser::new(&app);
    browser.get("/console/sign-in/start").await;
    let refused = browser
        .get("/console/callback?error=access_denied&error_description=no%20thanks")
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("access_denied"));
    assert!(refused.body.contains("no thanks"));
}

/// The same callback sent many times at once (a double click, a replay racing the browser):
/// the sign-in is taken once, in the database, so exactly one session starts.
#[tokio::test]
async fn a_sign_in_is_used_once_however_many_callbacks_race() {
    let mut idp = IdentityProvider::start().await;
    let app = app_with_provider(&idp).await;
    idp.serve(&app, &[("ann", &[])]).await;
    app.employee("ann", None).await;
    let browser = Browser::new(&app);
    let (_, visited) = browser
        .sign_in_until("/console/sign-in/start", "ann", |next| {
            next.contains("/console/callback")
        })
        .await;
    let callback = visited.last().unwrap().clone();
    let answers = futures_util::future::join_all((0..8).map(|_| browser.get(&callback))).await;
    let signed_in = answers
        .iter()
        .filter(|page| page.status == StatusCode::SEE_OTHER)
        .count();
    assert_eq!(
        signed_in,
        1,
        "{:?}",
        answers.iter().map(|p| p.status).collect::<Vec<_>>()
    );
    assert!(
        answers
            .iter()
            .filter(|page| page.status != StatusCode::SEE_OTHER)
            .all(|page| page.status == StatusCode::BAD_REQUEST)
    );
    assert_eq!(app.count("console_sessions").await, 1);
}

/// A session ends on the server, whatever the cookie says: after its lifetime, after the idle
/// time, and the cookie of an ended session is refused.
#[tokio::test]
async fn sessions_expire_on_the_server() {
    let app = demo_app().await;
    app.employee("ann", None).await;
    let browser = Browser::new(&app);
    browser.dev_sign_in("ann", false).await;
    assert_eq!(browser.get("/console/me").await.status, StatusCode::OK);
    let db = app.db().await;
    db.execute(
        "UPDATE console_sessions SET last_seen_at = now() - interval '2 hours'",
        &[],
    )
    .await
    .unwrap();
    let page = browser.get("/console/me").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "idle too long");
    assert_eq!(
        page.location.as_deref(),
        Some("/console/sign-in?return_to=%2Fconsole%2Fme")
    );

    browser.dev_sign_in("ann", false).await;
    assert_eq!(browser.get("/console/me").await.status, StatusCode::OK);
    db.execute(
        "UPDATE console_sessions SET created_at = now() - interval '9 hours', expires_at = now() - interval '1 second'",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(
        browser.get("/console/me").await.status,
        StatusCode::SEE_OTHER,
        "expired"
    );
}

/// The session cookie: `HttpOnly`, `SameSite=Lax`, only for `/console`, and `Secure` outside
/// development.
#[tokio::test]
async fn console_cookies_are_http_only_lax_and_secure_in_production() {
    let app = demo_app().await;
    app.employee("ann", None).await;
    let browser = Browser::new(&app);
    let form = browser
        .client
        .get(format!("{}/console/dev-sign-in", app.base))
        .send()
        .await
        .unwrap();
    let cookie = form.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && cookie.contains("Path=/console"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "development runs on plain http: {cookie}"
    );

    let mut idp = IdentityProvider::start().await;
    let issuer = idp.issuer.clone();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/idp");
    let production = TestApp::spawn_with(move |config| {
        config.mode = Mode::Production;
        config.jwt_public_key = Some(fixtures.join("rsa.pub"));
        config.jwt_issuer = Some("https://idp.example.com".into());
        config.jwt_audience = Some("shoutout".into());
        config.oidc_issuer = Some(issuer);
        config.oidc_client_id = Some(CLIENT_ID.into());
        config.oidc_client_secret = Some(CLIENT_SECRET.to_owned().into());
        config.demo = true;
    })
    .await;
    idp.serve(&production, &[("ann", &[])]).await;
    let browser = Browser::new(&production);
    let start = browser
        .client
        .get(format!("{}/console/sign-in/start", production.base))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let cookie = start.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // And no development sign-in in production, even with --demo.
    assert_eq!(
        browser.get("/console/dev-sign-in").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        !browser
            .get("/console/sign-in")
            .await
            .body
            .contains("Development sign-in")
    );
}

#[tokio::test]
async fn the_development_sign_in_exists_only_with_demo() {
    let app = TestApp::spawn().await;
    let browser = Browser::new(&app);
    assert_eq!(
        browser.get("/console/dev-sign-in").await.status,
        StatusCode::NOT_FOUND
    );
    let page = browser.get("/console/sign-in").await;
    assert!(page.body.contains("Sign-in is not set up"), "{}", page.body);
    // A forged post is refused just the same.
    let page = browser
        .post(
            "/console/dev-sign-in",
            &[("token", "x"), ("external_id", "ann")],
        )
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);

    // With --demo, the form must come from this browser (its cookie).
    let demo = demo_app().await;
    demo.employee("ann", None).await;
    let browser = Browser::new(&demo);
    let page = browser
        .post(
            "/console/dev-sign-in",
            &[("token", "x"), ("external_id", "ann")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(demo.count("console_sessions").await, 0);
}

/// Every form needs the session's token: without it, or with another session's, nothing
/// changes and the answer is 403.
#[tokio::test]
async fn every_console_form_needs_the_sessions_csrf_token() {
    let app = demo_app().await;
    let (ann, _) = app.employee("ann", None).await;
    let admin = Browser::new(&app);
    admin.dev_sign_in("ann", true).await;
    let other = Browser::new(&app);
    other.dev_sign_in("ann", false).await;
    let others_token = other.get("/console/").await.csrf();
    let forms: &[(&str, &[(&str, &str)])] = &[
        (
            "/console/campaigns",
            &[
                ("name", "Week"),
                ("starts_on", "2026-10-05"),
                ("ends_on", "2026-10-09"),
            ],
        ),
        (
            "/console/widget-keys",
            &[("name", "Intranet"), ("boards", "true")],
        ),
        (
            "/console/webhooks",
            &[
                ("url", "https://example.com/hook"),
                ("events", "shoutout.published"),
            ],
        ),
        ("/console/directory/scim-tokens", &[("name", "IdP")]),
        (
            "/console/directory/import/commit",
            &[(
                "csv",
                "external_id,display_name,email\nzed,Zed,zed@example.com\n",
            )],
        ),
        ("/console/me/privacy", &[]),
        ("/console/sign-out", &[]),
    ];
    let person = format!("/console/directory/people/{ann}/deactivate");
    let mut all: Vec<(&str, &[(&str, &str)])> = forms.to_vec();
    all.push((&person, &[]));
    for (path, fields) in &all {
        let page = admin.post(path, fields).await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{path} without a token: {}",
            page.body
        );
        assert!(
            page.body.contains("did not come from the console"),
            "{path}"
        );
        let mut with_other = vec![("csrf", others_token.as_str())];
        with_other.extend_from_slice(fields);
        let page = admin.post(path, &with_other).await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{path} with another session's token"
        );
    }
    for table in ["campaigns", "webhook_endpoints", "scim_tokens"] {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
    assert_eq!(
        app.count("widget_keys").await,
        1,
        "the demo page's key alone"
    );
    assert_eq!(app.count("employees").await, 1);
    assert_eq!(
        app.count("console_sessions").await,
        2,
        "nobody was signed out"
    );
    let db = app.db().await;
    let active: bool = db
        .query_one("SELECT active FROM employees WHERE id = $1", &[&ann])
        .await
        .unwrap()
        .get(0);
    assert!(active);
    // The same post with the token works.
    let page = admin
        .submit(
            "/console/campaigns",
            &[
                ("name", "Week"),
                ("starts_on", "2026-10-05"),
                ("ends_on", "2026-10-09"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(app.count("campaigns").await, 1);
}

/// The console refuses what the API refuses: an employee opens no admin page and posts no
/// admin form; a manager moderates and reports on their own teams only.
#[tokio::test]
async fn the_console_refuses_what_the_api_refuses() {
    let app = demo_app().await;
    let support = app.team("Support", None).await;
    let sales = app.team("Sales", None).await;
    let (mia, _) = app.employee("mia", Some(support)).await;
    let (sam, _) = app.employee("sam", Some(sales)).await;
    let (ann, _) = app.employee("ann", Some(support)).await;
    app.set_manager(support, mia).await;
    let campaign = id_of(
        expect_status(
            app.post(
                "/api/v1/campaigns",
                &app.admin_token(),
                &json!({"name": "Week", "starts_on": "2026-10-05", "ends_on": "2026-10-09"}),
            )
            .await,
            StatusCode::CREATED,
        )
        .await,
    );

    let employee = Browser::new(&app);
    employee.dev_sign_in("ann", false).await;
    for path in [
        "/console/directory",
        "/console/directory/import",
        "/console/directory/scim-tokens",
        "/console/campaigns",
        "/console/widget-keys",
        "/console/webhooks",
        "/console/audit",
        "/console/moderation",
        "/console/team",
    ] {
        let page = employee.get(path).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.body);
    }
    let nav = employee.get("/console/").await.body;
    assert!(
        !nav.contains("/console/directory") && !nav.contains("/console/moderation"),
        "{nav}"
    );
    for (path, fields) in [
        (
            "/console/campaigns".to_owned(),
            vec![
                ("name", "Mine"),
                ("starts_on", "2026-10-05"),
                ("ends_on", "2026-10-09"),
            ],
        ),
        (format!("/console/campaigns/{campaign}/close"), vec![]),
        (
            "/console/widget-keys".to_owned(),
            vec![("name", "Mine"), ("boards", "true")],
        ),
        (
            format!("/console/directory/people/{sam}/deactivate"),
            vec![],
        ),
        (
            "/console/directory/import/commit".to_owned(),
            vec![(
                "csv",
                "external_id,display_name,email\nzed,Zed,zed@example.com\n",
            )],
        ),
    ] {
        let page = employee.submit(&path, &fields).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.body);
    }
    assert_eq!(
        app.count("widget_keys").await,
        1,
        "the demo page's key alone"
    );
    assert_eq!(app.count("employees").await, 3);
    // Someone else's page: not found for them.
    assert_eq!(
        employee.get(&format!("/console/people/{sam}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        employee.get(&format!("/console/people/{ann}")).await.status,
        StatusCode::OK
    );

    // The manager of Support: its report and people, not Sales'.
    let manager = Browser::new(&app);
    manager.dev_sign_in("mia", false).await;
    let report = manager.get("/console/team").await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert!(report.body.contains("Support"));
    assert!(
        !report.body.contains(&sales.to_string()),
        "Sales is not offered"
    );
    assert!(
        report.body.contains(&format!("/console/people/{ann}")),
        "links to people"
    );
    let page = manager.get(&format!("/console/team?team_id={sales}")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = manager
        .get(&format!(
            "/console/team?team_id={support}&period=custom&from=2026-01-01&to=2026-03-31&at="
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("1 January 2026 to 31 March 2026"),
        "any period"
    );
    let page = manager
        .get(&format!("/console/team?team_id={support}&period=fortnight"))
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    let print = manager
        .get(&format!(
            "/console/team/print?team_id={support}&period=quarter&at=2026-02-10"
        ))
        .await;
    assert_eq!(print.status, StatusCode::OK);
    assert!(print.body.contains("Recognition report: Support"));
    assert_eq!(
        manager
            .get(&format!("/console/team/print?team_id={sales}&period=month"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        manager.get(&format!("/console/people/{ann}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        manager.get(&format!("/console/people/{sam}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        manager.get("/console/moderation").await.status,
        StatusCode::OK
    );
    assert_eq!(
        manager.get("/console/directory").await.status,
        StatusCode::FORBIDDEN
    );
}

/// Moderation in the console: the queue shows the suggestion and its cues; approve with a
/// corrected value publishes it; reject needs a reason; a manager cannot decide praise for a
/// team they do not manage.
#[tokio::test]
async fn moderators_decide_customer_praise_in_the_console() {
    let app = demo_app().await;
    let support = app.team("Support", None).await;
    let sales = app.team("Sales", None).await;
    let (mia, _) = app.employee("mia", Some(support)).await;
    let (ann, _) = app.employee("ann", Some(support)).await;
    let (sam, _) = app.employee("sam", Some(sales)).await;
    app.set_manager(support, mia).await;
    let _ = ann;
    let ann_handle = app.praise_handle(ann).await;
    let sam_handle = app.praise_handle(sam).await;
    for (handle, message) in [
        (
            &ann_handle,
            "Ann stayed late to fix my broken order, so kind and patient",
        ),
        (&ann_handle, "buy cheap watches now"),
        (&sam_handle, "Sam went far beyond what I expected"),
    ] {
        expect_status(
            app.praise(handle, message, json!({"value": "helping_others"}))
                .await,
            StatusCode::ACCEPTED,
        )
        .await;
    }
    let ids: Vec<Uuid> = app
        .db()
        .await
        .query("SELECT id FROM shoutouts ORDER BY created_at", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();

    let manager = Browser::new(&app);
    manager.dev_sign_in("mia", false).await;
    let queue = manager.get("/console/moderation").await;
    assert!(
        queue
            .body
            .contains("Moderation <span class=\"count\">2</span>"),
        "the count in the navigation"
    );
    assert!(queue.body.contains("so kind and patient"));
    assert!(!queue.body.contains("Sam went far"), "Sales is not theirs");
    assert!(queue.body.contains("The words suggest"));
    assert!(queue.body.contains("<mark>"), "cues are shown");

    // Sam's praise is beyond reach: not found, nothing decided.
    let page = manager
        .submit(&format!("/console/moderation/{}/approve", ids[2]), &[])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
    // A reason is required.
    let page = manager
        .submit(
            &format!("/console/moderation/{}/reject", ids[1]),
            &[("reason", "  ")],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(page.body.contains("reason"));

    let page = manager
        .submit(
            &format!("/console/moderation/{}/approve", ids[0]),
            &[("value", "responding_with_care"), ("recipient", "")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = manager
        .submit(
            &format!("/console/moderation/{}/reject", ids[1]),
            &[("reason", "Spam")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let after = manager.get(page.location.as_deref().unwrap()).await;
    assert!(after.body.contains("Rejected: the praise stays hidden."));
    assert!(
        after
            .body
            .contains("Moderation <span class=\"count\">0</span>")
    );

    let db = app.db().await;
    let rows = db
        .query(
            "SELECT status::text, value::text FROM shoutouts ORDER BY created_at",
            &[],
        )
        .await
        .unwrap();
    let states: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        states[0],
        ("published".into(), "responding_with_care".into())
    );
    assert_eq!(states[1].0, "rejected");
    assert_eq!(states[2].0, "pending");
    let decided_by: String = db
        .query_one(
            "SELECT decided_by FROM moderation_decisions WHERE shoutout_id = $1",
            &[&ids[0]],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(decided_by, "mia");
}

/// The import shows what would change and writes nothing; committing the same file writes it.
#[tokio::test]
async fn imports_are_previewed_before_they_are_committed() {
    let app = demo_app().await;
    app.employee("ann", None).await;
    app.team("Support", None).await;
    let admin = Browser::new(&app);
    admin.dev_sign_in("ann", true).await;
    let csv = "external_id,display_name,email,team\nann,Ann Smith,ann@example.com,Support\nzed,Zed Doe,zed@example.com,Support\n";
    let preview = admin
        .submit("/console/directory/import", &[("csv", csv)])
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("Nothing has been written yet."));
    assert!(
        preview.body.contains("would create 1, update 1"),
        "{}",
        preview.body
    );
    assert!(
        preview.body.contains("<del>ann Example</del>"),
        "{}",
        preview.body
    );
    assert_eq!(app.count("employees").await, 1, "a preview writes nothing");

    // A bad file names the row and the field.
    let bad = admin
        .submit(
            "/console/directory/import",
            &[(
                "csv",
                "external_id,display_name,email\nyan,Yan,not-an-email\n",
            )],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(bad.body.contains("[0].email"), "{}", bad.body);
    let unknown = admin
        .submit(
            "/console/directory/import",
            &[("csv", "external_id,shoe_size\nyan,44\n")],
        )
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.body
    );

    let csrf = preview.csrf();
    let commit = admin
        .post(
            "/console/directory/import/commit",
            &[("csrf", &csrf), ("csv", csv)],
        )
        .await;
    assert_eq!(commit.status, StatusCode::OK, "{}", commit.body);
    assert!(commit.body.contains("1 created, 1 updated"));
    assert_eq!(app.count("employees").await, 2);
    let directory = admin.get("/console/directory?q=zed").await;
    assert!(directory.body.contains("Zed Doe"));
    assert!(directory.body.contains("Support"), "the team tree");
    let audit = admin.get("/console/audit?actor=ann").await;
    assert!(audit.body.contains("employee.created"), "{}", audit.body);
}

/// Editing and deactivating people, campaigns (create, move, close), SCIM tokens, widget
/// keys and webhooks: each shows its result, and the secrets once.
#[tokio::test]
async fn admins_run_the_directory_campaigns_keys_and_webhooks() {
    let app = TestApp::spawn_with(|config| {
        config.demo = true;
        config.webhooks_allow_private = true;
    })
    .await;
    let (ann, _) = app.employee("ann", None).await;
    let (bob, bob_token) = app.employee("bob", None).await;
    let admin = Browser::new(&app);
    admin.dev_sign_in("ann", true).await;

    // A person: a bad e-mail is refused with its field, then saved, then deactivated.
    let page = admin
        .submit(
            &format!("/console/directory/people/{bob}"),
            &[
                ("display_name", "Bob Stone"),
                ("email", "nope"),
                ("title", ""),
                ("team_id", ""),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("email"));
    let page = admin
        .submit(
            &format!("/console/directory/people/{bob}"),
            &[
                ("display_name", "Bob Stone"),
                ("email", "bob.stone@example.com"),
                ("title", "Agent"),
                ("team_id", ""),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let me = app
        .get(&format!("/api/v1/employees/{bob}"), &app.admin_token())
        .await;
    let me = expect_status(me, StatusCode::OK).await;
    assert_eq!(me["display_name"], "Bob Stone");
    assert_eq!(me["title"], "Agent");
    let page = admin
        .submit(&format!("/console/directory/people/{bob}/deactivate"), &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let refused = app.get("/api/v1/me/privacy", &bob_token).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "a leaver");

    // A campaign: shout-outs already given count; moving the dates counts again; closing.
    let (cat, cat_token) = app.employee("cat", None).await;
    let _ = cat;
    app.shoutout(
        &cat_token,
        &[ann],
        "helping_others",
        "Thanks for the help with the rota",
    )
    .await;
    let today = chrono::Utc::now().date_naive();
    let week_ago = (today - chrono::Days::new(7)).to_string();
    let yesterday = (today - chrono::Days::new(1)).to_string();
    let in_a_week = (today + chrono::Days::new(7)).to_string();
    let page = admin
        .submit(
            "/console/campaigns",
            &[
                ("name", "Thanks month"),
                ("starts_on", &week_ago),
                ("ends_on", &yesterday),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let campaign: Uuid = app
        .db()
        .await
        .query_one("SELECT id FROM campaigns", &[])
        .await
        .unwrap()
        .get(0);
    let board_path =
        format!("/api/v1/leaderboards/recipients?period=campaign&campaign_id={campaign}");
    let board = async |app: &TestApp| {
        expect_status(
            app.get(&board_path, &app.admin_token()).await,
            StatusCode::OK,
        )
        .await
    };
    assert_eq!(
        board(&app).await["entries"].as_array().unwrap().len(),
        0,
        "today is not in it"
    );
    let page = admin
        .submit(
            &format!("/console/campaigns/{campaign}"),
            &[
                ("name", "Thanks month"),
                ("starts_on", &week_ago),
                ("ends_on", &in_a_week),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(
        board(&app).await["entries"][0]["count"],
        1,
        "moved: counted again"
    );
    let page = admin
        .submit(
            &format!("/console/campaigns/{campaign}"),
            &[
                ("name", "Thanks month"),
                ("starts_on", &in_a_week),
                ("ends_on", &week_ago),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("ends_on"));
    let page = admin
        .submit(&format!("/console/campaigns/{campaign}/close"), &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let ends_on: chrono::NaiveDate = app
        .db()
        .await
        .query_one("SELECT ends_on FROM campaigns", &[])
        .await
        .unwrap()
        .get(0);
    assert!(ends_on <= in_a_week.parse().unwrap() && ends_on >= yesterday.parse().unwrap());

    // A SCIM token: shown once, then only its start; revoked.
    let page = admin
        .submit("/console/directory/scim-tokens", &[("name", "Okta")])
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("value=\"sst_"), "the secret, once");
    let list = admin.get("/console/directory/scim-tokens").await;
    assert!(list.body.contains("Okta") && !list.body.contains("value=\"sst_"));
    let token: Uuid = app
        .db()
        .await
        .query_one("SELECT id FROM scim_tokens", &[])
        .await
        .unwrap()
        .get(0);
    let page = admin
        .submit(
            &format!("/console/directory/scim-tokens/{token}/revoke"),
            &[],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert!(
        admin
            .get("/console/directory/scim-tokens")
            .await
            .body
            .contains("Revoked")
    );

    // A widget key: its snippet carries a key that reads the boards.
    let page = admin
        .submit(
            "/console/widget-keys",
            &[
                ("name", "Intranet"),
                ("boards", "true"),
                ("origins", "https://intranet.example.com"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("until an operator adds it to SHOUTOUT_CORS_ORIGINS"),
        "the origin is not allowed by CORS: the page says so"
    );
    let start = page.body.find("data-key=&quot;").expect("the snippet") + "data-key=&quot;".len();
    let key = &page.body[start..start + page.body[start..].find("&quot;").unwrap()];
    assert!(key.starts_with("swk_"), "{key}");
    // The key reads the boards from its intranet's origin, as the snippet's page would.
    let widget_board = async |key: &str| {
        app.client
            .get(format!(
                "{}/api/v1/leaderboards/recipients?period=month",
                app.base
            ))
            .header("X-Widget-Key", key)
            .header("Origin", "https://intranet.example.com")
            .send()
            .await
            .unwrap()
    };
    let board = widget_board(key).await;
    assert_eq!(board.status(), StatusCode::OK);
    let bad = admin
        .submit(
            "/console/widget-keys",
            &[
                ("name", "Bad"),
                ("boards", "true"),
                ("origins", "not an origin"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("origins[0]"), "{}", bad.body);
    let id: Uuid = app
        .db()
        .await
        .query_one("SELECT id FROM widget_keys WHERE name = 'Intranet'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        admin
            .submit(&format!("/console/widget-keys/{id}/revoke"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let board = widget_board(key).await;
    assert_eq!(board.status(), StatusCode::UNAUTHORIZED);

    // A webhook: added (secret once), tested, its delivery listed and sent again.
    let receiver = crate::receiver::Receiver::start().await;
    let page = admin
        .submit(
            "/console/webhooks",
            &[
                ("url", &receiver.url("/hook")),
                ("format", "standard"),
                ("events", "shoutout.published"),
                ("events", "shoutout.cheered"),
                ("description", "Audit bus"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("value=\"whsec_"));
    let endpoint: Uuid = app
        .db()
        .await
        .query_one("SELECT id FROM webhook_endpoints", &[])
        .await
        .unwrap()
        .get(0);
    let page = admin
        .submit(&format!("/console/webhooks/{endpoint}/test"), &[])
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let mut delivered = false;
    for _ in 0..100 {
        let page = admin.get(&format!("/console/webhooks/{endpoint}")).await;
        if page.body.contains("delivered") {
            delivered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(delivered, "the test event reached the receiver");
    let delivery: Uuid = app
        .db()
        .await
        .query_one(
            "SELECT id FROM webhook_deliveries ORDER BY created_at LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let page = admin
        .submit(
            &format!("/console/webhooks/{endpoint}/deliveries/{delivery}/redeliver"),
            &[],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = admin
        .submit(
            "/console/webhooks",
            &[("url", "https://example.com/x"), ("format", "standard")],
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no events chosen"
    );

    // The audit trail names the console's changes, filtered.
    let audit = admin.get("/console/audit?action=widget_key.revoked").await;
    assert!(audit.body.contains("widget_key.revoked"));
    assert!(!audit.body.contains("campaign.created"));
}

/// `My recognition`: received and given with who cheered, private ones marked, choices saved,
/// the praise link's card and the data export.
#[tokio::test]
async fn everyone_sees_their_own_recognition_and_sets_their_choices() {
    let app = demo_app().await;
    let (ann, ann_token) = app.employee("ann", None).await;
    let (bob, bob_token) = app.employee("bob", None).await;
    let given = app
        .shoutout(
            &bob_token,
            &[ann],
            "achieving_goals",
            "Ann rebuilt the rota in a day",
        )
        .await;
    let private = expect_status(
        app.post(
            "/api/v1/shoutouts",
            &bob_token,
            &json!({"recipient_ids": [ann], "value": "helping_others", "message": "A quiet thank you for the hard week", "visibility": "private"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let _ = private;
    app.shoutout(
        &ann_token,
        &[bob],
        "thriving_through_teamwork",
        "Bob covered my shift",
    )
    .await;
    let (_cat, cat_token) = app.employee("cat", None).await;
    expect_status(
        app.request(
            reqwest::Method::POST,
            &format!("/api/v1/shoutouts/{}/cheers", given["id"].as_str().unwrap()),
            Some(&cat_token),
            None,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;

    let browser = Browser::new(&app);
    browser.dev_sign_in("ann", false).await;
    let page = browser.get("/console/me").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Ann rebuilt the rota"));
    assert!(page.body.contains("A quiet thank you"));
    assert!(page.body.contains(">Private<"), "private ones are marked");
    assert!(page.body.contains("Bob covered my shift"));
    assert!(
        page.body.contains("Cheered by cat Example"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("data:image/svg+xml;base64,"),
        "the QR code"
    );
    let handle = app.praise_handle(ann).await;
    assert!(page.body.contains(&format!("/praise/{handle}")));

    let saved = browser
        .submit("/console/me/privacy", &[("show_on_wall", "true")])
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let privacy = expect_status(
        app.get("/api/v1/me/privacy", &ann_token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        privacy,
        json!({"show_on_boards": false, "show_on_wall": true})
    );
    let saved = browser
        .submit(
            "/console/me/notifications",
            &[("thanked", "true"), ("digest_day", "5")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let mail = expect_status(
        app.get("/api/v1/me/notifications", &ann_token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(mail["thanked"], true);
    assert_eq!(mail["digest"], false);
    assert_eq!(mail["digest_day"], "friday");
    let bad = browser
        .submit("/console/me/notifications", &[("digest_day", "9")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    let card = browser.get("/console/me/card").await;
    assert!(card.body.contains("Did ann Example help you today?"));
    let export = browser
        .client
        .get(format!("{}/console/me/export", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::OK);
    assert!(
        export.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let data: serde_json::Value = export.json().await.unwrap();
    assert!(data.to_string().contains("Ann rebuilt the rota"), "{data}");

    // Bob sees Ann's private thanks as its giver; Cat, a stranger to it, never does.
    let cat = Browser::new(&app);
    cat.dev_sign_in("cat", false).await;
    let page = cat.get(&format!("/console/people/{ann}")).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let _ = Role::Employee;
}
