//! Forgot / reset password (`POST /users/v1/passwords/reset` and `.../reset/verify`), with the link read from the
//! outbox as a developer (or the browser test) would.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};
use yolk_domain::OutboxMessage;

use crate::support::{PASSWORD, TestApp, assert_error};

const NEW_PASSWORD: &str = "An0ther-long-secret!";

/// The outbox messages to `to`, waiting for `count` of them (the link is sent after the answer).
async fn outbox_for(app: &TestApp, to: &str, count: usize) -> Vec<OutboxMessage> {
    for _ in 0..500 {
        let messages = app.store.outbox(Some(to), 50).await.unwrap();
        if messages.len() >= count {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no {count} message(s) to {to} in the outbox");
}

/// `(userId, token)` from the newest reset email to `to`.
async fn reset_link(app: &TestApp, to: &str, count: usize) -> (String, String) {
    let message = outbox_for(app, to, count).await.remove(0);
    let text = &message.text;
    let link = text.split_whitespace().find(|w| w.contains("/account/reset-password?")).expect("a reset link");
    let query = link.split_once('?').unwrap().1;
    let param =
        |name: &str| query.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))).expect("param").to_owned();
    (param("userId"), param("token"))
}

async fn request_reset(app: &TestApp, body: Value) -> crate::support::TestResponse {
    app.post("/identity/resources/users/v1/passwords/reset").json(body).send().await
}

async fn verify(app: &TestApp, user_id: &str, token: &str, password: &str) -> crate::support::TestResponse {
    app.post("/frontegg/identity/resources/users/v1/passwords/reset/verify")
        .json(json!({"userId": user_id, "token": token, "password": password}))
        .send()
        .await
}

async fn login_status(app: &TestApp, email: &str, password: &str) -> StatusCode {
    app.post("/identity/resources/auth/v1/user").json(json!({"email": email, "password": password})).send().await.status
}

/// The whole flow: the link arrives by email (here the outbox), sets the new password once, ends every session,
/// and the old password stops working.
#[tokio::test]
async fn a_reset_link_sets_the_password_once_and_ends_every_session() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let id = app.seed_user("ann@x.io", &tenant, &[]).await;
    let session = app.login("ann@x.io").await;
    let refresh = session.body["refreshToken"].as_str().unwrap().to_owned();

    let res = request_reset(&app, json!({"email": "Ann@X.io"})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.text, "");
    let (user_id, token) = reset_link(&app, "ann@x.io", 1).await;
    assert_eq!(user_id, id.to_string());
    let message = &outbox_for(&app, "ann@x.io", 1).await[0];
    assert_eq!(message.subject.as_deref(), Some("Reset your password"));
    assert!(message.html.as_deref().unwrap().contains(&token));

    // A password the policy refuses leaves the link usable.
    assert_error(&verify(&app, &user_id, &token, "short").await, StatusCode::BAD_REQUEST);
    let res = verify(&app, &user_id, &token, NEW_PASSWORD).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(login_status(&app, "ann@x.io", NEW_PASSWORD).await, StatusCode::OK);
    assert_eq!(login_status(&app, "ann@x.io", PASSWORD).await, StatusCode::UNAUTHORIZED);
    // The session from before the reset is over.
    let res =
        app.post("/identity/resources/auth/v1/user/token/refresh").json(json!({"refreshToken": refresh})).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
    // Spent: the link works once.
    let res = verify(&app, &user_id, &token, "Yet-an0ther-secret!").await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(res.error(), "The password reset link is invalid or has expired");
    assert_eq!(login_status(&app, "ann@x.io", NEW_PASSWORD).await, StatusCode::OK);
}

/// No enumeration: an unknown address gets the same answer and nothing is sent; `identifier` works as `email`.
#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_and_no_email() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    let known = request_reset(&app, json!({"identifier": "ann@x.io", "identifierType": "email"})).await;
    let unknown = request_reset(&app, json!({"email": "nobody@x.io"})).await;
    assert_eq!((known.status, known.text.as_str()), (unknown.status, unknown.text.as_str()));
    outbox_for(&app, "ann@x.io", 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(app.store.outbox(Some("nobody@x.io"), 10).await.unwrap().is_empty());
    // Bad input: 400, nothing sent.
    assert_error(&request_reset(&app, json!({})).await, StatusCode::BAD_REQUEST);
    assert_error(&request_reset(&app, json!({"email": 7})).await, StatusCode::BAD_REQUEST);
    let sms = request_reset(&app, json!({"identifier": "+15550001111", "identifierType": "phoneNumber"})).await;
    assert_error(&sms, StatusCode::BAD_REQUEST);
}

/// Only the newest link works, a link expires, and wrong tokens kill it: after 5 wrong guesses even the right
/// token is refused.
#[tokio::test]
async fn links_are_the_newest_only_expire_and_die_after_wrong_guesses() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    request_reset(&app, json!({"email": "ann@x.io"})).await;
    let (user_id, first) = reset_link(&app, "ann@x.io", 1).await;
    request_reset(&app, json!({"email": "ann@x.io"})).await;
    let (_, second) = reset_link(&app, "ann@x.io", 2).await;
    assert_ne!(first, second);
    assert_error(&verify(&app, &user_id, &first, NEW_PASSWORD).await, StatusCode::BAD_REQUEST);

    // Expired after an hour.
    app.clock.advance_secs(3601);
    assert_error(&verify(&app, &user_id, &second, NEW_PASSWORD).await, StatusCode::BAD_REQUEST);
    assert_eq!(login_status(&app, "ann@x.io", PASSWORD).await, StatusCode::OK);

    request_reset(&app, json!({"email": "ann@x.io"})).await;
    let (_, third) = reset_link(&app, "ann@x.io", 3).await;
    for _ in 0..5 {
        assert_error(&verify(&app, &user_id, "wrong-token", NEW_PASSWORD).await, StatusCode::BAD_REQUEST);
    }
    assert_error(&verify(&app, &user_id, &third, NEW_PASSWORD).await, StatusCode::BAD_REQUEST);
    assert_eq!(login_status(&app, "ann@x.io", PASSWORD).await, StatusCode::OK, "the password is unchanged");
    // Another user's id with a valid-looking token, and a malformed id: the same 400.
    assert_error(&verify(&app, &uuid::Uuid::new_v4().to_string(), &third, NEW_PASSWORD).await, StatusCode::BAD_REQUEST);
    assert_error(&verify(&app, "not-a-uuid", &third, NEW_PASSWORD).await, StatusCode::BAD_REQUEST);
}

/// Links point at the configured app (never at the request's Host); a bad `app_url` is refused at start.
#[tokio::test]
async fn links_point_at_the_configured_app_url() {
    let config = yolk_server::Config { app_url: Some("https://app.example.com/".into()), ..Default::default() };
    let app = TestApp::with_config(config).await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    let res = app
        .post("/identity/resources/users/v1/passwords/reset")
        .header("host", "evil.example.net")
        .json(json!({"email": "ann@x.io"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    let text = outbox_for(&app, "ann@x.io", 1).await.remove(0).text;
    assert!(text.contains("https://app.example.com/account/reset-password?userId="), "{text}");
    assert!(!text.contains("evil"), "{text}");
    for bad in ["app.example.com", "ftp://x", "https://app.example.com/?x=1"] {
        let config = yolk_server::Config { app_url: Some(bad.into()), ..Default::default() };
        assert!(config.validate().unwrap_err().contains("app_url"), "{bad}");
    }
}
