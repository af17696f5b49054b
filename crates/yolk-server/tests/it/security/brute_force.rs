//! Item 4: brute force. The lockout policy (identity.json, tag Lockout policy) is stored per environment or
//! tenant and enforced on every password path, exactly under concurrent guesses; a locked account answers the
//! same whatever the password; the password paths are rate-limited per client address and per identifier (429
//! with `Retry-After`).

use axum::http::StatusCode;
use serde_json::{Value, json};
use yolk_server::Config;

use crate::support::{API_KEY, CLIENT_ID, PASSWORD, TestApp, assert_error};

const POLICY: &str = "/identity/resources/configurations/v1/lockout-policy";
const LOGIN: &str = "/identity/resources/auth/v1/user";

/// An app without the per-node rate limits, so only the lockout policy decides.
async fn unthrottled() -> TestApp {
    TestApp::with_config(Config { rate_limit_per_ip: 0, rate_limit_failures_per_identifier: 0, ..Config::default() })
        .await
}

async fn set_policy(app: &TestApp, max: i64) {
    let vt = app.vendor_token().await;
    let res = app.post(POLICY).bearer(&vt).json(json!({ "enabled": true, "maxAttempts": max })).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
}

async fn login(app: &TestApp, email: &str, password: &str) -> (StatusCode, Value) {
    let res = app.post(LOGIN).json(json!({ "email": email, "password": password })).send().await;
    (res.status, res.body)
}

#[tokio::test]
async fn the_lockout_policy_is_created_read_and_updated_per_environment_or_tenant() {
    let app = TestApp::new().await;
    let vt = app.vendor_token().await;
    assert_error(&app.get(POLICY).bearer(&vt).send().await, StatusCode::NOT_FOUND);
    let res = app.patch(POLICY).bearer(&vt).json(json!({ "enabled": true, "maxAttempts": 3 })).send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    for bad in [json!({ "enabled": true, "maxAttempts": 0 }), json!({ "enabled": true }), json!({ "maxAttempts": "5" })]
    {
        assert_error(&app.post(POLICY).bearer(&vt).json(bad).send().await, StatusCode::BAD_REQUEST);
    }
    let res = app.post(POLICY).bearer(&vt).json(json!({ "enabled": true, "maxAttempts": 5 })).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!((res.body["enabled"].clone(), res.body["maxAttempts"].clone()), (json!(true), json!(5)));
    let id = res.body["id"].clone();
    let res = app.post(POLICY).bearer(&vt).json(json!({ "enabled": true, "maxAttempts": 5 })).send().await;
    assert_error(&res, StatusCode::CONFLICT);
    let res = app.patch(POLICY).bearer(&vt).json(json!({ "enabled": false, "maxAttempts": 7 })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.get(POLICY).bearer(&vt).send().await;
    assert_eq!((res.body["id"].clone(), res.body["maxAttempts"].clone()), (id, json!(7)));
    // A tenant's own policy; an unknown tenant is a 404; a user token is not the environment.
    let tenant = app.seed_tenant("acme").await;
    assert_error(&app.get(POLICY).bearer(&vt).tenant(&tenant).send().await, StatusCode::NOT_FOUND);
    let res =
        app.post(POLICY).bearer(&vt).tenant(&tenant).json(json!({ "enabled": true, "maxAttempts": 2 })).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app.get(POLICY).bearer(&vt).tenant("nope").send().await;
    assert_error(&res, StatusCode::NOT_FOUND);
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    let token = app.user_token("ann@acme.io").await;
    assert_error(&app.get(POLICY).bearer(&token).send().await, StatusCode::UNAUTHORIZED);
}

/// 60 wrong passwords then the right one used to log in. Now the third wrong one locks the account, and a locked
/// account answers exactly like a wrong password, whatever is sent.
#[tokio::test]
async fn wrong_passwords_up_to_the_maximum_lock_the_user() {
    let app = unthrottled().await;
    set_policy(&app, 3).await;
    let tenant = app.seed_tenant("acme").await;
    let id = app.seed_user("ann@acme.io", &tenant, &[]).await;
    app.seed_user("bob@acme.io", &tenant, &[]).await;
    let session = app.user_token("ann@acme.io").await;
    for _ in 0..2 {
        assert_eq!(login(&app, "ann@acme.io", "wrong-1").await.0, StatusCode::UNAUTHORIZED);
    }
    // A success clears the count...
    assert_eq!(login(&app, "ann@acme.io", PASSWORD).await.0, StatusCode::OK);
    for _ in 0..3 {
        assert_eq!(login(&app, "ann@acme.io", "wrong-2").await.0, StatusCode::UNAUTHORIZED);
    }
    // ... three in a row lock the user and end its sessions.
    let right = login(&app, "ann@acme.io", PASSWORD).await;
    let wrong = login(&app, "ann@acme.io", "wrong-3").await;
    let unknown = login(&app, "nobody@acme.io", PASSWORD).await;
    assert_eq!(right.0, StatusCode::UNAUTHORIZED);
    assert_eq!(right, wrong, "no oracle: the right password answers like a wrong one");
    assert_eq!(right, unknown, "nor does a locked account differ from an unknown one");
    assert_error(&app.get("/identity/resources/users/v2/me").bearer(&session).send().await, StatusCode::UNAUTHORIZED);
    let vt = app.vendor_token().await;
    let user = app.get(&format!("/identity/resources/vendor-only/users/v1/{id}")).bearer(&vt).send().await;
    assert_eq!(user.body["isLocked"], true, "{}", user.text);
    // Other users are untouched; the environment's unlock gives a fresh count.
    assert_eq!(login(&app, "bob@acme.io", PASSWORD).await.0, StatusCode::OK);
    let res = app.post(&format!("/identity/resources/users/v1/{id}/unlock")).bearer(&vt).send().await;
    assert!(res.status.is_success(), "{}", res.text);
    assert_eq!(login(&app, "ann@acme.io", PASSWORD).await.0, StatusCode::OK);
}

/// 20 guesses at once with a maximum of 5: the store lets exactly 5 be checked (the contract test
/// `concurrent_login_attempts_never_exceed_the_maximum` counts them); the account ends locked and every answer is
/// the same 401, never an error.
#[tokio::test]
async fn parallel_guesses_cannot_outrun_the_policy() {
    let app = unthrottled().await;
    set_policy(&app, 5).await;
    let tenant = app.seed_tenant("acme").await;
    let id = app.seed_user("ann@acme.io", &tenant, &[]).await;
    let guesses = (0..20).map(|i| {
        let app = &app;
        async move { login(app, "ann@acme.io", &format!("guess-{i}")).await }
    });
    let answers = futures::future::join_all(guesses).await;
    assert!(answers.iter().all(|a| *a == answers[0] && a.0 == StatusCode::UNAUTHORIZED), "{answers:?}");
    assert!(app.store.get_user(id).await.unwrap().locked);
    assert_eq!(login(&app, "ann@acme.io", PASSWORD).await.0, StatusCode::UNAUTHORIZED);
}

/// The environment's password check (`vendor-only/users/v1/passwords/verify`) is a password path too, and a
/// tenant's policy wins over the environment's for the users whose active tenant it is.
#[tokio::test]
async fn the_vendor_password_check_counts_and_a_tenant_policy_wins() {
    let app = unthrottled().await;
    set_policy(&app, 10).await;
    let vt = app.vendor_token().await;
    let tenant = app.seed_tenant("acme").await;
    let res =
        app.post(POLICY).bearer(&vt).tenant(&tenant).json(json!({ "enabled": true, "maxAttempts": 2 })).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    let verify = |password: &'static str| {
        let (app, vt) = (&app, vt.clone());
        async move {
            app.post("/identity/resources/vendor-only/users/v1/passwords/verify")
                .bearer(&vt)
                .json(json!({ "email": "ann@acme.io", "password": password }))
                .send()
                .await
        }
    };
    let first = verify("nope").await;
    assert!(first.status.is_success(), "{}", first.text);
    assert_eq!(first.body["valid"], false, "{}", first.text);
    verify("nope").await;
    let res = verify(PASSWORD).await;
    assert_eq!(res.body["valid"], false, "locked after the tenant's 2, not the environment's 10: {}", res.text);
    assert_eq!(login(&app, "ann@acme.io", PASSWORD).await.0, StatusCode::UNAUTHORIZED);
}

