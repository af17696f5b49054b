//! Password settings: the policy (environment and tenant), the history policy and rotation, each shown by its
//! effect on the paths that set a password and on login.

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{PASSWORD, TestApp, assert_error, claims};

const POLICY: &str = "/identity/resources/configurations/v1/password";
const HISTORY: &str = "/identity/resources/configurations/v1/password-history-policy";
const ROTATION: &str = "/identity/resources/configurations/v1/password-rotation";
const CHANGE: &str = "/identity/resources/users/v1/passwords/change";

async fn change(app: &TestApp, token: &str, from: &str, to: &str) -> crate::support::TestResponse {
    app.post(CHANGE).bearer(token).json(json!({"password": from, "newPassword": to})).send().await
}

#[tokio::test]
async fn the_password_policy_is_enforced_and_a_tenants_own_wins() {
    let app = TestApp::new().await;
    let env = app.vendor_token().await;
    let res = app.get(POLICY).bearer(&env).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!((res.body["minLength"].clone(), res.body["maxLength"].clone()), (json!(6), json!(128)));

    let bad = app.post(POLICY).bearer(&env).json(json!({"minLength": 20, "maxLength": 10})).send().await;
    assert_error(&bad, StatusCode::BAD_REQUEST);
    let res = app
        .post(POLICY)
        .bearer(&env)
        .json(json!({"minLength": 10, "optionalTests": {"requireNumbers": true}, "blockPwnedPasswords": true}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(app.get("/identity/resources/users/v1/passwords/config").send().await.body["minLength"], 10);

    let t1 = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &t1, &[]).await;
    let token = app.user_token("ann@x.io").await;
    let res = change(&app, &token, PASSWORD, "no-digits-here").await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(res.error(), "The password must contain a digit.");
    assert_error(&change(&app, &token, PASSWORD, "Password123").await, StatusCode::BAD_REQUEST);
    assert_eq!(change(&app, &token, PASSWORD, "l0ng-enough-pass").await.status, StatusCode::CREATED);

    // The tenant's own policy wins for its users: a symbol is required there, not elsewhere.
    let res = app
        .post(POLICY)
        .bearer(&env)
        .tenant(&t1)
        .json(json!({"optionalTests": {"requireSpecialChars": true}}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let token = app.login_with("ann@x.io", "l0ng-enough-pass").await;
    assert_error(&change(&app, &token, "l0ng-enough-pass", "plainpassword1").await, StatusCode::BAD_REQUEST);
    let t2 = app.seed_tenant("t2").await;
    app.seed_user("bob@x.io", &t2, &[]).await;
    let bob = app.user_token("bob@x.io").await;
    assert_eq!(change(&app, &bob, PASSWORD, "plainpassword1").await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn the_history_policy_refuses_a_recent_password() {
    let app = TestApp::new().await;
    let env = app.vendor_token().await;
    let t1 = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &t1, &[]).await;
    assert_error(&app.get(HISTORY).bearer(&env).send().await, StatusCode::NOT_FOUND);
    let bad = app.post(HISTORY).bearer(&env).json(json!({"enabled": true, "historySize": 11})).send().await;
    assert_error(&bad, StatusCode::BAD_REQUEST);
    let res = app.post(HISTORY).bearer(&env).json(json!({"enabled": true, "historySize": 2})).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_error(
        &app.post(HISTORY).bearer(&env).json(json!({"enabled": true, "historySize": 2})).send().await,
        StatusCode::CONFLICT,
    );

    let token = app.user_token("ann@x.io").await;
    let res = change(&app, &token, PASSWORD, PASSWORD).await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert!(res.error().contains("last 2 passwords"), "{}", res.error());
    assert_eq!(change(&app, &token, PASSWORD, "second-secret-1").await.status, StatusCode::CREATED);
    // The first password is one of the last two.
    assert_error(&change(&app, &token, "second-secret-1", PASSWORD).await, StatusCode::BAD_REQUEST);
    assert_eq!(change(&app, &token, "second-secret-1", "third-secret-1").await.status, StatusCode::CREATED);
    // Now three back: allowed again.
    let res = change(&app, &token, "third-secret-1", PASSWORD).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);

    // Turned off: reuse is allowed.
    let res = app.patch(HISTORY).bearer(&env).json(json!({"enabled": false, "historySize": 2})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(change(&app, &token, PASSWORD, PASSWORD).await.status, StatusCode::CREATED);
}

#[tokio::test]
async fn an_expired_password_starts_no_session_and_its_reset_token_sets_a_new_one() {
    let app = TestApp::new().await;
    let env = app.vendor_token().await;
    let t1 = app.seed_tenant("t1").await;
    let id = app.seed_user("ann@x.io", &t1, &[]).await;
    assert_error(&app.get(ROTATION).bearer(&env).send().await, StatusCode::NOT_FOUND);
    let bad = app.post(ROTATION).bearer(&env).json(json!({"rotationPeriod": 0})).send().await;
    assert_error(&bad, StatusCode::BAD_REQUEST);
    let res = app
        .post(ROTATION)
        .bearer(&env)
        .json(json!({"isActive": true, "rotationPeriod": 60, "notificationPeriod": 30}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(app.get(ROTATION).bearer(&env).send().await.body["rotationPeriod"], 60);

    let login = json!({"email": "ann@x.io", "password": PASSWORD});
    let res = app.post("/identity/resources/auth/v1/user").json(login.clone()).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.body.get("passwordExpiresIn").is_none(), "far from expiry: {}", res.text);
    app.clock.advance_secs(40 * 60);
    let res = app.post("/identity/resources/auth/v1/user").json(login.clone()).send().await;
    assert!(res.body["accessToken"].is_string());
    let left = res.body["passwordExpiresIn"].as_i64().unwrap();
    assert!((18..=20).contains(&left), "{left}");
    assert_eq!(res.body["notificationPeriod"], 30);

    app.clock.advance_secs(21 * 60);
    let res = app.post("/identity/resources/auth/v1/user").json(login.clone()).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.body.get("accessToken").is_none() && res.cookie("fe_refresh").is_none(), "{}", res.text);
    assert_eq!(res.body["userId"], id.to_string());
    let token = res.body["resetPasswordToken"].as_str().unwrap().to_owned();
    let verify = "/identity/resources/users/v1/passwords/reset/verify";
    let res = app
        .post(verify)
        .json(json!({"userId": id.to_string(), "token": token, "password": "fresh-secret-1"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let res = app
        .post("/identity/resources/auth/v1/user")
        .json(json!({"email": "ann@x.io", "password": "fresh-secret-1"}))
        .send()
        .await;
    assert_eq!(claims(res.body["accessToken"].as_str().unwrap())["sub"], id.to_string());
    assert!(res.body.get("passwordExpiresIn").is_none());
}

#[tokio::test]
async fn a_texted_reset_code_buys_a_reset_token_once_and_unknown_accounts_look_the_same() {
    let app = TestApp::new().await;
    let env = app.vendor_token().await;
    let t1 = app.seed_tenant("t1").await;
    let id = app.seed_user("ann@x.io", &t1, &[]).await;
    let phone = "+15550001111";
    let res = app
        .put(&format!("/identity/resources/users/v1/{id}"))
        .bearer(&env)
        .tenant(&t1)
        .json(json!({"phoneNumber": phone}))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);

    let sms = "/identity/resources/users/v2/passwords/reset/sms";
    let bad = app.post(sms).json(json!({"identifier": "ann@x.io", "identifierType": "phoneNumber"})).send().await;
    assert_error(&bad, StatusCode::BAD_REQUEST);
    let unknown = app.post(sms).json(json!({"identifier": "nobody@x.io", "identifierType": "email"})).send().await;
    let known = app.post(sms).json(json!({"identifier": "ann@x.io", "identifierType": "email"})).send().await;
    assert_eq!((known.status, unknown.status), (StatusCode::OK, StatusCode::OK), "{}", known.text);
    assert!(known.body["sessionId"].is_string() && unknown.body["sessionId"].is_string());
    let session = known.body["sessionId"].as_str().unwrap().to_owned();
    let mut code = None;
    for _ in 0..300 {
        if let Some(m) = app.store.outbox(Some(phone), 1).await.unwrap().pop() {
            code = m.text.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).map(str::to_owned);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let code = code.expect("a texted code");
    let verify = "/identity/resources/users/v2/passwords/reset/sms/verify";
    let wrong = if code == "000000" { "000001" } else { "000000" };
    assert_error(
        &app.post(verify).json(json!({"sessionId": session, "otcToken": wrong})).send().await,
        StatusCode::BAD_REQUEST,
    );
    let other = unknown.body["sessionId"].as_str().unwrap();
    assert_error(
        &app.post(verify).json(json!({"sessionId": other, "otcToken": code})).send().await,
        StatusCode::BAD_REQUEST,
    );
    let res = app.post(verify).json(json!({"sessionId": session, "otcToken": code})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["userId"], id.to_string());
    let token = res.body["token"].as_str().unwrap().to_owned();
    assert_error(
        &app.post(verify).json(json!({"sessionId": session, "otcToken": code})).send().await,
        StatusCode::BAD_REQUEST,
    );

    let reset = "/identity/resources/users/v1/passwords/reset/verify";
    let res = app
        .post(reset)
        .json(json!({"userId": id.to_string(), "token": token, "password": "texted-new-1"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    app.login_with("ann@x.io", "texted-new-1").await;

    let email = "/identity/resources/users/v2/passwords/reset/email";
    let res = app.post(email).json(json!({"identifier": "ann@x.io", "identifierType": "email"})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let mut sent = false;
    for _ in 0..300 {
        if !app.store.outbox(Some("ann@x.io"), 1).await.unwrap().is_empty() {
            sent = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(sent, "the reset link by email");
}
