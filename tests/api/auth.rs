//! Bearer tokens and roles: every way a token can be wrong answers 401 (with `WWW-Authenticate`),
//! a valid token without the right answers 403, and `shoutout token` mints what the server
//! accepts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, Response, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use shoutout::auth::Role;
use uuid::Uuid;

use crate::helpers::{SECRET, TestApp, expect_problem, expect_status, id_of};

const ISSUER: &str = "https://idp.example.com/";
const AUDIENCE: &str = "shoutout-api";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Signs `claims` as they are (no defaults added) with `alg` and `secret`.
fn sign(claims: &Value, alg: Algorithm, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// An HS256 token signed with the test app's secret.
fn signed(claims: &Value) -> String {
    sign(claims, Algorithm::HS256, SECRET)
}

/// Claims that are valid for an app without issuer or audience.
fn good_claims(sub: &str) -> Value {
    json!({"sub": sub, "roles": ["admin"], "exp": now() + 3600})
}

/// Sends `GET /api/v1/me` with this exact `Authorization` header (or none).
async fn me_with_header(app: &TestApp, authorization: Option<&str>) -> Response {
    let mut request = app.client.get(format!("{}/api/v1/me", app.base));
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    request.send().await.expect("request sent")
}

/// Asserts a 401 problem with `WWW-Authenticate: Bearer`; returns the problem.
async fn expect_unauthorized(response: Response) -> Value {
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = expect_problem(response, StatusCode::UNAUTHORIZED, None).await;
    let challenge = challenge.unwrap_or_else(|| panic!("no WWW-Authenticate on a 401: {body}"));
    assert!(
        challenge.starts_with("Bearer"),
        "WWW-Authenticate must name the Bearer scheme, got `{challenge}`"
    );
    assert_eq!(body["type"], "/problems/unauthorized", "{body}");
    body
}

/// Asserts the token is refused with 401 on `GET /api/v1/me`, and that the answer does not echo
/// the token back.
pub(crate) async fn assert_refused(app: &TestApp, token: &str, why: &str) {
    let response = app.get("/api/v1/me", token).await;
    let status = response.status();
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{why}: got {status}");
    let body = expect_unauthorized(response).await;
    assert!(
        !body.to_string().contains(token),
        "{why}: the problem echoes the token: {body}"
    );
}

/// Asserts the token is accepted on `GET /api/v1/me`; returns the body.
pub(crate) async fn assert_accepted(app: &TestApp, token: &str, why: &str) -> Value {
    let response = app.get("/api/v1/me", token).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{why}: {text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn a_missing_or_malformed_authorization_header_is_401() {
    let app = TestApp::spawn().await;
    let good = app.admin_token();
    // The control: the same route answers with a good token.
    assert_accepted(&app, &good, "a minted admin token").await;

    let body = expect_unauthorized(me_with_header(&app, None).await).await;
    assert!(
        body["detail"].as_str().unwrap().contains("Bearer"),
        "the detail says what to send: {body}"
    );
    let basic = format!("Basic {}", URL_SAFE_NO_PAD.encode("alice:password"));
    for header in [
        basic.as_str(),
        "Token abc",
        &format!("Token {good}"),
        &good, // no scheme at all
        "Bearer",
        "Bearer ",
        "Bearer    ",
        &format!("Bearer{good}"),
    ] {
        let response = me_with_header(&app, Some(header)).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "`Authorization: {header}`"
        );
        expect_unauthorized(response).await;
    }
}

#[tokio::test]
async fn every_endpoint_that_needs_a_token_refuses_none() {
    let app = TestApp::spawn().await;
    let team = app.team("Support", None).await;
    let (bob, _) = app.employee("bob", Some(team)).await;
    let before = app.count("teams").await;
    let some = Uuid::now_v7();
    let requests: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/v1/me".into(), None),
        (Method::GET, "/api/v1/teams".into(), None),
        (
            Method::POST,
            "/api/v1/teams".into(),
            Some(json!({"name": "Sneaky"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/teams/{team}"),
            Some(json!({"name": "Renamed"})),
        ),
        (Method::GET, "/api/v1/employees".into(), None),
        (
            Method::POST,
            "/api/v1/employees".into(),
            Some(json!({"external_id": "x", "display_name": "X", "email": "x@example.com"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/employees/{bob}"),
            Some(json!({"active": false})),
        ),
        (Method::GET, "/api/v1/shoutouts".into(), None),
        (
            Method::POST,
            "/api/v1/shoutouts".into(),
            Some(json!({"recipient_ids": [bob], "value": "helping_others", "message": "hi"})),
        ),
        (Method::GET, format!("/api/v1/shoutouts/{some}"), None),
        (Method::DELETE, format!("/api/v1/shoutouts/{some}"), None),
        (
            Method::POST,
            format!("/api/v1/shoutouts/{some}/cheers"),
            None,
        ),
    ];
    for (method, path, body) in requests {
        let response = app
            .request(method.clone(), &path, None, body.as_ref())
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a token"
        );
        expect_unauthorized(response).await;
    }
    // A missing token is refused before the body is even looked at.
    let response = app
        .client
        .post(format!("{}/api/v1/shoutouts", app.base))
        .header("content-type", "application/json")
        .body("{ this is not json")
        .send()
        .await
        .unwrap();
    expect_unauthorized(response).await;

    assert_eq!(app.count("teams").await, before);
    assert_eq!(app.count("employees").await, 1);
    assert_eq!(app.count("shoutouts").await, 0);
    let bob_now = expect_status(
        app.get(&format!("/api/v1/employees/{bob}"), &app.admin_token())
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(bob_now["active"], true);
}

#[tokio::test]
async fn garbage_tokens_are_401() {
    let app = TestApp::spawn().await;
    let good = app.admin_token();
    let mut parts = good.split('.');
    let (header, payload) = (parts.next().unwrap(), parts.next().unwrap());
    for (token, why) in [
        ("garbage", "not a JWT"),
        ("a.b.c", "three parts of nonsense"),
        ("....", "only dots"),
        (&format!("{header}.{payload}"), "no signature part"),
        (&format!("{header}.{payload}."), "an empty signature"),
        (&format!("{header}.{payload}.AAAA"), "a wrong signature"),
        (&format!("{good}x"), "a tampered signature"),
        (&format!("{good}.extra"), "four parts"),
        (
            &format!("{header}.{}.{}", URL_SAFE_NO_PAD.encode("not json"), "x"),
            "a payload that is not JSON",
        ),
    ] {
        assert_refused(&app, token, why).await;
    }
    // A payload swapped for one with more rights keeps the old signature, which no longer fits.
    let employee = app.token("alice", &[Role::Employee]);
    let signature = employee.rsplit('.').next().unwrap();
    let forged = format!(
        "{header}.{}.{signature}",
        URL_SAFE_NO_PAD
            .encode(json!({"sub": "alice", "roles": ["admin"], "exp": now() + 3600}).to_string())
    );
    assert_refused(&app, &forged, "a payload swapped under a signature").await;
}

#[tokio::test]
async fn a_token_signed_with_another_secret_is_401() {
    let app = TestApp::spawn().await;
    let claims = good_claims("root-admin");
    assert_accepted(&app, &signed(&claims), "the control").await;
    let other = sign(
        &claims,
        Algorithm::HS256,
        "another-secret-another-secret-another-secret",
    );
    assert_refused(&app, &other, "signed with another secret").await;
    // The right secret with one byte off.
    let almost = format!("{}X", &SECRET[..SECRET.len() - 1]);
    assert_refused(
        &app,
        &sign(&claims, Algorithm::HS256, &almost),
        "a near-miss secret",
    )
    .await;
    // An empty key.
    assert_refused(&app, &sign(&claims, Algorithm::HS256, ""), "an empty key").await;
}

#[tokio::test]
async fn alg_none_is_refused() {
    let app = TestApp::spawn().await;
    let payload = URL_SAFE_NO_PAD.encode(good_claims("root-admin").to_string());
    for header in [
        json!({"alg": "none", "typ": "JWT"}),
        json!({"alg": "None", "typ": "JWT"}),
        json!({"alg": "NONE"}),
        json!({"typ": "JWT"}),
    ] {
        let header = URL_SAFE_NO_PAD.encode(header.to_string());
        assert_refused(
            &app,
            &format!("{header}.{payload}."),
            "an unsigned token (alg none)",
        )
        .await;
        // Nor does a signature rescue it.
        let signature = app.admin_token().rsplit('.').next().unwrap().to_owned();
        assert_refused(
            &app,
            &format!("{header}.{payload}.{signature}"),
            "alg none with a signature",
        )
        .await;
    }
    // An HS256 header over an empty signature.
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "typ": "JWT"}).to_string());
    assert_refused(
        &app,
        &format!("{header}.{payload}."),
        "HS256 with no signature",
    )
    .await;
}

#[tokio::test]
async fn algorithms_other_than_hs256_are_refused_even_with_the_right_secret() {
    let app = TestApp::spawn().await;
    let claims = good_claims("root-admin");
    assert_accepted(&app, &sign(&claims, Algorithm::HS256, SECRET), "HS256").await;
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let token = sign(&claims, alg, SECRET);
        assert_refused(&app, &token, &format!("{alg:?} is not listed")).await;
    }
    // A header that claims RS256 over an HMAC signature (the key-confusion attack).
    let hs = sign(&claims, Algorithm::HS256, SECRET);
    let mut parts = hs.splitn(2, '.');
    let _ = parts.next();
    let rest = parts.next().unwrap();
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "typ": "JWT"}).to_string());
    assert_refused(&app, &format!("{header}.{rest}"), "alg RS256 over HS256").await;
}