/// Without a lockout policy, failures per identifier are limited per node: the 11th wrong password in a minute
/// (default 10) is a 429 with `Retry-After`, and so is the right one until the window moves on.
#[tokio::test]
async fn failures_per_identifier_are_rate_limited() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    app.seed_user("bob@acme.io", &tenant, &[]).await;
    for _ in 0..10 {
        assert_eq!(login(&app, "ANN@acme.io", "wrong").await.0, StatusCode::UNAUTHORIZED);
    }
    let res = app.post(LOGIN).json(json!({ "email": "ann@acme.io", "password": PASSWORD })).send().await;
    assert_error(&res, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers.get("retry-after").is_some_and(|v| v.to_str().unwrap().parse::<u64>().unwrap() >= 1));
    assert_eq!(login(&app, "bob@acme.io", PASSWORD).await.0, StatusCode::OK, "another identifier is not limited");
    app.clock.advance_secs(60);
    assert_eq!(login(&app, "ann@acme.io", PASSWORD).await.0, StatusCode::OK);
    // /auth/vendor: wrong secrets for the client id, then even the right one waits.
    for _ in 0..10 {
        let res = app.post("/auth/vendor").json(json!({ "clientId": CLIENT_ID, "secret": "guess" })).send().await;
        assert_error(&res, StatusCode::UNAUTHORIZED);
    }
    let res = app.post("/auth/vendor").json(json!({ "clientId": CLIENT_ID, "secret": API_KEY })).send().await;
    assert_error(&res, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.headers.get("retry-after").is_some());
}

/// Per client address, every attempt counts (here 5 a minute): the sixth from one address is a 429, another
/// address is not affected.
#[tokio::test]
async fn attempts_per_client_address_are_rate_limited() {
    let app = TestApp::with_config(Config { rate_limit_per_ip: 5, ..Config::default() }).await;
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@acme.io", &tenant, &[]).await;
    for i in 0..5 {
        let res = app
            .post(LOGIN)
            .peer_ip([203, 0, 113, 7])
            .json(json!({ "email": format!("u{i}@x.io"), "password": "p" }))
            .send()
            .await;
        assert_error(&res, StatusCode::UNAUTHORIZED);
    }
    let res = app
        .post(LOGIN)
        .peer_ip([203, 0, 113, 7])
        .json(json!({ "email": "ann@acme.io", "password": PASSWORD }))
        .send()
        .await;
    assert_error(&res, StatusCode::TOO_MANY_REQUESTS);
    let res = app
        .post("/auth/vendor")
        .peer_ip([203, 0, 113, 7])
        .json(json!({ "clientId": CLIENT_ID, "secret": API_KEY }))
        .send()
        .await;
    assert_error(&res, StatusCode::TOO_MANY_REQUESTS);
    let res = app
        .post(LOGIN)
        .peer_ip([203, 0, 113, 8])
        .json(json!({ "email": "ann@acme.io", "password": PASSWORD }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}
