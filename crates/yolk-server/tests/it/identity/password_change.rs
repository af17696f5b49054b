//! `POST /users/v1/passwords/change` (the signed-in user) and `GET /users/v1/passwords/config` (public).

use axum::http::StatusCode;
use serde_json::json;

use crate::support::{PASSWORD, TestApp, assert_error};

const NEW_PASSWORD: &str = "An0ther-long-secret!";

async fn login_status(app: &TestApp, email: &str, password: &str) -> StatusCode {
    app.post("/identity/resources/auth/v1/user").json(json!({"email": email, "password": password})).send().await.status
}

async fn refresh_status(app: &TestApp, refresh: &str) -> StatusCode {
    app.post("/identity/resources/auth/v1/user/token/refresh")
        .json(json!({"refreshToken": refresh}))
        .send()
        .await
        .status
}

#[tokio::test]
async fn a_user_changes_its_password_with_the_current_one_and_its_other_sessions_end() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    app.seed_user("ann@x.io", &tenant, &[]).await;
    let mine = app.login("ann@x.io").await;
    let other = app.login("ann@x.io").await;
    let token = mine.body["accessToken"].as_str().unwrap().to_owned();
    let path = "/identity/resources/users/v1/passwords/change";

    // Wrong current password, or a new one the policy refuses: 400, nothing changes.
    let res =
        app.post(path).bearer(&token).json(json!({"password": "wrong", "newPassword": NEW_PASSWORD})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_eq!(res.error(), "The current password is wrong");
    let res = app.post(path).bearer(&token).json(json!({"password": PASSWORD, "newPassword": "aaa"})).send().await;
    assert_error(&res, StatusCode::BAD_REQUEST);
    assert_error(
        &app.post(path).bearer(&token).json(json!({"password": PASSWORD})).send().await,
        StatusCode::BAD_REQUEST,
    );
    assert_eq!(login_status(&app, "ann@x.io", PASSWORD).await, StatusCode::OK);

    let res = app
        .post(&format!("/frontegg{path}"))
        .bearer(&token)
        .json(json!({"password": PASSWORD, "newPassword": NEW_PASSWORD}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(login_status(&app, "ann@x.io", NEW_PASSWORD).await, StatusCode::OK);
    assert_eq!(login_status(&app, "ann@x.io", PASSWORD).await, StatusCode::UNAUTHORIZED);
    // The caller's session goes on; the other one is over.
    assert_eq!(refresh_status(&app, mine.body["refreshToken"].as_str().unwrap()).await, StatusCode::CREATED);
    assert_eq!(refresh_status(&app, other.body["refreshToken"].as_str().unwrap()).await, StatusCode::UNAUTHORIZED);

    // No token: 401.
    let res = app.post(path).json(json!({"password": NEW_PASSWORD, "newPassword": PASSWORD})).send().await;
    assert_error(&res, StatusCode::UNAUTHORIZED);
}

/// An environment token acting as a user (`frontegg-user-id`) changes that user's password, with the current one.
#[tokio::test]
async fn the_environment_acting_as_a_user_needs_the_current_password_too() {
    let app = TestApp::new().await;
    let tenant = app.seed_tenant("t1").await;
    let id = app.seed_user("ann@x.io", &tenant, &[]).await;
    let env = app.vendor_token().await;
    let path = "/identity/resources/users/v1/passwords/change";
    let body = json!({"password": PASSWORD, "newPassword": NEW_PASSWORD});
    let res = app.post(path).bearer(&env).tenant(&tenant).user(&id.to_string()).json(body).send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(login_status(&app, "ann@x.io", NEW_PASSWORD).await, StatusCode::OK);
}

#[tokio::test]
async fn the_password_config_is_public_and_is_the_policy_in_force() {
    let app = TestApp::new().await;
    for path in [
        "/identity/resources/users/v1/passwords/config",
        "/frontegg/identity/resources/users/v1/passwords/config?userId=x",
    ] {
        let res = app.get(path).send().await;
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.text);
        assert_eq!(res.body["minLength"], 6);
        assert_eq!(res.body["maxLength"], 128);
        assert_eq!(res.body["blockPwnedPasswords"], false);
        assert_eq!(res.body["allowPassphrases"], false);
    }
}