#[tokio::test]
async fn expiry_is_required_and_checked_with_30_seconds_of_leeway() {
    let app = TestApp::spawn().await;
    let with_exp = |exp: Value| json!({"sub": "root-admin", "roles": ["admin"], "exp": exp});
    // Long expired, and just beyond the leeway.
    for exp in [now() - 86_400, now() - 120, now() - 45] {
        let body_token = signed(&with_exp(json!(exp)));
        let response = app.get("/api/v1/me", &body_token).await;
        let problem = expect_unauthorized(response).await;
        assert!(
            problem["detail"].as_str().unwrap().contains("xpired"),
            "the detail says the token expired: {problem}"
        );
    }
    // Within the leeway (a little clock skew) it is still accepted.
    assert_accepted(&app, &signed(&with_exp(json!(now() - 5))), "5 s ago").await;
    // Missing, null, or not a number.
    assert_refused(
        &app,
        &signed(&json!({"sub": "root-admin", "roles": ["admin"]})),
        "no exp",
    )
    .await;
    assert_refused(&app, &signed(&with_exp(Value::Null)), "exp: null").await;
    assert_refused(
        &app,
        &signed(&with_exp(json!((now() + 3600).to_string()))),
        "exp as a string",
    )
    .await;
}

#[tokio::test]
async fn the_subject_is_required() {
    let app = TestApp::spawn().await;
    let exp = now() + 3600;
    for (claims, why) in [
        (json!({"roles": ["admin"], "exp": exp}), "no sub"),
        (
            json!({"sub": null, "roles": ["admin"], "exp": exp}),
            "sub: null",
        ),
        (
            json!({"sub": "", "roles": ["admin"], "exp": exp}),
            "empty sub",
        ),
        (
            json!({"sub": "   ", "roles": ["admin"], "exp": exp}),
            "blank sub",
        ),
        (
            json!({"sub": 42, "roles": ["admin"], "exp": exp}),
            "numeric sub",
        ),
    ] {
        assert_refused(&app, &signed(&claims), why).await;
    }
}

