//! Passwordless sign-in by magic link (`/auth/v1/passwordless/magiclink/prelogin` and `postlogin`), the link read
//! from the outbox.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{TestApp, assert_error, claims};

async fn magic_token(app: &TestApp, to: &str, count: usize) -> String {
    for _ in 0..500 {
        let messages = app.store.outbox(Some(to), 50).await.unwrap();
        if messages.len() >= count {
            let text = &messages[0].text;
            let link = text.split_whitespace().find(|w| w.contains("/account/login/magic-link?token=")).unwrap();
            return link.split_once("token=").unwrap().1.to_owned();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no magic link to {to}");
}

async fn enable_magic_link(app: &TestApp) {
    let token = app.vendor_token().await;
    let res = app
        .post("/identity/resources/configurations/v1")
        .bearer(&token)
        .json(json!({"authStrategy": "MagicLink", "defaultPasswordlessTokenExpiration": 600}))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
}

const PRELOGIN: &str = "/identity/resources/auth/v1/passwordless/magiclink/prelogin";
const POSTLOGIN: &str = "/frontegg/identity/resources/auth/v1/passwordless/magiclink/postlogin";

#[tokio::test]
async fn a_magic_link_signs_in_once_and_verifies_the_address() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let id = app.seed_user("ann@x.io", &tenant, &[]).await;
    // Off by default: both steps refuse.
    let res = app.post(PRELOGIN).json(json!({"email": "ann@x.io"})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert!(res.error().contains("magic link authentication should be enabled"));
    assert_error(&app.post(POSTLOGIN).json(json!({"token": "x"})).send().await, StatusCode::BAD_REQUEST);

    enable_magic_link(&app).await;
    let known = app.post(PRELOGIN).json(json!({"email": "ANN@x.io"})).send().await;
    let unknown = app.post(PRELOGIN).json(json!({"email": "nobody@x.io"})).send().await;
    assert_eq!(known.status, StatusCode::OK, "{}", known.text);
    assert_eq!((known.status, known.text.as_str()), (unknown.status, unknown.text.as_str()), "no enumeration");
    let token = magic_token(&app, "ann@x.io", 1).await;

    let res = app.post(POSTLOGIN).json(json!({"token": token})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(claims(res.body["accessToken"].as_str().unwrap())["sub"], id.to_string());
    assert!(res.cookie("fe_refresh").is_some(), "the session cookie is set");
    let env = app.vendor_token().await;
    let user = app.get(&format!("/identity/resources/vendor-only/users/v1/{id}")).bearer(&env).send().await;
    assert_eq!(user.body["verified"], true, "following the link proves the address");

    // Spent: once only. Garbage: the same 401.
    let again = app.post(POSTLOGIN).json(json!({"token": token})).send().await;
    assert_error(&again, StatusCode::UNAUTHORIZED);
    assert_error(&app.post(POSTLOGIN).json(json!({"token": "garbage"})).send().await, StatusCode::UNAUTHORIZED);
    assert_error(&app.post(POSTLOGIN).json(json!({})).send().await, StatusCode::BAD_REQUEST);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(app.store.outbox(Some("nobody@x.io"), 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_magic_link_expires_and_a_newer_one_replaces_it() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    enable_magic_link(&app).await;
    app.post(PRELOGIN).json(json!({"email": "ann@x.io"})).send().await;
    let first = magic_token(&app, "ann@x.io", 1).await;
    app.post(PRELOGIN).json(json!({"email": "ann@x.io"})).send().await;
    let second = magic_token(&app, "ann@x.io", 2).await;
    assert_error(&app.post(POSTLOGIN).json(json!({"token": first})).send().await, StatusCode::UNAUTHORIZED);
    app.clock.advance_secs(601);
    assert_error(&app.post(POSTLOGIN).json(json!({"token": second})).send().await, StatusCode::UNAUTHORIZED);
}

/// The sign-in strategy is enforced both ways: while it is `MagicLink` a password login is refused (before any
/// password check, so nothing is learned about the user), and it works again once the strategy is back.
#[tokio::test]
async fn the_auth_strategy_decides_whether_passwords_sign_in() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    enable_magic_link(&app).await;
    let login = json!({"email": "ann@x.io", "password": crate::support::PASSWORD});
    let res = app.post("/identity/resources/auth/v1/user").json(login.clone()).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert!(res.error().contains("password authentication is not enabled"), "{}", res.error());
    let unknown = json!({"email": "nobody@x.io", "password": "whatever"});
    let res = app.post("/identity/resources/auth/v1/user").json(unknown).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);

    let token = app.vendor_token().await;
    let res = app
        .post("/identity/resources/configurations/v1")
        .bearer(&token)
        .json(json!({"authStrategy": "EmailAndPassword"}))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    let res = app.post("/identity/resources/auth/v1/user").json(login).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}
