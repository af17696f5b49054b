//! Self-service unlock (`POST /users/v3/me/unlock`): the lockout policy emails an unlock link when it locks a user;
//! its token unlocks the account once.

use axum::http::StatusCode;
use serde_json::json;
use yolk_server::Config;

use crate::support::{PASSWORD, TestApp, assert_error};

const UNLOCK: &str = "/identity/resources/users/v3/me/unlock";
const LOGIN: &str = "/identity/resources/auth/v1/user";

async fn unthrottled() -> TestApp {
    TestApp::with_config(Config { rate_limit_per_ip: 0, rate_limit_failures_per_identifier: 0, ..Config::default() })
        .await
}

async fn login(app: &TestApp, email: &str, password: &str) -> StatusCode {
    app.post(LOGIN).json(json!({ "email": email, "password": password })).send().await.status
}

/// Waits for the `count`-th email to `to` and answers the unlock token of the newest one.
async fn unlock_token(app: &TestApp, to: &str, count: usize) -> String {
    for _ in 0..500 {
        let messages = app.store.outbox(Some(to), 50).await.unwrap();
        if messages.len() >= count {
            let link = messages[0]
                .text
                .split_whitespace()
                .find(|w| w.contains("/account/unlock?token="))
                .unwrap_or_else(|| panic!("an unlock link in {:?}", messages[0].text))
                .to_owned();
            assert!(link.starts_with("http://127.0.0.1:8080/account/unlock?token="), "{link}");
            return link.split_once("token=").unwrap().1.to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("no email {count} to {to}");
}

async fn lock_out(app: &TestApp, email: &str) {
    for _ in 0..3 {
        assert_eq!(login(app, email, "wrong-password-1").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login(app, email, PASSWORD).await, StatusCode::UNAUTHORIZED, "locked");
}

/// Locked by wrong passwords, the user is emailed a link; its token unlocks the account (which then logs in) once;
/// wrong, empty and replayed tokens are one 400 and unlock nothing.
#[tokio::test]
async fn a_locked_user_unlocks_with_the_emailed_token_once() {
    let app = unthrottled().await;
    let vt = app.vendor_token().await;
    let policy = json!({ "enabled": true, "maxAttempts": 3 });
    let res = app.post("/identity/resources/configurations/v1/lockout-policy").bearer(&vt).json(policy).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let tenant = app.seed_tenant("acme").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;

    lock_out(&app, "ann@x.io").await;
    let token = unlock_token(&app, "ann@x.io", 1).await;
    for body in [json!({ "token": "guess" }), json!({ "token": "" }), json!({}), json!([])] {
        assert_error(&app.post(UNLOCK).json(body).send().await, StatusCode::BAD_REQUEST);
    }
    assert_eq!(login(&app, "ann@x.io", PASSWORD).await, StatusCode::UNAUTHORIZED, "still locked");

    let res = app.post(UNLOCK).json(json!({ "token": token })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(login(&app, "ann@x.io", PASSWORD).await, StatusCode::OK);
    let res = app.post(UNLOCK).json(json!({ "token": token })).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(res.error(), "The unlock link is invalid or has expired");

    // Locked again: a new link; the environment's own lock cannot be undone with it.
    lock_out(&app, "ann@x.io").await;
    let token = unlock_token(&app, "ann@x.io", 2).await;
    let id = app.store.get_user_by_email("ann@x.io").await.unwrap().id;
    let res = app.post(&format!("/identity/resources/users/v1/{id}/lock")).bearer(&vt).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_error(&app.post(UNLOCK).json(json!({ "token": token })).send().await, StatusCode::BAD_REQUEST);
    assert_eq!(login(&app, "ann@x.io", PASSWORD).await, StatusCode::UNAUTHORIZED);
}