#[tokio::test]
async fn issuer_and_audience_are_required_when_configured() {
    let app = TestApp::spawn_with(|config| {
        config.jwt_issuer = Some(ISSUER.into());
        config.jwt_audience = Some(AUDIENCE.into());
    })
    .await;
    let exp = now() + 3600;
    let claims = |iss: Option<Value>, aud: Option<Value>| {
        let mut claims = json!({"sub": "root-admin", "roles": ["admin"], "exp": exp});
        if let Some(iss) = iss {
            claims["iss"] = iss;
        }
        if let Some(aud) = aud {
            claims["aud"] = aud;
        }
        claims
    };
    let (iss, aud) = (Some(json!(ISSUER)), Some(json!(AUDIENCE)));

    // The right ones are accepted (and so is the harness's own token, minted from the config).
    let body = assert_accepted(&app, &signed(&claims(iss.clone(), aud.clone())), "iss+aud").await;
    assert_eq!(body["subject"], "root-admin");
    assert_accepted(&app, &app.admin_token(), "a token minted from the config").await;

    for (claims, why) in [
        (claims(None, aud.clone()), "missing iss"),
        (
            claims(Some(json!("https://evil.example.com/")), aud.clone()),
            "wrong iss",
        ),
        (
            claims(Some(json!("https://idp.example.com")), aud.clone()),
            "iss without the slash",
        ),
        (claims(Some(Value::Null), aud.clone()), "iss: null"),
        (claims(iss.clone(), None), "missing aud"),
        (claims(iss.clone(), Some(json!("another-api"))), "wrong aud"),
        (
            claims(iss.clone(), Some(json!(["another-api"]))),
            "wrong aud list",
        ),
        (claims(iss.clone(), Some(Value::Null)), "aud: null"),
        (claims(None, None), "neither"),
    ] {
        assert_refused(&app, &signed(&claims), why).await;
    }
    // A token the default app would accept is refused here.
    assert_refused(
        &app,
        &signed(&good_claims("root-admin")),
        "no iss/aud at all",
    )
    .await;
}

