//! Tokens from a company's identity provider: RS256 and EdDSA, from a key file or a JWKS (a
//! file, or a URL fetched, cached, refreshed on rotation at most once per cooldown, with a
//! timeout and a size cap); every forgery refused; production mode refuses HS256; and tokens
//! minted by another library (Python's PyJWT) verify.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use shoutout::auth::TokenVerifier;
use shoutout::config::{Config, Mode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::auth::{assert_accepted, assert_refused};
use crate::helpers::{SECRET, TestApp};

const ISSUER: &str = "https://login.example.test/";
const AUDIENCE: &str = "shoutout";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/idp")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims(sub: &str) -> Value {
    json!({"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "exp": now() + 600, "roles": ["employee"]})
}

fn without(claim: &str) -> Value {
    let mut c = claims("someone");
    c.as_object_mut().unwrap().remove(claim);
    c
}

fn with(claim: &str, value: Value) -> Value {
    let mut c = claims("someone");
    c[claim] = value;
    c
}

/// Signs with a private key of the fixtures (RSA keys for RS*/PS*, Ed25519 for EdDSA).
fn sign(claims: &Value, alg: Algorithm, key: &str, kid: Option<&str>) -> String {
    let pem = read(key);
    let key = match alg {
        Algorithm::EdDSA => EncodingKey::from_ed_pem(&pem).unwrap(),
        _ => EncodingKey::from_rsa_pem(&pem).unwrap(),
    };
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn rs256(claims: &Value) -> String {
    sign(claims, Algorithm::RS256, "rsa.key", Some("rsa-1"))
}

/// An identity provider's settings, on top of the test configuration.
fn idp(config: &mut Config) {
    config.jwt_issuer = Some(ISSUER.into());
    config.jwt_audience = Some(AUDIENCE.into());
}

#[tokio::test]
async fn rs256_tokens_from_a_key_file_verify_and_every_forgery_is_refused() {
    let app = TestApp::spawn_with(|c| {
        idp(c);
        c.jwt_public_key = Some(fixture("rsa.pub"));
    })
    .await;
    let me = assert_accepted(&app, &rs256(&claims("ann")), "a good RS256 token").await;
    assert_eq!(me["subject"], "ann");
    // A key file has no key ids: a token without one verifies too.
    assert_accepted(
        &app,
        &sign(&claims("ann"), Algorithm::RS256, "rsa.key", None),
        "RS256 without kid",
    )
    .await;
    assert_accepted(
        &app,
        &rs256(&with("exp", json!(now() - 10))),
        "expired within the 30 s leeway",
    )
    .await;

    let good = rs256(&claims("ann"));
    let [header, payload, signature] =
        <[&str; 3]>::try_from(good.split('.').collect::<Vec<_>>()).unwrap();
    let admin_payload = URL_SAFE_NO_PAD.encode(
        json!({"sub": "ann", "iss": ISSUER, "aud": AUDIENCE, "exp": now() + 600, "roles": ["admin"]})
            .to_string(),
    );
    let none = URL_SAFE_NO_PAD.encode(json!({"alg": "none", "typ": "JWT"}).to_string());
    let hs256_with_public_key = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims("ann"),
        &EncodingKey::from_secret(&read("rsa.pub")),
    )
    .unwrap();
    let cases: Vec<(&str, String)> = vec![
        ("alg none", format!("{none}.{payload}.")),
        (
            "alg none with the good signature",
            format!("{none}.{payload}.{signature}"),
        ),
        (
            "HS256 signed with the RSA public key",
            hs256_with_public_key,
        ),
        (
            "HS256 signed with a secret that is not the service's",
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims("ann"),
                &EncodingKey::from_secret(b"not the secret of this service at all!!"),
            )
            .unwrap(),
        ),
        (
            "RS384 (not listed)",
            sign(&claims("ann"), Algorithm::RS384, "rsa.key", None),
        ),
        (
            "RS512 (not listed)",
            sign(&claims("ann"), Algorithm::RS512, "rsa.key", None),
        ),
        (
            "PS256 (not listed)",
            sign(&claims("ann"), Algorithm::PS256, "rsa.key", None),
        ),
        (
            "EdDSA with no Ed25519 key configured",
            sign(&claims("ann"), Algorithm::EdDSA, "ed25519.key", None),
        ),
        (
            "signed by another key",
            sign(
                &claims("ann"),
                Algorithm::RS256,
                "other-rsa.key",
                Some("rsa-1"),
            ),
        ),
        (
            "payload swapped for an admin one",
            format!("{header}.{admin_payload}.{signature}"),
        ),
        ("signature cut off", format!("{header}.{payload}.")),
        ("missing exp", rs256(&without("exp"))),
        ("missing iss", rs256(&without("iss"))),
        ("missing aud", rs256(&without("aud"))),
        ("missing sub", rs256(&without("sub"))),
        (
            "another issuer",
            rs256(&with("iss", json!("https://evil.example.test/"))),
        ),
        (
            "another audience",
            rs256(&with("aud", json!("someone-else"))),
        ),
        (
            "exp as a string",
            rs256(&with("exp", json!((now() + 600).to_string()))),
        ),
        (
            "nbf as a string",
            rs256(&with("nbf", json!((now() - 60).to_string()))),
        ),
        (
            "expired past the leeway",
            rs256(&with("exp", json!(now() - 120))),
        ),
        ("nbf in the future", rs256(&with("nbf", json!(now() + 300)))),
        ("an empty sub", rs256(&with("sub", json!("")))),
    ];
    for (why, token) in &cases {
        assert_refused(&app, token, why).await;
    }
    // Development mode still takes the development secret's HS256 tokens beside the key.
    assert_accepted(&app, &app.admin_token(), "development HS256 token").await;
}

/// A JWKS over HTTP on loopback that counts its fetches; what it serves can change.
struct JwksServer {
    url: String,
    document: Arc<Mutex<Vec<u8>>>,
    fetches: Arc<AtomicUsize>,
}

impl JwksServer {
    async fn start(document: Vec<u8>, answer: bool) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/.well-known/jwks.json",
            listener.local_addr().unwrap()
        );
        let document = Arc::new(Mutex::new(document));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (served, count) = (document.clone(), fetches.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                count.fetch_add(1, Ordering::SeqCst);
                let body = served.lock().unwrap().clone();
                tokio::spawn(async move {
                    let mut request = [0u8; 4096];
                    let _ = socket.read(&mut request).await;
                    if !answer {
                        // A provider that hangs: hold the connection open, say nothing.
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        return;
                    }
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = socket.write_all(head.as_bytes()).await;
                    let _ = socket.write_all(&body).await;
                });
            }
        });
        Self {
            url,
            document,
            fetches,
        }
    }

    fn serve(&self, document: Vec<u8>) {
        *self.document.lock().unwrap() = document;
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

/// The service with its identity provider's JWKS served on loopback (from `jwks.json`).
async fn with_served_jwks(adjust: impl FnOnce(&mut Config)) -> (JwksServer, TestApp) {
    let jwks = JwksServer::start(read("jwks.json"), true).await;
    let app = TestApp::spawn_with(|c| {
        idp(c);
        c.jwks = Some(jwks.url.clone());
        adjust(c);
    })
    .await;
    (jwks, app)
}

#[tokio::test]
async fn a_fetched_jwks_is_cached_follows_rotation_at_most_once_per_cooldown_and_is_capped() {
    let (jwks, app) = with_served_jwks(|c| {
        c.jwks_cooldown_secs = 2;
        c.jwks_max_bytes = 16_384;
    })
    .await;
    assert_eq!(jwks.fetches(), 1, "fetched once at start");
    for _ in 0..3 {
        assert_accepted(&app, &rs256(&claims("ann")), "RS256 from the JWKS").await;
    }
    assert_accepted(
        &app,
        &sign(
            &claims("ann"),
            Algorithm::EdDSA,
            "ed25519.key",
            Some("ed-1"),
        ),
        "EdDSA from the JWKS",
    )
    .await;
    assert_eq!(jwks.fetches(), 1, "known keys are served from the cache");
    // The HMAC key in the set never verifies anything, whatever the token's header says.
    let hmac = jsonwebtoken::encode(
        &Header {
            kid: Some("hmac-1".into()),
            ..Header::new(Algorithm::HS256)
        },
        &claims("ann"),
        &EncodingKey::from_secret(&read("rsa.pub")),
    )
    .unwrap();
    assert_refused(&app, &hmac, "HS256 with the JWKS's oct key").await;

    // The provider rotates: a token with the new key id makes one fetch, and until the
    // cooldown has passed no further token can make another.
    let rotated = sign(
        &claims("ann"),
        Algorithm::RS256,
        "other-rsa.key",
        Some("rsa-2"),
    );
    assert_refused(
        &app,
        &rotated,
        "an unknown key id within the start's cooldown",
    )
    .await;
    assert_eq!(
        jwks.fetches(),
        1,
        "no fetch within the cooldown of the first"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_refused(
        &app,
        &rotated,
        "a key id the provider has not published yet",
    )
    .await;
    assert_eq!(
        jwks.fetches(),
        2,
        "an unknown key id fetches the JWKS again"
    );
    jwks.serve(read("rotated-jwks.json"));
    for _ in 0..5 {
        assert_refused(&app, &rotated, "within the cooldown").await;
    }
    assert_eq!(jwks.fetches(), 2, "at most one fetch per cooldown");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_accepted(&app, &rotated, "the rotated key, after the cooldown").await;
    assert_eq!(jwks.fetches(), 3);
    assert_refused(&app, &rs256(&claims("ann")), "the retired key").await;

    // A JWKS over the size cap is refused and the keys held are kept.
    let mut huge = serde_json::from_slice::<Value>(&read("rotated-jwks.json")).unwrap();
    huge["padding"] = json!("x".repeat(20_000));
    jwks.serve(huge.to_string().into_bytes());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let unknown = sign(&claims("ann"), Algorithm::RS256, "rsa.key", Some("rsa-9"));
    assert_refused(&app, &unknown, "a key id no JWKS has").await;
    assert_eq!(jwks.fetches(), 4, "the oversized JWKS was fetched");
    assert_accepted(&app, &rotated, "the keys held survive a bad fetch").await;
}

#[tokio::test]
async fn a_provider_that_hangs_costs_one_timeout_and_the_service_still_starts() {
    let jwks = JwksServer::start(Vec::new(), false).await;
    let started = std::time::Instant::now();
    let app = TestApp::spawn_with(|c| {
        idp(c);
        c.jwks = Some(jwks.url.clone());
        c.jwks_timeout_ms = 300;
    })
    .await;
    // Generous bound: this checks that a timeout exists, not how fast anything is.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the start waited {:?} for a provider that never answers",
        started.elapsed()
    );
    assert_refused(
        &app,
        &rs256(&claims("ann")),
        "no keys while the provider hangs",
    )
    .await;
    assert_accepted(
        &app,
        &app.admin_token(),
        "the development token still works",
    )
    .await;
}

#[tokio::test]
async fn production_mode_refuses_hs256_and_starts_only_with_an_identity_provider() {
    let base = TestApp::spawn().await;
    let mut config = base.config.clone();
    config.mode = Mode::Production;
    let refused = |c: &Config| {
        let c = c.clone();
        async move {
            match TokenVerifier::from_config(&c).await {
                Ok(_) => panic!("production started with {:?}", (c.jwt_public_key, c.jwks)),
                Err(e) => format!("{e:#}"),
            }
        }
    };
    let why = refused(&config).await;
    assert!(why.contains("HS256"), "{why}");
    config.jwt_public_key = Some(fixture("rsa.pub"));
    let why = refused(&config).await;
    assert!(why.contains("SHOUTOUT_JWT_ISSUER"), "{why}");
    idp(&mut config);
    config.jwt_secret = Some("too short".to_owned().into());
    let why = refused(&config).await;
    assert!(why.contains("at least 32 bytes"), "{why}");
    config.jwt_secret = Some(SECRET.to_owned().into());
    config.jwt_public_key = None;
    config.jwks = Some("http://login.example.test/jwks.json".into());
    let why = refused(&config).await;
    assert!(why.contains("https"), "{why}");

    // The binary says so and exits, before touching anything.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_shoutout"))
        .arg("serve")
        .env("DATABASE_URL", &base.database_url)
        .env("SHOUTOUT_JWT_SECRET", SECRET)
        .env("SHOUTOUT_MODE", "production")
        .env("SHOUTOUT_BIND", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("production mode"), "{stderr}");

    // Fully configured: identity-provider tokens only.
    let app = TestApp::spawn_with(|c| {
        idp(c);
        c.mode = Mode::Production;
        c.jwks = Some(fixture("jwks.json").display().to_string());
    })
    .await;
    assert_refused(&app, &app.admin_token(), "an HS256 token in production").await;
    assert_accepted(&app, &rs256(&claims("ann")), "RS256 in production").await;
    assert_accepted(
        &app,
        &sign(
            &claims("ann"),
            Algorithm::EdDSA,
            "ed25519.key",
            Some("ed-1"),
        ),
        "EdDSA in production",
    )
    .await;
}

/// Production mode reads a JWKS URL's host as a URL parser does: plain http only to this
/// machine, whatever the letter case or a user name in front of the host.
#[tokio::test]
async fn production_mode_takes_a_plain_http_jwks_only_from_this_machine() {
    let base = TestApp::spawn().await;
    let mut config = base.config.clone();
    idp(&mut config);
    config.mode = Mode::Production;
    for refused in [
        "http://login.example.test/jwks.json",
        "HTTP://login.example.test/jwks.json",
        "Http://login.example.test/jwks.json",
        "http://127.0.0.1:80@login.example.test/jwks.json",
        "http://localhost@login.example.test/jwks.json",
        "http://127.0.0.1.nip.example.test/jwks.json",
        "http://localhost.example.test/jwks.json",
        "http://[::ffff:203.0.113.9]/jwks.json",
        "http:///jwks.json",
    ] {
        config.jwks = Some(refused.into());
        let why = format!("{:#}", config.check_mode().expect_err(refused));
        assert!(why.contains("https"), "{refused}: {why}");
    }
    for accepted in [
        "https://login.example.test/jwks.json",
        "HTTPS://login.example.test/jwks.json",
        "http://127.0.0.1:9/jwks.json",
        "http://127.8.9.10/jwks.json",
        "http://localhost:9/jwks.json",
        "http://[::1]:9/jwks.json",
        "/etc/shoutout/jwks.json",
    ] {
        config.jwks = Some(accepted.into());
        config
            .check_mode()
            .unwrap_or_else(|e| panic!("{accepted} refused: {e:#}"));
    }
}

#[tokio::test]
async fn tokens_minted_by_pyjwt_verify() {
    let app = TestApp::spawn_with(|c| {
        idp(c);
        c.jwks = Some(fixture("jwks.json").display().to_string());
    })
    .await;
    let python = std::env::var("SHOUTOUT_TEST_PYTHON").unwrap_or_else(|_| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/py/bin/python")
            .display()
            .to_string()
    });
    let script = r#"
import sys, time, jwt
folder, iss, aud = sys.argv[1:4]
claims = {"sub": "py-user", "iss": iss, "aud": aud, "exp": int(time.time()) + 600,
          "nbf": int(time.time()) - 5, "iat": int(time.time()), "roles": ["manager"]}
for alg, key, kid in [("RS256", "rsa.key", "rsa-1"), ("EdDSA", "ed25519.key", "ed-1")]:
    print(jwt.encode(claims, open(f"{folder}/{key}").read(), algorithm=alg, headers={"kid": kid}))
"#;
    let output = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(fixture(""))
        .args([ISSUER, AUDIENCE])
        .output()
        .unwrap_or_else(|e| panic!("running {python} (scripts/python.sh installs it): {e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tokens = String::from_utf8(output.stdout).unwrap();
    let tokens: Vec<&str> = tokens.lines().collect();
    assert_eq!(tokens.len(), 2);
    for token in tokens {
        let me = assert_accepted(&app, token, "a PyJWT token").await;
        assert_eq!(me["subject"], "py-user");
        assert_eq!(me["roles"], json!(["manager"]));
    }
}

#[tokio::test]
async fn a_jwks_older_than_its_max_age_is_fetched_again_when_next_used() {
    let (jwks, app) = with_served_jwks(|c| {
        c.jwks_max_age_secs = 3;
        c.jwks_cooldown_secs = 1;
    })
    .await;
    assert_accepted(&app, &rs256(&claims("ann")), "fresh keys").await;
    assert_eq!(jwks.fetches(), 1);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_accepted(&app, &rs256(&claims("ann")), "keys past their age").await;
    assert_eq!(jwks.fetches(), 2, "stale keys are fetched again");
    assert_accepted(&app, &rs256(&claims("ann")), "fresh again").await;
    assert_eq!(jwks.fetches(), 2);
}