/// RFC 7519 §4.1.3: `aud` may be one string or an array of strings; a token meant for several
/// services (as many identity providers issue) is accepted when ours is among them.
#[tokio::test]
async fn an_audience_list_that_names_us_is_accepted() {
    let app = TestApp::spawn_with(|config| {
        config.jwt_audience = Some(AUDIENCE.into());
    })
    .await;
    let exp = now() + 3600;
    let token = signed(&json!({
        "sub": "root-admin", "roles": ["admin"], "exp": exp,
        "aud": ["another-api", AUDIENCE],
    }));
    assert_accepted(&app, &token, "aud list including ours").await;
    let token = signed(&json!({
        "sub": "root-admin", "roles": ["admin"], "exp": exp, "aud": [AUDIENCE],
    }));
    assert_accepted(&app, &token, "aud list of one").await;
    // Only an issuer was not configured here: any `iss` is fine.
    let token = signed(&json!({
        "sub": "root-admin", "roles": ["admin"], "exp": exp, "aud": AUDIENCE,
        "iss": "https://anyone.example.com/",
    }));
    assert_accepted(&app, &token, "iss not configured").await;
}

#[tokio::test]
async fn admin_only_endpoints_refuse_employees_and_managers() {
    let app = TestApp::spawn().await;
    let team = app.team("Support", None).await;
    let (bob, bob_token) = app.employee("bob", Some(team)).await;
    let (carol, _) = app.employee("carol", Some(team)).await;
    // Carol manages the team, and her token says so.
    expect_status(
        app.patch(
            &format!("/api/v1/teams/{team}"),
            &app.admin_token(),
            &json!({"manager_id": carol}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let manager = app.token("carol", &[Role::Manager]);
    let manager_employee = app.token("carol", &[Role::Employee, Role::Manager]);
    let (teams, employees) = (app.count("teams").await, app.count("employees").await);

    let attempts: Vec<(Method, String, Value)> = vec![
        (
            Method::POST,
            "/api/v1/teams".into(),
            json!({"name": "Shadow IT"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/teams/{team}"),
            json!({"name": "Renamed"}),
        ),
        (
            Method::POST,
            "/api/v1/employees".into(),
            json!({"external_id": "mallory", "display_name": "Mallory", "email": "m@example.com"}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/employees/{bob}"),
            json!({"active": false}),
        ),
        (
            Method::POST,
            "/api/v1/employees/import".into(),
            json!([{"external_id": "mallory", "display_name": "Mallory", "email": "m@example.com"}]),
        ),
    ];
    for token in [&bob_token, &manager, &manager_employee] {
        for (method, path, body) in &attempts {
            let response = app
                .request(method.clone(), path, Some(token), Some(body))
                .await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{method} {path} without the admin role"
            );
            let problem = expect_problem(response, StatusCode::FORBIDDEN, None).await;
            assert_eq!(problem["type"], "/problems/forbidden");
        }
    }
    // None of it was written.
    assert_eq!(app.count("teams").await, teams);
    assert_eq!(app.count("employees").await, employees);
    let team_now = expect_status(
        app.get(&format!("/api/v1/teams/{team}"), &bob_token).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(team_now["name"], "Support");
    let bob_now = expect_status(
        app.get(&format!("/api/v1/employees/{bob}"), &bob_token)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(bob_now["active"], true);

    // Staff may still read what they may not write.
    expect_status(app.get("/api/v1/teams", &bob_token).await, StatusCode::OK).await;
    expect_status(app.get("/api/v1/teams", &manager).await, StatusCode::OK).await;

    // An admin may, whether or not they are in the directory, and whatever other roles they have.
    let admin = app.admin_token();
    let created = expect_status(
        app.post("/api/v1/teams", &admin, &json!({"name": "Sales"}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(created["name"], "Sales");
    let both = app.token("carol", &[Role::Manager, Role::Admin]);
    expect_status(
        app.patch(
            &format!("/api/v1/teams/{}", id_of(created)),
            &both,
            &json!({"name": "Sales EMEA"}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn a_subject_outside_the_directory_cannot_act_as_staff() {
    let app = TestApp::spawn().await;
    let (bob, _) = app.employee("bob", None).await;
    let body = json!({"recipient_ids": [bob], "value": "helping_others", "message": "Thanks!"});

    // A valid token whose subject is not an employee: authenticated (not 401), but not allowed
    // (403), as the contract says ("staff actions need the subject to be an active employee").
    let ghost = app.token("ghost", &[Role::Employee]);
    let response = app.post("/api/v1/shoutouts", &ghost, &body).await;
    let problem = expect_problem(response, StatusCode::FORBIDDEN, None).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("ghost"),
        "{problem}"
    );
    // Reading needs a directory entry too, for anyone but an admin.
    expect_problem(
        app.get("/api/v1/shoutouts", &ghost).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    expect_problem(
        app.get("/api/v1/teams", &ghost).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    // A manager role does not stand in for a directory entry.
    let ghost_manager = app.token("ghost", &[Role::Manager]);
    expect_problem(
        app.post("/api/v1/shoutouts", &ghost_manager, &body).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;

    // An admin outside the directory may read and run the directory, but not give.
    let admin = app.admin_token();
    expect_status(app.get("/api/v1/shoutouts", &admin).await, StatusCode::OK).await;
    expect_problem(
        app.post("/api/v1/shoutouts", &admin, &body).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    // /me still answers for them, with no employee record.
    let me = expect_status(app.get("/api/v1/me", &ghost).await, StatusCode::OK).await;
    assert_eq!(me["subject"], "ghost");
    assert_eq!(me["employee"], Value::Null);
    assert_eq!(me["roles"], json!(["employee"]));
    assert_eq!(me["managed_team_ids"], json!([]));

    assert_eq!(app.count("shoutouts").await, 0);
    assert_eq!(app.count("giver_daily_counts").await, 0);
}

#[tokio::test]
async fn a_deactivated_employee_cannot_give() {
    let app = TestApp::spawn().await;
    let (leaver_id, leaver) = app.employee("leaver", None).await;
    let (bob, bob_token) = app.employee("bob", None).await;
    // Before leaving, they could.
    let given = app
        .shoutout(&leaver, &[bob], "helping_others", "Thanks!")
        .await;
    let admin = app.admin_token();
    expect_status(
        app.patch(
            &format!("/api/v1/employees/{leaver_id}"),
            &admin,
            &json!({"active": false}),
        )
        .await,
        StatusCode::OK,
    )
    .await;

    // The token is still well-formed and unexpired, but the person has left.
    let body = json!({"recipient_ids": [bob], "value": "helping_others", "message": "One more"});
    let response = app.post("/api/v1/shoutouts", &leaver, &body).await;
    expect_problem(response, StatusCode::FORBIDDEN, None).await;
    // Not with an Idempotency-Key either, and not cheering or reading the feed.
    let response = app
        .client
        .post(format!("{}/api/v1/shoutouts", app.base))
        .bearer_auth(&leaver)
        .header("Idempotency-Key", "leaver-retry-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    expect_problem(response, StatusCode::FORBIDDEN, None).await;
    // Nor can a leaver receive.
    let response = app
        .post(
            "/api/v1/shoutouts",
            &bob_token,
            &json!({"recipient_ids": [leaver_id], "value": "achieving_goals", "message": "Bye!"}),
        )
        .await;
    expect_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("recipient_ids[0]"),
    )
    .await;
    expect_problem(
        app.request(
            Method::POST,
            &format!("/api/v1/shoutouts/{}/cheers", given["id"].as_str().unwrap()),
            Some(&leaver),
            None,
        )
        .await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    expect_problem(
        app.get("/api/v1/shoutouts", &leaver).await,
        StatusCode::FORBIDDEN,
        None,
    )
    .await;
    assert_eq!(
        app.count("shoutouts").await,
        1,
        "only the one given before leaving"
    );
    assert_eq!(app.count("idempotency_keys").await, 0);

    // /me still tells them who they are, and that they are inactive.
    let me = expect_status(app.get("/api/v1/me", &leaver).await, StatusCode::OK).await;
    assert_eq!(me["employee"]["active"], false);

    // Rehired: the same token works again.
    expect_status(
        app.patch(
            &format!("/api/v1/employees/{leaver_id}"),
            &admin,
            &json!({"active": true}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    expect_status(
        app.post("/api/v1/shoutouts", &leaver, &body).await,
        StatusCode::CREATED,
    )
    .await;
}

/// A board (and someone's standing) looks its viewer up in the directory beside its own
/// statement (the two round trips overlap), so the refusal must still be the answer: a leaver or a stranger learns nothing of
/// the board, not even that the campaign or team asked for does not exist, which a member is
/// told (in either order of the two answers: the statement here fails as fast as the look-up).
#[tokio::test]
async fn a_board_answers_a_leaver_or_a_stranger_with_their_refusal_alone() {
    let app = TestApp::spawn().await;
    let (leaver_id, leaver) = app.employee("leaver", None).await;
    let (_, member) = app.employee("member", None).await;
    let ghost = app.token("ghost", &[Role::Employee]);
    expect_status(
        app.patch(
            &format!("/api/v1/employees/{leaver_id}"),
            &app.admin_token(),
            &json!({"active": false}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let nil = Uuid::nil();
    let missing_campaign =
        format!("/api/v1/leaderboards/recipients?period=campaign&campaign_id={nil}");
    let missing_team = format!("/api/v1/leaderboards/givers?period=rolling_30d&team_id={nil}");
    let fine = "/api/v1/leaderboards/recipients?period=week";
    // Someone's standing looks the viewer up beside the subject, in the same way.
    let missing_subject = format!("/api/v1/leaderboards/recipients/{nil}?period=week");

    // What the board itself says, to a member.
    expect_problem(
        app.get(&missing_campaign, &member).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("campaign_id"),
    )
    .await;
    expect_problem(
        app.get(&missing_team, &member).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        Some("team_id"),
    )
    .await;
    expect_status(app.get(fine, &member).await, StatusCode::OK).await;
    expect_problem(
        app.get(&missing_subject, &member).await,
        StatusCode::NOT_FOUND,
        None,
    )
    .await;

    for (who, token) in [("leaver", &leaver), ("ghost", &ghost)] {
        for path in [
            &missing_campaign,
            &missing_team,
            &fine.to_owned(),
            &missing_subject,
        ] {
            let body =
                expect_problem(app.get(path, token).await, StatusCode::FORBIDDEN, None).await;
            assert!(
                body["detail"]
                    .as_str()
                    .unwrap()
                    .contains("is not an active employee"),
                "{who} on {path}: {body}"
            );
        }
    }
    // A token that does not verify never gets as far as the board.
    expect_unauthorized(app.get(&missing_campaign, "not-a-token").await).await;
}

#[tokio::test]
async fn me_returns_the_directory_record_and_roles() {
    let app = TestApp::spawn().await;
    let team = app.team("Support", None).await;
    let admin = app.admin_token();
    let created = expect_status(
        app.post(
            "/api/v1/employees",
            &admin,
            &json!({
                "external_id": "alice",
                "display_name": "Alice Example",
                "email": "alice@example.com",
                "team_id": team,
                "title": "Agent",
            }),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let alice = id_of(created.clone());
    let managed = app.team("Tier 1", Some(team)).await;
    expect_status(
        app.patch(
            &format!("/api/v1/teams/{managed}"),
            &admin,
            &json!({"manager_id": alice}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    // Directory changes move `updated_at`; read the record as it is now.
    let record = expect_status(
        app.get(&format!("/api/v1/employees/{alice}"), &admin).await,
        StatusCode::OK,
    )
    .await;

    let token = app.token("alice", &[Role::Manager, Role::Employee]);
    let me = expect_status(app.get("/api/v1/me", &token).await, StatusCode::OK).await;
    assert_eq!(me["subject"], "alice");
    assert_eq!(
        me["roles"],
        json!(["employee", "manager"]),
        "sorted, once each"
    );
    assert_eq!(me["managed_team_ids"], json!([managed]));
    let employee = &me["employee"];
    assert_eq!(employee, &record, "the same view as the directory gives");
    assert_eq!(employee["id"], alice.to_string());
    assert_eq!(employee["external_id"], "alice");
    assert_eq!(employee["display_name"], "Alice Example");
    assert_eq!(employee["email"], "alice@example.com");
    assert_eq!(employee["team_id"], team.to_string());
    assert_eq!(employee["title"], "Agent");
    assert_eq!(employee["active"], true);
    for field in ["created_at", "updated_at"] {
        let at = employee[field].as_str().unwrap();
        let parsed = chrono::DateTime::parse_from_rfc3339(at)
            .unwrap_or_else(|e| panic!("{field} `{at}` is not RFC 3339: {e}"));
        assert_eq!(parsed.offset().local_minus_utc(), 0, "{field} is in UTC");
    }

    // Absent roles mean `employee`; so does an empty list.
    let exp = now() + 3600;
    for claims in [
        json!({"sub": "alice", "exp": exp}),
        json!({"sub": "alice", "exp": exp, "roles": []}),
    ] {
        let me = expect_status(
            app.get("/api/v1/me", &signed(&claims)).await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(me["roles"], json!(["employee"]), "{claims}");
        assert_eq!(me["employee"]["id"], alice.to_string());
    }
    let me = expect_status(app.get("/api/v1/me", &admin).await, StatusCode::OK).await;
    assert_eq!(me["subject"], "root-admin");
    assert_eq!(me["roles"], json!(["admin"]));
    assert_eq!(me["employee"], Value::Null);
}

/// Runs the `shoutout` binary with only the settings given here.
fn shoutout_command(secret: &str) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_shoutout"));
    command
        .env("SHOUTOUT_JWT_SECRET", secret)
        .env_remove("SHOUTOUT_JWT_ISSUER")
        .env_remove("SHOUTOUT_JWT_AUDIENCE")
        .kill_on_drop(true);
    command
}

async fn mint_with_cli(command: &mut tokio::process::Command) -> String {
    let output = command.output().await.expect("running `shoutout token`");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "`shoutout token` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = stdout.trim().to_owned();
    assert_eq!(token.lines().count(), 1, "one line, the token: {stdout:?}");
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    token
}

#[tokio::test]
async fn the_token_subcommand_mints_what_the_server_accepts() {
    let app = TestApp::spawn().await;
    let secret = app
        .config
        .jwt_secret
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_owned();

    let token = mint_with_cli(
        shoutout_command(&secret).args(["token", "--sub", "alice", "--role", "admin"]),
    )
    .await;
    let me = expect_status(app.get("/api/v1/me", &token).await, StatusCode::OK).await;
    assert_eq!(me["subject"], "alice");
    assert_eq!(me["roles"], json!(["admin"]));
    // It really is an admin token.
    expect_status(
        app.post("/api/v1/teams", &token, &json!({"name": "From the CLI"}))
            .await,
        StatusCode::CREATED,
    )
    .await;

    // The secret as a flag, several roles, and the default role.
    let token = mint_with_cli(
        shoutout_command("unused-unused-unused-unused-unused-0").args([
            "token",
            "--sub",
            "bob",
            "--role",
            "manager",
            "--role",
            "admin",
            "--jwt-secret",
            &secret,
        ]),
    )
    .await;
    let me = expect_status(app.get("/api/v1/me", &token).await, StatusCode::OK).await;
    assert_eq!(me["roles"], json!(["manager", "admin"]));
    let token = mint_with_cli(shoutout_command(&secret).args(["token", "--sub", "carol"])).await;
    let me = expect_status(app.get("/api/v1/me", &token).await, StatusCode::OK).await;
    assert_eq!(me["roles"], json!(["employee"]));

    // Minted with another secret, it is refused.
    let token = mint_with_cli(
        shoutout_command("another-secret-another-secret-another-secret")
            .args(["token", "--sub", "alice", "--role", "admin"]),
    )
    .await;
    assert_refused(&app, &token, "a CLI token with another secret").await;

    // A secret that is too short is refused by the CLI itself.
    let output = shoutout_command("short")
        .args(["token", "--sub", "alice"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("32 bytes"), "{stderr}");
    assert!(output.stdout.is_empty(), "no token is printed");
}

#[tokio::test]
async fn the_token_subcommand_honours_issuer_and_audience() {
    let app = TestApp::spawn_with(|config| {
        config.jwt_issuer = Some(ISSUER.into());
        config.jwt_audience = Some(AUDIENCE.into());
    })
    .await;
    let secret = app
        .config
        .jwt_secret
        .as_ref()
        .unwrap()
        .expose_secret()
        .to_owned();
    let token = mint_with_cli(
        shoutout_command(&secret)
            .args(["token", "--sub", "alice", "--role", "admin"])
            .env("SHOUTOUT_JWT_ISSUER", ISSUER)
            .env("SHOUTOUT_JWT_AUDIENCE", AUDIENCE),
    )
    .await;
    assert_accepted(&app, &token, "CLI token with iss and aud").await;
    // Without them the server refuses what the CLI mints.
    let token = mint_with_cli(
        shoutout_command(&secret).args(["token", "--sub", "alice", "--role", "admin"]),
    )
    .await;
    assert_refused(&app, &token, "CLI token without iss/aud").await;
}
